"""Rule script of mirna_targets: every source read and mapped (esccrt.targets_stage)."""

from esccrt.errors import script_log
from esccrt.targets_stage import map_sources

script_log(snakemake.log[0])
map_sources(
    snakemake.params.sources,
    list(snakemake.input.files),
    list(snakemake.input.records),
    snakemake.input.smallrna_de[0],
    snakemake.input.gtf,
    dict(snakemake.output.items()),
)
