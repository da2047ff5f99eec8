"""Align one unit with HISAT2 and write a coordinate-sorted BAM (unaligned reads kept)."""

import os
import shlex
import sys
from pathlib import Path

from esccrt.errors import script_log
from esccrt.fastq import temporary_output
from esccrt.mrna.align import hisat2_args, run_pipe_retrying, samtools_sort_args
from esccrt.paths import trimmed_fastqs

script_log(snakemake.log[0])

fq1, *fq2 = trimmed_fastqs(snakemake.input.reads, snakemake.params.paired)

sample, unit = snakemake.wildcards.sample, snakemake.wildcards.unit
out = Path(snakemake.output.bam)
tmp_bam = out.with_name(f".{out.name}.tmp.bam")
tmp_summary = temporary_output(snakemake.output.summary)
align = hisat2_args(
    snakemake.params.prefix,
    fq1,
    tmp_summary,
    fq2=fq2[0] if fq2 else None,
    threads=snakemake.threads,
    read_group=(
        f"{snakemake.wildcards.sample}.{snakemake.wildcards.unit}",
        snakemake.wildcards.sample,
    ),
    extra=snakemake.params.extra,
)
sort = samtools_sort_args(
    str(tmp_bam), str(out.with_name(f".{out.name}.sorttmp")), snakemake.threads
)
print(shlex.join(align) + " | " + shlex.join(sort), file=sys.stderr, flush=True)
run_pipe_retrying(align, sort, sys.stderr, stall_seconds=60 * snakemake.params.stall_minutes)
os.replace(tmp_summary, snakemake.output.summary)
os.replace(tmp_bam, out)
