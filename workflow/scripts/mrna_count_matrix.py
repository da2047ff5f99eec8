"""Sum the units of each sample into the gene count matrix and the count summary."""

from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.mrna.matrix import merge_unit_counts

script_log(snakemake.log[0])

tables = dict(zip(map(tuple, snakemake.params.unit_keys), snakemake.input.tables, strict=True))
counts, summary = merge_unit_counts(tables, snakemake.params.samples)
write_tsv_atomic(counts, snakemake.output.counts)
write_tsv_atomic(summary, snakemake.output.summary)
