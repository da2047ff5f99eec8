"""The final report: one self-contained HTML page joining sequencing and survival results.

Images are embedded as base64 data URIs, styles and the small table script are inline, and a
Content-Security-Policy forbids every fetch, so the page opens offline, from e-mail or from a
cluster's file share and fetches nothing from the network. The rule script
``workflow/scripts/report.py`` only gathers paths and calls :func:`build_report`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import importlib.metadata
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from esccrt.errors import InputError, located

#: Python packages whose versions the report lists (PyPI distribution names).
PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "pysam",
    "HTSeq",
    "pydeseq2",
    "lifelines",
    "cutadapt",
    "scikit-learn",
    "matplotlib",
    "multiqc",
)
#: Command-line tools and the argument that makes each print its version.
TOOLS = {"bowtie": "--version", "hisat2": "--version", "samtools": "--version"}
#: Tools used only with a non-default aligner.
ALIGNER_TOOLS = {"star": {"STAR": "--version"}}

#: PNG files start with these eight bytes.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Section anchors and headings, in page order (a section is left out when its arm is absent).
SECTIONS = {
    "run-summary": "Run summary",
    "quality-control": "Quality control",
    "smallrna-differential-expression": "Small-RNA differential expression (exosomes)",
    "mrna-differential-expression": "mRNA differential expression (macrophages)",
    "sequencing-meets-survival": "Sequencing meets survival",
    "survival": "Survival (serum qPCR cohort)",
    "methods": "Methods",
}

#: Forbids every fetch (images are data: URIs, script and style inline); links still navigate.
_CSP = (
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'none'; font-src 'none'"
)

_SCRIPT = """
function filterTable(input, id) {
  const needle = input.value.toLowerCase();
  let shown = 0;
  for (const row of document.getElementById(id).tBodies[0].rows) {
    const hit = row.textContent.toLowerCase().includes(needle);
    row.style.display = hit ? "" : "none";
    shown += hit;
  }
  const count = document.getElementById(id + "-count");
  if (count) count.textContent = shown + " shown";
}
function sortTable(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const col = Array.from(th.parentNode.children).indexOf(th);
  const asc = th.dataset.order !== "asc"; th.dataset.order = asc ? "asc" : "desc";
  const key = r => { const t = r.cells[col].textContent; const n = Number(t);
                     return t === "" || isNaN(n) ? t : n; };
  Array.from(body.rows).sort((a, b) => { const x = key(a), y = key(b);
      if (typeof x !== typeof y) return (typeof x === "number" ? -1 : 1) * (asc ? 1 : -1);
      return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); })
    .forEach(r => body.appendChild(r));
}
window.addEventListener("load", () => {
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
"""


# ----------------------------------------------------------------------------------- versions


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each Python package, or 'not installed'."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def version_number(text: str) -> str:
    """The first dotted version number in a tool's version line ('?' when there is none)."""
    match = re.search(r"\d+(?:\.\d+)+[a-z]?", text)
    return match.group(0) if match else "?"


def tool_versions(tools: Mapping[str, str] = TOOLS) -> dict[str, str]:
    """Version number each command-line tool prints, or 'not found'."""
    versions = {}
    for tool, flag in tools.items():
        try:
            out = subprocess.run(
                [tool, flag], capture_output=True, text=True, errors="replace", check=False
            )
        except FileNotFoundError:
            versions[tool] = "not found"
            continue
        text = out.stdout + out.stderr
        lines = [line for line in text.splitlines() if "version" in line.lower()]
        versions[tool] = version_number((lines or text.splitlines() or ["?"])[0])
    return versions


def used_tools(config: Mapping) -> dict[str, str]:
    """The command-line tools this configuration runs (the aligner's tool is added)."""
    aligner = config.get("mrna", {}).get("aligner", "hisat2")
    return {**TOOLS, **ALIGNER_TOOLS.get(aligner, {})}


def workflow_version(repo: Path) -> str:
    """``git describe`` of the workflow's checkout, or 'unknown' outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return "unknown (git not found)"
    return out.stdout.strip() or "unknown"


# ---------------------------------------------------------------------------------- HTML parts


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A workflow TSV; only empty cells, 'NA' and 'nan' are missing values."""
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=["", "NA", "nan"])


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


def figures(paths: Iterable[str | os.PathLike[str]], captions: Mapping[str, str] | None = None):
    """Figures of several PNG files, captioned by ``captions[stem]`` or by the file's stem."""
    captions = captions or {}
    return "".join(
        image(p, captions.get(Path(p).stem, Path(p).stem.replace("_", " "))) for p in paths
    )


def _cell(value: object) -> str:
    missing = value is None or (isinstance(value, float) and pd.isna(value))
    return "" if missing else html.escape(str(value))


def table(
    frame: pd.DataFrame,
    table_id: str,
    searchable: bool = True,
    digits: int = 4,
    highlight: str | None = None,
) -> str:
    """An HTML table, sortable by clicking a header and, if asked, filtered by a search box.

    Floats are shown with ``digits`` significant digits; rows whose boolean column
    ``highlight`` is true get the class ``yes``.
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
    rows = []
    flags = frame[highlight].astype(str).eq("True").tolist() if highlight else [False] * len(frame)
    for flag, values in zip(flags, shown.itertuples(index=False), strict=True):
        cells = "".join(f"<td>{_cell(v)}</td>" for v in values)
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


def page(title: str, sections: Sequence[tuple[str, str]], demo: bool, stamp: str = "") -> str:
    """The whole HTML document: contents, a banner for simulated data, one <section> each.

    ``sections`` are (anchor, html) pairs; anchors are keys of :data:`SECTIONS`.
    """
    banner = (
        '<p class="banner">SIMULATED DATA: these results come from the built-in demo, '
        "simulated by the workflow's own simulator. They say nothing about patients.</p>"
        if demo
        else ""
    )
    nav = "".join(f'<a href="#{a}">{html.escape(SECTIONS.get(a, a))}</a>' for a, _ in sections)
    body = "\n".join(
        f'<section id="{html.escape(anchor)}"><h2>{html.escape(SECTIONS.get(anchor, anchor))}'
        f"</h2>\n{content}</section>"
        for anchor, content in sections
    )
    stamp = stamp or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script>{_SCRIPT}</script></head><body><h1>{html.escape(title)}</h1>"
        f"{banner}<p class='note'>Generated {stamp}.</p><nav>{nav}</nav>\n{body}</body></html>"
    )


# ------------------------------------------------------------------------------------ analyses


def significant(results: pd.DataFrame) -> pd.DataFrame:
    """Rows of a DE table flagged significant (column ``significant``), by padj."""
    flag = results["significant"].astype(str).eq("True")
    return results[flag].drop(columns="significant").sort_values("padj")


def gene_labels(results: pd.DataFrame) -> pd.Series:
    """Gene names of a DE table (column ``name`` where filled, else ``feature``)."""
    if "name" not in results:
        return results["feature"].astype(str)
    names = results["name"].fillna("").astype(str)
    return names.where(names != "", results["feature"].astype(str))


def marker_panel(results: pd.DataFrame, markers: Sequence[str]) -> pd.DataFrame:
    """Fold change and padj of each marker gene, in the configured order.

    A marker is matched by gene name (or feature id); markers absent from the table (not in the
    annotation, or filtered out for low counts) get a row saying so.
    """
    labels = gene_labels(results)
    rows = []
    for marker in markers:
        hit = results[(labels == marker) | (results["feature"].astype(str) == marker)]
        if hit.empty:
            rows.append({"gene": marker, "feature": "", "note": "not in the DE table"})
            continue
        row = hit.iloc[0]
        up = row["log2FoldChange"] > 0
        rows.append(
            {
                "gene": marker,
                "feature": row["feature"],
                "baseMean": row["baseMean"],
                "log2FoldChange": row["log2FoldChange"],
                "padj": row["padj"],
                "significant": str(row["significant"]) == "True",
                "note": ("up" if up else "down") + " in irradiated",
            }
        )
    columns = ["gene", "feature", "baseMean", "log2FoldChange", "padj", "significant", "note"]
    return pd.DataFrame(rows).reindex(columns=columns)


def marker_plot(panel: pd.DataFrame, path: str | os.PathLike[str], title: str) -> None:
    """A horizontal bar chart of the markers' log2 fold changes (significant ones filled)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = panel.dropna(subset=["log2FoldChange"])
    fig, ax = plt.subplots(figsize=(6, 0.45 * max(len(shown), 2) + 1.2))
    colours = [
        ("#c0392b" if lfc > 0 else "#2e6da4") if sig is True else "#bbbbbb"
        for lfc, sig in zip(shown["log2FoldChange"], shown["significant"], strict=True)
    ]
    ax.barh(shown["gene"], shown["log2FoldChange"], color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("log2 fold change (irradiated vs control)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def read_insert_sizes(path: str | os.PathLike[str]) -> pd.Series:
    """Read pairs per insert size (``IS`` lines of ``samtools stats``), size 0 left out."""
    sizes = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("IS\t"):
                fields = line.split("\t")
                if int(fields[1]) > 0:
                    sizes[int(fields[1])] = int(fields[2])
    return pd.Series(sizes, dtype="int64", name=Path(path).stem)


def insert_size_summary(sizes: Sequence[pd.Series]) -> pd.DataFrame:
    """Pairs, mean, median and 5th-95th percentile of the insert size of each unit."""
    rows = []
    for series in sizes:
        total = int(series.sum())
        cumulative = series.cumsum() / total if total else series
        rows.append(
            {
                "unit": series.name,
                "pairs": total,
                "mean": float((series.index * series).sum() / total) if total else float("nan"),
                "median": int(series.index[(cumulative >= 0.5).argmax()]) if total else None,
                "p5": int(series.index[(cumulative >= 0.05).argmax()]) if total else None,
                "p95": int(series.index[(cumulative >= 0.95).argmax()]) if total else None,
            }
        )
    return pd.DataFrame(rows)


def insert_size_plot(sizes: Sequence[pd.Series], path: str | os.PathLike[str]) -> None:
    """Insert size distributions (fraction of each unit's pairs) of the mRNA alignments."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for series in sizes:
        if series.sum():
            ax.plot(series.index, series / series.sum(), label=series.name, linewidth=1)
    ax.set_xlabel("insert size (bp, samtools stats)")
    ax.set_ylabel("fraction of read pairs")
    ax.set_title("mRNA: insert size distribution")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def read_mirna_targets(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A miRNA-target table (TSV with columns miRNA and gene; other columns kept).

    Raises :class:`InputError` naming the file when a column is missing or a cell is empty.
    """
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in ("miRNA", "gene") if c not in frame.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"column(s) {', '.join(missing)} missing (found: {', '.join(frame.columns)}); "
                "the miRNA-target table (config report.mirna_targets) needs a header line with "
                "columns 'miRNA' and 'gene', tab-separated",
            )
        )
    for column in ("miRNA", "gene"):
        empty = frame.index[frame[column].str.strip() == ""]
        if len(empty):
            raise InputError(
                located(
                    path,
                    "empty cell; give every row a miRNA and a gene name",
                    line=int(empty[0]) + 2,
                    column=column,
                )
            )
    return frame.assign(miRNA=frame["miRNA"].str.strip(), gene=frame["gene"].str.strip())


def candidate_targets(
    targets: pd.DataFrame, candidates: Sequence[str], mrna_results: pd.DataFrame
) -> pd.DataFrame:
    """Targets of the candidate miRNAs that are significant in the mRNA DE table.

    Genes are matched by gene name or feature id. One row per (miRNA, gene), ordered as the
    candidates, then by padj.
    """
    de = significant(mrna_results.assign(gene=gene_labels(mrna_results)))
    wanted = targets[targets["miRNA"].isin(candidates)]
    by_name = wanted.merge(de, on="gene")
    by_id = wanted.merge(de.drop(columns="gene"), left_on="gene", right_on="feature")
    joined = pd.concat([by_name, by_id]).drop_duplicates(["miRNA", "gene", "feature"])
    order = {m: i for i, m in enumerate(candidates)}
    joined = joined.assign(_order=joined["miRNA"].map(order)).sort_values(["_order", "padj"])
    columns = ["miRNA", "gene", "feature", "baseMean", "log2FoldChange", "padj"]
    return joined.reindex(columns=columns).reset_index(drop=True)


def mirna_evidence(
    de_results: pd.DataFrame,
    table1: pd.DataFrame,
    cox: pd.DataFrame,
    mirnas: list[str],
    endpoint: str,
    padj_threshold: float,
    lfc_threshold: float,
    survival_p_threshold: float,
) -> pd.DataFrame:
    """Join, for each qPCR miRNA, its sequencing fold change with its survival results.

    A miRNA is *up in sequencing* when its padj is below and its log2 fold change at or above the
    thresholds; it is *prognostic* for ``endpoint`` when its own fold-change group separates
    survival (log-rank p below ``survival_p_threshold``) or when a fold-change factor holding it
    is an independent predictor in the multivariate Cox model (p below the same threshold), as
    the study reports for miR-143-3p with miR-223-3p. A candidate is both.
    """
    de = de_results.set_index("feature")

    def holds(labels: pd.Series, mirna: str, alone: bool) -> pd.Series:
        others = [m for m in mirnas if m != mirna]
        mask = labels.str.contains(mirna, regex=False)
        if alone:
            for other in others:
                mask &= ~labels.str.contains(other, regex=False)
        return mask

    rows = []
    for mirna in mirnas:
        seq = de.loc[mirna] if mirna in de.index else None
        single = table1[holds(table1["factor"], mirna, alone=True)]
        multivariate = cox[
            (cox["model"] == "multivariate")
            & (cox["endpoint"] == endpoint)
            & holds(cox["factor"], mirna, alone=False)
        ].sort_values("p")
        univariate = cox[
            (cox["model"] == "univariate")
            & (cox["endpoint"] == endpoint)
            & holds(cox["factor"], mirna, alone=True)
        ]
        uni = univariate.iloc[0] if len(univariate) else None
        best = multivariate.iloc[0] if len(multivariate) else None
        single_p = single[f"{endpoint}_p"].min() if len(single) else float("nan")
        up = bool(
            seq is not None
            and pd.notna(seq["padj"])
            and seq["padj"] < padj_threshold
            and seq["log2FoldChange"] >= lfc_threshold
        )
        prognostic = bool(
            (pd.notna(single_p) and single_p < survival_p_threshold)
            or (best is not None and pd.notna(best["p"]) and best["p"] < survival_p_threshold)
        )
        rows.append(
            {
                "miRNA": mirna,
                "seq_log2FoldChange": None if seq is None else seq["log2FoldChange"],
                "seq_padj": None if seq is None else seq["padj"],
                "logrank_p_os": single["os_p"].min() if len(single) else None,
                "logrank_p_pfs": single["pfs_p"].min() if len(single) else None,
                f"univariate_{endpoint}_hr": None if uni is None else uni["hr"],
                f"univariate_{endpoint}_ci": None
                if uni is None
                else f"{uni['ci_low']:.2f}-{uni['ci_high']:.2f}",
                f"univariate_{endpoint}_p": None if uni is None else uni["p"],
                f"multivariate_{endpoint}_factor": None if best is None else best["factor"],
                f"multivariate_{endpoint}_hr": None if best is None else best["hr"],
                f"multivariate_{endpoint}_ci": None
                if best is None
                else f"{best['ci_low']:.2f}-{best['ci_high']:.2f}",
                f"multivariate_{endpoint}_p": None if best is None else best["p"],
                "up_in_sequencing": up,
                "prognostic": prognostic,
                "candidate": up and prognostic,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------- methods text


def _words(items: Iterable[object]) -> str:
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def methods_text(config: Mapping, versions: Mapping[str, str]) -> str:
    """A methods paragraph written from the configuration that actually ran.

    Every parameter, threshold and version named comes from ``config`` and ``versions``;
    sections of absent arms (no ``smallrna``/``mrna``/``qpcr`` config) are left out.
    """

    def v(name: str) -> str:
        return versions.get(name, "?")

    parts = []
    small = config.get("smallrna")
    if small and small.get("mature") not in (None, "unused"):
        parts.append(
            f"Small-RNA reads were trimmed of their 3' adapter with cutadapt {v('cutadapt')} "
            f"(error rate {small['error_rate']}, minimum overlap {small['min_overlap']} nt, "
            f"3' quality cut-off {small['quality_cutoff']}); inserts of {small['min_length']}-"
            f"{small['max_length']} nt were kept, identical inserts collapsed and aligned with "
            f"bowtie {v('bowtie')} "
            + ("to contaminant sequences (rRNA/tRNA), then " if small.get("contaminants") else "")
            + f"to {small['species']} mature miRNAs (bowtie {' '.join(small['bowtie']['mature'])})"
            f" and then to hairpins (bowtie {' '.join(small['bowtie']['hairpin'])}); counts were "
            f"weighted by copy number (pysam {v('pysam')})"
            + (
                f", and hairpin reads within {small['hairpin_to_mature']['upstream']} nt upstream "
                f"and {small['hairpin_to_mature']['downstream']} nt downstream of a mature arm "
                "were credited to it."
                if small.get("hairpin_to_mature", {}).get("enabled")
                else "."
            )
            + f" Samples with fewer than {small['min_mirna_reads']} mature miRNA reads were "
            "left out of differential expression."
        )
    mrna = config.get("mrna")
    if mrna and mrna.get("counting"):
        aligner = mrna.get("aligner", "hisat2")
        tool = "HISAT2" if aligner == "hisat2" else "STAR"
        count = mrna["counting"]
        trim = mrna.get("trimming", {})
        parts.append(
            f"mRNA reads were trimmed with cutadapt {v('cutadapt')} (quality cut-off "
            f"{trim.get('quality_cutoff', '?')}, minimum length {trim.get('min_length', '?')} "
            f"nt), aligned with {tool} {v('hisat2' if aligner == 'hisat2' else 'STAR')}, sorted "
            f"and indexed with samtools {v('samtools')}; strandedness was inferred from the "
            f"alignments (threshold {mrna.get('strandedness', {}).get('threshold', '?')}) and "
            f"reads counted per gene with HTSeq {v('HTSeq')} as htseq-count does "
            f"(-t {count['feature_type']} -i {count['id_attribute']} -m {count['mode']} "
            f"--nonunique {count['nonunique']} -a {count['minaqual']}). Samples with fewer than "
            f"{mrna.get('qc', {}).get('min_assigned_reads', '?')} reads on genes or an "
            f"assignment rate below {mrna.get('qc', {}).get('min_assignment_rate', '?')} were "
            "left out of differential expression."
        )
    de = config["diffexp"]
    contrasts = _words(
        f"{c[1]} vs {c[2]} ({c[0]})" if len(c) == 3 else f"slope of {c[0]}"
        for c in de["contrasts"].values()
    )
    design = (
        "~condition, or ~batch + condition when an arm's samples span several batches"
        if de["design"] == "auto"
        else de["design"]
    )
    size_factors = de.get("size_factors", {})
    parts.append(
        f"Differential expression used pydeseq2 {v('pydeseq2')} (the DESeq2 model) with design "
        f"{design}, size factors by "
        + _words(f"{method} ({arm})" for arm, method in size_factors.items())
        + f", features with fewer than {de['min_total_count']} reads in total removed, and the "
        f"contrast{'s' if len(de['contrasts']) > 1 else ''} {contrasts}; features were "
        f"significant at padj < {de['padj_threshold']} (Benjamini-Hochberg, independent "
        f"filtering) and |log2 fold change| >= {de['lfc_threshold']}"
        + (" (apeGLM-shrunk fold changes shown in MA plots)." if de.get("lfc_shrink") else ".")
    )
    if config.get("qpcr", {}).get("ct_table") and "survival" in config:
        qpcr, surv = config["qpcr"], config["survival"]
        method = (
            "the Pfaffl efficiency-corrected ratio"
            if qpcr.get("efficiencies")
            else "the 2^-ddCt (Livak) method"
        )
        undetermined = (
            f"set to {qpcr['ct_limit']}"
            if qpcr.get("undetermined") == "set_to_limit"
            else "excluded"
        )
        endpoints = _words(e["label"] for e in surv["endpoints"])
        cox = surv.get("cox", {})
        multivariate = cox.get("multivariate", "auto")
        multivariate = (
            f"factors with univariate p < {cox.get('p_threshold', '?')}"
            if multivariate == "auto"
            else _words(multivariate)
        )
        parts.append(
            f"Serum miRNA fold changes ({qpcr['post']} vs {qpcr['pre']} radiotherapy) of "
            f"{_words(qpcr['targets'])} were computed by {method}, normalised to the mean of "
            f"{_words(qpcr['reference_targets'])}; Cts above {qpcr['ct_limit']} or undetermined "
            f"were {undetermined}. Patients were grouped at a fold change of "
            f"{surv['fold_change_cutoff']} (<= vs >). {endpoints} were analysed with lifelines "
            f"{v('lifelines')}: Kaplan-Meier estimates compared by the log-rank test, univariate "
            f"Cox proportional-hazards models and a multivariate model of {multivariate}."
        )
        diagnostic = surv.get("diagnostic")
        if diagnostic:
            parts.append(
                f"A logistic model of {diagnostic['endpoint']} events within "
                f"{diagnostic['within']} {surv.get('time_unit', 'months')} on the log2 fold "
                f"changes of {_words(diagnostic['predictors'])} gave a ROC curve, its AUC with a "
                f"{diagnostic['bootstrap']}-sample bootstrap 95 % CI (seed {diagnostic['seed']})."
            )
    parts.append(
        f"The workflow ran with Snakemake {v('snakemake')}; QC was summarised with MultiQC "
        f"{v('multiqc')}."
    )
    return " ".join(parts)


# ------------------------------------------------------------------------------------ sections


@dataclass
class ReportInputs:
    """Paths of everything the report shows; empty when the stage did not run."""

    samples: str
    de_tables: list[str] = field(default_factory=list)
    de_plots: list[str] = field(default_factory=list)
    read_fate: str = ""
    smallrna_gate: str = ""
    count_summary: str = ""
    qc_rates: str = ""
    mrna_gate: str = ""
    strandedness: str = ""
    excluded: list[str] = field(default_factory=list)
    samtools_stats: list[str] = field(default_factory=list)
    qc_plots: list[str] = field(default_factory=list)
    multiqc: str = ""
    table1: str = ""
    cox: str = ""
    auc: str = ""
    survival_plots: list[str] = field(default_factory=list)
    mirna_targets: str = ""
    provenance: str = ""


def archive_copy(
    report_html: str | os.PathLike[str], provenance: str | os.PathLike[str], stamp: str
) -> list[Path]:
    """Keep a dated copy of this run's report and provenance in ``archive/`` beside the report.

    A rerun (new batch, new parameters) rewrites report.html; the copies are never declared as
    outputs, so Snakemake never deletes them, and every earlier report stays with its provenance.
    """
    import shutil

    folder = Path(report_html).parent / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^0-9A-Za-z]", "", stamp)
    copies = [folder / f"report-{safe}.html"]
    shutil.copyfile(report_html, copies[0])
    if provenance:
        copies.append(folder / f"provenance-{safe}.json")
        shutil.copyfile(provenance, copies[1])
    return copies


def provenance_versions(record: Mapping) -> tuple[str, dict[str, str]]:
    """Workflow version and package/tool versions as results/provenance.json recorded them."""
    versions = {**record["python_packages"], **record["tools"]}
    versions["python"] = record["platform"]["python"]
    return str(record["workflow_version"]), versions


def input_checksums(record: Mapping) -> pd.DataFrame:
    """One row per file the run read: its role, path, size and SHA-256."""
    rows = [("config", f["path"], f["bytes"], f["sha256"]) for f in record["config"]["files"]]
    rows += [(role, f["path"], f["bytes"], f["sha256"]) for role, f in record["sheets"].items()]
    for role, files in record["inputs"].items():
        rows += [(role, f["path"], f["bytes"], f["sha256"]) for f in files]
    return pd.DataFrame(rows, columns=["role", "path", "bytes", "sha256"])


def _arm_of(path: str) -> str:
    match = re.search(r"/diffexp/([^/]+)/", str(path))
    return match.group(1) if match else ""


def run_summary_section(
    config: Mapping,
    samples: pd.DataFrame,
    versions: Mapping[str, str],
    version: str,
    checksums: pd.DataFrame | None = None,
) -> str:
    """Date, workflow version, every tool and package version, sample sheet, config, inputs."""
    rows = [
        ("workflow (git describe)", version),
        *sorted(versions.items(), key=lambda item: item[0].lower()),
    ]
    frame = pd.DataFrame(rows, columns=["software", "version"])
    config_text = html.escape(yaml.safe_dump(dict(config), sort_keys=False))
    return (
        "<h3>Versions</h3>"
        + table(frame, "versions", searchable=False)
        + f"<h3>Samples ({len(samples)})</h3>"
        + table(samples, "samples")
        + "<details><summary>Configuration used</summary>"
        + f"<pre>{config_text}</pre></details>"
        + (
            ""
            if checksums is None
            else "<details><summary>Input files and their SHA-256 (results/provenance.json)"
            "</summary>" + table(checksums, "checksums") + "</details>"
        )
    )


def qc_section(
    inputs: ReportInputs,
    multiqc_link: str,
    figure_dir: str | os.PathLike[str] | None = None,
) -> str:
    """Read fate, insert lengths, mapping/assignment rates, strandedness and QC exclusions."""
    parts = []
    if inputs.multiqc:
        parts.append(
            f'<p>Per-tool QC of every sample: <a href="{html.escape(multiqc_link)}">MultiQC '
            "report</a> (cutadapt, bowtie, HISAT2/STAR, samtools, HTSeq).</p>"
        )
    plots = {Path(p).stem: p for p in inputs.qc_plots}
    if inputs.read_fate:
        parts.append("<h3>Small RNA: read fate</h3>")
        parts.append(table(read_table(inputs.read_fate), "read-fate", searchable=False))
        parts.append(
            "".join(
                image(plots[stem], caption)
                for stem, caption in (
                    ("read_fate", "Small RNA: where every read went"),
                    ("insert_lengths", "Small RNA: insert length distribution after trimming"),
                )
                if stem in plots
            )
        )
    if inputs.count_summary:
        parts.append("<h3>mRNA: mapping and gene assignment</h3>")
        source = inputs.qc_rates or inputs.count_summary
        parts.append(table(read_table(source), "mrna-rates", searchable=False))
        if "qc_rates" in plots:
            parts.append(image(plots["qc_rates"], "mRNA: mapping and assignment rates"))
        sizes = [read_insert_sizes(p) for p in inputs.samtools_stats]
        if any(series.sum() for series in sizes):
            parts.append("<h3>mRNA: insert sizes</h3>")
            parts.append(table(insert_size_summary(sizes), "insert-sizes", searchable=False))
            if figure_dir is not None:
                png = Path(figure_dir) / "mrna_insert_sizes.png"
                insert_size_plot(sizes, png)
                parts.append(image(png, "mRNA: insert size distribution of the aligned pairs"))
    if inputs.strandedness:
        parts.append("<h3>mRNA: strandedness (sheet vs inferred)</h3>")
        parts.append(table(read_table(inputs.strandedness), "strandedness", searchable=False))
    parts.append("<h3>QC gate: samples left out of differential expression</h3>")
    excluded = [read_table(p).assign(arm=_arm_of(p)) for p in inputs.excluded]
    excluded = pd.concat(excluded) if excluded else pd.DataFrame(columns=["arm", "sample"])
    if excluded.empty:
        parts.append("<p>No sample was excluded: every sample passed its arm's QC gate.</p>")
    else:
        columns = ["arm", *[c for c in excluded.columns if c != "arm"]]
        parts.append(table(excluded[columns], "excluded", searchable=False))
    return "".join(parts)


def de_section(
    arm: str,
    tables: Sequence[str],
    plots: Sequence[str],
    markers: Sequence[str] = (),
    marker_plot_dir: str | os.PathLike[str] | None = None,
) -> str:
    """Per contrast: significant features (searchable table), volcano; then PCA and markers."""
    plots_by_stem = {Path(p).stem: p for p in plots}
    parts = []
    for path in tables:
        contrast = Path(path).stem
        results = read_table(path)
        hits = significant(results)
        up = int((hits["log2FoldChange"] > 0).sum())
        parts.append(
            f"<h3>{html.escape(contrast)}: {len(hits)} significant of {len(results)} tested "
            f"({up} up, {len(hits) - up} down)</h3>"
        )
        parts.append(table(hits, f"de-{arm}-{contrast}"))
        parts.append(
            "".join(
                image(plots_by_stem[f"{contrast}.{kind}"], f"{contrast}: {label}")
                for kind, label in (
                    ("volcano", "volcano plot"),
                    ("ma", "MA plot"),
                    ("top_features", "heatmap of the features with the smallest padj"),
                )
                if f"{contrast}.{kind}" in plots_by_stem
            )
        )
        if markers:
            panel = marker_panel(results, markers)
            parts.append(f"<h3>M2 macrophage markers ({html.escape(contrast)})</h3>")
            parts.append(table(panel, f"m2-{contrast}", searchable=False, highlight="significant"))
            if marker_plot_dir is not None:
                png = Path(marker_plot_dir) / f"m2_markers.{contrast}.png"
                marker_plot(panel, png, f"M2 markers: {contrast}")
                parts.append(image(png, f"M2 marker fold changes, {contrast}"))
    parts.append("<h3>Samples</h3>")
    parts.append(
        "".join(
            image(plots_by_stem[stem], caption)
            for stem, caption in (
                ("pca", f"{arm}: PCA of variance-stabilised counts"),
                ("sample_distances", f"{arm}: sample distances"),
            )
            if stem in plots_by_stem
        )
    )
    return "".join(parts)


def join_section(evidence: pd.DataFrame, endpoint: str, targets: pd.DataFrame | None) -> str:
    """The candidates sentence, the evidence table and (optionally) the candidates' targets."""
    candidates = evidence.loc[evidence["candidate"], "miRNA"].tolist()
    parts = [
        f'<p class="answer"><b>Candidates</b> (up in sequencing and prognostic for '
        f"{html.escape(endpoint.upper())} by qPCR): {html.escape(', '.join(candidates) or 'none')}"
        "</p>",
        table(evidence, "join", searchable=False, highlight="candidate"),
    ]
    if targets is not None:
        parts.append("<h3>Targets of the candidates among the significant mRNA DE genes</h3>")
        parts.append(table(targets, "targets"))
    return "".join(parts)


def _km_caption(path: str | os.PathLike[str]) -> str:
    endpoint, _, factor = Path(path).stem.partition("_")
    return f"Kaplan-Meier, {endpoint.upper()}: {factor} (numbers at risk below the curves)"


def survival_section(
    table1: pd.DataFrame,
    cox: pd.DataFrame,
    auc: pd.DataFrame | None,
    plots: Sequence[str],
    fold_change_factors: Sequence[str],
) -> str:
    """Table 1, Cox models, KM curves (fold-change factors first), forest plot and ROC."""
    by_stem = {Path(p).stem: p for p in plots}
    km = [p for p in plots if Path(p).parent.name == "km"]
    main = [p for p in km if any(Path(p).stem.endswith(f"_{f}") for f in fold_change_factors)]
    other = [p for p in km if p not in main]
    parts = [
        "<h3>Table 1: patients and log-rank tests</h3>",
        table(table1, "table1", searchable=False, digits=3),
        "<h3>Kaplan-Meier curves of the miRNA fold-change groups</h3>",
        figures(main, {Path(p).stem: _km_caption(p) for p in main}),
    ]
    if other:
        parts.append(
            f"<details><summary>Kaplan-Meier curves of the clinical factors ({len(other)})"
            f"</summary>{figures(other, {Path(p).stem: _km_caption(p) for p in other})}</details>"
        )
    parts.append("<h3>Cox proportional-hazards models</h3>")
    parts.append(table(cox, "cox"))
    parts.append(
        "".join(
            image(by_stem[stem], caption, wide)
            for stem, caption, wide in (
                ("forest", "Cox models: hazard ratios with 95 % CI (forest plot)", True),
                ("roc", "ROC curve of the diagnostic model", False),
            )
            if stem in by_stem
        )
    )
    if auc is not None:
        parts.append("<h3>Diagnostic model</h3>")
        parts.append(table(auc, "auc", searchable=False, digits=3))
    return "".join(parts)


def build_report(
    inputs: ReportInputs,
    config: Mapping,
    versions: Mapping[str, str],
    version: str,
    output: str | os.PathLike[str],
    stamp: str = "",
) -> str:
    """The whole report page for ``output`` (relative links and figure files are made there)."""
    output = Path(output)
    report_config = config["report"]
    de_config = config["diffexp"]
    sections = [
        (
            "run-summary",
            run_summary_section(
                config,
                read_table(inputs.samples),
                versions,
                version,
                input_checksums(json.loads(Path(inputs.provenance).read_text()))
                if inputs.provenance
                else None,
            ),
        ),
        (
            "quality-control",
            qc_section(
                inputs, os.path.relpath(inputs.multiqc or ".", output.parent), output.parent
            ),
        ),
    ]
    for arm in ("smallrna", "mrna"):
        tables = [p for p in inputs.de_tables if _arm_of(p) == arm]
        if tables:
            plots = [p for p in inputs.de_plots if _arm_of(p) == arm]
            markers = report_config.get("m2_markers", []) if arm == "mrna" else []
            content = de_section(arm, tables, plots, markers, output.parent)
            sections.append((f"{arm}-differential-expression", content))
    smallrna_tables = [p for p in inputs.de_tables if _arm_of(p) == "smallrna"]
    if inputs.table1:
        table1, cox = read_table(inputs.table1), read_table(inputs.cox)
        endpoint = report_config.get("prognostic_endpoint", "pfs")
        if smallrna_tables:
            evidence = mirna_evidence(
                read_table(smallrna_tables[0]),
                table1,
                cox,
                list(config["qpcr"]["targets"]),
                endpoint,
                de_config["padj_threshold"],
                de_config["lfc_threshold"],
                report_config.get("survival_p_threshold", 0.05),
            )
            targets = None
            mrna_tables = [p for p in inputs.de_tables if _arm_of(p) == "mrna"]
            if inputs.mirna_targets and mrna_tables:
                candidates = evidence.loc[evidence["candidate"], "miRNA"].tolist()
                targets = candidate_targets(
                    read_mirna_targets(inputs.mirna_targets),
                    candidates,
                    read_table(mrna_tables[0]),
                )
            sections.append(
                ("sequencing-meets-survival", join_section(evidence, endpoint, targets))
            )
        fold_change_factors = [
            f["name"] for f in config["survival"]["factors"] if f["type"] == "fold_change"
        ]
        auc = read_table(inputs.auc) if inputs.auc else None
        sections.append(
            (
                "survival",
                survival_section(table1, cox, auc, inputs.survival_plots, fold_change_factors),
            )
        )
    sections.append(
        ("methods", f'<p class="methods">{html.escape(methods_text(config, versions))}</p>')
    )
    title = "Radiotherapy, exosomal miRNAs and survival in ESCC"
    return page(title, sections, bool(config.get("demo", False)), stamp)
