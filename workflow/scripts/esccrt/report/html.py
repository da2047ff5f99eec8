"""HTML building blocks of the report: the page, its tables, embedded figures, style and script.

Images are embedded as base64 data URIs, styles and the small table script are inline, and a
Content-Security-Policy forbids every fetch, so the page opens offline, from e-mail or from a
cluster's file share and fetches nothing from the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError

#: PNG files start with these eight bytes.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Section anchors and headings, in page order (a section is left out when its arm is absent);
#: an empty heading is the study's own, from config ``report.section_titles`` (STUDY_TITLES).
SECTIONS = {
    "run-summary": "Run summary",
    "quality-control": "Quality control",
    "smallrna-differential-expression": "",
    "smallrna-isomirs": "Small RNA: isomiRs with a changed seed",
    "mrna-differential-expression": "",
    "sequencing-meets-survival": "Sequencing meets survival",
    "mirna-targets": "miRNA targets in the recipient cells",
    "qpcr-quality": "qPCR: reference miRNAs and serum quality",
    "qpcr-fold-changes": "qPCR: fold changes and relative quantities with confidence intervals",
    "qpcr-cohort": "qPCR: cohort and design",
    "survival": "",
    "methods": "Methods",
    "reporting-checklists": "Reporting checklists (TRIPOD+AI, REMARK)",
}
#: The key in config ``report.section_titles`` of each study-specific heading.
STUDY_TITLES = {
    "smallrna-differential-expression": "smallrna_de",
    "mrna-differential-expression": "mrna_de",
    "survival": "survival",
}


def section_titles(configured: Mapping[str, str]) -> dict[str, str]:
    """Every section's heading: the fixed ones, and the study's own from ``configured``
    (config ``report.section_titles``)."""
    return {anchor: title or configured[STUDY_TITLES[anchor]] for anchor, title in SECTIONS.items()}


#: Forbids every fetch (images are data: URIs, script and style inline); links still navigate.
_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'none'; font-src 'none'"
)

_SCRIPT = """
// Tables longer than the body's data-page-rows are shown a page at a time; search and sort
// work on every row, on every page. A row is hidden by its style attribute alone, set and
// removed as an attribute (Chromium keeps an empty style="" once row.style was written).
function pageRows() { return Number(document.body.dataset.pageRows) || Infinity; }
function setShown(row, shown) {
  if (shown) row.removeAttribute("style"); else row.setAttribute("style", "display: none;");
}
function showPage(table, page) {
  const rows = Array.from(table.tBodies[0].rows), size = pageRows();
  const hits = rows.filter(r => !r.miss), pages = Math.max(1, Math.ceil(hits.length / size));
  page = Math.min(Math.max(page, 0), pages - 1); table.page = page;
  rows.forEach(r => { if (r.miss) setShown(r, false); });
  hits.forEach((r, k) => setShown(r, k >= page * size && k < (page + 1) * size));
  let pager = document.getElementById(table.id + "-pager");
  if (pages < 2) { if (pager) pager.hidden = true; return; }
  if (!pager) {
    pager = document.createElement("div");
    pager.className = "pager"; pager.id = table.id + "-pager";
    pager.innerHTML = '<button data-step="-1">&lsaquo; previous</button> <span></span> ' +
                      '<button data-step="1">next &rsaquo;</button>';
    pager.querySelectorAll("button").forEach(b => b.addEventListener("click",
        () => showPage(table, table.page + Number(b.dataset.step))));
    table.closest(".scroll").after(pager);
  }
  pager.hidden = false;
  const last = Math.min((page + 1) * size, hits.length);
  pager.querySelector("span").textContent =
      `page ${page + 1} of ${pages} (rows ${page * size + 1}-${last} of ${hits.length})`;
}
function filterTable(input, id) {
  const needle = input.value.toLowerCase(), table = document.getElementById(id);
  let shown = 0;
  for (const row of table.tBodies[0].rows) {
    row.miss = !row.textContent.toLowerCase().includes(needle);
    shown += !row.miss;
  }
  showPage(table, 0);
  const count = document.getElementById(id + "-count");
  if (count) count.textContent = shown + " shown";
}
function sortTable(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const col = Array.from(th.parentNode.children).indexOf(th);
  const asc = th.dataset.order !== "asc"; th.dataset.order = asc ? "asc" : "desc";
  const key = r => { const c = r.cells[col], t = c.dataset.sort ?? c.textContent;
                     const n = Number(t); return t === "" || isNaN(n) ? t : n; };
  Array.from(body.rows).sort((a, b) => { const x = key(a), y = key(b);
      if (typeof x !== typeof y) return (typeof x === "number" ? -1 : 1) * (asc ? 1 : -1);
      return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); })
    .forEach(r => body.appendChild(r));
  showPage(table, 0);
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[id]").forEach(t => {
    if (t.tBodies.length && t.tBodies[0].rows.length > pageRows()) showPage(t, 0); });
});
window.addEventListener("load", () => {
  // When the page had loaded (ms after navigation started): the bench reads it.
  document.body.dataset.loadMs = Math.round(performance.now());
  // Broken images are counted (and outlined) so that a test or a reader sees them at once.
  const broken = Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0);
  broken.forEach(i => i.classList.add("broken"));
  document.body.dataset.brokenImages = broken.length;
  document.body.dataset.images = document.images.length;
  // report.html#search=miR-143 filters every searchable table (a link can share a view).
  const match = location.hash.match(/^#search=(.*)$/);
  if (match) {
    const needle = decodeURIComponent(match[1]);
    document.querySelectorAll("input[data-table]").forEach(input => {
      input.value = needle; filterTable(input, input.dataset.table); });
  }
  document.body.dataset.ready = "true";
});
"""

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 78em; padding: 1em 2em 4em; color: #222; line-height: 1.4; }
h1 { border-bottom: 3px solid #2c4a6b; padding-bottom: .3em; color: #2c4a6b; }
h2 { color: #fff; background: #2c4a6b; padding: .35em .6em; margin-top: 2.2em;
     border-radius: 4px; }
h3 { color: #2c4a6b; margin-top: 1.6em; border-bottom: 1px solid #d6dde6; }
nav { background: #f3f6f9; border: 1px solid #d6dde6; padding: .5em 1em; border-radius: 4px; }
nav a { margin-right: 1.2em; color: #2c4a6b; text-decoration: none; font-weight: 600; }
.banner { background: #fff3cd; border: 2px solid #e0b040; padding: .8em 1em;
          font-weight: bold; border-radius: 4px; }
.answer { background: #e8f4ea; border-left: 5px solid #2e7d32; padding: .8em 1em; }
.note { color: #555; font-size: .9em; }
.caveat { background: #fff8e1; border-left: 5px solid #e0b040; padding: .5em 1em; }
.scroll { display: inline-block; max-width: 100%; max-height: 32em; overflow: auto;
          border: 1px solid #d6dde6; margin: .4em 0; }
table { border-collapse: collapse; font-size: .82em; }
th, td { border: 1px solid #d0d7de; padding: .2em .5em; text-align: right; white-space: nowrap; }
th { background: #e8eef5; cursor: pointer; position: sticky; top: 0; }
th:hover { background: #d3dfec; }
td:first-child, th:first-child { text-align: left; }
tbody tr:nth-child(even) { background: #f8fafc; }
tr.yes td { background: #e8f4ea; }
figure { display: inline-block; width: 48%; margin: .4em .5%; vertical-align: top; }
figure img { width: 100%; border: 1px solid #ddd; }
figure.wide { width: 98%; } figcaption { font-size: .8em; color: #555; }
img.broken { outline: 4px solid red; }
.methods { background: #f6f6f6; padding: 1em; border-radius: 4px; }
pre { background: #f6f6f6; padding: .8em; font-size: .8em; max-height: 30em; overflow: auto; }
.search { margin: .5em 0 .2em; }
input[type=search] { padding: .25em .5em; width: 22em; }
figure.wide { max-width: 60em; }
details { margin: .6em 0; } summary { cursor: pointer; color: #2c4a6b; font-weight: 600; }
table.checklist td, table.checklist th { text-align: left; white-space: normal; cursor: auto; }
.pager { margin: .2em 0 .8em; font-size: .85em; } .pager button { margin: 0 .4em; }
td.v-pass, td.v-warn, td.v-fail, td.v-na { text-align: center; }
td.v-pass { background: #d7eedb; color: #1b5e20; }
td.v-warn { background: #ffe9a8; color: #6d4c00; }
td.v-fail { background: #f6c4c4; color: #8e1b1b; font-weight: 600; } td.v-na { color: #888; }
"""


def image(path: str | os.PathLike[str], caption: str, wide: bool = False) -> str:
    """A <figure> with the PNG embedded as a data URI, so the page needs no other file."""
    data = Path(path).read_bytes()
    if not data.startswith(PNG_SIGNATURE):
        raise InputError(f"{path}: not a PNG image; the report embeds PNG figures only")
    encoded = base64.b64encode(data).decode("ascii")
    css = ' class="wide"' if wide else ""
    return (
        f'<figure{css}><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def figures(
    paths: Iterable[str | os.PathLike[str]], captions: Mapping[str, str] | None = None
) -> str:
    """Figures of several PNG files, captioned by ``captions[stem]`` or by the file's stem."""
    captions = captions or {}
    return "".join(
        image(p, captions.get(Path(p).stem, Path(p).stem.replace("_", " "))) for p in paths
    )


def _cell(value: object) -> str:
    """One table cell's text, escaped; missing values (None, NaN) are left empty."""
    missing = value is None or (isinstance(value, float) and pd.isna(value))
    return "" if missing else html.escape(str(value))


#: Verdicts coloured in a table's verdict columns, in the order a click on the header sorts
#: them (the worst first).
VERDICTS = ("fail", "warn", "pass", "na")


def _verdict_cell(value: object) -> str:
    """A verdict cell (:data:`VERDICTS`), coloured by its class and sorted worst first; any
    other value is a plain cell."""
    if value not in VERDICTS:
        return f"<td>{_cell(value)}</td>"
    return f'<td class="v-{value}" data-sort="{VERDICTS.index(value)}">{value}</td>'


def table(
    frame: pd.DataFrame,
    table_id: str,
    searchable: bool = True,
    digits: int = 4,
    highlight: str | None = None,
    verdicts: Sequence[str] = (),
) -> str:
    """An HTML table, sortable by clicking a header and, if asked, filtered by a search box;
    the page's script shows a long table a page at a time (:func:`page`'s ``page_rows``).

    Floats are shown with ``digits`` significant digits; rows whose boolean column
    ``highlight`` is true get the class ``yes``; the cells of the ``verdicts`` columns are
    coloured by verdict (:data:`VERDICTS`).
    """
    if frame.empty:
        return '<p class="note">(none)</p>'
    shown = frame.copy()
    for column in shown.select_dtypes("float").columns:
        shown[column] = shown[column].map(lambda v: "NA" if pd.isna(v) else f"{v:.{digits}g}")
    head = "".join(
        f'<th onclick="sortTable(this)" title="click to sort">{html.escape(str(c))}</th>'
        for c in shown.columns
    )
    coloured = [column in verdicts for column in shown.columns]
    rows = []
    flags = frame[highlight].astype(str).eq("True").tolist() if highlight else [False] * len(frame)
    for flag, values in zip(flags, shown.itertuples(index=False), strict=True):
        cells = "".join(
            _verdict_cell(v) if verdict else f"<td>{_cell(v)}</td>"
            for verdict, v in zip(coloured, values, strict=True)
        )
        rows.append(f'<tr class="yes">{cells}</tr>' if flag else f"<tr>{cells}</tr>")
    body = (
        f'<div class="scroll"><table id="{html.escape(table_id)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    if not searchable:
        return body
    search = (
        f'<div class="search"><input type="search" placeholder="search the table" '
        f'data-table="{table_id}" oninput="filterTable(this, \'{table_id}\')"> '
        f'<span class="note" id="{table_id}-count">{len(frame)} rows</span></div>'
    )
    return search + body


def page(
    title: str,
    sections: Sequence[tuple[str, str]],
    demo: bool,
    titles: Mapping[str, str],
    page_rows: int,
    stamp: str = "",
) -> str:
    """The whole HTML document: contents, a banner for simulated data, one <section> each.

    ``sections`` are (anchor, html) pairs; anchors are keys of :data:`SECTIONS`, ``titles``
    their headings (:func:`section_titles`); a table longer than ``page_rows`` rows is shown a
    page of that many rows at a time.
    """
    banner = (
        '<p class="banner">SIMULATED DATA: these results come from the built-in demo, '
        "simulated by the workflow's own simulator. They say nothing about patients.</p>"
        if demo
        else ""
    )
    nav = "".join(f'<a href="#{a}">{html.escape(titles[a])}</a>' for a, _ in sections)
    body = "\n".join(
        f'<section id="{html.escape(anchor)}"><h2>{html.escape(titles[anchor])}'
        f"</h2>\n{content}</section>"
        for anchor, content in sections
    )
    stamp = stamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script>{_SCRIPT}</script></head><body data-page-rows='{int(page_rows)}'>"
        f"<h1>{html.escape(title)}</h1>"
        f"{banner}<p class='note'>Generated {stamp}.</p><nav>{nav}</nav>\n{body}</body></html>"
    )
