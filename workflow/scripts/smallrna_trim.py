"""Trim one small-RNA unit with cutadapt (protocol preset; QIAseq UMIs moved into read names)."""

import sys

sys.stderr = open(snakemake.log[0], "w")

from esccrt.fastq import run_reading_reads, temporary_outputs  # noqa: E402
from esccrt.smallrna import TrimSettings, cutadapt_args, trim_preset  # noqa: E402

preset = trim_preset(snakemake.params.protocol, snakemake.params.adapter)
settings = TrimSettings(**snakemake.params.settings)
# cutadapt writes under temporary names, renamed only when it succeeds.
with temporary_outputs([snakemake.output.fastq, snakemake.output.json]) as (fastq, json_report):
    args = cutadapt_args(
        preset,
        settings,
        fastq=snakemake.input.fq1,
        output=fastq,
        json_report=json_report,
        cores=snakemake.threads,
    )
    command = [sys.executable, "-m", "cutadapt", *args]
    print("running:", " ".join(command), file=sys.stderr, flush=True)
    run_reading_reads(
        command,
        f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}",
        [snakemake.input.fq1],
        sys.stderr,
    )
