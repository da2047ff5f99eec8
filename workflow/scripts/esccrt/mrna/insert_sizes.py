"""Insert (fragment) sizes of the aligned mRNA read pairs, from ``samtools stats``.

Rule ``mrna_insert_sizes`` (workflow/rules/qc.smk) writes the per-unit summary table and the
distribution plot that the report shows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

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
