"""Collect the per-unit strandedness calls into results/mrna/strandedness.tsv."""

import pandas as pd
from esccrt.errors import script_log
from esccrt.io import write_tsv_atomic

script_log(snakemake.log[0])

table = pd.concat(
    [pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) for path in snakemake.input]
)
write_tsv_atomic(table, snakemake.output[0])
