"""Rule script: insert sizes of the mRNA read pairs from samtools stats (rule mrna_insert_sizes).

Writes the per-unit summary (pairs, mean, median, 5th/95th percentile) and the distribution plot;
single-end units have no pairs (their summary row says 0 and the plot leaves them out).
"""

from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.mrna.insert_sizes import insert_size_plot, insert_size_summary, read_insert_sizes

script_log(snakemake.log[0])

sizes = [read_insert_sizes(path) for path in snakemake.input.stats]
write_tsv_atomic(insert_size_summary(sizes), snakemake.output.summary)
insert_size_plot(sizes, snakemake.output.plot)
