"""The TRIPOD+AI and REMARK reporting checklists: each item and where the report answers it.

The items live in one table, workflow/report/checklists.tsv (checklist, item, topic, a short
paraphrase of what the item asks, and the report's section and part that answer it, or nothing
when only the authors can: ethics, funding, eligibility, ...). The checklists are TRIPOD+AI
(Collins et al., BMJ 2024;385:e078378; 27 items, several with sub-items) and REMARK (McShane et
al., J Natl Cancer Inst 2005;97:1180; 20 items); their full wording is in those papers.

An item is answered by the report only when its part is in this run's page (a section anchor
and, within it, an ``<h3>`` heading starting with the part's name): a run without, say, the
survival analysis leaves those items to the user instead of pointing to nothing.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.io import read_tsv
from esccrt.report.html import SECTIONS

#: The checklist table (this module is workflow/scripts/esccrt/report/).
CHECKLISTS = Path(__file__).resolve().parents[3] / "report" / "checklists.tsv"
#: Its columns, in order.
COLUMNS = ["checklist", "item", "topic", "asks", "section", "part"]
#: The checklists and their main items (an item "12a" is part of main item 12).
MAIN_ITEMS = {"TRIPOD+AI": 27, "REMARK": 20}
#: Where an item points when the report does not answer it.
USER = "to be completed by the user"


def load_checklists(path: str | os.PathLike[str] = CHECKLISTS) -> pd.DataFrame:
    """The checklist items, checked: every section a known report section, and a part only
    with a section (a wrong anchor would be a link to nowhere)."""
    items = read_tsv(path, COLUMNS).fillna("")
    if list(items.columns) != COLUMNS:
        raise InputError(f"{path}: the columns must be {', '.join(COLUMNS)}")
    for line, row in enumerate(items.itertuples(), start=2):
        if row.section and row.section not in SECTIONS:
            raise InputError(f"{path}, line {line}: section {row.section!r} is no report section")
        if row.part and not row.section:
            raise InputError(f"{path}, line {line}: part {row.part!r} needs its section")
    return items


def main_item(item: str) -> int:
    """The main item number of ``item`` ("12a" -> 12)."""
    return int(re.match(r"\d+", item).group(0))


def present_parts(sections: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """Per section anchor of the page, the text of its ``<h3>`` headings."""
    return {
        anchor: [html.unescape(h) for h in re.findall(r"<h3>(.*?)</h3>", content, re.S)]
        for anchor, content in sections
    }


def checklist_status(
    items: pd.DataFrame, sections: Sequence[tuple[str, str]], titles: Mapping[str, str]
) -> pd.DataFrame:
    """``items`` with where each is answered in this page (``answered_in``: heading and part,
    or :data:`USER`) and its link (``anchor``, empty when the user answers it)."""
    parts = present_parts(sections)

    def found(section: str, part: str) -> bool:
        headings = parts.get(section)
        return headings is not None and (not part or any(h.startswith(part) for h in headings))

    answered = [found(r.section, r.part) if r.section else False for r in items.itertuples()]
    anchors = [r.section if ok else "" for r, ok in zip(items.itertuples(), answered, strict=True)]
    where = [
        (f"{titles[r.section]}: {r.part}" if r.part else titles[r.section]) if ok else USER
        for r, ok in zip(items.itertuples(), answered, strict=True)
    ]
    return items[["checklist", "item", "topic", "asks"]].assign(answered_in=where, anchor=anchors)


def _linked(status: pd.DataFrame) -> str:
    """One checklist as an HTML table whose answered items link to their section."""
    rows = []
    for r in status.itertuples():
        where = html.escape(r.answered_in)
        cell = (
            f'<a href="#{html.escape(r.anchor)}">{where}</a>' if r.anchor else f"<em>{where}</em>"
        )
        rows.append(
            f"<tr><td>{html.escape(r.item)}</td><td>{html.escape(r.topic)}</td>"
            f"<td>{html.escape(r.asks)}</td><td>{cell}</td></tr>"
        )
    head = "".join(f"<th>{c}</th>" for c in ("item", "topic", "the item asks for", "answered in"))
    return (
        f'<table class="checklist"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def checklists_section(status: pd.DataFrame) -> str:
    """The two checklists, each with how many items the report answers."""
    parts = [
        "<p>Each item of the reporting guidelines, paraphrased (full wording in the papers), "
        "with the part of this report that answers it; the others are the authors' to complete. "
        "Also in results/report/tripod_ai_checklist.tsv and remark_checklist.tsv.</p>"
    ]
    for name, reference in (
        ("TRIPOD+AI", "Collins et al., BMJ 2024;385:e078378"),
        ("REMARK", "McShane et al., J Natl Cancer Inst 2005;97:1180"),
    ):
        rows = status[status["checklist"] == name]
        answered = int((rows["anchor"] != "").sum())
        parts.append(
            f"<h3>{name} ({reference}): {answered} of {len(rows)} items answered here</h3>"
            + _linked(rows)
        )
    return "".join(parts)


def checklist_table(status: pd.DataFrame, checklist: str) -> pd.DataFrame:
    """The rows of one checklist as its TSV holds them."""
    rows = status[status["checklist"] == checklist]
    return rows.drop(columns="checklist").reset_index(drop=True)


def render_checklists(
    sections: Sequence[tuple[str, str]], titles: Mapping[str, str]
) -> tuple[pd.DataFrame, str]:
    """(status of every item, the checklist section's HTML) for the page's ``sections``."""
    status = checklist_status(load_checklists(), sections, titles)
    return status, checklists_section(status)
