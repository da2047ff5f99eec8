"""Trim adapters and low-quality 3' ends of one unit (single- or paired-end) with cutadapt."""

import shlex
import sys

from esccrt.fastq import run_reading_reads, temporary_outputs
from esccrt.io import atomic_write
from esccrt.mrna.trim import adapters_for, cutadapt_args
from esccrt.safety import split_tool_options

sys.stderr = open(snakemake.log[0], "w")

unit = snakemake.params.unit
trimming = snakemake.params.trimming
paired = hasattr(snakemake.output, "r2")  # Namedlist: `in` would test values
where = f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}"
r1_adapter, r2_adapter = adapters_for(
    unit.get("protocol", ""),
    unit.get("adapter", ""),
    trimming["adapters"],
    paired=paired,
    where=f"units sheet, {where}",
)
# cutadapt writes under temporary names, renamed only when it succeeds.
finals = [snakemake.output.r1, *([snakemake.output.r2] if paired else []), snakemake.output.json]
reads = [snakemake.input.fq1, *([snakemake.input.fq2] if paired else [])]
with temporary_outputs(finals) as tmp, atomic_write(snakemake.output.report) as report:
    args = cutadapt_args(
        fq1=snakemake.input.fq1,
        fq2=snakemake.input.fq2 if paired else None,
        out1=tmp[0],
        out2=tmp[1] if paired else None,
        adapter_r1=r1_adapter,
        adapter_r2=r2_adapter,
        min_length=trimming["min_length"],
        quality_cutoff=trimming["quality_cutoff"],
        cores=snakemake.threads,
        json_report=tmp[-1],
        extra=split_tool_options(trimming["extra"], "mrna.trimming.extra"),
    )
    print("cutadapt " + shlex.join(args), file=sys.stderr, flush=True)
    run_reading_reads(
        [sys.executable, "-m", "cutadapt", *args], where, reads, sys.stderr, stdout=report
    )
