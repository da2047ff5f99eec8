"""Figures of a DE run (esccrt.de.plots)."""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from esccrt.de import plots
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox


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


@dataclass
class Drawn:
    """What a saved figure shows: its axes' title and each visible label's text and extent."""

    title: str = ""
    labels: list[tuple[str, Bbox]] = field(default_factory=list)


def _drawn(monkeypatch, draw) -> Drawn:
    """The title and visible labels of the one axes ``draw`` saves, the figure drawn where the
    stage would save it."""
    drawn = Drawn()

    def keep(fig: Figure, path: object) -> None:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        drawn.title = fig.axes[0].get_title()
        drawn.labels = [
            (text.get_text(), text.get_window_extent(renderer))
            for text in fig.axes[0].texts
            if text.get_visible()
        ]
        plt.close(fig)

    monkeypatch.setattr(plots, "_save", keep)
    draw()
    return drawn


def _overlapping(labels: list[tuple[str, Bbox]]) -> list[tuple[str, str]]:
    """Pairs of labels whose drawn extents overlap."""
    return [
        (a, b)
        for i, (a, box_a) in enumerate(labels)
        for b, box_b in labels[i + 1 :]
        if box_a.overlaps(box_b)
    ]


def test_crowded_volcano_labels_do_not_overlap(monkeypatch, tmp_path):
    """20 significant miRNAs on almost one spot (LFC 2, padj 1e-5; the worst of five random
    cases tried): no two labels shown overlap, and adjustText separates all but one, which is
    hidden rather than drawn over another."""
    rng = np.random.default_rng(1)
    table = pd.DataFrame(
        {
            "feature": [f"hsa-miR-{i}-5p" for i in range(40)],
            "log2FoldChange": rng.normal(2, 0.05, 40),
            "padj": 10 ** -rng.normal(5, 0.05, 40),
            "significant": True,
        }
    )

    def draw() -> None:
        plots.volcano(table, tmp_path / "v.png", "t", 0.05, 1.0, n_labels=20)

    drawn = _drawn(monkeypatch, draw)
    assert len(drawn.labels) >= 19
    assert _overlapping(drawn.labels) == []


def test_crowded_pca_names_thirty_samples_without_overlap(monkeypatch, tmp_path):
    """40 samples: the 30 farthest from the centre are named, none over another, and the title
    says so."""
    rng = np.random.default_rng(5)
    names = [f"serum_sample_{i:02d}" for i in range(40)]
    sheet = pd.DataFrame(
        {"sample": names, "condition": ["control", "irradiated"] * 20, "batch": "b1"},
        index=pd.Index(names, name="sample"),
    )
    vst = pd.DataFrame(rng.normal(8, 1, (60, 40)), columns=names)
    drawn = _drawn(monkeypatch, lambda: plots.pca(vst, sheet, tmp_path / "p.png", "t"))
    assert len(drawn.labels) == plots.MAX_PCA_LABELS == 30
    assert _overlapping(drawn.labels) == []
    assert drawn.title.endswith("\n30 of 40 samples named (farthest from the centre)")


def test_sample_distances_of_many_samples_stay_within_the_largest_figure(tmp_path, monkeypatch):
    """Beyond HEATMAP_MAX_INCHES a side is HEATMAP_UNLABELLED_INCHES long, its cells shrunk
    (1,000 samples made a 352 x 182 inch figure, 1.4 gigapixels at 150 dpi, and diffexp_arm was
    killed at 24 GB; then a 2.1 MB figure at 40 inches); smaller sizes keep the test quick."""
    from PIL import Image

    monkeypatch.setattr(plots, "HEATMAP_MAX_INCHES", 7.0)
    monkeypatch.setattr(plots, "HEATMAP_UNLABELLED_INCHES", 5.0)
    rng = np.random.default_rng(4)
    vst = pd.DataFrame(rng.normal(8, 1, (20, 40)), columns=[f"s{k}" for k in range(40)])
    plots.sample_distances(vst, tmp_path / "d.png", "t")
    width, height = Image.open(tmp_path / "d.png").size
    assert max(width, height) <= 1.2 * 5.0 * 150  # the cap at 150 dpi, tight bounding box
