"""Splice sites and exons of the GTF for hisat2-build --ss/--exon (HISAT2's own format)."""

import sys

from esccrt.errors import script_log
from esccrt.io import atomic_write
from esccrt.mrna.annotation import hisat2_exons, hisat2_splice_sites

script_log(snakemake.log[0])

for rows, path in (
    (hisat2_splice_sites(snakemake.input.gtf), snakemake.output.splice_sites),
    (hisat2_exons(snakemake.input.gtf), snakemake.output.exons),
):
    with atomic_write(path) as out:
        for chrom, left, right, strand in rows:
            out.write(f"{chrom}\t{left}\t{right}\t{strand}\n")
    print(f"{path}: {len(rows)} rows", file=sys.stderr)
