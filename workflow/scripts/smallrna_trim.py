"""Trim one small-RNA unit with cutadapt (protocol preset; QIAseq UMIs moved into read names)."""

import os
import sys

sys.stderr = open(snakemake.log[0], "w")

from esccrt.fastq import run_reading_reads, temporary_output  # noqa: E402
from esccrt.smallrna import TrimSettings, cutadapt_args, trim_preset  # noqa: E402

preset = trim_preset(snakemake.params.protocol, snakemake.params.adapter)
settings = TrimSettings(**snakemake.params.settings)
# cutadapt writes under temporary names; they are renamed only when it succeeds.
outputs = {temporary_output(path): path for path in (snakemake.output.fastq, snakemake.output.json)}
tmp_fastq, tmp_json = outputs
args = cutadapt_args(
    preset,
    settings,
    fastq=snakemake.input.fq1,
    output=tmp_fastq,
    json_report=tmp_json,
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
for tmp, final in outputs.items():
    os.replace(tmp, final)
