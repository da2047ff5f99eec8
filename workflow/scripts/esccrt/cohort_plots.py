"""Cohort views of the QC figures, for studies too large for one bar (or line) per sample.

Above a threshold of samples (``smallrna.cohort_plot_samples``, ``mrna.qc.cohort_plot_samples``)
the per-sample QC figures become the cohort's distributions: one box plot per category over the
samples' values (every sample a dot: the small-RNA read fate and RNA classes as shares, the
mRNA mapping and assignment rates), and a length profile as the cohort's median with its
quartile and 5-95 % bands (small-RNA insert lengths, mRNA insert sizes). Outliers (robust z of
Iglewicz and Hoaglin beyond the arm's ``plot_outlier_robust_z``) are drawn in red and named, the
most extreme ``plot_outliers_named`` of each category. The figure's size does not grow with the
samples.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from esccrt.io import save_figure

if TYPE_CHECKING:  # pandas and matplotlib are imported where used
    import pandas as pd

#: The median absolute deviation's factor that makes it estimate the normal SD (Iglewicz and
#: Hoaglin, "How to detect and handle outliers", ASQC 1993).
MAD_TO_SD = 1.4826
#: Every cohort figure is saved at 120 dpi, as the per-sample ones (esccrt.smallrna.qc).
_save_figure = functools.partial(save_figure, dpi=120)
#: Colours: the samples, the outliers, the bands of the length profile.
DOT, OUTLIER, BAND = "#4a6d8c", "#c62828", "#2c4a6b"


def robust_z(values: pd.Series) -> pd.Series:
    """Each value's distance from the median in scaled median absolute deviations (0 for
    every value when they do not vary; the mean absolute deviation scaled by 1.2533 when more
    than half of them are equal, as Iglewicz and Hoaglin advise)."""
    centre = values.median()
    spread = MAD_TO_SD * (values - centre).abs().median()
    if spread == 0:
        spread = 1.2533 * (values - centre).abs().mean()
    if spread == 0:
        return values * 0.0
    return (values - centre) / spread


def outliers(values: pd.Series, threshold: float, named: int) -> pd.Series:
    """The values whose robust z exceeds ``threshold`` in absolute value, most extreme first,
    at most ``named`` of them (index: the samples)."""
    z = robust_z(values).abs()
    extreme = z[z > threshold].sort_values(ascending=False, kind="stable")
    return values[extreme.index[:named]]


@dataclass(frozen=True)
class CohortPlotSettings:
    """When an arm's QC figures become cohort views and which outliers they name: above
    ``cohort_plot_samples`` samples; robust z beyond ``outlier_robust_z``, at most
    ``outliers_named`` per category (the arm's ``cohort_plot_samples``,
    ``plot_outlier_robust_z`` and ``plot_outliers_named``)."""

    cohort_plot_samples: int
    outlier_robust_z: float
    outliers_named: int

    @classmethod
    def from_config(cls, block: Mapping[str, Any]) -> CohortPlotSettings:
        """From the validated block holding the three keys."""
        return cls(
            cohort_plot_samples=int(block["cohort_plot_samples"]),
            outlier_robust_z=float(block["plot_outlier_robust_z"]),
            outliers_named=int(block["plot_outliers_named"]),
        )


def plot_share_distributions(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str,
    xlabel: str,
    threshold: float,
    named: int,
) -> None:
    """One horizontal box plot per column of ``table`` (index: samples) over the samples'
    shares of their row total, every sample a dot, the outliers red and named."""
    totals = table.sum(axis=1)
    shares = table.div(totals.where(totals > 0), axis=0).fillna(0.0)
    plot_value_distributions(shares, path, title, xlabel, threshold, named)


def plot_value_distributions(
    values: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str,
    xlabel: str,
    threshold: float,
    named: int,
    gate: tuple[float, str] | None = None,
) -> None:
    """One horizontal box plot per column of ``values`` (index: samples; values from 0 to 1:
    shares or rates), every sample a dot, the outliers red and named; ``gate`` (value, label):
    a dashed line where a QC gate's minimum lies."""
    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    columns = list(values.columns)
    fig, ax = plt.subplots(figsize=(9, 1.4 + 0.75 * len(columns)))
    ax.boxplot(
        [values[c] for c in columns],
        orientation="horizontal",
        positions=range(len(columns)),
        widths=0.6,
        showfliers=False,
        medianprops={"color": BAND, "linewidth": 2},
    )
    jitter = np.random.default_rng(0).uniform(-0.22, 0.22, len(values))
    for row, column in enumerate(columns):
        ax.scatter(values[column], row + jitter, s=4, color=DOT, alpha=0.35, linewidths=0)
        found = outliers(values[column], threshold, len(values))
        _name_outliers(ax, found.iloc[:named], row, _label_gap(fig, found.index[:named]))
        if len(found):
            count = f"{len(found)} outlier{'s' * (len(found) > 1)}"
            shown = f"\n{min(named, len(found))} named" if len(found) > named else ""
            ax.text(1.01, row, count + shown, transform=ax.get_yaxis_transform(),
                    fontsize=LABEL_POINTS, color=OUTLIER, va="center")  # fmt: skip
    if gate is not None:
        ax.axvline(gate[0], color="black", linestyle="--", linewidth=1, label=gate[1])
        ax.legend(loc="lower right", fontsize="small", frameon=False)
    ax.set_yticks(range(len(columns)), columns)
    ax.set_xlim(-0.02, 1.02)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(f"{title}: {len(values):,} samples (red: outliers, robust z > {threshold:g})")
    ax.grid(axis="x", color="#dddddd")
    # Margins in inches (the category names on the left), not tight_layout: measuring every
    # label's extent costs seconds and the layout does not depend on the samples.
    height = fig.get_figheight()
    fig.subplots_adjust(left=LEFT, right=RIGHT, top=1 - 0.45 / height, bottom=0.6 / height)
    _save_figure(fig, path)


#: Labels of one box: their distance above or below the box's centre; their font size (pt)
#: and an upper bound of a character's width (share of the font size).
LABEL_OFFSET, LABEL_POINTS, CHAR_WIDTH = 0.4, 7, 0.62
#: Margins of a share figure (shares of its width): the category names, the outlier counts.
LEFT, RIGHT = 0.2, 0.88


def _label_gap(fig, names) -> float:
    """The least horizontal distance (x axis units: shares) between two labels on one side of
    a box: the longest of ``names`` and two characters, on the axes' width."""
    longest = max((len(str(name)) for name in names), default=0) + 2
    inches = longest * CHAR_WIDTH * LABEL_POINTS / 72
    return inches / (fig.get_figwidth() * (RIGHT - LEFT))


def _name_outliers(ax, found: pd.Series, row: int, gap: float) -> None:
    """Mark ``found`` (sample -> share) red on box ``row`` and name them, alternately above and
    below the box, labels on one side at least ``gap`` apart so that they do not overlap (a
    thin line joins a moved label to its point)."""
    ax.scatter(found.to_numpy(), [row] * len(found), s=18, color=OUTLIER, zorder=3)
    for side, offset in ((0, -LABEL_OFFSET), (1, LABEL_OFFSET)):
        placed = -1.0
        for sample, share in found.iloc[side::2].sort_values().items():
            placed = max(share, placed + gap)
            ax.plot([share, placed], [row, row + 0.8 * offset], color=OUTLIER, linewidth=0.5)
            ax.text(
                placed, row + offset, str(sample), fontsize=LABEL_POINTS, color=OUTLIER,
                ha="center", va="center",
            )  # fmt: skip


def length_profiles(lengths: pd.DataFrame) -> pd.DataFrame:
    """Samples x insert length: each sample's fraction of its reads at each length (from the
    long table sample, length, reads; samples without reads left out)."""
    wide = lengths.pivot_table(
        index="sample", columns="length", values="reads", aggfunc="sum", fill_value=0
    )
    if len(wide.columns):
        wide = wide.reindex(columns=range(0, int(wide.columns.max()) + 1), fill_value=0)
    totals = wide.sum(axis=1)
    return wide[totals > 0].div(totals[totals > 0], axis=0)


def plot_insert_length_cohort(
    lengths: pd.DataFrame,
    path: str | os.PathLike[str],
    window: tuple[int, int],
    threshold: float,
    named: int,
) -> None:
    """The small-RNA cohort's insert length distribution (:func:`plot_profile_cohort` of
    :func:`length_profiles`), the kept length window shaded."""
    profiles = length_profiles(lengths)
    plot_profile_cohort(
        profiles,
        path,
        ProfileLabels(
            title=f"Small-RNA insert lengths: {len(profiles):,} samples "
            "(bands: quartiles and 5-95 % of the samples)",
            xlabel="insert length after adapter trimming (nt)",
            ylabel="fraction of reads",
        ),
        threshold,
        named,
        window=window,
    )


@dataclass(frozen=True)
class ProfileLabels:
    """Title and axis labels of a :func:`plot_profile_cohort` figure."""

    title: str
    xlabel: str
    ylabel: str


def plot_profile_cohort(
    profiles: pd.DataFrame,
    path: str | os.PathLike[str],
    labels: ProfileLabels,
    threshold: float,
    named: int,
    window: tuple[int, int] | None = None,
) -> None:
    """A cohort's profiles (samples x positions, each row a distribution summing to 1): the
    median fraction per position with the quartile and 5-95 % bands; the samples whose profile
    lies farthest from the median (total variation distance, robust z > ``threshold``) drawn
    and named, at most ``named``; ``window`` (first, last position) shaded when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    if len(profiles):
        quantiles = profiles.quantile([0.05, 0.25, 0.5, 0.75, 0.95])
        x = profiles.columns
        ax.fill_between(x, quantiles.loc[0.05], quantiles.loc[0.95], color=BAND, alpha=0.12)
        ax.fill_between(x, quantiles.loc[0.25], quantiles.loc[0.75], color=BAND, alpha=0.3)
        ax.plot(x, quantiles.loc[0.5], color=BAND, linewidth=2, label="median of the samples")
        distance = (profiles - quantiles.loc[0.5]).abs().sum(axis=1) / 2
        colours = plt.get_cmap("Reds")
        found = outliers(distance, threshold, len(distance))
        if len(found) > named:
            ax.text(0.01, 0.97, f"{len(found)} outliers, the {named} farthest drawn",
                    transform=ax.transAxes, fontsize=LABEL_POINTS, color=OUTLIER,
                    va="top")  # fmt: skip
        found = found.iloc[:named]
        for number, sample in enumerate(found.index):
            ax.plot(
                x,
                profiles.loc[sample],
                color=colours(0.9 - 0.5 * number / max(len(found), 1)),
                linewidth=1,
                label=f"{sample} (outlier)",
            )
    if window is not None:
        ax.axvspan(window[0], window[1], color="grey", alpha=0.15, label="kept window")
    ax.set_xlabel(labels.xlabel)
    ax.set_ylabel(labels.ylabel)
    ax.set_title(labels.title)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    _save_figure(fig, path)
