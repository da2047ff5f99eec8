"""Patient groups: clinical columns and qPCR fold changes -> one ordered categorical per factor.

Numeric factors split at a cut-off, categorical factors by level mapping, fold changes per
miRNA (<= / > cut-off) and pairs (all <= / any > cut-off).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.survival.settings import Factor


def fold_change_matrix(fold_changes: pd.DataFrame) -> pd.DataFrame:
    """Patients x targets of fold changes from the long results/qpcr/fold_changes.tsv."""
    return fold_changes.pivot(index="patient", columns="target", values="fold_change")


# --------------------------------------------------------------------------- groups


def derive_groups(
    clinical: pd.DataFrame, fold_changes: pd.DataFrame, factors: Sequence[Factor]
) -> pd.DataFrame:
    """One ordered categorical column per factor, indexed by patient.

    ``fold_changes`` is patients x targets (:func:`fold_change_matrix`). A patient without a
    value (an empty clinical cell, a fold change not computable) is left out of that factor
    only (NaN).
    Raises :class:`InputError` when a configured level has no patient or a target is missing.
    """
    groups = pd.DataFrame(index=clinical.index)
    for factor in factors:
        low, high = ("", "") if factor.kind == "categorical" else factor.low_high_labels()
        if factor.kind == "numeric":
            # an empty cell (read_clinical let it through as missing) has no group
            values = pd.to_numeric(clinical[factor.column], errors="coerce")
            is_high = values >= factor.cutoff if factor.high == ">=" else values > factor.cutoff
            labels = pd.Series(np.where(is_high, high, low), index=clinical.index)
            labels[values.isna()] = np.nan
        elif factor.kind == "categorical":
            mapping = {v: label for label, values in factor.levels.items() for v in values}
            labels = clinical[factor.column].map(mapping)
        else:
            absent = [t for t in factor.targets if t not in fold_changes.columns]
            if absent:
                raise InputError(
                    f"config key survival.factors ({factor.name}): no fold change (qPCR or seq:) "
                    f"for {absent}; the fold changes hold {list(fold_changes.columns)}."
                )
            fc = fold_changes.reindex(clinical.index)[list(factor.targets)]
            any_high = (fc > factor.cutoff).any(axis=1)
            labels = pd.Series(np.where(any_high, high, low), index=clinical.index)
            labels[fc.isna().any(axis=1) & ~any_high] = np.nan
        order = factor.level_labels()
        groups[factor.name] = pd.Categorical(labels, categories=order, ordered=True)
        empty = [level for level in order if not (groups[factor.name] == level).any()]
        if empty:
            raise InputError(
                f"config key survival.factors ({factor.name}): level(s) {empty} have no patient"
                f" ({len(clinical)} patients). Merge the level with another or remove it."
            )
    return groups
