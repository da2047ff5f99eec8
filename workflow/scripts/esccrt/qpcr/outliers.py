"""Grubbs' test for one outlier among technical replicates (Grubbs 1950, 1969).

G = max |x_i - mean| / s (s the sample SD, ddof=1) is compared with the two-sided critical value

    G_crit = (n - 1) / sqrt(n) * sqrt(t^2 / (n - 2 + t^2)),  t = t_{1 - alpha / (2n), n - 2}

(NIST/SEMATECH e-Handbook of Statistical Methods, section 1.3.5.17). The p-value is the one of
R's ``outliers::grubbs.test(x, type = 10, two.sided = TRUE)``: twice n times the upper tail of
t_{n-2} at t = sqrt(n (n - 2) G^2 / ((n - 1)^2 - n G^2)), capped at 1. The test needs n >= 3;
with n = 3, G can reach at most (n - 1) / sqrt(n) = 1.1547, just above G_crit(0.05) = 1.1543, so
a triplicate is almost never rejected: Grubbs is a test for larger replicate sets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class GrubbsResult:
    """The suspect value (farthest from the mean), G, its critical value and p-value."""

    index: int
    value: float
    statistic: float
    critical: float
    p_value: float
    alpha: float

    @property
    def is_outlier(self) -> bool:
        """True when G exceeds the critical value at ``alpha``."""
        return self.statistic > self.critical


def grubbs_critical(n: int, alpha: float) -> float:
    """Two-sided critical value of G for ``n`` values at level ``alpha``."""
    t = stats.t.ppf(1.0 - alpha / (2.0 * n), n - 2)
    return (n - 1) / math.sqrt(n) * math.sqrt(t * t / (n - 2 + t * t))


def grubbs_p_value(statistic: float, n: int) -> float:
    """Two-sided p-value of G for ``n`` values (as R outliers::grubbs.test, type 10)."""
    denominator = (n - 1) ** 2 - n * statistic**2
    if denominator <= 0:  # G at its maximum (n - 1) / sqrt(n): t is infinite
        return 0.0
    t = math.sqrt(n * (n - 2) * statistic**2 / denominator)
    return min(1.0, 2.0 * n * float(stats.t.sf(t, n - 2)))


def grubbs_test(values: np.ndarray, alpha: float) -> GrubbsResult | None:
    """Grubbs' test of the value farthest from the mean; None below 3 values or with SD 0."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n < 3:
        return None
    sd = float(np.std(values, ddof=1))
    if sd == 0:
        return None
    deviations = np.abs(values - values.mean())
    index = int(np.argmax(deviations))
    statistic = float(deviations[index] / sd)
    return GrubbsResult(
        index,
        float(values[index]),
        statistic,
        grubbs_critical(n, alpha),
        grubbs_p_value(statistic, n),
        alpha,
    )
