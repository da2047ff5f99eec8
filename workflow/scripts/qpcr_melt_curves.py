"""Rule script: the RDML files among qpcr.ct_table -> results/qpcr/melt_peaks.tsv (peaks of
every melt curve, RDML-Tools' analysis; empty when no file carries melt data)."""

import sys

from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.melt import melt_peaks, rdml_files

script_log(snakemake.log[0])

files = rdml_files(snakemake.input.ct, snakemake.params.format)
peaks = melt_peaks(files, snakemake.params.melt)
write_tsv_atomic(peaks, snakemake.output.melt_peaks)
print(
    f"{len(peaks)} melt curves in {len(files)} RDML file(s); "
    f"{int((peaks['n_peaks'] > 1).sum())} with more than one peak",
    file=sys.stderr,
)
