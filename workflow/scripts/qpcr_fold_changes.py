"""Rule script of qpcr_fold_changes: calls the qPCR stage (esccrt.qpcr.stage.run)."""

from dataclasses import replace

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.qpcr.settings import QpcrSettings
from esccrt.qpcr.stage import QpcrInputs, QpcrOutputs, run
from esccrt.qpcr.uncertainty import fold_change_efficiencies

script_log(snakemake.log[0])

settings = QpcrSettings.from_config(snakemake.params.settings)
if snakemake.input.get("efficiencies"):  # qpcr.efficiency_source: linregpcr
    needed = list(
        dict.fromkeys([*settings.targets, *settings.reference_targets, *settings.candidates])
    )
    settings = replace(
        settings, efficiencies=fold_change_efficiencies(snakemake.input.efficiencies, needed)
    )
    settings.check()
run(
    settings,
    from_named(QpcrInputs, dict(snakemake.input.items())),
    from_named(QpcrOutputs, dict(snakemake.output.items())),
)
