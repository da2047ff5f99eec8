"""Rule script of mrna_count: calls esccrt.mrna.stage.count for one unit."""

from pathlib import Path

from esccrt.errors import script_log
from esccrt.mrna.settings import CountingSettings
from esccrt.mrna.stage import CountInputs, count
from esccrt.paths import from_named

script_log(snakemake.log[0])

count(
    CountingSettings.from_config(snakemake.params.counting),
    from_named(CountInputs, dict(snakemake.input.items())),
    Path(snakemake.output[0]),
    threads=snakemake.threads,
)
