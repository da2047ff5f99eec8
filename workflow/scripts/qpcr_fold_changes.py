"""Rule script: Ct table -> results/qpcr/ fold changes, replicate QC, reference stability
(table, geNorm steps, figure) and haemolysis check."""

import sys

from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.plots import stability_plot
from esccrt.qpcr.settings import QpcrSettings

script_log(snakemake.log[0])

settings = QpcrSettings.from_config(snakemake.params.settings)
results = run_qpcr(snakemake.input.ct, settings)
qc = results.replicate_qc
flagged = qc[qc["flags"].fillna("") != ""]
haemolysed = results.haemolysis[results.haemolysis["status"] == "haemolysed"]
how = "picked by " + settings.reference_selection["method"]
print(
    f"{results.fold_changes['patient'].nunique()} patients x {len(settings.targets)} targets; "
    f"{len(flagged)} of {len(qc)} replicate groups flagged "
    f"(undetermined rule: {settings.undetermined}, SD threshold {settings.sd_threshold}); "
    f"references {results.references} "
    f"({how if settings.reference_selection['auto'] else 'configured'}); "
    f"{len(haemolysed)} haemolysed sample(s): "
    f"{[f'{r.patient} ({r.timepoint})' for r in haemolysed.itertuples()]}",
    file=sys.stderr,
)
for note in results.stability.notes:
    print(f"reference stability: {note}", file=sys.stderr)
out = snakemake.output
write_tsv_atomic(qc, out.replicate_qc)
write_tsv_atomic(results.stability.table, out.reference_stability)
write_tsv_atomic(results.stability.steps, out.genorm_steps)
stability_plot(results.stability, out.stability_plot)
write_tsv_atomic(results.haemolysis, out.haemolysis)
write_tsv_atomic(results.fold_changes, out.fold_changes)
