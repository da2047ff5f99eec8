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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt.io import write_tsv_atomic
from esccrt.smallrna.qc import SampleFate
from esccrt.smallrna.settings import SummarySettings

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
    first, then the figures, each drawn so that a failing one cannot take a table down."""
    from functools import partial

    from esccrt.plot_guard import guarded_plot
    from esccrt.smallrna.qc import plot_insert_lengths, plot_read_fate, plot_rna_classes

    samples, classes = list(samples), list(rna_classes)
    per_sample = {}
    for sample, path in zip(samples, inputs.counts, strict=True):
        with open(path) as handle:
            per_sample[sample] = json.load(handle)
    _count_tables(per_sample, inputs, outputs)
    _merged_mirgff(settings, samples, inputs, outputs)
    fate_table, class_table, lengths = _qc_tables(settings, per_sample, classes, outputs)
    figures = {
        "read fate plot": (
            outputs.read_fate_plot,
            partial(plot_read_fate, fate_table, outputs.read_fate_plot, classes),
        ),
        "RNA class plot": (
            outputs.rna_classes_plot,
            partial(plot_rna_classes, class_table, outputs.rna_classes_plot),
        ),
        "insert length plot": (
            outputs.insert_plot,
            partial(plot_insert_lengths, lengths, outputs.insert_plot, settings.window),
        ),
    }
    for what, (path, draw) in figures.items():
        guarded_plot(what, path, draw)


def _count_tables(per_sample: dict, inputs: SummaryInputs, outputs: SummaryOutputs) -> None:
    """The mature and hairpin count matrices and the isomiR class table."""
    from esccrt.smallrna.count import count_matrix
    from esccrt.smallrna.isomirs import isomir_table
    from esccrt.smallrna.reference import read_fasta

    mature_names = [r.name for r in read_fasta(inputs.mature)]
    hairpin_names = [r.name for r in read_fasta(inputs.hairpin)]
    mature = count_matrix({s: d["mature"] for s, d in per_sample.items()}, mature_names)
    hairpin = count_matrix({s: d["hairpin"] for s, d in per_sample.items()}, hairpin_names)
    write_tsv_atomic(mature, outputs.counts)
    write_tsv_atomic(hairpin, outputs.hairpin_counts)
    write_tsv_atomic(
        isomir_table({s: d["isomirs"] for s, d in per_sample.items()}), outputs.isomirs
    )


def _merged_mirgff(
    settings: SummarySettings,
    samples: list[str],
    inputs: SummaryInputs,
    outputs: SummaryOutputs,
) -> None:
    """The samples' mirGFF3 merged and validated with mirtop, and mirtop's statistics of it."""
    from esccrt.smallrna.mirgff import (
        merge_mirgff,
        mirtop_stats,
        read_mirgff,
        write_checked_mirgff,
    )

    per_sample_gff = {
        sample: read_mirgff(path) for sample, path in zip(samples, inputs.mirgff, strict=True)
    }
    write_checked_mirgff(
        merge_mirgff(per_sample_gff), samples, outputs.mirgff, settings.mirgff3_source
    )
    write_tsv_atomic(mirtop_stats(outputs.mirgff), outputs.mirtop_stats)


def _qc_tables(
    settings: SummarySettings, per_sample: dict, classes: list[str], outputs: SummaryOutputs
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

    fates = [SampleFate(**d["fate"]) for d in per_sample.values()]
    fate_table, warnings = read_fate_table(fates, settings.min_adapter_fraction, classes)
    for warning in warnings:
        log.warning(warning)
    write_tsv_atomic(fate_table, outputs.read_fate)
    class_table = rna_class_table(fate_table, classes)
    write_tsv_atomic(class_table, outputs.rna_classes)
    write_multiqc_rna_classes(class_table, outputs.rna_classes_mqc)
    write_multiqc_alignment_rates(alignment_rates(class_table), outputs.alignment_rates_mqc)
    lengths = insert_length_table(
        {s: {int(k): v for k, v in d["lengths"].items()} for s, d in per_sample.items()}
    )
    write_tsv_atomic(lengths, outputs.insert_lengths)
    return fate_table, class_table, lengths
