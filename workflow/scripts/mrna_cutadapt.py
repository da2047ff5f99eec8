"""Trim adapters and low-quality 3' ends of one unit (single- or paired-end) with cutadapt."""

import os
import shlex
import shutil
import sys
from pathlib import Path

from esccrt.errors import script_log
from esccrt.fastq import run_reading_reads, temporary_outputs
from esccrt.io import atomic_write
from esccrt.mrna.trim import adapters_for, cutadapt_args
from esccrt.paths import trimmed_fastqs
from esccrt.safety import split_tool_options

script_log(snakemake.log[0])

unit = snakemake.params.unit
trimming = snakemake.params.trimming
paired = snakemake.params.paired
where = f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}"
r1_adapter, r2_adapter = adapters_for(
    unit.get("protocol", ""),
    unit.get("adapter", ""),
    trimming["adapters"],
    paired=paired,
    where=f"units sheet, {where}",
)
# cutadapt writes into a hidden folder and under temporary names, renamed only when it succeeds.
folder = Path(snakemake.output.reads)
partial = folder.with_name(f".{folder.name}.partial")
shutil.rmtree(partial, ignore_errors=True)
partial.mkdir(parents=True)
out_reads = trimmed_fastqs(str(partial), paired)
reads = [snakemake.input.fq1, *([snakemake.input.fq2] if paired else [])]
try:
    with (
        temporary_outputs([snakemake.output.json]) as tmp,
        atomic_write(snakemake.output.report) as report,
    ):
        args = cutadapt_args(
            fq1=snakemake.input.fq1,
            fq2=snakemake.input.fq2 if paired else None,
            out1=out_reads[0],
            out2=out_reads[1] if paired else None,
            adapter_r1=r1_adapter,
            adapter_r2=r2_adapter,
            min_length=trimming["min_length"],
            quality_cutoff=trimming["quality_cutoff"],
            cores=snakemake.threads,
            json_report=tmp[0],
            extra=split_tool_options(trimming["extra"], "mrna.trimming.extra"),
        )
        print("cutadapt " + shlex.join(args), file=sys.stderr, flush=True)
        run_reading_reads(
            [sys.executable, "-m", "cutadapt", *args], where, reads, sys.stderr, stdout=report
        )
except BaseException:
    shutil.rmtree(partial, ignore_errors=True)  # no half-written reads left behind
    raise
os.replace(partial, folder)
