"""The final report: one self-contained HTML page joining sequencing and survival results.

Images are embedded as base64 data URIs and the small table script is inline, so the page opens
offline, from e-mail or from a cluster's file share, and fetches nothing from the network.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import importlib.metadata
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

#: Python packages whose versions the report lists (PyPI distribution names).
PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "pysam",
    "HTSeq",
    "pydeseq2",
    "lifelines",
    "cutadapt",
    "scikit-learn",
    "matplotlib",
)
#: Command-line tools and the argument that makes each print its version.
TOOLS = {"bowtie": "--version", "hisat2": "--version", "samtools": "--version"}

_TABLE_SCRIPT = """
function filterTable(input, id) {
  const needle = input.value.toLowerCase();
  for (const row of document.getElementById(id).tBodies[0].rows) {
    row.style.display = row.textContent.toLowerCase().includes(needle) ? "" : "none";
  }
}
function sortTable(th) {
  const table = th.closest("table"), body = table.tBodies[0];
  const col = Array.from(th.parentNode.children).indexOf(th);
  const asc = th.dataset.order !== "asc"; th.dataset.order = asc ? "asc" : "desc";
  const key = r => { const t = r.cells[col].textContent; const n = parseFloat(t);
                     return isNaN(n) ? t : n; };
  Array.from(body.rows).sort((a, b) => { const x = key(a), y = key(b);
      return (x > y ? 1 : x < y ? -1 : 0) * (asc ? 1 : -1); })
    .forEach(r => body.appendChild(r));
}
"""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { border-bottom: 2px solid #345; } h2 { color: #345; margin-top: 2em; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: .8em; font-weight: bold; }
table { border-collapse: collapse; font-size: 0.85em; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .2em .5em; text-align: right; }
th { background: #eef; cursor: pointer; } td:first-child, th:first-child { text-align: left; }
img { max-width: 48%; margin: .3em; border: 1px solid #ddd; vertical-align: top; }
.methods { background: #f6f6f6; padding: 1em; } input { margin: .3em 0; }
"""


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each Python package, or 'not installed'."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def tool_versions(tools: Mapping[str, str] = TOOLS) -> dict[str, str]:
    """First version line each command-line tool prints, or 'not found'."""
    versions = {}
    for tool, flag in tools.items():
        try:
            out = subprocess.run(
                [tool, flag], capture_output=True, text=True, errors="replace", check=False
            )
            lines = [line for line in out.stdout.splitlines() if "version" in line.lower()]
            versions[tool] = (lines or out.stdout.splitlines() or ["?"])[0].strip()
        except FileNotFoundError:
            versions[tool] = "not found"
    return versions


def workflow_version(repo: Path) -> str:
    """``git describe`` of the workflow's checkout, or 'unknown' outside git."""
    out = subprocess.run(
        ["git", "-C", str(repo), "describe", "--always", "--dirty", "--tags"],
        capture_output=True,
        text=True,
        check=False,
    )
    return out.stdout.strip() or "unknown"


def image(path: Path, alt: str) -> str:
    """An <img> with the PNG embedded, so the page needs no other file."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table(frame: pd.DataFrame, table_id: str, searchable: bool = True, digits: int = 4) -> str:
    """An HTML table, sortable by clicking a header and, if asked, filtered by a search box."""
    shown = frame.copy()
    for column in shown.select_dtypes("float").columns:
        shown[column] = shown[column].map(lambda v: "NA" if pd.isna(v) else f"{v:.{digits}g}")
    body = shown.to_html(index=False, table_id=table_id, border=0, escape=True, na_rep="NA")
    body = body.replace("<th>", '<th onclick="sortTable(this)">')
    if not searchable:
        return body
    search = (
        f'<input type="search" placeholder="search the table" '
        f"oninput=\"filterTable(this, '{table_id}')\">"
    )
    return search + body


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


def methods_text(config: Mapping, versions: Mapping[str, str]) -> str:
    """A methods paragraph written from the configuration that actually ran."""
    de = config["diffexp"]
    parts = [
        f"Small-RNA reads were trimmed with cutadapt {versions.get('cutadapt', '?')}, "
        f"identical inserts collapsed and aligned with bowtie ({versions.get('bowtie', '?')}) "
        "first to mature miRNAs and then to hairpins; counts were weighted by copy number "
        f"(pysam {versions.get('pysam', '?')}).",
        f"mRNA reads were trimmed with cutadapt, aligned with "
        f"{config.get('mrna', {}).get('aligner', 'hisat2')} and counted with HTSeq "
        f"{versions.get('HTSeq', '?')} in htseq-count's union mode.",
        f"Differential expression used pydeseq2 {versions.get('pydeseq2', '?')} with design "
        f"'{de['design']}', features with fewer than {de['min_total_count']} reads removed, "
        f"significance at padj < {de['padj_threshold']} and |log2FC| >= {de['lfc_threshold']}.",
    ]
    if "qpcr" in config and "survival" in config:
        qpcr, surv = config["qpcr"], config["survival"]
        references = ", ".join(qpcr["reference_targets"])
        parts.append(
            f"Serum miRNA fold changes (post vs pre radiotherapy) were computed by the 2^-ddCt "
            f"method normalised to {references}; patients were grouped at a fold change of "
            f"{surv['fold_change_cutoff']}. Survival was analysed with lifelines "
            f"{versions.get('lifelines', '?')} (Kaplan-Meier, log-rank test, Cox "
            "proportional hazards)."
        )
    return " ".join(parts)


def page(title: str, sections: Iterable[tuple[str, str]], demo: bool) -> str:
    """The whole HTML document: a banner for simulated data, then one <section> per entry."""
    banner = (
        '<p class="banner">SIMULATED DATA: these results come from the built-in demo, '
        "simulated by the workflow's own simulator. They say nothing about patients.</p>"
        if demo
        else ""
    )
    body = "\n".join(
        f'<section id="{html.escape(anchor)}"><h2>{html.escape(anchor.replace("-", " ").title())}'
        f"</h2>\n{content}</section>"
        for anchor, content in sections
    )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<script>{_TABLE_SCRIPT}</script></head><body><h1>{html.escape(title)}</h1>"
        f"<p>Generated {stamp}.</p>{banner}\n{body}</body></html>"
    )
