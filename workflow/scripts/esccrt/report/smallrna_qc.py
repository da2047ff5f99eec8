"""The small-RNA parts of the report's quality-control section: the sample QC verdicts (the
cohort's QC overview), read fate, RNA classes, the QC figures and mirtop's statistics, each
with one row per sample."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from esccrt.io import read_tsv
from esccrt.qc_criteria import CRITERIA
from esccrt.report.html import image, table
from esccrt.report.inputs import ReportInputs


def mirtop_stats_by_sample(stats: pd.DataFrame) -> pd.DataFrame:
    """``mirtop stats`` as written (column ``category``, a column per sample) turned to one
    row per sample (column ``sample``, a column per category), so that it reads at any number
    of samples."""
    by_sample = stats.set_index("category").T
    return by_sample.rename_axis(index="sample", columns=None).reset_index()


def _mirtop_stats(path: str) -> list[str]:
    """``mirtop stats`` of the merged mirGFF3: reads (``_sum``) and isomiR lines (``_count``)."""
    if not path:
        return []
    return [
        "<h3>Small RNA: isomiRs (mirtop stats of results/smallrna/mirgff/all_samples.gff)</h3>",
        "<p>Reads (<code>_sum</code>) and distinct sequences (<code>_count</code>) per sample: "
        "reference miRNAs, isomiRs and each variant type (<code>iso_add3p</code>: non-templated "
        "3' additions); one row per sample (results/smallrna/mirtop_stats.tsv has one column "
        "per sample).</p>",
        table(mirtop_stats_by_sample(read_tsv(path)), "mirtop-stats"),
    ]


def rna_class_shares(classes: pd.DataFrame) -> pd.DataFrame:
    """Percent of each sample's screened reads per RNA class (results/smallrna/rna_classes.tsv)."""
    counts = classes.set_index("sample").drop(columns="screened")
    screened = classes.set_index("sample")["screened"]
    shares = counts.div(screened.where(screened > 0), axis=0).fillna(0.0).mul(100).round(1)
    return shares.add_suffix(" %").reset_index().assign(screened=screened.to_numpy())


def _smallrna_classes(inputs: ReportInputs, plots: Mapping[str, str]) -> list[str]:
    """RNA class composition per sample: percent table and figure."""
    if not inputs.rna_classes:
        return []
    parts = [
        "<h3>Small RNA: RNA classes</h3>",
        "<p>Reads in the insert length window (UMI duplicates removed), as percent per RNA "
        "class in screening order, then mature miRNA, hairpin only and unassigned (read counts "
        "in results/smallrna/rna_classes.tsv).</p>",
        table(rna_class_shares(read_tsv(inputs.rna_classes)), "rna-classes"),
    ]
    if "rna_classes" in plots:
        parts.append(image(plots["rna_classes"], "Small RNA: RNA class composition"))
    return parts


def sample_qc_part(path: str) -> list[str]:
    """The small-RNA verdict table (results/qc/sample_qc.tsv) as written: a tally of the
    overall verdicts, the thresholds and notes of the criteria, then one searchable row per
    sample: the verdicts (coloured), the criteria's values and the reasons."""
    verdicts = read_tsv(path, ("sample", "overall", "reasons"))
    if verdicts.empty:
        return []
    tally = verdicts["overall"].value_counts()
    counts = ", ".join(f"{tally.get(v, 0)} {v}" for v in ("pass", "warn", "fail"))
    first = verdicts.iloc[0]
    rules = []
    for criterion in CRITERIA:
        name = criterion.name
        levels = [
            f"{level} {criterion.flag_sign} {first[f'{name}_{level}']:,g}"
            for level in ("warn", "fail")
            if pd.notna(first[f"{name}_{level}"])
        ]
        notes = sorted({note for note in verdicts[f"{name}_note"].dropna() if note})
        note = f" ({'; '.join(notes)})" if len(notes) == 1 else ""
        rule = f"{', '.join(levels) or 'no threshold'}{note}"
        rules.append(f"<li><code>{name}</code> ({criterion.source}): {html.escape(rule)}</li>")
    # The verdicts first, a coloured grid a cohort reads at a glance; then the values, then the
    # reasons (long text).
    coloured = ["overall", *(f"{criterion.name}_verdict" for criterion in CRITERIA)]
    shown = ["sample", *coloured, *(criterion.name for criterion in CRITERIA), "reasons"]
    return [
        "<h3>Small RNA: sample QC verdicts</h3>",
        f"<p>{len(verdicts)} samples: {counts} (results/qc/sample_qc.tsv; the verdict of a "
        "sample is its worst criterion's; <code>na</code>: no value).</p>",
        f"<ul>{''.join(rules)}</ul>",
        '<p class="note">Cohort overview: one row per sample, verdicts coloured '
        "(pass green, warn amber, fail red); click a verdict's header to sort the worst first, "
        "type <code>fail</code> or <code>warn</code> in the search box to list those samples "
        "on every page.</p>",
        table(verdicts[shown], "sample-qc", searchable=True, verdicts=coloured),
    ]


def smallrna_qc_parts(inputs: ReportInputs, plots: Mapping[str, str]) -> list[str]:
    """Read fate table, the read fate / class / insert length figures and isomiR stats of the
    small-RNA arm."""
    return [
        *(sample_qc_part(inputs.smallrna_sample_qc) if inputs.smallrna_sample_qc else []),
        "<h3>Small RNA: read fate</h3>",
        table(read_tsv(inputs.read_fate), "read-fate"),
        image(plots["read_fate"], "Small RNA: where every read went")
        if "read_fate" in plots
        else "",
        *_smallrna_classes(inputs, plots),
        image(plots["insert_lengths"], "Small RNA: insert length distribution after trimming")
        if "insert_lengths" in plots
        else "",
        *_mirtop_stats(inputs.mirtop_stats),
    ]
