"""Rule script of qpcr_fold_changes: calls the qPCR stage (esccrt.qpcr.stage.run)."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.qpcr.settings import QpcrSettings
from esccrt.qpcr.stage import QpcrInputs, QpcrOutputs, run

script_log(snakemake.log[0])

run(
    QpcrSettings.from_config(snakemake.params.settings),
    from_named(QpcrInputs, dict(snakemake.input.items())),
    from_named(QpcrOutputs, dict(snakemake.output.items())),
)
