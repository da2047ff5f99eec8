"""Kaplan-Meier estimates, median survival and log-rank tests per endpoint x factor.

A comparison that cannot be tested (no event, one group) gives p = NA with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test
from lifelines.utils import median_survival_times
from scipy.stats import chi2

from esccrt.survival.settings import Endpoint, Factor

LOGRANK_COLUMNS = ("endpoint", "factor", "label", "test", "n", "events", "chisq", "df", "p", "note")


@dataclass(frozen=True)
class LogrankResult:
    """A log-rank test, or why it could not be done (p = NaN and ``note``)."""

    test: str
    n: int
    events: int
    chisq: float
    df: int
    p: float
    note: str = ""


def logrank(durations: Sequence[float], events: Sequence[int], groups: Sequence) -> LogrankResult:
    """Log-rank test of survival between groups (NaN groups left out).

    Two groups: lifelines ``logrank_test``; more: ``multivariate_logrank_test`` (k-1 df). No
    event at all, or fewer than two non-empty groups, gives p = NaN with the reason.
    """
    frame = pd.DataFrame({"t": durations, "e": events, "g": groups}).dropna(subset=["g"])
    frame["g"] = frame["g"].astype(str)
    present = sorted(frame["g"].unique())
    n, n_events = len(frame), int(frame["e"].sum())
    if len(present) < 2:
        return LogrankResult("logrank", n, n_events, math.nan, 0, math.nan, "fewer than two groups")
    if n_events == 0:
        return LogrankResult(
            "logrank", n, n_events, math.nan, len(present) - 1, math.nan, "no events in any group"
        )
    if len(present) == 2:
        a, b = (frame[frame["g"] == g] for g in present)
        res = logrank_test(a["t"], b["t"], event_observed_A=a["e"], event_observed_B=b["e"])
        name = "logrank"
    else:
        res = multivariate_logrank_test(frame["t"], frame["g"], frame["e"])
        name = "multivariate_logrank"
    return LogrankResult(
        name,
        n,
        n_events,
        float(res.test_statistic),
        int(res.degrees_of_freedom),
        float(res.p_value),
    )


def logrank_splits(
    durations: Sequence[float], events: Sequence[int], high: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two-group log-rank chi-square (1 df) and p of many splits at once (vectorised).

    ``high`` is patients x splits (True = high group). The statistic is that of
    :func:`logrank` (R ``survdiff``); NaN for a split with an empty group or without events.
    """
    t, e = np.asarray(durations, dtype=float), np.asarray(events, dtype=float)
    high = np.asarray(high, dtype=float).reshape(len(t), -1)
    event_times = np.unique(t[e > 0])
    at_risk = (t[:, None] >= event_times[None, :]).astype(float)
    deaths = (t[:, None] == event_times[None, :]) * e[:, None]
    n_all, d_all = at_risk.sum(axis=0), deaths.sum(axis=0)
    n_high, d_high = high.T @ at_risk, high.T @ deaths
    expected = n_high * d_all / n_all
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(
            n_all > 1,
            n_high * (n_all - n_high) * d_all * (n_all - d_all) / (n_all**2 * (n_all - 1)),
            0.0,
        ).sum(axis=1)
        chisq = (d_high - expected).sum(axis=1) ** 2 / variance
    chisq = np.where(variance > 0, chisq, np.nan)
    return chisq, chi2.sf(chisq, 1)


def kaplan_meier(
    durations: Sequence[float], events: Sequence[int], groups: Sequence, order: Sequence[str] = ()
) -> dict[str, KaplanMeierFitter]:
    """One fitted Kaplan-Meier estimator per group (log-log, i.e. exponential Greenwood, CI)."""
    frame = pd.DataFrame({"t": durations, "e": events, "g": groups}).dropna(subset=["g"])
    frame["g"] = frame["g"].astype(str)
    levels = [str(x) for x in order] or sorted(frame["g"].unique())
    fitters = {}
    for level in levels:
        part = frame[frame["g"] == level]
        if len(part):
            fitters[level] = KaplanMeierFitter(label=level).fit(part["t"], part["e"])
    return fitters


def km_medians(fitters: Mapping[str, KaplanMeierFitter]) -> pd.DataFrame:
    """Median survival and its 95 % CI per group (NaN and a note when not reached)."""
    rows = []
    for level, kmf in fitters.items():
        ci = median_survival_times(kmf.confidence_interval_)
        median = float(kmf.median_survival_time_)
        low, high = float(ci.iloc[0, 0]), float(ci.iloc[0, 1])
        notes = []
        if not math.isfinite(median):
            notes.append("median not reached")
        if not math.isfinite(high):
            notes.append("upper CI not reached")
        rows.append(
            {
                "level": level,
                "n": int(kmf.event_observed.size),
                "events": int(kmf.event_observed.sum()),
                "median": median if math.isfinite(median) else math.nan,
                "ci_low": low if math.isfinite(low) else math.nan,
                "ci_high": high if math.isfinite(high) else math.nan,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def logrank_table(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Log-rank tests and KM medians for every endpoint x factor: (logrank, medians)."""
    tests, medians = [], []
    for endpoint in endpoints:
        t, e = clinical[endpoint.time], clinical[endpoint.event]
        for factor in factors:
            g = groups[factor.name]
            res = logrank(t, e, g)
            tests.append(
                {"endpoint": endpoint.name, "factor": factor.name, "label": factor.label}
                | {k: getattr(res, k) for k in LOGRANK_COLUMNS[3:]}
            )
            med = km_medians(kaplan_meier(t, e, g, factor.level_labels()))
            med.insert(0, "factor", factor.name)
            med.insert(0, "endpoint", endpoint.name)
            medians.append(med)
    return pd.DataFrame(tests, columns=list(LOGRANK_COLUMNS)), pd.concat(medians, ignore_index=True)
