"""Figures of a differential-expression run (matplotlib, Agg backend, no seaborn).

Per contrast: volcano, MA plot and a heatmap of the top features. Per arm: PCA of the VST matrix
(colour = condition, marker = batch) and a heatmap of sample-to-sample distances.
Every function takes tables as the workflow writes them and saves one PNG. Point labels (volcano,
PCA) are placed by adjustText so that none overlaps another.
"""

from __future__ import annotations

import functools
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from adjustText import adjust_text
from matplotlib.axes import Axes
from matplotlib.text import Text
from matplotlib.transforms import Bbox
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import pdist, squareform

from esccrt.io import save_figure

UP, DOWN, GREY = "#b2182b", "#2166ac", "#9e9e9e"
#: Largest side of a heatmap figure (inches; 6,000 pixels at 150 dpi).
HEATMAP_MAX_INCHES = 40.0
#: Side of a heatmap too long to label (inches; 1,200 pixels): its cells carry no names, so a
#: larger figure shows nothing more, its fonts shrink on screen, and it weighs on the report
#: (1,000 samples' distances: 2.1 MB at 40 inches, half of the report; 0.79 MB at 8).
HEATMAP_UNLABELLED_INCHES = 8.0
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


#: Every DE figure is saved at 150 dpi, trimmed to its content.
_save = functools.partial(save_figure, dpi=150, bbox_inches="tight")

#: adjustText stops at this many iterations (or earlier, when no label overlaps): a count, not
#: its default time limit of 1 s, so that a table gives the same figure on any machine.
LABEL_ITERATIONS = 500
#: Room added around the points (share of the data range, x and y) so that labels of points at
#: the edge, the ones a volcano labels, can move outwards instead of onto each other.
LABEL_MARGINS = (0.2, 0.2)
#: Each label repels the others from its extent times this (x, y), adjustText's default being
#: (1.05, 1.2): with it 20 labels on one spot of a volcano were left overlapping in 5 of 5
#: random cases, with this in 1 of 5 (one pair), at about 1.6 s per figure.
LABEL_EXPAND = (1.2, 1.6)
#: Most samples the PCA names: adjustText's time grows with the square of the labels (30: about
#: 1.5 s, 60: 9-17 s and not always separated), and hundreds of names are unreadable anyway.
MAX_PCA_LABELS = 30


def place_labels(
    ax: Axes, x: np.ndarray, y: np.ndarray, labels: list[str], fontsize: float = 6
) -> list[Text]:
    """Write ``labels`` (most important first) at the points (``x``, ``y``) of ``ax`` and move
    them apart with adjustText, a thin line joining a moved label to its point; call it after
    everything else is drawn. A label adjustText leaves overlapping one before it is hidden, so
    that no label is ever drawn over another. Returns the labels (hidden ones included)."""
    texts = [
        ax.text(px, py, label, fontsize=fontsize)
        for px, py, label in zip(x, y, labels, strict=True)
    ]
    if not texts:
        return texts
    ax.margins(*LABEL_MARGINS)
    adjust_text(
        texts,
        ax=ax,
        iter_lim=LABEL_ITERATIONS,
        expand=LABEL_EXPAND,
        # adjustText's swapping of crossing lines is quadratic Python per iteration, and a swap
        # can undo a separation
        prevent_crossings=False,
        expand_axes=True,
        arrowprops={"arrowstyle": "-", "color": "0.4", "lw": 0.4},
    )
    _hide_overlapping(ax, texts)
    return texts


def _hide_overlapping(ax: Axes, texts: list[Text]) -> None:
    """Hide each label whose drawn extent overlaps that of a visible label before it."""
    renderer = ax.figure.canvas.get_renderer()
    shown: list[Bbox] = []
    for text in texts:
        extent = text.get_window_extent(renderer)
        if any(extent.overlaps(other) for other in shown):
            text.set_visible(False)
        else:
            shown.append(extent)


def _label(table: pd.DataFrame) -> pd.Series:
    """Display label per row: ``name`` when given, else ``feature``."""
    if "name" in table.columns:
        names = table["name"].fillna("").astype(str)
        return names.where(names != "", table["feature"].astype(str))
    return table["feature"].astype(str)


def _colours(table: pd.DataFrame) -> np.ndarray:
    """Point colour per row: up (significant, LFC > 0), down (significant) or grey."""
    significant = table["significant"].fillna(False).astype(bool).to_numpy()
    up = table["log2FoldChange"].to_numpy() > 0
    return np.where(significant & up, UP, np.where(significant, DOWN, GREY))


def volcano(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str,
    padj_threshold: float,
    lfc_threshold: float,
    n_labels: int = 10,
) -> None:
    """log2 fold change against -log10 adjusted p-value; significant features coloured."""
    data = table.dropna(subset=["log2FoldChange", "padj"])
    y = -np.log10(data["padj"].clip(lower=1e-300))
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(data["log2FoldChange"], y, c=_colours(data), s=8, alpha=0.7, linewidths=0)
    ax.axhline(-np.log10(padj_threshold), color="black", lw=0.6, ls="--")
    for x in (-lfc_threshold, lfc_threshold):
        ax.axvline(x, color="black", lw=0.6, ls="--")
    top = data.assign(_y=y).sort_values("_y", ascending=False).head(n_labels)
    n_up = int((data["significant"] & (data["log2FoldChange"] > 0)).sum())
    n_down = int((data["significant"] & (data["log2FoldChange"] < 0)).sum())
    ax.set(
        xlabel="log2 fold change",
        ylabel="-log10 adjusted p-value",
        title=f"{title}\n{n_up} up, {n_down} down (padj < {padj_threshold}, |LFC| >= "
        f"{lfc_threshold})",
    )
    place_labels(ax, top["log2FoldChange"].to_numpy(), top["_y"].to_numpy(), list(_label(top)))
    _save(fig, path)


def ma_plot(table: pd.DataFrame, path: str | os.PathLike[str], title: str) -> None:
    """Mean of normalised counts (log scale) against log2 fold change, shrunk when available."""
    column = "log2FoldChange_shrunk"
    if column not in table.columns or table[column].isna().all():
        column = "log2FoldChange"
    data = table.dropna(subset=[column])
    data = data[data["baseMean"] > 0]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(data["baseMean"], data[column], c=_colours(data), s=8, alpha=0.7, linewidths=0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xscale("log")
    ax.set(
        xlabel="mean of normalised counts",
        ylabel="log2 fold change" + (" (apeGLM-shrunk)" if column.endswith("shrunk") else ""),
        title=title,
    )
    _save(fig, path)


def pca(
    vst: pd.DataFrame,
    samples: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str,
    colour_by: str = "condition",
    marker_by: str = "batch",
    n_top: int = 500,
) -> None:
    """PCA of the ``n_top`` most variable VST features (as R's ``plotPCA``)."""
    top = vst.loc[vst.var(axis=1).sort_values(ascending=False).index[:n_top]]
    centred = top.T - top.T.mean(axis=0)
    u, s, _ = np.linalg.svd(centred.to_numpy(), full_matrices=False)
    scores = u * s
    explained = s**2 / max(float((s**2).sum()), 1e-300)
    meta = samples.reindex(vst.columns)
    colours = _levels(meta, colour_by)
    markers = _levels(meta, marker_by)
    palette = plt.get_cmap("tab10")
    pc1 = scores[:, 0]
    pc2 = scores[:, 1] if scores.shape[1] > 1 else np.zeros(len(pc1))
    fig, ax = plt.subplots(figsize=(6, 5))
    for i, sample in enumerate(vst.columns):
        ax.scatter(
            pc1[i],
            pc2[i],
            color=palette(colours.index(_value(meta, colour_by, sample)) % 10),
            marker=MARKERS[markers.index(_value(meta, marker_by, sample)) % len(MARKERS)],
            s=60,
            edgecolors="black",
            linewidths=0.4,
        )
    handles = [
        plt.Line2D([], [], color=palette(i % 10), marker="o", ls="", label=f"{colour_by}: {lvl}")
        for i, lvl in enumerate(colours)
    ] + [
        plt.Line2D(
            [],
            [],
            color="black",
            marker=MARKERS[i % len(MARKERS)],
            ls="",
            mfc="none",
            label=f"{marker_by}: {lvl}",
        )
        for i, lvl in enumerate(markers)
    ]
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="best")
    pc2_share = explained[1] if len(explained) > 1 else 0.0
    named = _farthest_from_centre(pc1, pc2, MAX_PCA_LABELS)
    named_note = (
        f"\n{len(named)} of {len(pc1)} samples named (farthest from the centre)"
        if len(named) < len(pc1)
        else ""
    )
    ax.set(
        xlabel=f"PC1 ({explained[0]:.0%} of variance)",
        ylabel=f"PC2 ({pc2_share:.0%} of variance)",
        title=f"{title}\nPCA of VST, top {len(top)} variable features{named_note}",
    )
    place_labels(ax, pc1[named], pc2[named], [str(vst.columns[i]) for i in named])
    _save(fig, path)


def _farthest_from_centre(pc1: np.ndarray, pc2: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` points farthest from the centre (each axis scaled by its standard
    deviation), farthest first: the samples a reader of a crowded PCA wants named."""
    scaled = [(v - v.mean()) / (v.std() or 1.0) for v in (pc1, pc2)]
    distance = np.hypot(*scaled)
    return np.argsort(-distance, kind="stable")[:n]


def _levels(meta: pd.DataFrame, column: str) -> list[str]:
    """Sorted values of ``column`` (``["all"]`` when the sheet lacks it)."""
    if column not in meta.columns:
        return ["all"]
    return sorted(meta[column].astype(str).unique())


def _value(meta: pd.DataFrame, column: str, sample: str) -> str:
    """``sample``'s value of ``column`` (``"all"`` when the sheet lacks it)."""
    return str(meta.loc[sample, column]) if column in meta.columns else "all"


def _heatmap(
    matrix: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str,
    cmap: str,
    label: str,
    centre: bool = False,
) -> None:
    """Save ``matrix`` as a heatmap (colour scale symmetric around 0 when ``centre``).

    Cells are 0.18 in high and 0.35 in wide, each labelled, until a side would pass
    :data:`HEATMAP_MAX_INCHES`: then that side is :data:`HEATMAP_UNLABELLED_INCHES` long, its
    cells unlabelled (labels would overlap), so that 1,000 samples make a figure, not 1.4
    gigapixels.
    """
    height = max(3.0, 0.18 * matrix.shape[0] + 1.5)
    width = max(4.0, 0.35 * matrix.shape[1] + 2.5)
    label_rows, label_columns = height <= HEATMAP_MAX_INCHES, width <= HEATMAP_MAX_INCHES
    height = height if label_rows else HEATMAP_UNLABELLED_INCHES
    width = width if label_columns else HEATMAP_UNLABELLED_INCHES
    fig, ax = plt.subplots(figsize=(width, height))
    values = matrix.to_numpy(dtype=float)
    limit = float(np.nanmax(np.abs(values))) if centre and values.size else None
    image = ax.imshow(
        values,
        aspect="auto",
        cmap=cmap,
        vmin=-limit if limit else None,
        vmax=limit if limit else None,
    )
    if label_columns:
        ax.set_xticks(range(matrix.shape[1]), matrix.columns, rotation=90, fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_xlabel(f"{matrix.shape[1]:,} columns (too many to label)")
    if label_rows:
        ax.set_yticks(range(matrix.shape[0]), matrix.index, fontsize=6)
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{matrix.shape[0]:,} rows (too many to label)")
    fig.colorbar(image, ax=ax, label=label, shrink=0.6)
    ax.set_title(title, fontsize=9)
    _save(fig, path)


def _cluster_order(matrix: np.ndarray) -> np.ndarray:
    """Row order of average-linkage clustering (the given order for fewer than 3 rows)."""
    if matrix.shape[0] < 3:
        return np.arange(matrix.shape[0])
    return leaves_list(linkage(matrix, method="average", metric="euclidean"))


def sample_distances(vst: pd.DataFrame, path: str | os.PathLike[str], title: str) -> None:
    """Euclidean distances between samples on the VST scale, clustered."""
    distances = pd.DataFrame(
        squareform(pdist(vst.T.to_numpy())), index=vst.columns, columns=vst.columns
    )
    order = _cluster_order(vst.T.to_numpy())
    ordered = distances.iloc[order, order]
    _heatmap(ordered, path, f"{title}\nsample distances (VST)", "viridis_r", "Euclidean distance")


def top_features_heatmap(
    table: pd.DataFrame,
    vst: pd.DataFrame,
    path: str | os.PathLike[str],
    title: str,
    *,
    n_top: int,
) -> None:
    """VST values (row z-scores) of the ``n_top`` features with the smallest adjusted p-values
    (``diffexp.top_features_heatmap``)."""
    ranked = table.dropna(subset=["padj"]).sort_values("padj").head(n_top)
    ranked = ranked[ranked["feature"].isin(vst.index)]
    if ranked.empty:
        ranked = table.head(n_top)
        ranked = ranked[ranked["feature"].isin(vst.index)]
    values = vst.loc[ranked["feature"]]
    sd = values.std(axis=1).replace(0, 1.0)
    z = values.sub(values.mean(axis=1), axis=0).div(sd, axis=0)
    z.index = _label(ranked).to_numpy()
    if len(z) >= 3:
        z = z.iloc[_cluster_order(z.to_numpy())]
    _heatmap(
        z,
        path,
        f"{title}\ntop {len(z)} features by adjusted p-value",
        "RdBu_r",
        "z-score of VST",
        centre=True,
    )
