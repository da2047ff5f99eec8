"""Collect the per-unit strandedness calls into results/mrna/strandedness.tsv."""

from pathlib import Path

from esccrt.errors import script_log
from esccrt.mrna.stage import strandedness_table

script_log(snakemake.log[0])

strandedness_table(list(snakemake.input), Path(snakemake.output[0]))
