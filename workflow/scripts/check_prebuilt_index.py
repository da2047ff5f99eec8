"""Check a prebuilt aligner index against the FASTA (and, for STAR, the GTF) it must represent."""

import sys

import pandas as pd
from esccrt.errors import script_log
from esccrt.indexes import check_index, check_star_annotation
from esccrt.io import atomic_write

script_log(snakemake.log[0])

check = check_index(snakemake.params.kind, snakemake.params.location, snakemake.input.fasta)
lines = [check.summary()]
if snakemake.params.kind == "star":
    genes = set(pd.read_csv(snakemake.input.genes, sep="\t", dtype=str)["gene_id"])
    lines.append(check_star_annotation(snakemake.params.location, genes, snakemake.input.gtf))
print("\n".join(lines), file=sys.stderr)
with atomic_write(snakemake.output[0]) as handle:
    handle.write("\n".join(lines) + "\n")
