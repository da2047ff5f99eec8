"""Trim one small-RNA unit: identical reads collapsed, then cutadapt once per distinct read.

Protocol preset; QIAseq UMIs moved into read names. Writes the trimmed distinct reads with their
copy numbers, the read-level trimming report and cutadapt's own report (over distinct reads).
"""

import sys

from esccrt.errors import script_log

script_log(snakemake.log[0])

from esccrt.fastq import temporary_outputs  # noqa: E402
from esccrt.smallrna.presets import TrimSettings, trim_preset  # noqa: E402
from esccrt.smallrna.trim import trim_unit, write_trim_report  # noqa: E402

preset = trim_preset(snakemake.params.protocol, snakemake.params.adapter)
# cutadapt writes its report under a temporary name, renamed only when all went well.
with temporary_outputs([snakemake.output.cutadapt]) as (cutadapt_report,):
    report = trim_unit(
        snakemake.input.fq1,
        preset,
        TrimSettings(**snakemake.params.settings),
        output=snakemake.output.fasta,
        cutadapt_report=cutadapt_report,
        log=sys.stderr,
        where=f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}",
    )
print(report, file=sys.stderr)
write_trim_report(report, snakemake.output.json)
