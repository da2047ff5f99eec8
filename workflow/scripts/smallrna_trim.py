"""Trim one small-RNA unit with cutadapt (protocol preset; QIAseq UMIs moved into read names)."""

import subprocess
import sys

sys.stderr = open(snakemake.log[0], "w")

from esccrt.smallrna import TrimSettings, cutadapt_args, trim_preset  # noqa: E402

preset = trim_preset(snakemake.params.protocol, snakemake.params.adapter)
settings = TrimSettings(**snakemake.params.settings)
args = cutadapt_args(
    preset,
    settings,
    fastq=snakemake.input.fq1,
    output=snakemake.output.fastq,
    json_report=snakemake.output.json,
    cores=snakemake.threads,
)
command = [sys.executable, "-m", "cutadapt", *args]
print("running:", " ".join(command), file=sys.stderr, flush=True)
subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr, check=True)
