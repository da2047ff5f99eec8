"""Sum the units of each sample into the gene count matrix and the count summary."""

from esccrt.errors import script_log
from esccrt.mrna.matrix import write_count_matrix

script_log(snakemake.log[0])

write_count_matrix(
    dict(zip(map(tuple, snakemake.params.unit_keys), snakemake.input.tables, strict=True)),
    snakemake.params.samples,
    snakemake.output.counts,
    snakemake.output.summary,
)
