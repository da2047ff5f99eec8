"""Align one sample's remaining collapsed reads with bowtie 1 to one reference."""

import sys

from esccrt.errors import script_log

script_log(snakemake.log[0])

from esccrt.smallrna.align import run_bowtie  # noqa: E402

sys.stderr.flush()
run_bowtie(
    index=snakemake.params.index,
    reads=snakemake.input.reads,
    bam=snakemake.output.bam,
    unaligned=snakemake.output.unaligned,
    extra_args=snakemake.params.args,
    threads=snakemake.threads,
    log=snakemake.log[0],
)
