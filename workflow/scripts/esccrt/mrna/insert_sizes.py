"""Insert (fragment) sizes of the aligned mRNA read pairs, from ``samtools stats``.

Rule ``mrna_insert_sizes`` (workflow/rules/qc.smk) writes the per-unit summary table and the
distribution plot that the report shows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from esccrt.cohort_plots import CohortPlotSettings
from esccrt.io import save_figure


def read_insert_sizes(path: str | os.PathLike[str]) -> pd.Series:
    """Read pairs per insert size (``IS`` lines of ``samtools stats``), size 0 left out."""
    sizes = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("IS\t"):
                fields = line.split("\t")
                if int(fields[1]) > 0:
                    sizes[int(fields[1])] = int(fields[2])
    return pd.Series(sizes, dtype="int64", name=Path(path).stem)


def insert_size_summary(sizes: Sequence[pd.Series]) -> pd.DataFrame:
    """Pairs, mean, median and 5th-95th percentile of the insert size of each unit."""
    rows = []
    for series in sizes:
        total = int(series.sum())
        cumulative = series.cumsum() / total if total else series
        rows.append(
            {
                "unit": series.name,
                "pairs": total,
                "mean": float((series.index * series).sum() / total) if total else float("nan"),
                "median": int(series.index[(cumulative >= 0.5).argmax()]) if total else None,
                "p5": int(series.index[(cumulative >= 0.05).argmax()]) if total else None,
                "p95": int(series.index[(cumulative >= 0.95).argmax()]) if total else None,
            }
        )
    return pd.DataFrame(rows)


def insert_size_plot(sizes: Sequence[pd.Series], path: str | os.PathLike[str]) -> None:
    """Insert size distributions (fraction of each unit's pairs) of the mRNA alignments."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for series in sizes:
        if series.sum():
            ax.plot(series.index, series / series.sum(), label=series.name, linewidth=1)
    ax.set_xlabel("insert size (bp, samtools stats)")
    ax.set_ylabel("fraction of read pairs")
    ax.set_title("mRNA: insert size distribution")
    ax.legend(fontsize="small")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def insert_size_cohort_plot(
    sizes: Sequence[pd.Series], path: str | os.PathLike[str], plots: CohortPlotSettings
) -> None:
    """The cohort's insert size distribution: the median fraction of pairs per size with the
    quartile and 5-95 % bands, the units farthest from it named
    (:func:`esccrt.cohort_plots.plot_profile_cohort`); units without pairs left out."""
    from esccrt.cohort_plots import ProfileLabels, plot_profile_cohort

    paired = [series for series in sizes if series.sum()]
    profiles = pd.DataFrame({series.name: series / series.sum() for series in paired}).T
    if len(profiles.columns):
        everything = range(int(profiles.columns.min()), int(profiles.columns.max()) + 1)
        profiles = profiles.reindex(columns=everything)
    profiles = profiles.fillna(0.0)
    plot_profile_cohort(
        profiles,
        path,
        ProfileLabels(
            title=f"mRNA: insert size distribution, {len(profiles):,} units "
            "(bands: quartiles and 5-95 % of the units)",
            xlabel="insert size (bp, samtools stats)",
            ylabel="fraction of read pairs",
        ),
        plots.outlier_robust_z,
        plots.outliers_named,
    )


def insert_sizes(
    stats: Sequence[str | os.PathLike[str]],
    summary_path: str | os.PathLike[str],
    plot_path: str | os.PathLike[str],
    plots: CohortPlotSettings,
) -> None:
    """Rule mrna_insert_sizes' entry point: the per-unit summary of the ``samtools stats``
    files ``stats``, and the figure: a line per unit up to ``plots.cohort_plot_samples`` units,
    the cohort view above."""
    from esccrt.io import write_tsv_atomic

    sizes = [read_insert_sizes(path) for path in stats]
    write_tsv_atomic(insert_size_summary(sizes), summary_path)
    if len(sizes) <= plots.cohort_plot_samples:
        insert_size_plot(sizes, plot_path)
    else:
        insert_size_cohort_plot(sizes, plot_path, plots)
