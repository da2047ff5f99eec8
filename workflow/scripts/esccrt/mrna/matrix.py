"""The gene count matrix and per-sample count summary, summed over each sample's units."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence

import pandas as pd

from esccrt.mrna.htseq_table import SPECIAL_COUNTERS, read_htseq_table


def merge_unit_counts(
    tables: Mapping[tuple[str, str], str | os.PathLike[str]], samples: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sum per-unit htseq tables into the count matrix and the per-sample count summary.

    ``tables`` maps (sample, unit) to a table path. Returns (counts: feature, name, one integer
    column per sample in ``samples`` order; summary: sample, assigned, the five special
    counters, total).
    """
    matrix: pd.DataFrame | None = None
    summary_rows = {sample: Counter() for sample in samples}
    per_sample: dict[str, pd.Series] = {}
    for (sample, unit), path in tables.items():
        genes, special = read_htseq_table(path)
        if matrix is None:
            matrix = genes[["feature", "name"]].copy()
        elif not genes["feature"].equals(matrix["feature"]):
            raise ValueError(f"feature list of {path} ({sample}/{unit}) differs from the others")
        counts = genes["count"]
        per_sample[sample] = per_sample[sample] + counts if sample in per_sample else counts
        summary_rows[sample]["assigned"] += int(counts.sum())
        for key in SPECIAL_COUNTERS:
            summary_rows[sample][key] += special.get(key, 0)
    if matrix is None:
        raise ValueError("no count tables to merge")
    for sample in samples:
        matrix[sample] = per_sample[sample].astype("int64").to_numpy()
    summary = pd.DataFrame(
        [
            {"sample": s, "assigned": summary_rows[s]["assigned"]}
            | {k: summary_rows[s][k] for k in SPECIAL_COUNTERS}
            for s in samples
        ]
    )
    summary["total"] = summary[["assigned", *SPECIAL_COUNTERS]].sum(axis=1)
    return matrix, summary
