"""Rule script of mirna_target_source: one target source into the cache, with its record."""

from esccrt.errors import script_log
from esccrt.targets_stage import fetch_source

script_log(snakemake.log[0])
fetch_source(snakemake.params.source, snakemake.output.file, snakemake.output.record)
