"""Rule script: write results/report/report.html from the stage outputs (rule report)."""

import datetime as dt
import json
import sys
from pathlib import Path

from esccrt.errors import script_log
from esccrt.io import atomic_write
from esccrt.report.build import build_report
from esccrt.report.inputs import ReportInputs, archive_copy
from esccrt.versions import (
    package_versions,
    provenance_versions,
    tool_versions,
    used_tools,
    workflow_version,
)

script_log(snakemake.log[0])

config = snakemake.config
inputs = ReportInputs.from_named(dict(snakemake.input.items()))
if inputs.provenance:  # the versions the run recorded, so report and provenance agree
    version, versions = provenance_versions(json.loads(Path(inputs.provenance).read_text()))
else:
    arms = inputs.stages() & {"smallrna", "mrna"}
    versions = {**package_versions(), **tool_versions(used_tools(config, arms))}
    version = workflow_version(Path(snakemake.scriptdir).parents[1])

page = build_report(inputs, config, versions, version, snakemake.output.html)
with atomic_write(snakemake.output.html) as handle:
    handle.write(page)
stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
for copy in archive_copy(snakemake.output.html, inputs.provenance, stamp):
    print(f"kept a dated copy: {copy}", file=sys.stderr)
