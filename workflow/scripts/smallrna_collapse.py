"""Rule script of smallrna_collapse: calls esccrt.smallrna.stage.collapse."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.settings import CollapseSettings
from esccrt.smallrna.stage import CollapseInputs, CollapseOutputs, collapse

script_log(snakemake.log[0])

collapse(
    CollapseSettings.from_config(snakemake.params.settings),
    list(snakemake.params.umi_lengths),
    from_named(CollapseInputs, dict(snakemake.input.items())),
    from_named(CollapseOutputs, dict(snakemake.output.items())),
    sample=snakemake.wildcards.sample,
)
