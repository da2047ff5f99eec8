"""Rule script: clinical table + fold changes -> Table 1, KM, log-rank, Cox, ROC and figures."""

import sys
from pathlib import Path

import pandas as pd
from esccrt import survival as sv
from esccrt import survival_plots as plots
from esccrt.io import atomic_write, write_tsv_atomic

sys.stderr = open(snakemake.log[0], "w")

section = snakemake.params.settings
out = snakemake.output
endpoints = sv.endpoints_from_config(section)
factors = sv.factors_from_config(section)

clinical = sv.read_clinical(snakemake.input.clinical, endpoints, factors)
fold_changes = pd.read_csv(
    snakemake.input.fold_changes,
    sep="\t",
    dtype={"patient": str, "target": str},
    keep_default_na=False,
    na_values=[""],
)
sv.check_patients(clinical.index, fold_changes["patient"], f"{snakemake.input.clinical}: ")
fc = sv.fold_change_matrix(fold_changes)
groups = sv.derive_groups(clinical, fc, factors)

logrank, medians = sv.logrank_table(clinical, groups, endpoints, factors)
table1 = sv.table1(groups, logrank, factors, endpoints)
cox_settings = section.get("cox", {})
cox = sv.cox_table(
    clinical,
    groups,
    endpoints,
    factors,
    cox_settings.get("multivariate", "auto"),
    float(cox_settings.get("p_threshold", 0.05)),
)
diag = section["diagnostic"]
diag_endpoint = {e.name: e for e in endpoints}[diag["endpoint"]]
roc, auc = sv.diagnostic_model(
    clinical,
    fc,
    diag_endpoint,
    float(diag["within"]),
    diag["predictors"],
    int(diag.get("bootstrap", 1000)),
    int(diag.get("seed", 1)),
)

write_tsv_atomic(groups.reset_index(names="patient"), out.groups)
write_tsv_atomic(logrank, out.logrank)
write_tsv_atomic(medians, out.km_medians)
write_tsv_atomic(cox, out.cox)
write_tsv_atomic(roc, out.roc)
write_tsv_atomic(auc, out.auc)
write_tsv_atomic(table1, out.table1)
with atomic_write(out.table1_md) as handle:
    handle.write(sv.table1_markdown(table1, endpoints, bool(snakemake.params.demo)))

folder = Path(out.table1).parent
tests = logrank.set_index(["endpoint", "factor"])
for endpoint in endpoints:
    for factor in factors:
        fitters = sv.kaplan_meier(
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
            sv.km_plot_path(folder, endpoint.name, factor.name),
            section.get("time_unit", "months"),
        )
plots.forest_plot(cox, folder / "forest.png")
plots.roc_plot(roc, auc.iloc[0].to_dict(), folder / "roc.png")
print(
    f"{len(clinical)} patients, {len(factors)} factors, AUC {auc['auc'].iloc[0]}", file=sys.stderr
)
