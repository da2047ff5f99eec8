"""Rule script: Ct table -> results/qpcr/fold_changes.tsv and replicate_qc.tsv."""

import sys

from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.fold_changes import run
from esccrt.qpcr.settings import QpcrSettings

script_log(snakemake.log[0])

settings = QpcrSettings.from_config(snakemake.params.settings)
fold_changes, replicate_qc = run(snakemake.input.ct, settings)
flagged = replicate_qc[replicate_qc["flags"].fillna("") != ""]
print(
    f"{fold_changes['patient'].nunique()} patients x {len(settings.targets)} targets; "
    f"{len(flagged)} of {len(replicate_qc)} replicate groups flagged "
    f"(undetermined rule: {settings.undetermined}, SD threshold {settings.sd_threshold})",
    file=sys.stderr,
)
write_tsv_atomic(replicate_qc, snakemake.output.replicate_qc)
write_tsv_atomic(fold_changes, snakemake.output.fold_changes)
