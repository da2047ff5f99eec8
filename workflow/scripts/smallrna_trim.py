"""Rule script of smallrna_trim: calls esccrt.smallrna.stage.trim with the unit's preset."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.presets import trim_preset
from esccrt.smallrna.settings import TrimStepSettings
from esccrt.smallrna.stage import TrimInputs, TrimOutputs, trim

script_log(snakemake.log[0])

trim(
    TrimStepSettings.from_config(snakemake.params.settings),
    trim_preset(snakemake.params.protocol, snakemake.params.adapter),
    from_named(TrimInputs, dict(snakemake.input.items())),
    from_named(TrimOutputs, dict(snakemake.output.items())),
    where=f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}",
)
