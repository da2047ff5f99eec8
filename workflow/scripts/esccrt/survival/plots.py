"""Figures of the survival analysis: Kaplan-Meier curves, forest plot of hazard ratios with each
model's Harrell C, ROC, the cut-off sensitivity curves, the decision curves and the cumulative
incidence of competing risks.

All functions draw with matplotlib's non-interactive Agg backend and write a PNG atomically.
"""

from __future__ import annotations

import functools
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
from matplotlib.ticker import NullFormatter

from esccrt.io import save_figure
from esccrt.survival.table1 import format_p

#: Fold-change ticks of the cut-off axis (log scale).
FOLD_TICKS = (0.125, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 16)


#: Every survival figure is saved at 120 dpi, trimmed to its content.
_save = functools.partial(save_figure, dpi=120, bbox_inches="tight")


def km_plot(
    fitters: Mapping[str, KaplanMeierFitter],
    title: str,
    p_value: float,
    note: str,
    path: str | Path,
    *,
    time_unit: str,
) -> None:
    """Kaplan-Meier curves with 95 % CIs, censoring ticks, log-rank p and numbers at risk
    (``time_unit``: ``survival.time_unit``, on the x axis)."""
    fig, ax = plt.subplots(figsize=(6.5, 5))
    # A fixed layout with room below for the numbers at risk: the save's tight box then takes in
    # the row labels, however long. (tight_layout as well would lay every text out once more:
    # 40 % of the survival rule's time went to its 28 Kaplan-Meier plots.)
    fig.subplots_adjust(left=0.13, right=0.96, top=0.93, bottom=0.27)
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
    _save(fig, path)


def _concordance_labels(ax: plt.Axes, block: pd.DataFrame, y: np.ndarray) -> None:
    """Harrell's C (SE) of each model, right of the panel on the model's first row."""
    models = block["factor"] if block["model"].iloc[0] == "univariate" else ["all"] * len(block)
    first = ~pd.Series(list(models)).duplicated().to_numpy()
    c_index, c_se = block["c_index"][first], block["c_index_se"][first]
    for yy, c, se in zip(y[first], c_index, c_se, strict=True):
        text = f"C {c:.2f} ({se:.2f})" if np.isfinite(c) else "C NA"
        ax.text(1.02, yy, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8)


def forest_plot(cox: pd.DataFrame, path: str | Path) -> None:
    """Hazard ratios with 95 % CIs on a log axis: one row of panels per model, one column per
    endpoint (contrast labels on the left column); non-estimable HRs are marked as such.
    Right of each model: Harrell's C with its standard error."""
    models = list(dict.fromkeys(cox["model"]))
    endpoints = list(dict.fromkeys(cox["endpoint"]))
    sizes = [max(int((cox["model"] == m).sum() / max(len(endpoints), 1)), 1) for m in models]
    fig, axes = plt.subplots(
        max(len(models), 1),
        max(len(endpoints), 1),
        figsize=(5.5 * max(len(endpoints), 1) + 3.5, 0.32 * sum(sizes) + 1.5 * len(sizes) + 0.5),
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
            # arrays, not Series: matplotlib's finiteness check calls float() on single elements
            hr, low, high = (block[c].to_numpy(float)[ok] for c in ("hr", "ci_low", "ci_high"))
            ax.errorbar(hr, y[ok], xerr=[hr - low, high - hr], fmt="s", color="k", capsize=3)
            for yy in y[~ok]:
                ax.text(1.0, yy, "not estimable", va="center", ha="center", fontsize=8)
            labels = [f"{f}: {c}" for f, c in zip(block["factor"], block["contrast"], strict=True)]
            ax.set_yticks(y, labels if j == 0 else [], fontsize=8)
            ax.set_ylim(-0.7, len(block) - 0.3)
            ax.axvline(1.0, color="grey", linestyle="--")
            ax.set_xscale("log")
            _concordance_labels(ax, block, y)
            ax.set_title(f"{model} Cox, {endpoint} (right: Harrell's C, SE)", fontsize=10)
            if i == len(models) - 1:
                ax.set_xlabel("hazard ratio (95 % CI, log scale)")
    fig.tight_layout()
    _save(fig, path)


def roc_plot(roc: pd.DataFrame, auc: Mapping, path: str | Path) -> None:
    """ROC curve of the diagnostic model: apparent AUC with its DeLong 95 % CI, the
    optimism-corrected and the cross-validated AUC."""
    fig, ax = plt.subplots(figsize=(5, 5))
    if len(roc):
        ax.plot(roc["fpr"], roc["tpr"], color="C0")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--")
    value = auc.get("auc", math.nan)
    if value is not None and math.isfinite(float(value)):
        label = (
            f"apparent AUC = {float(value):.3f} (DeLong 95 % CI {auc['ci_low']:.3f}-"
            f"{auc['ci_high']:.3f})\noptimism-corrected AUC = {auc['auc_corrected']:.3f}"
            f" ({auc['bootstrap']} bootstrap refits)\ncross-validated AUC = {auc['auc_cv']:.3f}"
            f" ({auc['cv_repeats']} x {auc['cv_folds']}-fold)"
        )
    else:
        label = f"no model: {auc.get('note', '')}"
    ax.text(0.98, 0.04, label, transform=ax.transAxes, ha="right", fontsize=8)
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title(f"Diagnostic model: {auc.get('outcome', '')}", fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def cutoff_plot(sensitivity: pd.DataFrame, maxstat: pd.DataFrame, path: str | Path) -> None:
    """Log-rank p against the fold-change cut-off, one panel per fold-change factor and one line
    per endpoint; dotted: the configured cut-off, circle: the maximally selected cut-off (its
    Lausen-Schumacher adjusted p in the legend). The selection uses maxstat's standardised
    score statistic, so its cut-off can differ from that of the smallest log-rank p."""
    factors = list(dict.fromkeys(maxstat["factor"]))
    columns = min(3, max(len(factors), 1))
    rows = max(math.ceil(len(factors) / columns), 1)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
    for ax in axes.flat[len(factors) :]:
        ax.set_visible(False)
    for ax, factor in zip(axes.flat, factors, strict=False):
        for i, best in enumerate(maxstat[maxstat["factor"] == factor].itertuples()):
            curve = sensitivity[
                (sensitivity["factor"] == factor) & (sensitivity["endpoint"] == best.endpoint)
            ]
            label = (
                f"{best.endpoint.upper()}: max at {best.selected_cutoff:.2f}, "
                f"adj. p {format_p(best.adjusted_p)}"
            )
            # a cut between two observed values gives the same groups: a step curve
            ax.step(curve["cutoff"], curve["p"], where="post", color=f"C{i}", label=label)
            chosen = curve[curve["cutoff"] == best.selected_cutoff]
            ax.plot(chosen["cutoff"], chosen["p"], "o", mfc="none", ms=9, color=f"C{i}")
            ax.axvline(best.configured_cutoff, color="grey", linestyle=":")
        ax.axhline(0.05, color="grey", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_xscale("log")
        ticks = [t for t in FOLD_TICKS if curve["cutoff"].min() <= t <= curve["cutoff"].max()]
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(str(maxstat.loc[maxstat["factor"] == factor, "label"].iloc[0]), fontsize=9)
        ax.set_xlabel("fold-change cut-off (dotted: configured)")
        ax.set_ylabel("log-rank p (unadjusted)")
        ax.legend(fontsize=7)
    fig.tight_layout()
    _save(fig, path)


#: How the decision-curve figure draws each strategy.
_STRATEGY_STYLE = {
    "model": {"color": "C0", "linestyle": "-", "label": "model"},
    "treat_all": {"color": "grey", "linestyle": "--", "label": "treat all"},
    "treat_none": {"color": "black", "linestyle": ":", "label": "treat none"},
}


def _landmark_panels(curves: pd.DataFrame, height: float) -> tuple[plt.Figure, np.ndarray, list]:
    """A figure with one panel per endpoint x landmark of ``curves`` (three per row, the rest
    hidden), its axes and the (key, rows) pairs in table order."""
    panels = list(curves.groupby(["endpoint", "landmark"], sort=False))
    fig, axes = _grid(len(panels), height)
    return fig, axes, panels


def _grid(count: int, height: float) -> tuple[plt.Figure, np.ndarray]:
    """A figure with ``count`` panels, three per row (the rest hidden), and its axes."""
    columns = min(3, max(count, 1))
    rows = max(math.ceil(count / columns), 1)
    fig, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, height * rows), squeeze=False)
    for ax in axes.flat[count:]:
        ax.set_visible(False)
    return fig, axes


def _save_landmark_panels(
    fig: plt.Figure, axes: np.ndarray, panels: list, empty: str, path: str | Path
) -> None:
    """Save a figure of :func:`_landmark_panels`; without panels the first says ``empty``."""
    if not panels:
        axes.flat[0].set_visible(True)
        axes.flat[0].text(0.5, 0.5, empty, ha="center")
    fig.tight_layout()
    _save(fig, path)


def decision_plot(curves: pd.DataFrame, path: str | Path, time_unit: str) -> None:
    """Net benefit against the threshold probability, one panel per endpoint x landmark, with
    treat-all and treat-none; the y axis is cut below at -0.05 (treat all falls steeply)."""
    fig, axes, panels = _landmark_panels(curves, 3.4)
    for ax, ((endpoint, landmark), panel) in zip(axes.flat, panels, strict=False):
        for strategy, style in _STRATEGY_STYLE.items():
            line = panel[panel["strategy"] == strategy]
            ax.plot(line["threshold"], line["net_benefit"], **style)
        top = np.nanmax(panel["net_benefit"].to_numpy(dtype=float), initial=0.0)
        ax.set_ylim(-0.05, max(top * 1.1, 0.05))
        ax.set_title(f"{str(endpoint).upper()} by {landmark:g} {time_unit}", fontsize=9)
        ax.set_xlabel("threshold probability")
        ax.set_ylabel("net benefit")
        ax.legend(fontsize=7)
    _save_landmark_panels(fig, axes, panels, "no model: no decision curves", path)


def calibration_plot(curves: pd.DataFrame, path: str | Path, time_unit: str) -> None:
    """Smoothed observed risk against the predicted risk, one panel per endpoint x landmark:
    the apparent curve, the bootstrap optimism-corrected one and the diagonal (ideal)."""
    fig, axes, panels = _landmark_panels(curves, 3.6)
    for ax, ((endpoint, landmark), panel) in zip(axes.flat, panels, strict=False):
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="ideal")
        ax.plot(panel["predicted"], panel["observed"], color="black", label="apparent")
        ax.plot(
            panel["predicted"],
            panel["corrected"],
            color="tab:red",
            linestyle="--",
            label="optimism-corrected",
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{str(endpoint).upper()} by {landmark:g} {time_unit}", fontsize=9)
        ax.set_xlabel("predicted risk")
        ax.set_ylabel("observed risk (smoothed)")
        ax.legend(fontsize=7)
    _save_landmark_panels(fig, axes, panels, "no model: no calibration curves", path)


def incidence_plot(curves: pd.DataFrame, title: str, path: str | Path, time_unit: str) -> None:
    """Aalen-Johansen cumulative incidence of one endpoint (``curves``: its rows of
    cumulative_incidence_curves.tsv), one panel per factor (all patients first), one colour per
    group: the event solid, the competing event dashed, as steps from 0."""
    panels = list(curves.groupby("factor", sort=False))
    fig, axes = _grid(len(panels), 3.6)
    for ax, (factor, panel) in zip(axes.flat, panels, strict=False):
        for colour, (group, rows) in enumerate(panel.groupby("group", sort=False)):
            for cause, style in (("event", "-"), ("competing", "--")):
                step = rows[rows["cause"] == cause]
                times = np.concatenate(([0.0], step["time"].to_numpy(float)))
                values = np.concatenate(([0.0], step["cif"].to_numpy(float)))
                label = f"{group}: {cause}"
                ax.step(times, values, where="post", color=f"C{colour}", ls=style, label=label)
        ax.set_title(str(factor), fontsize=9)
        ax.set_xlabel(f"time ({time_unit})")
        ax.set_ylabel("cumulative incidence")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path)
