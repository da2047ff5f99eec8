"""Rule script of survival_analysis: calls the survival stage (esccrt.survival.stage.run)."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.survival.settings import SurvivalSettings
from esccrt.survival.stage import SurvivalInputs, SurvivalOutputs, run

script_log(snakemake.log[0])

run(
    SurvivalSettings.from_config(snakemake.params.settings),
    from_named(SurvivalInputs, dict(snakemake.input.items())),
    from_named(SurvivalOutputs, dict(snakemake.output.items())),
    demo=bool(snakemake.params.demo),
)
