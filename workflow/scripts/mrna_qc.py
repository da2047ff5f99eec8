"""Rule script of mrna_qc: calls esccrt.mrna.stage.qc."""

from esccrt.errors import script_log
from esccrt.mrna.settings import QcSettings
from esccrt.mrna.stage import QcInputs, QcOutputs, qc
from esccrt.paths import from_named

script_log(snakemake.log[0])

qc(
    QcSettings.from_config(snakemake.params.qc),
    snakemake.params.aligner,
    snakemake.params.unit_keys,
    from_named(QcInputs, dict(snakemake.input.items())),
    from_named(QcOutputs, dict(snakemake.output.items())),
)
