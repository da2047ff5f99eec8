"""The report's isomiR section: per small-RNA contrast, the isomiRs whose seed differs from
their mature miRNA's, most significant first, as rule diffexp_isomirs wrote them
(results/diffexp/smallrna/isomirs/{contrast}.tsv, ordered by padj), with the filter of rule
smallrna_isomirs (results/smallrna/isomirs/filter.tsv). Rendered, never recomputed: the rows
shown are the table's own, in its order.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from esccrt.de.caveats import CAVEAT_COLUMNS
from esccrt.io import MISSING_VALUES, read_tsv
from esccrt.report.html import table
from esccrt.report.sections import caveat_note

#: Seed-changed isomiRs shown per contrast (the whole table is in the file named).
TOP_ISOMIRS = 20
#: Columns shown, in order.
SHOWN = (
    "feature",
    "name",
    "variant",
    "seed",
    "mature_seed",
    "baseMean",
    "log2FoldChange",
    "pvalue",
    "padj",
    "significant",
)
#: Columns of an isomiR table read as text: the canonical sequence's Variant is mirtop's "NA".
_TEXT = ("feature", "name", "variant", "seed", "mature_seed")


def read_isomir_table(path: str) -> pd.DataFrame:
    """An isomiR DE table as written: text columns as text (``NA`` kept), numbers' missing
    values missing."""
    numbers = {c: list(MISSING_VALUES) for c in ("baseMean", "pvalue", "padj", "stat", "lfcSE")}
    frame = pd.read_csv(
        path,
        sep="\t",
        keep_default_na=False,
        na_values={**numbers, "log2FoldChange": list(MISSING_VALUES)},
        dtype=dict.fromkeys(_TEXT, str),
    )
    for column in ("significant", "seed_changed"):
        frame[column] = frame[column].astype(str).eq("True")
    return frame


def filter_sentence(path: str) -> str:
    """What the isomiR filter kept, from its decision table."""
    row = read_tsv(path).iloc[0]
    return (
        f"<p>{int(row['isomirs'])} isomiRs (read sequence and mature miRNA, as <code>mirtop "
        f"counts</code> counts them) in the merged mirGFF3 of {int(row['samples'])} samples; "
        f"{int(row['kept'])} with at least {int(row['min_reads'])} reads in at least "
        f"{int(row['min_samples'])} samples were tested with the arm's design and contrasts. "
        "An isomiR's seed (mirtop's seed region, nt 3-8 of the read's 5' end: where mirtop "
        "labels a substitution <code>iso_snv_seed</code>) differs from its mature miRNA's after "
        "a 5' shift or addition or a substitution at nt 3-8 (mirtop's variant types "
        "<code>iso_5p</code>, <code>iso_add5p</code>, <code>iso_snv_seed</code>): it may pair "
        "with other targets. Column <code>seed_changed_2_8</code> of the isomiR tables "
        "compares nt 2-8 (the 7mer-m8 site), which also counts a substitution at nt 2.</p>"
    )


def contrast_part(path: str, caveats: str | None) -> str:
    """One contrast: how many seed-changed isomiRs were tested and significant, the contrast's
    caveats, and the first :data:`TOP_ISOMIRS` of them in the table's order (padj)."""
    contrast = Path(path).stem
    results = read_isomir_table(path)
    changed = results[results["seed_changed"]]
    hits = int(changed["significant"].sum())
    parts = [
        f"<h3>{html.escape(contrast)}: {hits} significant of {len(changed)} tested isomiRs "
        f"with a changed seed ({len(results)} isomiRs tested)</h3>"
    ]
    if caveats:
        parts.append(caveat_note(read_tsv(caveats, CAVEAT_COLUMNS)))
    shown = changed.loc[:, list(SHOWN)].head(TOP_ISOMIRS)
    parts.append(
        f'<p class="note">The {len(shown)} with the smallest padj; every isomiR: '
        f"<code>{html.escape(path)}</code>.</p>"
    )
    parts.append(table(shown, f"isomirs-{contrast}", highlight="significant"))
    return "".join(parts)


def isomir_section(tables: Sequence[str], caveats: Sequence[str], filter_table: str) -> str:
    """The section: the filter's sentence, then one part per contrast."""
    caveats_by_contrast = {Path(p).stem: str(p) for p in caveats}
    parts = [filter_sentence(filter_table)]
    for path in tables:
        parts.append(contrast_part(str(path), caveats_by_contrast.get(Path(path).stem)))
    return "".join(parts)
