"""Rule script: clinical table + fold changes -> Table 1, KM, log-rank, Cox, ROC, cut-off scan
and figures."""

import sys

import pandas as pd
from esccrt import paths
from esccrt.errors import script_log
from esccrt.io import atomic_write, write_tsv_atomic
from esccrt.qpcr.haemolysis import drop_patients, excluded_patients
from esccrt.survival import plots
from esccrt.survival.clinical import check_patients, read_clinical
from esccrt.survival.cox import cox_table
from esccrt.survival.cutpoints import cutoff_scan
from esccrt.survival.diagnostic import diagnostic_model
from esccrt.survival.groups import derive_groups, fold_change_matrix
from esccrt.survival.logrank import kaplan_meier, logrank_table
from esccrt.survival.settings import SurvivalSettings
from esccrt.survival.table1 import table1, table1_markdown

script_log(snakemake.log[0])

settings = SurvivalSettings.from_config(snakemake.params.settings)
out = snakemake.output
endpoints, factors = settings.endpoints, settings.factors

clinical = read_clinical(snakemake.input.clinical, endpoints, factors)
fold_changes = pd.read_csv(
    snakemake.input.fold_changes,
    sep="\t",
    dtype={"patient": str, "target": str},
    keep_default_na=False,
    na_values=[""],
)
check_patients(clinical.index, fold_changes["patient"], f"{snakemake.input.clinical}: ")
# qpcr.haemolysis.exclude_from_survival: patients with a haemolysed serum sample are left out
haemolysed = excluded_patients(pd.read_csv(snakemake.input.haemolysis, sep="\t", dtype=str))
if haemolysed:
    print(f"left out (haemolysed serum sample): {haemolysed}", file=sys.stderr)
    clinical = drop_patients(clinical, haemolysed)
    fold_changes = drop_patients(fold_changes, haemolysed)
fc = fold_change_matrix(fold_changes)
groups = derive_groups(clinical, fc, factors)

logrank, medians = logrank_table(clinical, groups, endpoints, factors)
table = table1(groups, logrank, factors, endpoints)
cox = cox_table(
    clinical,
    groups,
    endpoints,
    factors,
    multivariate=settings.multivariate,
    p_threshold=settings.p_threshold,
)
roc, auc = diagnostic_model(clinical, fc, settings.diagnostic)
maxstat, cutoff_curves = cutoff_scan(
    clinical, fc, endpoints, factors, settings.cutpoint_min_prop, settings.cutpoint_max_prop
)

write_tsv_atomic(groups.reset_index(names="patient"), out.groups)
write_tsv_atomic(logrank, out.logrank)
write_tsv_atomic(medians, out.km_medians)
write_tsv_atomic(cox, out.cox)
write_tsv_atomic(roc, out.roc)
write_tsv_atomic(auc, out.auc)
write_tsv_atomic(maxstat, out.maxstat)
write_tsv_atomic(cutoff_curves, out.cutoff_scan)
write_tsv_atomic(table, out.table1)
with atomic_write(out.table1_md) as handle:
    handle.write(table1_markdown(table, endpoints, bool(snakemake.params.demo)))

tests = logrank.set_index(["endpoint", "factor"])
for endpoint in endpoints:
    for factor in factors:
        fitters = kaplan_meier(
            clinical[endpoint.time],
            clinical[endpoint.event],
            groups[factor.name],
            factor.level_labels(),
        )
        test = tests.loc[(endpoint.name, factor.name)]
        plots.km_plot(
            fitters,
            f"{endpoint.label}: {factor.label}",
            float(test["p"]),
            str(test["note"]),
            paths.fill(paths.SURVIVAL_KM_PLOT, endpoint=endpoint.name, factor=factor.name),
            time_unit=settings.time_unit,
        )
plots.forest_plot(cox, paths.SURVIVAL_FOREST_PLOT)
plots.roc_plot(roc, auc.iloc[0].to_dict(), paths.SURVIVAL_ROC_PLOT)
plots.cutoff_plot(cutoff_curves, maxstat, paths.SURVIVAL_CUTOFF_PLOT)
print(
    f"{len(clinical)} patients, {len(factors)} factors, apparent AUC {auc['auc'].iloc[0]}, "
    f"optimism-corrected {auc['auc_corrected'].iloc[0]}",
    file=sys.stderr,
)
