"""The report stage (rule ``report``): results/report/report.html from the stage outputs, and a
dated copy of it and of the provenance record in results/report/archive/.

:func:`run` is the stage's one entry point. The report renders what the stages wrote (their
tables, figures and decision tables) and recomputes nothing; it reads the whole validated config
(the run summary shows it), which the rule passes as ``params`` so that any change reruns it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class ReportOutputs:
    """The report page."""

    html: Path


def _versions(inputs: ReportInputs, config: Mapping, repo: Path) -> tuple[str, dict[str, str]]:
    """(workflow version, package and tool versions): those the run recorded in its provenance
    record, so that report and provenance agree; measured now when there is none."""
    if inputs.provenance:
        return provenance_versions(json.loads(Path(inputs.provenance).read_text()))
    arms = inputs.stages() & {"smallrna", "mrna"}
    versions = {**package_versions(), **tool_versions(used_tools(config, arms))}
    return workflow_version(repo), versions


def run(config: Mapping, inputs: ReportInputs, outputs: ReportOutputs, repo: Path) -> None:
    """Write the report page for the validated ``config``; ``repo`` is the workflow's checkout
    (its version is read there when the run has no provenance record)."""
    version, versions = _versions(inputs, config, repo)
    page = build_report(inputs, config, versions, version, outputs.html)
    with atomic_write(outputs.html) as handle:
        handle.write(page)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for copy in archive_copy(outputs.html, inputs.provenance, stamp):
        print(f"kept a dated copy: {copy}", file=sys.stderr)
