"""The tables a differential-expression run writes: one per contrast, and feature matrices.

:func:`results_table` puts a contrast's results in the published column order
(:data:`RESULT_COLUMNS`), most significant first; :func:`feature_table` writes a features x
samples matrix (normalised counts, VST) in the count-matrix contract (``feature``, optional
``name``, one column per sample).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of a differential-expression table, in order (``name`` only when the matrix has it).
RESULT_COLUMNS = (
    "feature",
    "name",
    "baseMean",
    "log2FoldChange",
    "lfcSE",
    "stat",
    "pvalue",
    "padj",
    "log2FoldChange_shrunk",
    "significant",
)


def _name_column(names: pd.Series, features: pd.Index) -> np.ndarray:
    """The ``name`` of each of ``features`` (empty where the matrix gave none)."""
    return names.reindex(features).fillna("").to_numpy()


def results_table(results: pd.DataFrame, names: pd.Series | None) -> pd.DataFrame:
    """Results in the published column order, most significant first (``feature`` as column)."""
    table = results.copy()
    table.insert(0, "feature", table.index.astype(str))
    if names is not None:
        table.insert(1, "name", _name_column(names, table.index))
    columns = [c for c in RESULT_COLUMNS if c in table.columns]
    table = table[columns].sort_values(["padj", "pvalue"], na_position="last", kind="stable")
    return table.reset_index(drop=True)


def feature_table(matrix: pd.DataFrame, names: pd.Series | None) -> pd.DataFrame:
    """``matrix`` (features x samples) with ``feature`` (and ``name`` when given) as columns."""
    table = matrix.rename_axis("feature").reset_index()
    if names is not None:
        table.insert(1, "name", _name_column(names, matrix.index))
    return table
