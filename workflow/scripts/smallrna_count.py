"""Rule script of smallrna_count: calls esccrt.smallrna.stage.count for one sample."""

from esccrt.errors import script_log
from esccrt.paths import from_named
from esccrt.smallrna.settings import CountSettings
from esccrt.smallrna.stage import CountInputs, CountOutputs, count

script_log(snakemake.log[0])

count(
    CountSettings.from_config(snakemake.params.settings),
    from_named(CountInputs, dict(snakemake.input.items())),
    from_named(CountOutputs, dict(snakemake.output.items())),
    sample=snakemake.wildcards.sample,
)
