"""The gene count matrix and per-sample count summary, summed over each sample's units."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from esccrt.mrna.htseq_table import SPECIAL_COUNTERS, read_count_column, read_htseq_table


def merge_unit_counts(
    tables: Mapping[tuple[str, str], str | os.PathLike[str]], samples: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum per-unit htseq tables into the count matrix and the per-sample count summary.

    ``tables`` maps (sample, unit) to a table path. Returns (counts: feature, name, one integer
    column per sample in ``samples`` order; summary: sample, assigned, the five special
    counters, total). The counts are added into one genes x samples array as the tables are
    read: one table in memory besides it (1,000 samples of 60,000 genes: 480 MB), and the frame
    is built once, not a column at a time.
    """
    column = {sample: j for j, sample in enumerate(samples)}
    without = sorted(set(samples) - {sample for sample, _ in tables})
    if without:
        raise ValueError(f"no count table for sample(s) {without}")
    if not tables:
        raise ValueError("no count tables to merge")
    # The features and names as the table reader reads them (the other tables are checked to
    # list the same lines); the fast reader's counts of that table must equal the reader's.
    first, _ = read_htseq_table(next(iter(tables.values())))
    genes: list[bytes] | None = None
    matrix = np.zeros((len(first), len(samples)), dtype=np.int64)
    summary_rows = {sample: Counter() for sample in samples}
    for (sample, unit), path in tables.items():
        table = read_count_column(path)
        if genes is None:
            genes = table.genes
            if not np.array_equal(table.counts, first["count"].to_numpy()):
                raise ValueError(
                    f"{path}: the count column was not read as the table reader reads it"
                )
        if table.genes != genes or len(table.counts) != len(first):
            raise ValueError(f"feature list of {path} ({sample}/{unit}) differs from the others")
        matrix[:, column[sample]] += table.counts
        summary_rows[sample]["assigned"] += int(table.counts.sum())
        for key in SPECIAL_COUNTERS:
            summary_rows[sample][key] += table.special.get(key, 0)
    counts_frame = pd.DataFrame(matrix, columns=list(samples), copy=False)
    counts_frame.insert(0, "name", first["name"].to_numpy())
    counts_frame.insert(0, "feature", first["feature"].to_numpy())
    summary = pd.DataFrame(
        [
            {"sample": s, "assigned": summary_rows[s]["assigned"]}
            | {k: summary_rows[s][k] for k in SPECIAL_COUNTERS}
            for s in samples
        ]
    )
    summary["total"] = summary[["assigned", *SPECIAL_COUNTERS]].sum(axis=1)
    return counts_frame, summary


def write_count_matrix(
    tables: Mapping[tuple[str, str], str | os.PathLike[str]],
    samples: Sequence[str],
    counts_path: str | os.PathLike[str],
    summary_path: str | os.PathLike[str],
) -> None:
    """Rule mrna_count_matrix's entry point: :func:`merge_unit_counts`, both tables written."""
    from esccrt.io import write_tsv_atomic

    counts, summary = merge_unit_counts(tables, samples)
    write_tsv_atomic(counts, counts_path)
    write_tsv_atomic(summary, summary_path)
