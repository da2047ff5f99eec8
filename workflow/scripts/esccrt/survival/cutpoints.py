"""How the fold-change groups depend on their cut-off: for every fold-change factor and endpoint
the maximally selected log-rank statistic (:mod:`esccrt.survival.maxstat`) and the log-rank p of
every cut-off in the scanned range (the sensitivity curve). Table 1 keeps the configured cut-off;
this scan only shows how much it matters.

A factor of several miRNAs is high when any of them exceeds the cut-off, i.e. when their largest
fold change does: the scan runs over that largest fold change.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from esccrt.survival.logrank import logrank_splits
from esccrt.survival.maxstat import logrank_scores, maxstat_logrank, split_statistics
from esccrt.survival.settings import Endpoint, Factor

MAXSTAT_COLUMNS = (
    "endpoint",
    "factor",
    "label",
    "n",
    "events",
    "configured_cutoff",
    "configured_statistic",
    "configured_p",
    "max_statistic",
    "selected_cutoff",
    "adjusted_p",
    "cutoffs_scanned",
    "min_prop",
    "max_prop",
    "note",
)


def scan_variable(fold_changes: pd.DataFrame, factor: Factor) -> pd.Series:
    """The value a fold-change factor is cut at: the largest fold change of its targets (NaN
    when one of them is missing)."""
    values = fold_changes[list(factor.targets)]
    return values.max(axis=1).where(values.notna().all(axis=1))


def _sensitivity_rows(
    t: pd.Series, e: pd.Series, x: pd.Series, cutoffs: np.ndarray, statistics: np.ndarray
) -> list[dict]:
    """One row per cut-off: group sizes, log-rank chi-square and p, maxstat's statistic."""
    high = x.to_numpy()[:, None] > cutoffs[None, :]
    chisq, p = logrank_splits(t, e, high)
    return [
        {
            "cutoff": float(cut),
            "n_low": int((~high[:, i]).sum()),
            "n_high": int(high[:, i].sum()),
            "chisq": float(chisq[i]),
            "p": float(p[i]),
            "statistic": float(statistics[i]),
        }
        for i, cut in enumerate(cutoffs)
    ]


def cutoff_scan(
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
    min_prop: float,
    max_prop: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(maxstat, sensitivity) tables of every fold-change factor x endpoint.

    ``maxstat``: the maximally selected statistic, its cut-off and Lausen-Schumacher adjusted
    p, beside the configured cut-off's statistic and log-rank p. ``sensitivity``: log-rank p of
    every scanned cut-off plus the configured one (``configured`` is True on its row).
    """
    summary, curve = [], []
    for endpoint in endpoints:
        for factor in (f for f in factors if f.kind == "fold_change"):
            x = scan_variable(fold_changes.reindex(clinical.index), factor).dropna()
            t, e = clinical.loc[x.index, endpoint.time], clinical.loc[x.index, endpoint.event]
            key = {"endpoint": endpoint.name, "factor": factor.name, "label": factor.label}
            row = key | {"n": len(x), "events": int(e.sum()), "configured_cutoff": factor.cutoff}
            row |= {"min_prop": min_prop, "max_prop": max_prop}
            if len(x) < 2 or row["events"] == 0:
                row["note"] = "no events" if len(x) >= 2 else "fewer than two patients"
                summary.append(row)
                continue
            found = maxstat_logrank(t, e, x, min_prop, max_prop)
            cuts = np.union1d(found.cutoffs, [factor.cutoff])
            rows = _sensitivity_rows(t, e, x, cuts, split_statistics(logrank_scores(t, e), x, cuts))
            for point in rows:
                point["configured"] = bool(math.isclose(point["cutoff"], factor.cutoff))
                point["scanned"] = bool(np.isin(point["cutoff"], found.cutoffs))
                curve.append(key | point)
            configured = next(point for point in rows if point["configured"])
            row |= {
                "configured_statistic": configured["statistic"],
                "configured_p": configured["p"],
                "max_statistic": found.statistic,
                "selected_cutoff": found.cutoff,
                "adjusted_p": found.p_adjusted,
                "cutoffs_scanned": len(found.cutoffs),
                "note": "" if len(found.cutoffs) else "no cut-off between the quantiles",
            }
            summary.append(row)
    columns = ["endpoint", "factor", "label", "cutoff", "n_low", "n_high", "chisq", "p"]
    columns += ["statistic", "configured", "scanned"]
    return (
        pd.DataFrame(summary, columns=list(MAXSTAT_COLUMNS)),
        pd.DataFrame(curve, columns=columns),
    )
