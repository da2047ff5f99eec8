"""Trim one small-RNA unit in one pass: cutadapt's trimming (protocol preset), inserts counted.

QIAseq UMIs are kept with their inserts. Writes the unit's inserts inside the length window with
copy numbers (collapsed), the read-level trimming report (with the reads outside the window and
all insert lengths) and cutadapt's JSON report of the same trimming on every read.
"""

import sys

from esccrt.errors import script_log

script_log(snakemake.log[0])

from esccrt.smallrna.presets import TrimSettings, trim_preset  # noqa: E402
from esccrt.smallrna.trim import trim_unit, write_trim_report  # noqa: E402

report = trim_unit(
    snakemake.input.fq1,
    trim_preset(snakemake.params.protocol, snakemake.params.adapter),
    TrimSettings(**snakemake.params.settings),
    output=snakemake.output.fasta,
    cutadapt_report=snakemake.output.cutadapt,
    log=sys.stderr,
    where=f"sample {snakemake.wildcards.sample}, unit {snakemake.wildcards.unit}",
    window=(snakemake.params.min_length, snakemake.params.max_length),
)
print(report, file=sys.stderr)
write_trim_report(report, snakemake.output.json)
