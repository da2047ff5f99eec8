"""Align one unit with STAR to a coordinate-sorted BAM (unaligned reads kept)."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

from esccrt.errors import script_log
from esccrt.mrna.align import star_args
from esccrt.paths import trimmed_fastqs

script_log(snakemake.log[0])

fq1, *fq2 = trimmed_fastqs(snakemake.input.reads, snakemake.params.paired)

out = Path(snakemake.output.bam)
prefix = out.with_name(f".{snakemake.wildcards.unit}.star.")
args = star_args(
    snakemake.input.index,
    fq1,
    str(prefix),
    fq2=fq2[0] if fq2 else None,
    threads=snakemake.threads,
    sort_mem_mb=max(1000, snakemake.resources.mem_mb // 4),
    extra=snakemake.params.extra,
)
print(shlex.join(args), file=sys.stderr, flush=True)
subprocess.run(args, stdout=sys.stderr, stderr=sys.stderr, check=True)
os.replace(f"{prefix}Log.final.out", snakemake.output.summary)
os.replace(f"{prefix}Aligned.sortedByCoord.out.bam", out)
