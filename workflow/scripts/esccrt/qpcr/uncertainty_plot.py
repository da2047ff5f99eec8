"""Figure of the fold changes with their confidence intervals (results/qpcr/fold_changes.png).

One panel per target: the patients ranked by log2 fold change (post vs pre), each with its
interval from results/qpcr/fold_changes.tsv (:mod:`esccrt.qpcr.uncertainty`); drawn from the
table, nothing recomputed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from esccrt.io import save_figure

#: Up to this many patients a panel names each one; more are shown by rank only.
MAX_LABELLED_PATIENTS = 40


def _panel(axes: plt.Axes, rows: pd.DataFrame, target: str) -> None:
    """log2 fold change and its interval per patient, ranked; 0 (no change) marked."""
    rows = rows.dropna(subset=["log2_fold_change"]).sort_values("log2_fold_change")
    y = np.arange(len(rows))
    low = np.log2(rows["fold_change_ci_low"].to_numpy(dtype=float))
    high = np.log2(rows["fold_change_ci_high"].to_numpy(dtype=float))
    centre = rows["log2_fold_change"].to_numpy(dtype=float)
    # an interval that could not be computed (one replicate: no SD) is drawn without a bar
    errors = np.nan_to_num(np.vstack([centre - low, high - centre]), nan=0.0)
    axes.errorbar(centre, y, xerr=errors, fmt="o", markersize=3, color="#1f77b4", ecolor="#7f7f7f")
    axes.axvline(0.0, color="#d62728", linestyle="--", linewidth=1)
    if len(rows) <= MAX_LABELLED_PATIENTS:
        axes.set_yticks(y)
        axes.set_yticklabels(rows["patient"].astype(str), fontsize=7)
    else:
        axes.set_ylabel("patients, ranked")
    axes.set_xlabel("log2 fold change (post vs pre)")
    axes.set_title(target, fontsize=9)


def fold_change_interval_plot(
    fold_changes: pd.DataFrame, targets: Sequence[str], path: str | os.PathLike[str]
) -> None:
    """One panel per target of ``fold_changes`` (the stage's table), written to ``path``."""
    level = float(fold_changes["ci_level"].iloc[0])
    n_patients = fold_changes["patient"].nunique()
    height = min(2.0 + 0.18 * min(n_patients, MAX_LABELLED_PATIENTS), 9.0)
    columns = min(len(targets), 4)
    rows = math.ceil(len(targets) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, height * rows), squeeze=False)
    for ax, target in zip(axes.flat, targets, strict=False):
        _panel(ax, fold_changes[fold_changes["target"] == target], target)
    for ax in list(axes.flat)[len(targets) :]:
        ax.axis("off")
    fig.suptitle(f"Fold changes with {level:.0%} confidence intervals (error propagation)")
    fig.tight_layout()
    save_figure(fig, path, dpi=120, bbox_inches="tight")
