"""Figures of a DE run (esccrt.de.plots)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from esccrt.de import plots


def test_plots_are_written(tmp_path, demo_sheet):
    """Every figure is a non-empty PNG, with a name column and without one."""
    rng = np.random.default_rng(3)
    sheet = demo_sheet
    vst = pd.DataFrame(
        rng.normal(8, 1, (40, 6)), index=[f"m{i}" for i in range(40)], columns=sheet.index
    )
    table = pd.DataFrame(
        {
            "feature": vst.index,
            "name": ["" if i % 2 else f"G{i}" for i in range(40)],
            "baseMean": rng.uniform(5, 500, 40),
            "log2FoldChange": rng.normal(0, 2, 40),
            "padj": rng.uniform(0, 1, 40),
            "log2FoldChange_shrunk": rng.normal(0, 1, 40),
        }
    )
    table["significant"] = (table["padj"] < 0.2) & (table["log2FoldChange"].abs() >= 1)
    plots.volcano(table, tmp_path / "v.png", "t", 0.05, 1.0)
    plots.ma_plot(table.drop(columns="name"), tmp_path / "ma.png", "t")
    plots.pca(vst, sheet, tmp_path / "pca.png", "t")
    plots.sample_distances(vst, tmp_path / "d.png", "t")
    plots.top_features_heatmap(table, vst, tmp_path / "h.png", "t", n_top=10)
    for name in ("v", "ma", "pca", "d", "h"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sample_distances_of_many_samples_stay_within_the_largest_figure(tmp_path, monkeypatch):
    """Beyond HEATMAP_MAX_INCHES a side's cells shrink (1,000 samples made a 352 x 182 inch
    figure, 1.4 gigapixels at 150 dpi, and diffexp_arm was killed at 24 GB); a smaller cap keeps
    the test quick."""
    from PIL import Image

    monkeypatch.setattr(plots, "HEATMAP_MAX_INCHES", 5.0)
    rng = np.random.default_rng(4)
    vst = pd.DataFrame(rng.normal(8, 1, (20, 40)), columns=[f"s{k}" for k in range(40)])
    plots.sample_distances(vst, tmp_path / "d.png", "t")
    width, height = Image.open(tmp_path / "d.png").size
    assert max(width, height) <= 1.2 * 5.0 * 150  # the cap at 150 dpi, tight bounding box
