"""Collect the per-unit strandedness calls into results/mrna/strandedness.tsv."""

import sys

import pandas as pd
from esccrt.io import write_tsv_atomic

sys.stderr = open(snakemake.log[0], "w")

table = pd.concat(
    [pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) for path in snakemake.input]
)
write_tsv_atomic(table, snakemake.output[0])
