"""Maximally selected log-rank statistic over a range of cut-offs (Lausen and Schumacher 1992).

Choosing a cut-off because it separates survival best inflates the log-rank test; the maximally
selected statistic with the Lausen-Schumacher (1992) adjusted p-value is the usual guard. The
scores, standardisation, cut-off range and p-value are those of ``maxstat::maxstat.test(...,
smethod = "LogRank", pmethod = "Lau92")``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm, rankdata


@dataclass(frozen=True)
class MaxstatResult:
    """The maximal standardised statistic, its cut-off, the adjusted p and the scanned cuts."""

    statistic: float
    cutoff: float
    p_adjusted: float
    cutoffs: np.ndarray
    statistics: np.ndarray


def logrank_scores(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Log-rank scores of censored times (``exactRankTests::cscores(type = "LogRank")``):
    event minus the cumulated share of events at risk up to each time (ties take the last rank).
    """
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    n = len(time)
    order = np.argsort(time, kind="stable")
    last_rank = rankdata(time, method="max").astype(int)
    hazard = np.cumsum((event / (n - last_rank + 1))[order])
    return event - hazard[last_rank - 1]


def lausen_schumacher_p(statistic: float, min_prop: float, max_prop: float) -> float:
    """Lausen-Schumacher (1992) approximation of P(max |standardised statistic| >= ``statistic``)
    over cut-offs between the ``min_prop`` and ``max_prop`` quantiles (1 for a statistic < 1)."""
    if statistic < 1:
        return 1.0
    density = norm.pdf(statistic)
    ratio = math.log(max_prop * (1 - min_prop) / ((1 - max_prop) * min_prop))
    p = 4 * density / statistic + density * (statistic - 1 / statistic) * ratio
    return max(p, 0.0)


def candidate_splits(x: np.ndarray, min_prop: float, max_prop: float) -> np.ndarray:
    """Sizes m of the low group (x <= cut) that the scan tests: one per distinct value, with
    ``max(1, floor(n min_prop)) <= m <= floor(n max_prop)`` (maxstat's rule)."""
    ordered = np.sort(np.asarray(x, dtype=float))
    n = len(ordered)
    m = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])  # first index of each value
    return m[(m >= max(1, math.floor(n * min_prop))) & (m <= math.floor(n * max_prop))]


def split_statistics(scores: np.ndarray, x: np.ndarray, cutoffs: np.ndarray) -> np.ndarray:
    """Standardised statistic |S - E| / sqrt(V) of the split ``x <= cut`` vs ``x > cut`` for each
    cut: S is the low group's sum of ``scores``, E and V its permutation mean and variance (NaN
    where a group is empty)."""
    scores, x = np.asarray(scores, dtype=float), np.asarray(x, dtype=float)
    low = x[:, None] <= np.asarray(cutoffs, dtype=float)[None, :]
    n, m = len(x), low.sum(axis=0)
    total = scores.sum()
    expected = m / n * total
    variance = m * (n - m) / (n**2 * (n - 1)) * (n * np.sum(scores**2) - total**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs((scores @ low - expected) / np.sqrt(variance))


def maxstat_logrank(
    time: np.ndarray, event: np.ndarray, x: np.ndarray, min_prop: float, max_prop: float
) -> MaxstatResult:
    """Maximally selected log-rank statistic of groups ``x <= cut`` vs ``x > cut``.

    Each cut is a value of ``x`` (:func:`candidate_splits`); the statistic is the low group's
    sum of log-rank scores, standardised by its permutation mean and variance
    (:func:`split_statistics`). NaN when no cut lies in the range.
    """
    x = np.asarray(x, dtype=float)
    m = candidate_splits(x, min_prop, max_prop)
    if not len(m) or len(x) < 2:
        return MaxstatResult(math.nan, math.nan, math.nan, np.array([]), np.array([]))
    cutoffs = np.sort(x)[m - 1]
    statistics = split_statistics(logrank_scores(time, event), x, cutoffs)
    if not np.isfinite(statistics).any():
        return MaxstatResult(math.nan, math.nan, math.nan, cutoffs, statistics)
    best = int(np.nanargmax(statistics))  # the first of equal maxima, as maxstat
    statistic = float(statistics[best])
    return MaxstatResult(
        statistic,
        float(cutoffs[best]),
        lausen_schumacher_p(statistic, min_prop, max_prop),
        cutoffs,
        statistics,
    )
