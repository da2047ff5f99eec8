"""The report's qPCR fold-change section: fold changes and normalised relative quantities with
their SEs and confidence intervals, the efficiency SEs propagated, and the interval figure.

Everything is read from the tables and the figure the qPCR stage wrote
(:mod:`esccrt.qpcr.uncertainty`); nothing is recomputed here.
"""

from __future__ import annotations

import html
import os

import pandas as pd

from esccrt.io import read_tsv
from esccrt.report.html import image, table

#: The fold-change columns shown (the file has every step of the computation).
FOLD_CHANGE_SHOWN = [
    "patient",
    "target",
    "method",
    "fold_change",
    "fold_change_se",
    "fold_change_ci_low",
    "fold_change_ci_high",
    "log2_fold_change",
    "log2_fold_change_se",
    "flags",
]
#: The relative-quantity columns shown.
RELATIVE_QUANTITY_SHOWN = [
    "patient",
    "timepoint",
    "target",
    "nrq",
    "nrq_se",
    "nrq_ci_low",
    "nrq_ci_high",
    "log2_nrq",
    "log2_nrq_se",
]
TEXT_COLUMNS = ("patient", "timepoint", "target", "flags", "method", "efficiency_se_source")


def _summary_sentence(fold_changes: pd.DataFrame, efficiencies: pd.DataFrame, level: float) -> str:
    """Level, method, how many intervals exclude no change, and which efficiency SEs entered."""
    computed = fold_changes.dropna(subset=["fold_change_ci_low", "fold_change_ci_high"])
    changed = computed[(computed["fold_change_ci_low"] > 1) | (computed["fold_change_ci_high"] < 1)]
    text = (
        f"Each fold change (post vs pre) and normalised relative quantity carries its standard "
        f"error and a {level:.0%} confidence interval, propagated to first order from the "
        "technical-replicate SDs and the efficiency SEs as in qBase (Hellemans et al. 2007)."
    )
    if not fold_changes.empty:  # the unpaired design has relative quantities only
        text += (
            f" {len(changed)} of {len(computed)} patient x target fold changes have an interval "
            "that excludes 1 (no change)."
        )
    missing = len(fold_changes) - len(computed)
    if missing:
        text += (
            f" {missing} could not be given an interval (a single usable replicate has no SD, "
            "or a Ct is missing)."
        )
    given = efficiencies[efficiencies["efficiency_se"] > 0]
    if given.empty:
        text += " No efficiency SE was given: efficiencies were taken as exact."
    return f"<p>{html.escape(text)}</p>"


def efficiency_se_used(path: str | os.PathLike[str]) -> tuple[dict[str, float], list[str]]:
    """The efficiency SEs > 0 the qPCR stage propagated, per assay, and their distinct sources
    (results/qpcr/efficiency_uncertainty.tsv), for the methods text."""
    used = read_tsv(path, TEXT_COLUMNS)
    given = used[used["efficiency_se"] > 0]
    sources = list(dict.fromkeys(given["efficiency_se_source"]))
    return dict(zip(given["target"], given["efficiency_se"].astype(float), strict=True)), sources


def qpcr_uncertainty_section(
    fold_changes_path: str | os.PathLike[str],
    relative_quantities_path: str | os.PathLike[str],
    efficiencies_path: str | os.PathLike[str],
    plot_path: str | os.PathLike[str] = "",
) -> str:
    """The summary sentence, the efficiency SEs used, the interval figure, the fold changes and
    (folded) the per-sample relative quantities."""
    fold_changes = read_tsv(fold_changes_path, TEXT_COLUMNS)
    quantities = read_tsv(relative_quantities_path, TEXT_COLUMNS)
    efficiencies = read_tsv(efficiencies_path, TEXT_COLUMNS)
    fold_changes["flags"] = fold_changes["flags"].fillna("")
    # the relative quantities exist in every design; an unpaired design has no fold changes
    level = float(quantities["ci_level"].iloc[0])
    parts = [
        _summary_sentence(fold_changes, efficiencies, level),
        "<h3>Amplification efficiencies and their SEs (results/qpcr/efficiency_uncertainty.tsv)"
        "</h3>",
        table(efficiencies, "qpcr-efficiency-se", searchable=False),
    ]
    if plot_path and not fold_changes.empty:
        parts.append(
            image(plot_path, "Fold changes per patient with their confidence intervals", True)
        )
    if not fold_changes.empty:
        parts += [
            "<h3>Fold changes with SE and confidence interval (results/qpcr/fold_changes.tsv)</h3>",
            table(fold_changes[FOLD_CHANGE_SHOWN], "qpcr-fold-change-intervals"),
        ]
    parts += [
        "<details><summary>Normalised relative quantities per sample, with SE and confidence "
        "interval (results/qpcr/relative_quantities.tsv)</summary>",
        table(quantities[RELATIVE_QUANTITY_SHOWN], "qpcr-relative-quantities"),
        "</details>",
    ]
    return "".join(parts)
