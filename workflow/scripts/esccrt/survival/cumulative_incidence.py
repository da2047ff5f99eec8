"""The Aalen-Johansen cumulative incidence of one cause among competing causes.

F(t) = sum over s <= t of S(s-) d(s) / n(s), S the Kaplan-Meier estimate of being free of every
cause (Aalen & Johansen 1978), with the variance ``cmprsk::cuminc`` reports (Aalen's
delta-method estimator) and a log(-log) 95 % CI. Equal to ``cmprsk::cuminc`` and to
``survfit``'s multi-state estimate (tests/parity/test_survival_competing_r.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from esccrt.survival.clinical import CENSORED, EVENT


@dataclass(frozen=True)
class CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of one cause: a step function over ``time``."""

    #: Distinct times at which the cause occurs, increasing.
    time: np.ndarray
    #: The cumulative incidence just after each time.
    estimate: np.ndarray
    #: Its variance as ``cmprsk::cuminc`` computes it.
    variance: np.ndarray

    def at(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimate and standard error at ``times`` (0 before the first event: a step function
        continuous from the right)."""
        # index 0: before the first event (also the whole curve of a cause that never occurs)
        index = np.searchsorted(self.time, np.asarray(times, dtype=float), side="right")
        estimate = np.concatenate(([0.0], self.estimate))[index]
        variance = np.concatenate(([0.0], self.variance))[index]
        return estimate, np.sqrt(variance)


def aalen_johansen(time: np.ndarray, status: np.ndarray, cause: int = EVENT) -> CumulativeIncidence:
    """Cumulative incidence of ``cause`` (status 0 censored, any other code an event of its
    cause): F(t) = sum over s <= t of S(s-) d_cause(s) / n(s), S the Kaplan-Meier estimate of
    being free of every cause; its variance by the delta-method formula of cmprsk::cuminc
    (Aalen 1978), accumulated over every event time and reported where ``cause`` occurs."""
    time, status = np.asarray(time, dtype=float), np.asarray(status, dtype=int)
    times, inverse = np.unique(time, return_inverse=True)
    at_risk = len(time) - np.concatenate(([0], np.cumsum(np.bincount(inverse))[:-1]))
    cause_events = np.bincount(inverse, weights=status == cause, minlength=len(times))
    other = (status != cause) & (status != CENSORED)
    other_events = np.bincount(inverse, weights=other, minlength=len(times))
    free_before = np.cumprod(np.concatenate(([1.0], 1 - (cause_events + other_events) / at_risk)))
    estimate = np.cumsum(free_before[:-1] * cause_events / at_risk)
    variance = _cuminc_variance(at_risk, cause_events, other_events, free_before, estimate)
    jumps = cause_events > 0
    return CumulativeIncidence(times[jumps], estimate[jumps], variance[jumps])


def _cuminc_variance(
    at_risk: np.ndarray,
    cause_events: np.ndarray,
    other_events: np.ndarray,
    free_before: np.ndarray,
    estimate: np.ndarray,
) -> np.ndarray:
    """The variance of the cumulative incidence at each distinct time (cmprsk::cuminc's
    estimator: three running sums v1, v2, v3 over the event times; var = v1 + F^2 v3 -
    2 F v2, with F the estimate at the time)."""
    v1 = v2 = v3 = 0.0
    variance = np.zeros(len(at_risk))
    for j, (n, d1, d2) in enumerate(zip(at_risk, cause_events, other_events, strict=True)):
        fk, fkn, f = free_before[j], free_before[j + 1], estimate[j]
        if d2 > 0 and fkn > 0:
            step = fk * fk * _tie_factor(d2, n) * d2 / (n * n)
            a, b = 1 / fkn, f / fkn
            v1, v2, v3 = v1 + b * b * step, v2 + a * b * step, v3 + a * a * step
        if d1 > 0:
            step = fk * fk * _tie_factor(d1, n) * d1 / (n * n)
            a = 1 / fkn if fkn > 0 else 0.0
            b = 1 + a * f
            v1, v2, v3 = v1 + b * b * step, v2 + a * b * step, v3 + a * a * step
        variance[j] = v1 + f * f * v3 - 2 * f * v2
    return variance


def _tie_factor(deaths: float, at_risk: float) -> float:
    """1 - (d - 1) / (n - 1): the hypergeometric correction for d tied events among n."""
    return 1 - (deaths - 1) / (at_risk - 1) if deaths > 1 else 1.0


def log_log_interval(
    estimate: np.ndarray, se: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """CI of a cumulative incidence on the log(-log) scale (stays within 0 and 1): F^exp(
    +/- z se / (F log F)); undefined (NaN) where F is 0 or 1."""
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * se / (estimate * np.log(estimate))
        defined = (estimate > 0) & (estimate < 1)
        low = np.where(defined, estimate ** np.exp(-spread), np.nan)
        high = np.where(defined, estimate ** np.exp(spread), np.nan)
    return low, high
