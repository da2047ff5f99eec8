"""Insert sizes from samtools stats: the IS lines, the per-unit summary and the plot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from esccrt.mrna.insert_sizes import insert_size_plot, insert_size_summary, read_insert_sizes


def _stats(path: Path, sizes: dict[int, int]) -> Path:
    """A samtools stats file with an SN line and one IS line per insert size."""
    lines = ["SN\tinsert size average:\t0", "IS\t0\t7\t7\t0\t0"]
    lines += [f"IS\t{size}\t{n}\t{n}\t0\t0" for size, n in sizes.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_summary_of_hand_made_distributions(tmp_path: Path) -> None:
    pairs = _stats(tmp_path / "S1.lane1.txt", {100: 1, 200: 8, 300: 1})
    single = _stats(tmp_path / "S2.lane1.txt", {})
    sizes = [read_insert_sizes(pairs), read_insert_sizes(single)]
    assert sizes[0].to_dict() == {100: 1, 200: 8, 300: 1}  # size 0 left out
    summary = insert_size_summary(sizes)
    assert summary["unit"].tolist() == ["S1.lane1", "S2.lane1"]
    assert summary["pairs"].tolist() == [10, 0]
    first = summary.iloc[0]
    assert first["mean"] == 200.0 and first["median"] == 200
    assert first["p5"] == 100 and first["p95"] == 300
    assert pd.isna(summary.loc[1, "mean"]) and pd.isna(summary.loc[1, "median"])
    png = tmp_path / "insert_sizes.png"
    insert_size_plot(sizes, png)
    assert png.read_bytes().startswith(b"\x89PNG")
