"""Rule script: insert sizes of the mRNA read pairs from samtools stats (rule mrna_insert_sizes).

Writes the per-unit summary (pairs, mean, median, 5th/95th percentile) and the distribution plot
(esccrt.mrna.insert_sizes.insert_sizes); single-end units have no pairs (their summary row says 0
and the plot leaves them out).
"""

from esccrt.cohort_plots import CohortPlotSettings
from esccrt.errors import script_log
from esccrt.mrna.insert_sizes import insert_sizes

script_log(snakemake.log[0])

insert_sizes(
    snakemake.input.stats,
    snakemake.output.summary,
    snakemake.output.plot,
    CohortPlotSettings.from_config(snakemake.params.qc),
)
