"""Align one unit with STAR to a coordinate-sorted BAM (unaligned reads kept)."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

from esccrt.mrna.align import star_args

sys.stderr = open(snakemake.log[0], "w")

out = Path(snakemake.output.bam)
prefix = out.with_name(f".{snakemake.wildcards.unit}.star.")
args = star_args(
    snakemake.input.index,
    snakemake.input.r1,
    str(prefix),
    fq2=snakemake.input.get("r2"),
    threads=snakemake.threads,
    sort_mem_mb=max(1000, snakemake.resources.mem_mb // 4),
    extra=snakemake.params.extra,
)
print(shlex.join(args), file=sys.stderr, flush=True)
subprocess.run(args, stdout=sys.stderr, stderr=sys.stderr, check=True)
os.replace(f"{prefix}Log.final.out", snakemake.output.summary)
os.replace(f"{prefix}Aligned.sortedByCoord.out.bam", out)
