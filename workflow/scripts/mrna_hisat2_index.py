"""Build the HISAT2 index (with the annotation's splice sites and exons when configured)."""

import subprocess
import sys

from esccrt.errors import script_log
from esccrt.mrna.align import hisat2_build_args

script_log(snakemake.log[0])

args = hisat2_build_args(
    snakemake.input.genome,
    snakemake.params.prefix,
    threads=snakemake.threads,
    splice_sites=snakemake.input.splice_sites or None,
    exons=snakemake.input.exons or None,
)
print(" ".join(args), file=sys.stderr, flush=True)
subprocess.run(args, stdout=sys.stderr, stderr=sys.stderr, check=True)
