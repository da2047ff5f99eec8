"""The QC page (rule ``report_qc``): results/report/qc.html, the quality-control part of the
report written as soon as QC has decided, before differential expression.

A run whose QC gate leaves a contrast without samples stops in differential expression, before
the full report; this page is then the report's QC part of that run: each arm's gate (sample,
verdict, reasons) and the small-RNA verdicts with every criterion's value and threshold. It
renders the tables the QC stage wrote and recomputes nothing. :func:`run` is the entry point.

With ``report.pseudonymise`` the page codes patient identifiers as the full report does, with
the report's own functions (:mod:`esccrt.report.pseudonyms`): the identifiers of the tables
that name the patients (the sample sheet; the clinical table when survival runs) and of the
page's tables are registered, every identifier holding a letter on the page is replaced by its
code (the same code as in the report: it depends on the identifier and the key only), and the
page is searched for any identifier left.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt.de.settings import QC_ONLY, qc_only_note
from esccrt.io import atomic_write, read_tsv
from esccrt.qc_gate import PASSED
from esccrt.report.html import page, section_titles, table
from esccrt.report.pseudonyms import (
    Pseudonymiser,
    check_no_leak,
    coded_sections,
    read_key,
    register_files,
)
from esccrt.report.smallrna_qc import sample_qc_part

#: The ``report`` settings the page uses (beside ``demo``).
REPORT_KEYS = ("title", "section_titles", "table_page_rows", "pseudonymise", "pseudonym_key")


def page_settings(config: Mapping[str, object]) -> dict[str, object]:
    """The page's settings from the validated config: ``demo`` and :data:`REPORT_KEYS` of
    ``report`` (rule ``report_qc`` passes them as params, so a change to one reruns the page)."""
    report = config["report"]
    return {"demo": config["demo"], **{key: report[key] for key in REPORT_KEYS}}  # type: ignore[index]


@dataclass(frozen=True)
class QCPageInputs:
    """Each arm's QC gate table (arm -> path) and, with small RNA, its verdicts and read fate;
    ``identifiers``: the tables naming the patients (read when identifiers are coded);
    ``qc_only``: the arms without a contrast, whose gate excludes from no DE."""

    gates: Mapping[str, str]
    sample_qc: str = ""
    read_fate: str = ""
    identifiers: Sequence[str] = ()
    #: the arms without a contrast (QC only: no differential expression)
    qc_only: Sequence[str] = ()


def gate_part(arm: str, path: str | os.PathLike[str], qc_only: bool = False) -> list[str]:
    """One arm's gate as written (results/<arm>/qc_gate.tsv): how many samples it excluded,
    then one row per sample with its reason. An arm that is QC only (no contrast) excludes
    from no DE: the gate's failures are what a DE would have left out, and the page says so."""
    gate = read_tsv(path)
    excluded = gate.loc[~gate[PASSED].astype(str).str.lower().eq("true"), "sample"].tolist()
    named = f": {', '.join(map(str, excluded))}" if excluded else ""
    if qc_only:
        return [
            f"<h3>QC gate: {html.escape(arm)} ({QC_ONLY})</h3>",
            f"<p>{html.escape(qc_only_note(arm))}</p>",
            f"<p>{len(excluded)} of {len(gate)} samples fail the QC gate and would be excluded "
            f"from differential expression{html.escape(named)} ({html.escape(str(path))}).</p>",
            table(gate, f"qc-gate-{arm}"),
        ]
    return [
        f"<h3>QC gate: {html.escape(arm)}</h3>",
        f"<p>{len(excluded)} of {len(gate)} samples excluded from differential expression"
        f"{html.escape(named)} ({html.escape(str(path))}).</p>",
        table(gate, f"qc-gate-{arm}"),
    ]


def qc_parts(inputs: QCPageInputs) -> list[str]:
    """The page's content: the gates, the small-RNA verdicts, the read fate."""
    parts = [
        "<p>Written as soon as QC decided, before differential expression: when the run stops "
        "later (e.g. QC left a contrast without samples), this is its QC report. The full "
        "report (report.html) repeats it once the run completes.</p>"
    ]
    for arm, path in inputs.gates.items():
        parts += gate_part(arm, path, arm in inputs.qc_only)
    if inputs.sample_qc:
        parts += sample_qc_part(inputs.sample_qc)
    if inputs.read_fate:
        parts += ["<h3>Small RNA: read fate</h3>", table(read_tsv(inputs.read_fate), "read-fate")]
    return parts


def run(settings: Mapping, inputs: QCPageInputs, output: str | os.PathLike[str]) -> None:
    """Write the QC page; ``settings`` are config ``report``'s title, section_titles,
    table_page_rows, pseudonymise and pseudonym_key, and config ``demo``."""
    titles = section_titles(settings["section_titles"])
    sections = [("quality-control", "\n".join(qc_parts(inputs)))]
    coder = None
    if settings["pseudonymise"]:
        coder = Pseudonymiser(read_key(settings["pseudonym_key"]))
        tables = [inputs.sample_qc, inputs.read_fate, *inputs.gates.values()]
        register_files(coder, [*inputs.identifiers, *tables])
        sections = coded_sections(coder, sections, [])
    document = page(
        f"{settings['title']}: quality control",
        sections,
        bool(settings["demo"]),
        titles,
        settings["table_page_rows"],
    )
    if coder is not None:
        check_no_leak(coder, [("the QC page", document)])
    with atomic_write(Path(output)) as handle:
        handle.write(document)


def gate_arms(paths: Sequence[str]) -> dict[str, str]:
    """arm -> gate path, the arm being the gate's folder (results/<arm>/qc_gate.tsv)."""
    return {Path(path).parent.name: path for path in paths}
