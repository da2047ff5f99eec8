"""Benjamini-Hochberg q-values (false discovery rate) of a family of p-values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def bh_qvalues(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values, as R's ``p.adjust(p, method = "BH")``.

    Missing p-values (NaN) stay missing and do not count in the family size.
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    if not len(tested):
        return q
    order = tested[np.argsort(-p[tested], kind="stable")]  # largest p first
    n = len(tested)
    ranks = np.arange(n, 0, -1)
    q[order] = np.minimum(1.0, np.minimum.accumulate(n / ranks * p[order]))
    return q
