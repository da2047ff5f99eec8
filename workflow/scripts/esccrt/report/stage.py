"""The report stage (rule ``report``): results/report/report.html from the stage outputs, the
reporting checklists beside it, a dated copy of the page and of the provenance record in
results/report/archive/ and, with ``report.pseudonymise``, the shared tables with patient
identifiers coded (results/share/) and the private mapping (results/private/pseudonyms.tsv).

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

from esccrt.io import atomic_write, write_tsv_atomic
from esccrt.report.build import render_page, report_sections
from esccrt.report.checklists import checklist_table
from esccrt.report.inputs import ReportInputs, archive_copy
from esccrt.report.pseudonyms import (
    Pseudonymiser,
    check_no_leak,
    coded_sections,
    read_key,
    shared_inputs,
)
from esccrt.versions import (
    package_versions,
    provenance_versions,
    tool_versions,
    used_tools,
    workflow_version,
)


@dataclass(frozen=True)
class ReportOutputs:
    """The report page, the reporting checklists and, when identifiers are coded, the shared
    tables' folder and the mapping (None otherwise)."""

    html: Path
    tripod_checklist: Path
    remark_checklist: Path
    share: Path | None = None
    pseudonyms: Path | None = None


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
    coder = None
    if config["report"]["pseudonymise"]:
        coder = Pseudonymiser(read_key(config["report"]["pseudonym_key"]))
        inputs, left_out = shared_inputs(inputs, coder, outputs.share)
    sections = report_sections(inputs, config, versions, version, outputs.html)
    if coder is not None:
        sections = coded_sections(coder, sections, left_out)
    page, checklists = render_page(config, sections)
    if coder is not None:
        shared = sorted(Path(outputs.share).rglob("*.tsv"))
        check_no_leak(coder, [("the report", page), *((str(p), p.read_text()) for p in shared)])
        write_tsv_atomic(coder.mapping(), outputs.pseudonyms)
        outputs.pseudonyms.chmod(0o600)  # the key to re-identification: its owner reads it only
    write_tsv_atomic(checklist_table(checklists, "TRIPOD+AI"), outputs.tripod_checklist)
    write_tsv_atomic(checklist_table(checklists, "REMARK"), outputs.remark_checklist)
    with atomic_write(outputs.html) as handle:
        handle.write(page)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for copy in archive_copy(outputs.html, inputs.provenance, stamp):
        print(f"kept a dated copy: {copy}", file=sys.stderr)
