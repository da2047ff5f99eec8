"""Figures of a differential-expression run (matplotlib, Agg backend, no seaborn).

Per contrast: volcano, MA plot and a heatmap of the top features. Per arm: PCA of the VST matrix
(colour = condition, marker = batch) and a heatmap of sample-to-sample distances.
Every function takes tables as the workflow writes them and saves one PNG.
"""

from __future__ import annotations

import functools
import os

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import pdist, squareform

from esccrt.io import save_figure

UP, DOWN, GREY = "#b2182b", "#2166ac", "#9e9e9e"
#: Largest side of a heatmap figure (inches; 6,000 pixels at 150 dpi).
HEATMAP_MAX_INCHES = 40.0
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


#: Every DE figure is saved at 150 dpi, trimmed to its content.
_save = functools.partial(save_figure, dpi=150, bbox_inches="tight")


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
    for (_, row), label in zip(top.iterrows(), _label(top), strict=True):
        ax.annotate(label, (row["log2FoldChange"], row["_y"]), fontsize=6, alpha=0.8)
    n_up = int((data["significant"] & (data["log2FoldChange"] > 0)).sum())
    n_down = int((data["significant"] & (data["log2FoldChange"] < 0)).sum())
    ax.set(
        xlabel="log2 fold change",
        ylabel="-log10 adjusted p-value",
        title=f"{title}\n{n_up} up, {n_down} down (padj < {padj_threshold}, |LFC| >= "
        f"{lfc_threshold})",
    )
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
    fig, ax = plt.subplots(figsize=(6, 5))
    for i, sample in enumerate(vst.columns):
        ax.scatter(
            scores[i, 0],
            scores[i, 1] if scores.shape[1] > 1 else 0.0,
            color=palette(colours.index(_value(meta, colour_by, sample)) % 10),
            marker=MARKERS[markers.index(_value(meta, marker_by, sample)) % len(MARKERS)],
            s=60,
            edgecolors="black",
            linewidths=0.4,
        )
        ax.annotate(
            sample,
            (scores[i, 0], scores[i, 1] if scores.shape[1] > 1 else 0.0),
            fontsize=6,
            xytext=(3, 3),
            textcoords="offset points",
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
    pc2 = explained[1] if len(explained) > 1 else 0.0
    ax.set(
        xlabel=f"PC1 ({explained[0]:.0%} of variance)",
        ylabel=f"PC2 ({pc2:.0%} of variance)",
        title=f"{title}\nPCA of VST, top {len(top)} variable features",
    )
    _save(fig, path)


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
    :data:`HEATMAP_MAX_INCHES`: then that side's cells shrink to fit and go unlabelled (labels
    would overlap), so that 1,000 samples make a figure, not 1.4 gigapixels.
    """
    height = max(3.0, 0.18 * matrix.shape[0] + 1.5)
    width = max(4.0, 0.35 * matrix.shape[1] + 2.5)
    label_rows, label_columns = height <= HEATMAP_MAX_INCHES, width <= HEATMAP_MAX_INCHES
    height, width = min(height, HEATMAP_MAX_INCHES), min(width, HEATMAP_MAX_INCHES)
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
