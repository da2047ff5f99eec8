"""Figures of the survival analysis: Kaplan-Meier curves, forest plot of hazard ratios, ROC.

All functions draw with matplotlib's non-interactive Agg backend and write a PNG atomically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts

from esccrt.io import atomic_write
from esccrt.survival.table1 import format_p


def _save(fig: plt.Figure, path: str | Path) -> None:
    """Write ``fig`` as PNG through a temporary file, then close it."""
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)


def km_plot(
    fitters: Mapping[str, KaplanMeierFitter],
    title: str,
    p_value: float,
    note: str,
    path: str | Path,
    time_unit: str = "months",
) -> None:
    """Kaplan-Meier curves with 95 % CIs, censoring ticks, log-rank p and numbers at risk."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for kmf in fitters.values():
        kmf.plot_survival_function(ax=ax, ci_show=True, show_censors=True, ci_alpha=0.15)
    text = f"log-rank p = {format_p(p_value)}" + (f" ({note})" if note else "")
    ax.text(0.98, 0.95, text, transform=ax.transAxes, ha="right", va="top")
    ax.set_title(title)
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.05)
    if fitters:
        add_at_risk_counts(*fitters.values(), ax=ax, rows_to_show=["At risk"])
    fig.tight_layout()
    _save(fig, path)


def forest_plot(cox: pd.DataFrame, path: str | Path) -> None:
    """Hazard ratios with 95 % CIs on a log axis: one row of panels per model, one column per
    endpoint (contrast labels on the left column); non-estimable HRs are marked as such."""
    models = list(dict.fromkeys(cox["model"]))
    endpoints = list(dict.fromkeys(cox["endpoint"]))
    sizes = [max(int((cox["model"] == m).sum() / max(len(endpoints), 1)), 1) for m in models]
    fig, axes = plt.subplots(
        max(len(models), 1),
        max(len(endpoints), 1),
        figsize=(4.5 * max(len(endpoints), 1) + 3.5, 0.32 * sum(sizes) + 1.5 * len(sizes) + 0.5),
        squeeze=False,
        gridspec_kw={"height_ratios": sizes or [1]},
    )
    for i, model in enumerate(models):
        for j, endpoint in enumerate(endpoints):
            ax = axes[i][j]
            block = cox[(cox["model"] == model) & (cox["endpoint"] == endpoint)]
            block = block.reset_index(drop=True)
            y = np.arange(len(block))[::-1]
            ok = (block["hr"].notna() & np.isfinite(block["hr"])).to_numpy()
            err = [(block["hr"] - block["ci_low"])[ok], (block["ci_high"] - block["hr"])[ok]]
            ax.errorbar(block["hr"][ok], y[ok], xerr=err, fmt="s", color="k", capsize=3)
            for yy in y[~ok]:
                ax.text(1.0, yy, "not estimable", va="center", ha="center", fontsize=8)
            labels = [f"{f}: {c}" for f, c in zip(block["factor"], block["contrast"], strict=True)]
            ax.set_yticks(y, labels if j == 0 else [], fontsize=8)
            ax.set_ylim(-0.7, len(block) - 0.3)
            ax.axvline(1.0, color="grey", linestyle="--")
            ax.set_xscale("log")
            ax.set_title(f"{model} Cox, {endpoint}", fontsize=10)
            if i == len(models) - 1:
                ax.set_xlabel("hazard ratio (95 % CI, log scale)")
    fig.tight_layout()
    _save(fig, path)


def roc_plot(roc: pd.DataFrame, auc: Mapping, path: str | Path) -> None:
    """ROC curve of the diagnostic model with its AUC and bootstrap 95 % CI."""
    fig, ax = plt.subplots(figsize=(5, 5))
    if len(roc):
        ax.plot(roc["fpr"], roc["tpr"], color="C0")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--")
    value = auc.get("auc", math.nan)
    if value is not None and math.isfinite(float(value)):
        label = f"AUC = {float(value):.3f} (95 % CI {auc['ci_low']:.3f}-{auc['ci_high']:.3f})"
    else:
        label = f"no model: {auc.get('note', '')}"
    ax.text(0.98, 0.05, label, transform=ax.transAxes, ha="right")
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title(f"Diagnostic model: {auc.get('outcome', '')}", fontsize=9)
    fig.tight_layout()
    _save(fig, path)
