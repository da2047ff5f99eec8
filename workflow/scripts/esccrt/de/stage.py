"""The differential-expression stage of one arm: rule ``diffexp_arm`` (normalised counts, VST,
size factors, excluded samples, sample plots) and rule ``diffexp_contrast`` (one contrast's table
and plots); see workflow/rules/diffexp.smk.

:func:`run_arm` and :func:`run_contrast` are the stage's entry points, one per rule. Each writes
its tables first and its figures after, every figure through :func:`esccrt.plot_guard.guarded_plot`:
a figure that cannot be drawn (e.g. ``LinAlgError: SVD did not converge`` in the PCA of
near-identical replicates) becomes a placeholder and a note in the log, never a failed job.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from esccrt.de import plots
from esccrt.de.caveats import contrast_caveats, recording_warnings
from esccrt.de.design import residual_df, sample_metadata
from esccrt.de.inputs import prepare
from esccrt.de.model import run_contrast as fit_contrast
from esccrt.de.settings import DESettings
from esccrt.de.tables import feature_table, results_table
from esccrt.de.transform import normalise_and_vst
from esccrt.io import write_tsv_atomic
from esccrt.plot_guard import guarded_plot
from esccrt.sheets import load_samples


@dataclass(frozen=True)
class ArmInputs:
    """What both rules read: the arm's count matrix, its QC gate and the sample sheet."""

    counts: Path
    qc_gate: Path
    samples: Path


@dataclass(frozen=True)
class ContrastInputs(ArmInputs):
    """What rule ``diffexp_contrast`` reads besides: the arm's VST matrix (for the heatmap)."""

    vst: Path


@dataclass(frozen=True)
class ArmOutputs:
    """The files of rule ``diffexp_arm``."""

    normalized: Path
    vst: Path
    size_factors: Path
    excluded: Path
    pca: Path
    distances: Path


@dataclass(frozen=True)
class ContrastOutputs:
    """The files of rule ``diffexp_contrast``."""

    table: Path
    caveats: Path
    volcano: Path
    ma: Path
    heatmap: Path


@dataclass(frozen=True)
class Prepared:
    """The arm's samples and counts after the QC gate and the pre-filter."""

    counts: pd.DataFrame
    names: pd.Series | None
    kept: pd.DataFrame
    design: str
    excluded: pd.DataFrame


def prepare_arm(settings: DESettings, arm: str, inputs: ArmInputs) -> Prepared:
    """Gate, check and load the arm's counts, and log what is left."""
    samples = load_samples(inputs.samples)
    samples = samples[samples["library_type"] == arm]
    counts, names, kept, design, excluded = prepare(
        inputs.counts,
        samples,
        inputs.qc_gate,
        settings.design,
        settings.contrasts,
        settings.min_total_count,
        {"design": settings.design_key, "contrasts": settings.contrasts_key},
    )
    print(
        f"{arm}: {counts.shape[0]} features x {counts.shape[1]} samples after the QC gate and "
        f"pre-filter; design {design}; size factors '{settings.size_factors}'; excluded: "
        f"{excluded['sample'].tolist() or 'none'}",
        file=sys.stderr,
    )
    return Prepared(counts, names, kept, design, excluded)


def fit_table(
    settings: DESettings, data: Prepared, contrast: str, threads: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One contrast's results table (:func:`esccrt.de.tables.results_table`) and its caveats
    (:mod:`esccrt.de.caveats`) on the prepared counts."""
    contrasts = settings.contrasts
    with recording_warnings() as caught:
        results = fit_contrast(
            data.counts,
            data.kept,
            data.design,
            contrasts,
            contrast,
            size_factors=settings.size_factors,
            alpha=settings.padj_threshold,
            lfc_threshold=settings.lfc_threshold,
            shrink=settings.lfc_shrink,
            n_cpus=threads,
        )
    residual = residual_df(data.kept, data.design, contrasts)
    caveats = contrast_caveats(
        contrast, contrasts[contrast], data.kept, caught, residual, settings.min_replicates
    )
    return results_table(results, data.names), caveats


def run_arm(
    settings: DESettings, arm: str, inputs: ArmInputs, outputs: ArmOutputs, threads: int
) -> None:
    """Rule ``diffexp_arm``: normalised counts, VST, size factors, excluded samples, then the
    PCA and sample-distance figures."""
    data = prepare_arm(settings, arm, inputs)
    metadata = sample_metadata(data.kept, data.design, settings.contrasts)
    normalised, vst, size = normalise_and_vst(
        data.counts,
        metadata,
        data.design,
        size_factors=settings.size_factors,
        n_cpus=threads,
    )
    for frame, path in ((normalised, outputs.normalized), (vst, outputs.vst)):
        write_tsv_atomic(feature_table(frame, data.names), path)
    write_tsv_atomic(size.rename_axis("sample").reset_index(), outputs.size_factors)
    write_tsv_atomic(data.excluded, outputs.excluded)
    title = f"{arm}: {len(data.kept)} samples"
    guarded_plot("PCA plot", outputs.pca, partial(plots.pca, vst, data.kept, outputs.pca, title))
    guarded_plot(
        "sample distance plot",
        outputs.distances,
        partial(plots.sample_distances, vst, outputs.distances, title),
    )


def run_contrast(
    settings: DESettings,
    arm: str,
    contrast: str,
    inputs: ContrastInputs,
    outputs: ContrastOutputs,
    threads: int,
) -> None:
    """Rule ``diffexp_contrast``: the table of ``contrast`` and its caveats (esccrt.de.caveats),
    then its volcano, MA and top-feature figures."""
    data = prepare_arm(settings, arm, inputs)
    table, caveats = fit_table(settings, data, contrast, threads)
    write_tsv_atomic(table, outputs.table)
    write_tsv_atomic(caveats, outputs.caveats)
    print(f"{contrast}: {int(table['significant'].sum())} significant features", file=sys.stderr)
    vst = pd.read_csv(inputs.vst, sep="\t", index_col="feature")
    vst = vst.drop(columns=["name"], errors="ignore")
    spec = settings.contrasts[contrast]
    title = f"{arm}: {contrast} ({' vs '.join(spec[1:]) or spec[0]})"
    figures = {
        "volcano plot": (
            outputs.volcano,
            partial(
                plots.volcano,
                table,
                outputs.volcano,
                title,
                settings.padj_threshold,
                settings.lfc_threshold,
            ),
        ),
        "MA plot": (outputs.ma, partial(plots.ma_plot, table, outputs.ma, title)),
        "top features heatmap": (
            outputs.heatmap,
            partial(
                plots.top_features_heatmap,
                table,
                vst,
                outputs.heatmap,
                title,
                n_top=settings.top_features_heatmap,
            ),
        ),
    }
    for what, (path, draw) in figures.items():
        guarded_plot(what, path, draw)
