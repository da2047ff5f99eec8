"""NormFinder reference-gene stability (Andersen et al. 2004, Cancer Res 64:5245).

The input is a samples x candidates table of **log2** relative quantities and the group of each
sample (here the timepoints). NormFinder's model-based stability value rho combines, for every
candidate, the estimated variation between the groups (shrunk towards zero by the common
between-group variance) and the variation within them; the smaller rho, the more stable.
:func:`normfinder` follows the R package NormqPCR's ``stabMeasureRho`` line by line (the
published numbers of the Andersen 2004 colon and bladder sets come from it), and
:func:`normfinder_stepwise` its ``selectHKs(method = "NormFinder")``: the best candidate, then
the candidate whose average with those already chosen has the smallest rho, and so on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class NormFinderResult:
    """rho per candidate, and the terms it is made of (candidates x groups)."""

    rho: pd.Series
    #: Shrunk between-group difference d of each candidate in each group.
    difference: pd.DataFrame
    #: Variance of each candidate's group mean (within-group variance / group size, shrunk).
    variance: pd.DataFrame


def _within_group_variance(values: np.ndarray) -> np.ndarray:
    """Per candidate, the variance within one group, corrected for the sample effect.

    ``values`` is samples x candidates of one group; the residual of x_ij after removing the
    candidate and sample means, with Andersen's correction (a - b / (k (k - 1))) / (1 - 2 / k).
    """
    k = values.shape[1]
    residual = values - values.mean(axis=0)[None, :] - values.mean(axis=1)[:, None] + values.mean()
    a = (residual**2).sum(axis=0) / (values.shape[0] - 1)
    return (a - a.sum() / (k * (k - 1))) / (1 - 2 / k)


def normfinder(log2_quantities: pd.DataFrame, groups: Sequence[object]) -> NormFinderResult:
    """NormFinder stability rho of every candidate (column); ``groups`` labels the rows.

    Needs at least 3 candidates, 2 groups and 2 samples per group, and no missing values.
    """
    values = log2_quantities.to_numpy(dtype=float)
    labels = pd.Series(list(groups), index=log2_quantities.index)
    levels = sorted(labels.unique(), key=str)
    n_samples, k = values.shape
    if k < 3 or len(levels) < 2 or len(labels) != n_samples:
        raise ValueError(
            f"NormFinder needs at least 3 candidates and 2 groups (one label per sample); got "
            f"{k} candidate(s), {len(levels)} group(s) and {len(labels)} label(s) for "
            f"{n_samples} sample(s)."
        )
    if not np.isfinite(values).all():
        raise ValueError("NormFinder needs a value for every candidate in every sample (no NaN).")
    members = [np.flatnonzero(labels.to_numpy() == level) for level in levels]
    sizes = np.array([len(m) for m in members], dtype=float)
    if (sizes < 2).any():
        raise ValueError(f"NormFinder needs 2 samples or more in every group; sizes {sizes}.")
    group_means = np.array([values[m].mean(axis=0) for m in members])  # groups x candidates
    within = np.array([_within_group_variance(values[m]) for m in members])
    within = np.maximum(within, 0.0)  # as NormqPCR: all values clipped once any is negative
    difference = (
        group_means
        - group_means.mean(axis=1)[:, None]
        - group_means.mean(axis=0)[None, :]
        + group_means.mean()
    ).T  # candidates x groups
    mean_variance = within / sizes[:, None]  # groups x candidates
    m = len(levels)
    tau = max(float((difference**2).sum()) / ((m - 1) * (k - 1)) - mean_variance.mean(), 0.0)
    # tau / (tau + v) and tau v / (tau + v) are 0 where tau = v = 0 (R would give NaN there)
    denominator = tau + mean_variance
    weight = np.divide(tau, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    shrunk = difference * weight.T
    variance = (mean_variance + weight * mean_variance).T
    rho = (np.abs(shrunk) + np.sqrt(variance)).mean(axis=1)
    columns = pd.Index([str(level) for level in levels], name="group")
    return NormFinderResult(
        rho=pd.Series(rho, index=log2_quantities.columns, name="rho"),
        difference=pd.DataFrame(shrunk, index=log2_quantities.columns, columns=columns),
        variance=pd.DataFrame(variance, index=log2_quantities.columns, columns=columns),
    )


def normfinder_stepwise(result: NormFinderResult, n: int) -> pd.DataFrame:
    """Choose ``n`` candidates one at a time; each step adds the one that makes rho smallest.

    rho of a set of i candidates out of k: mean over groups of
    |mean d| * sqrt(k / (k - i)) + sqrt(mean v / i) (NormqPCR's ``selectHKs``). Returns one row
    per step: step, candidate, rho (of the set chosen so far).
    """
    k = len(result.rho)
    if not 1 <= n < k:
        raise ValueError(f"n must be between 1 and {k - 1} (the number of candidates - 1).")
    d = result.difference.to_numpy()
    v = result.variance.to_numpy()
    names = [str(c) for c in result.rho.index]
    chosen = [int(np.argmin(result.rho.to_numpy()))]
    rows = [(1, names[chosen[0]], float(result.rho.iloc[chosen[0]]))]
    for i in range(2, n + 1):
        best, best_rho = -1, np.inf
        for j in range(k):
            if j in chosen:
                continue
            subset = [*chosen, j]
            rho = float(
                (
                    np.abs(d[subset].mean(axis=0)) * np.sqrt(k / (k - i))
                    + np.sqrt(v[subset].mean(axis=0) / i)
                ).mean()
            )
            if rho < best_rho:
                best, best_rho = j, rho
        chosen.append(best)
        rows.append((i, names[best], best_rho))
    return pd.DataFrame(rows, columns=["step", "candidate", "rho"])
