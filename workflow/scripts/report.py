"""Rule script: write results/report/report.html from the stage outputs."""

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
versions = {
    **report.package_versions(),
    **report.tool_versions(report.used_tools(config)),
}
version = report.workflow_version(Path(snakemake.scriptdir).parents[1])

page = report.build_report(inputs, config, versions, version, snakemake.output.html)
with atomic_write(snakemake.output.html) as handle:
    handle.write(page)
