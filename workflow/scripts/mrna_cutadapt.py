"""Trim adapters and low-quality 3' ends of one unit (single- or paired-end) with cutadapt."""

import shlex
import sys

from esccrt.mrna import adapters_for, cutadapt_args, run_cutadapt

sys.stderr = open(snakemake.log[0], "w")

unit = snakemake.params.unit
trimming = snakemake.params.trimming
paired = hasattr(snakemake.output, "r2")  # Namedlist: `in` would test values
r1_adapter, r2_adapter = adapters_for(
    unit.get("protocol", ""),
    unit.get("adapter", ""),
    trimming["adapters"],
    paired=paired,
    where=f"units sheet, sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}",
)
args = cutadapt_args(
    fq1=snakemake.input.fq1,
    fq2=snakemake.input.fq2 if paired else None,
    out1=snakemake.output.r1,
    out2=snakemake.output.r2 if paired else None,
    adapter_r1=r1_adapter,
    adapter_r2=r2_adapter,
    min_length=trimming["min_length"],
    quality_cutoff=trimming["quality_cutoff"],
    cores=snakemake.threads,
    json_report=snakemake.output.json,
    extra=shlex.split(trimming["extra"]),
)
print("cutadapt " + shlex.join(args), file=sys.stderr, flush=True)
run_cutadapt(args, snakemake.output.report, err=sys.stderr)
