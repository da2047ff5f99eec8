"""Decision curves for a time-to-event outcome: net benefit of treating the patients whose
predicted risk by the landmark is at least the threshold probability, against treating all
and treating none (Vickers et al. 2008, BMC Med Inform Decis Mak 8:53).

Net benefit at threshold p_t = P(treated) * F_treated(t) - p_t/(1 - p_t) * P(treated) *
(1 - F_treated(t)), with F_treated(t) = 1 - S(t) the Kaplan-Meier probability of the event by
the landmark t among the treated (right-continuous), as ``dcurves.dca(time=...)`` computes it;
no one treated gives 0. When the treated patients' follow-up ends before the landmark, F is
not estimable (NaN) unless their Kaplan-Meier curve has reached 0 (every one of them had the
event: F = 1); dcurves gives no value in both cases.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from esccrt.survival.time_accuracy import kaplan_meier_risk

#: The strategies of a decision curve: the model's risks, treat all, treat none.
STRATEGIES = ("model", "treat_all", "treat_none")
#: Columns of results/survival/decision_curves.tsv.
DECISION_COLUMNS = [
    "endpoint",
    "landmark",
    "model",
    "strategy",
    "threshold",
    "n",
    "treated",
    "net_benefit",
    "note",
]


def thresholds(maximum: float, step: float) -> np.ndarray:
    """Threshold probabilities 0, step, 2 step, ... up to ``maximum`` (rounded to 1e-10, so
    that 0.07 is 0.07 and compares with risks as the configured number)."""
    count = math.floor(maximum / step + 1e-9)
    return np.round(np.arange(count + 1) * step, 10)


def _event_risk_among(time: np.ndarray, event: np.ndarray, landmark: float) -> float:
    """Kaplan-Meier event probability by the landmark; NaN if follow-up ends before it while
    the curve is above 0 (the last patient censored)."""
    if len(time) == 0:
        return 0.0
    risk = kaplan_meier_risk(time, event, landmark)
    if time.max() < landmark and risk < 1:
        return math.nan
    return risk


def net_benefit(
    time: np.ndarray, event: np.ndarray, treated: np.ndarray, landmark: float, threshold: float
) -> tuple[float, float]:
    """(share treated, net benefit) of treating the patients marked ``treated``."""
    share = float(np.mean(treated))
    risk = _event_risk_among(time[treated], event[treated], landmark)
    true_positive, false_positive = risk * share, (1 - risk) * share
    return share, true_positive - threshold / (1 - threshold) * false_positive


def decision_curve(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float, grid: np.ndarray
) -> pd.DataFrame:
    """Net benefit of the model, treat all and treat none at every threshold of ``grid``:
    columns strategy, threshold, treated (share), net_benefit."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    risk = np.asarray(risk, dtype=float)
    everyone, no_one = np.ones(len(time), dtype=bool), np.zeros(len(time), dtype=bool)
    rows = []
    for threshold in grid:
        treated = {"model": risk >= threshold, "treat_all": everyone, "treat_none": no_one}
        for strategy in STRATEGIES:
            share, benefit = net_benefit(time, event, treated[strategy], landmark, threshold)
            rows.append(
                {
                    "strategy": strategy,
                    "threshold": float(threshold),
                    "treated": share,
                    "net_benefit": benefit,
                }
            )
    return pd.DataFrame(rows)


def decision_table(risks: pd.DataFrame, grid: np.ndarray) -> pd.DataFrame:
    """decision_curves.tsv from the predicted risks (prognostic.RISK_COLUMNS): the decision
    curve of every endpoint x landmark; NaN net benefit says the follow-up ends too early."""
    frames = []
    for (endpoint, model, landmark), group in risks.groupby(
        ["endpoint", "model", "landmark"], sort=False
    ):
        curve = decision_curve(group["time"], group["event"], group["risk"], landmark, grid)
        curve.insert(0, "endpoint", endpoint)
        curve.insert(1, "landmark", landmark)
        curve.insert(2, "model", model)
        curve["n"] = len(group)
        curve["note"] = np.where(
            curve["net_benefit"].isna(),
            "not estimable: the treated patients' follow-up ends (censored) before the landmark",
            "",
        )
        frames.append(curve)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return table.reindex(columns=DECISION_COLUMNS)
