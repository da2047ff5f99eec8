"""Figure of the reference stability: geNorm average M and pairwise V, NormFinder rho.

Drawn with matplotlib's non-interactive Agg backend and written atomically as PNG.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from esccrt.io import save_figure
from esccrt.qpcr.genorm import PAIRWISE_V_CUTOFF
from esccrt.qpcr.stability import StabilityResult


def _genorm_panels(steps: pd.DataFrame, axes_m: plt.Axes, axes_v: plt.Axes) -> None:
    """Average M per number of candidates left (least stable named) and V_(n-1)/n bars."""
    per_step = steps.drop_duplicates("step").sort_values("n_candidates", ascending=False)
    x = range(len(per_step))
    axes_m.plot(x, per_step["average_m"], marker="o", color="#1f77b4")
    axes_m.set_xticks(list(x))
    axes_m.set_xticklabels(
        [
            f"{n}\nthen out:\n{e}" if e else f"{n}\n(final pair)"
            for n, e in zip(per_step["n_candidates"], per_step["excluded"], strict=True)
        ],
        fontsize=7,
    )
    axes_m.set_xlabel("candidates left (and the least stable, excluded next)")
    axes_m.set_ylabel("geNorm average M")
    axes_m.set_title("geNorm: stepwise exclusion")
    pairwise = per_step.dropna(subset=["pairwise_v"]).sort_values("n_candidates")
    labels = [f"V{n - 1}/{n}" for n in pairwise["n_candidates"]]
    axes_v.bar(labels, pairwise["pairwise_v"], color="#7f7f7f")
    axes_v.axhline(PAIRWISE_V_CUTOFF, color="#d62728", linestyle="--", linewidth=1)
    axes_v.set_ylabel("pairwise variation V")
    axes_v.set_title(f"geNorm: pairwise variation (cut-off {PAIRWISE_V_CUTOFF})")
    axes_v.tick_params(axis="x", labelrotation=45, labelsize=8)


def stability_plot(result: StabilityResult, path: str | os.PathLike[str]) -> None:
    """Three panels: geNorm average M by step, pairwise V, NormFinder rho (used: dark)."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    if result.steps.empty:
        for ax in axes:
            ax.axis("off")
        axes[1].text(0.5, 0.5, "; ".join(result.notes), ha="center", va="center", wrap=True)
    else:
        _genorm_panels(result.steps, axes[0], axes[1])
    rho = result.table.dropna(subset=["normfinder_rho"]).sort_values("normfinder_rho")
    if rho.empty:
        axes[2].axis("off")
    else:
        colours = ["#2ca02c" if used else "#98df8a" for used in rho["used_as_reference"]]
        axes[2].barh(rho["candidate"], rho["normfinder_rho"], color=colours)
        axes[2].invert_yaxis()
        axes[2].set_xlabel("NormFinder stability rho (smaller = more stable)")
        axes[2].set_title("NormFinder (groups: timepoints); dark = used as reference")
    fig.tight_layout()
    save_figure(fig, path, dpi=120, bbox_inches="tight")
