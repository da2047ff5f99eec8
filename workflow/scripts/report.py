"""Rule script: write results/report/report.html from the stage outputs."""

import datetime as dt
import json
import sys
from dataclasses import fields
from pathlib import Path

from esccrt import report
from esccrt.io import atomic_write

sys.stderr = open(snakemake.log[0], "w")

config = snakemake.config
given = dict(snakemake.input.items())
inputs = report.ReportInputs(
    **{
        f.name: (list(given[f.name]) if isinstance(given[f.name], list) else str(given[f.name]))
        for f in fields(report.ReportInputs)
        if f.name in given
    }
)
if inputs.provenance:  # the versions the run recorded, so report and provenance agree
    version, versions = report.provenance_versions(json.loads(Path(inputs.provenance).read_text()))
else:
    versions = {
        **report.package_versions(),
        **report.tool_versions(report.used_tools(config)),
    }
    version = report.workflow_version(Path(snakemake.scriptdir).parents[1])

page = report.build_report(inputs, config, versions, version, snakemake.output.html)
with atomic_write(snakemake.output.html) as handle:
    handle.write(page)
stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
for copy in report.archive_copy(snakemake.output.html, inputs.provenance, stamp):
    print(f"kept a dated copy: {copy}", file=sys.stderr)
