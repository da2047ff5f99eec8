"""The report's part on the marker Cox model judged at the landmarks: time-dependent accuracy
(results/survival/time_dependent_accuracy.tsv) and decision curves (decision_curves.tsv and
their figure), as the survival stage wrote them."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from esccrt.io import read_tsv
from esccrt.report.html import image, table

#: The decision-curve rows the report lists: thresholds at multiples of this (the figure shows
#: every threshold the stage computed).
LISTED_THRESHOLD_STEP = 0.05


def survival_accuracy_part(accuracy_path: str, curves_path: str, plots: Sequence[str]) -> str:
    """Time-dependent accuracy table, decision-curve figure and the net benefit at every
    ``LISTED_THRESHOLD_STEP`` threshold ("" when the stage wrote no such tables)."""
    if not accuracy_path:
        return ""
    accuracy = read_tsv(accuracy_path)
    curves = read_tsv(curves_path)
    models = ", ".join(sorted(set(accuracy["model"].dropna().astype(str)))) or "none fitted"
    parts = [
        "<h3>Prognostic model at the landmarks: time-dependent accuracy</h3>",
        f"<p>Model: {html.escape(models)}, per endpoint; predicted risk of the event by each "
        "landmark. AUC: cumulative/dynamic, inverse probability of censoring weights "
        "(Kaplan-Meier censoring model); Brier score; IPA = 1 - Brier/Brier of the null model; "
        "standard errors from the influence functions (riskRegression::Score). Apparent "
        "performance: fitted and judged on the same patients.</p>",
        table(accuracy, "time_accuracy", searchable=False, digits=3),
        "<h3>Clinical utility: decision curves</h3>",
    ]
    by_stem = {Path(p).stem: p for p in plots}
    if "decision_curves" in by_stem:
        caption = "Decision curves: net benefit of the model, treat all and treat none"
        parts.append(image(by_stem["decision_curves"], caption, True))
    listed = curves[on_step(curves["threshold"], LISTED_THRESHOLD_STEP)]
    parts.append(
        f"<details><summary>Net benefit at thresholds in steps of {LISTED_THRESHOLD_STEP:g} "
        f"({len(listed)} rows)</summary>{table(listed, 'decision_curves', digits=3)}</details>"
    )
    return "".join(parts)


def on_step(threshold: pd.Series, step: float) -> pd.Series:
    """Thresholds that are multiples of ``step`` (up to floating-point rounding)."""
    ratio = threshold.astype(float) / step
    return (ratio - ratio.round()).abs() < 1e-6
