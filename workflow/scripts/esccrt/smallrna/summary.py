"""The small-RNA arm's summary, rule smallrna_summary's entry point: every sample's counts
joined into the arm's matrices, isomiR table and merged mirGFF3, and its QC tables (read fate,
RNA classes, insert lengths), the tables first and the figures after (each guarded, so that a
failing figure never takes a table down). The per-sample steps are in
:mod:`esccrt.smallrna.stage`; the QC gate is rule smallrna_sample_qc's
(:mod:`esccrt.smallrna.sample_qc`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from esccrt.io import write_tsv_atomic
from esccrt.smallrna.qc import SampleFate
from esccrt.smallrna.settings import SummarySettings

if TYPE_CHECKING:  # pandas is imported where used
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SummaryInputs:
    """Every sample's counts and mirGFF3 (``samples`` order), the prepared references."""

    counts: tuple[Path, ...]
    mirgff: tuple[Path, ...]
    mature: Path
    hairpin: Path


@dataclass(frozen=True)
class SummaryOutputs:
    """The arm's matrices, isomiRs, mirGFF3, read fate, RNA classes and lengths."""

    counts: Path
    hairpin_counts: Path
    isomirs: Path
    mirgff: Path
    mirtop_stats: Path
    read_fate: Path
    insert_lengths: Path
    insert_plot: Path
    read_fate_plot: Path
    rna_classes: Path
    rna_classes_plot: Path
    rna_classes_mqc: Path
    alignment_rates_mqc: Path


def summary(
    settings: SummarySettings,
    samples: Sequence[str],
    rna_classes: Sequence[str],
    inputs: SummaryInputs,
    outputs: SummaryOutputs,
) -> None:
    """Count matrices, isomiRs, the merged (validated) mirGFF3, read fate, RNA class
    composition and insert lengths of ``samples`` (``rna_classes``: in order); the tables
    first, then the figures, each drawn so that a failing one cannot take a table down.

    Memory grows with the samples by what the tables hold, not by what the samples' files
    hold: each counts file is read once and reduced (matrix columns, isomiR rows written,
    read fate and lengths kept), and the mirGFF3 files are merged in step (one line per
    sample at a time; :func:`~esccrt.smallrna.mirgff_merge.merge_sorted_mirgff`).
    """
    from esccrt.plot_guard import guarded_plot

    samples, classes = list(samples), list(rna_classes)
    fates, lengths_of = count_tables(samples, inputs, outputs)
    merged_mirgff(settings, samples, inputs, outputs)
    fate_table, class_table, lengths = _qc_tables(settings, fates, lengths_of, classes, outputs)
    figures = qc_figures(settings, fate_table, class_table, lengths, classes, outputs)
    for what, (path, draw) in figures.items():
        guarded_plot(what, path, draw)


def qc_figures(
    settings: SummarySettings,
    fate_table: pd.DataFrame,
    class_table: pd.DataFrame,
    lengths: pd.DataFrame,
    classes: list[str],
    outputs: SummaryOutputs,
) -> dict[str, tuple[Path, Callable[[], None]]]:
    """The read fate, RNA class and insert length figures to draw (name -> (path, drawing)):
    a bar per sample up to ``settings.plots.cohort_plot_samples`` samples, the cohort's
    distributions with the outliers named above (:mod:`esccrt.cohort_plots`)."""
    from functools import partial

    from esccrt import cohort_plots
    from esccrt.smallrna import qc

    fates = fate_table.set_index("sample")[qc.fate_partition(classes)]
    shares = class_table.set_index("sample").drop(columns="screened")
    if len(fate_table) <= settings.plots.cohort_plot_samples:
        draw_fate = partial(qc.plot_read_fate, fate_table, outputs.read_fate_plot, classes)
        draw_classes = partial(qc.plot_rna_classes, class_table, outputs.rna_classes_plot)
        draw_lengths = partial(
            qc.plot_insert_lengths, lengths, outputs.insert_plot, settings.window
        )
    else:
        named = (settings.plots.outlier_robust_z, settings.plots.outliers_named)
        draw_fate = partial(
            cohort_plots.plot_share_distributions,
            fates,
            outputs.read_fate_plot,
            "Small-RNA read fate",
            "fraction of input reads",
            *named,
        )
        draw_classes = partial(
            cohort_plots.plot_share_distributions,
            shares,
            outputs.rna_classes_plot,
            "Small-RNA classes",
            "fraction of reads in the length window (deduplicated)",
            *named,
        )
        draw_lengths = partial(
            cohort_plots.plot_insert_length_cohort,
            lengths,
            outputs.insert_plot,
            settings.window,
            *named,
        )
    return {
        "read fate plot": (outputs.read_fate_plot, draw_fate),
        "RNA class plot": (outputs.rna_classes_plot, draw_classes),
        "insert length plot": (outputs.insert_plot, draw_lengths),
    }


def count_tables(
    samples: list[str], inputs: SummaryInputs, outputs: SummaryOutputs
) -> tuple[list[SampleFate], dict[str, dict[int, int]]]:
    """The mature and hairpin count matrices and the isomiR class table, each sample's counts
    file read once (by sample name: the tables' order); returns the read fates (``samples``
    order) and insert lengths for the QC tables."""
    from esccrt.io import atomic_write
    from esccrt.smallrna.count import CountColumns
    from esccrt.smallrna.isomirs import ISOMIR_COLUMNS, isomir_table
    from esccrt.smallrna.reference import read_fasta

    mature = CountColumns([r.name for r in read_fasta(inputs.mature)])
    hairpin = CountColumns([r.name for r in read_fasta(inputs.hairpin)])
    path_of = dict(zip(samples, inputs.counts, strict=True))
    fates: dict[str, SampleFate] = {}
    lengths: dict[str, dict[int, int]] = {}
    with atomic_write(outputs.isomirs) as isomirs:
        isomirs.write("\t".join(ISOMIR_COLUMNS) + "\n")
        for sample in sorted(path_of):
            with open(path_of[sample]) as handle:
                counts = json.load(handle)
            mature.add(sample, counts["mature"])
            hairpin.add(sample, counts["hairpin"])
            rows = isomir_table({sample: counts["isomirs"]})
            if len(rows):  # an empty frame's columns are not floats: nothing to write
                rows.to_csv(isomirs, sep="\t", index=False, header=False)
            fates[sample] = SampleFate(**counts["fate"])
            lengths[sample] = {int(k): v for k, v in counts["lengths"].items()}
    write_tsv_atomic(mature.matrix(), outputs.counts)
    write_tsv_atomic(hairpin.matrix(), outputs.hairpin_counts)
    return [fates[sample] for sample in path_of], lengths


def merged_mirgff(
    settings: SummarySettings,
    samples: list[str],
    inputs: SummaryInputs,
    outputs: SummaryOutputs,
) -> None:
    """The samples' mirGFF3 merged in step and validated with mirtop, and mirtop's statistics
    of it, gathered as the lines are written."""
    from esccrt.smallrna.mirgff import SparseExpression, write_checked_mirgff
    from esccrt.smallrna.mirgff_merge import MirtopStats, merge_sorted_mirgff

    stats = MirtopStats(samples)

    def rows():
        for record, expression in merge_sorted_mirgff(inputs.mirgff):
            stats.add(record, expression)
            yield record, SparseExpression(expression, len(samples))

    write_checked_mirgff(rows(), samples, outputs.mirgff, settings.mirgff3_source)
    write_tsv_atomic(stats.table(), outputs.mirtop_stats)


def _qc_tables(
    settings: SummarySettings,
    fates: list[SampleFate],
    lengths_of: dict[str, dict[int, int]],
    classes: list[str],
    outputs: SummaryOutputs,
) -> tuple:
    """Read fate (with the adapter warnings), RNA class composition (also for MultiQC), the
    read-based miRNA alignment rates for MultiQC and insert lengths; returns the read fate,
    class and length tables for the figures."""
    from esccrt.smallrna.qc import (
        alignment_rates,
        insert_length_table,
        read_fate_table,
        rna_class_table,
        write_multiqc_alignment_rates,
        write_multiqc_rna_classes,
    )

    fate_table, warnings = read_fate_table(fates, settings.min_adapter_fraction, classes)
    for warning in warnings:
        log.warning(warning)
    write_tsv_atomic(fate_table, outputs.read_fate)
    class_table = rna_class_table(fate_table, classes)
    write_tsv_atomic(class_table, outputs.rna_classes)
    write_multiqc_rna_classes(class_table, outputs.rna_classes_mqc)
    write_multiqc_alignment_rates(alignment_rates(class_table), outputs.alignment_rates_mqc)
    lengths = insert_length_table(lengths_of)
    write_tsv_atomic(lengths, outputs.insert_lengths)
    return fate_table, class_table, lengths
