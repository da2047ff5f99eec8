"""Rule script of smallrna_arms: calls esccrt.smallrna.stage.arms."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.stage import ArmsInputs, ArmsOutputs, arms

script_log(snakemake.log[0])

arms(
    from_named(ArmsInputs, dict(snakemake.input.items())),
    from_named(ArmsOutputs, dict(snakemake.output.items())),
)
