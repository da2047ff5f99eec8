"""Time-dependent accuracy of predicted risks at a landmark time: cumulative/dynamic AUC, Brier
score and the index of prediction accuracy (IPA), each with its influence function.

The definitions are those of ``riskRegression::Score(..., cens.model = "km")`` (Blanche et al.
2013, Stat Med 32:5381; Gerds & Schumacher 2006, Biom J 48:1029; Kattan & Gerds 2018, Diagn
Progn Res 2:7): cases are the patients with the event by the landmark ``t``, weighted
1/G(T-), controls those still event-free after ``t``, weighted 1/G(t), with G the reverse
Kaplan-Meier estimate of the censoring distribution; patients censored before ``t`` weigh 0.

Standard errors are sd(IF)/sqrt(n) of the influence functions, which hold the term of the
estimated censoring weights as riskRegression computes it (the Nelson-Aalen form of the
Kaplan-Meier influence function: ``getInfluenceFunctionAUCKMCensoringTerm`` and
``getInfluenceFunctionBrierKMCensoringTerm``). The IPA, 1 - Brier/Brier(null model), has no
standard error in Score; its SE here is the delta method on the two Brier influence functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Metric:
    """An estimate and its influence function (one value per patient, mean-free up to a
    constant: only its spread is used)."""

    estimate: float
    influence: np.ndarray

    @property
    def se(self) -> float:
        """sd(IF)/sqrt(n), as Score reports (sd with n - 1)."""
        n = len(self.influence)
        if n < 2 or not np.all(np.isfinite(self.influence)):
            return math.nan
        return float(np.std(self.influence, ddof=1) / math.sqrt(n))


def undefined(n: int) -> Metric:
    """A metric that cannot be estimated (no cases or no controls at the landmark)."""
    return Metric(math.nan, np.full(n, math.nan))


class CensoringModel:
    """Reverse Kaplan-Meier estimate G of the censoring distribution of (time, event), and the
    martingale integrals of its influence function.

    At the distinct times u: ``at_risk`` Y(u) = #{T >= u}, ``censored`` dN_C(u) = #{T = u,
    event 0}; G(s) = prod_{u <= s} (1 - dN_C(u)/(Y(u) - dN(u))), dN(u) the events at u (as
    prodlim's reverse estimate); the influence function's integrals use Y(u) as riskRegression.
    """

    def __init__(self, time: np.ndarray, event: np.ndarray) -> None:
        self.time = np.asarray(time, dtype=float)
        self.event = np.asarray(event, dtype=int)
        self.n = len(self.time)
        self.times = np.unique(self.time)
        order = np.sort(self.time)
        self.at_risk = self.n - np.searchsorted(order, self.times, side="left")
        self.censored = np.array(
            [np.sum((self.time == u) & (self.event == 0)) for u in self.times], dtype=float
        )
        events = np.array([np.sum((self.time == u) & (self.event == 1)) for u in self.times])
        # prodlim's reverse Kaplan-Meier (Score's weights): at a time with both, the events
        # leave the risk set of the censoring before the censorings
        at_risk_censoring = self.at_risk - events
        hazard = np.divide(
            self.censored, at_risk_censoring, out=np.zeros(len(self.times)), where=self.censored > 0
        )
        self._survival = np.cumprod(1 - hazard)
        # sum_{u <= s} n dN_C(u) / Y(u)^2: the compensator part of the martingale integral
        self._compensator = np.cumsum(self.n * self.censored / self.at_risk**2)

    def _step(self, values: np.ndarray, at: np.ndarray, strict: bool) -> np.ndarray:
        """A step function over ``self.times`` at ``at`` (before it when ``strict``; 0 before
        the first time)."""
        index = np.searchsorted(self.times, at, side="left" if strict else "right") - 1
        return np.where(index >= 0, values[np.maximum(index, 0)], 0.0)

    def survival(self, at: np.ndarray, strict: bool = False) -> np.ndarray:
        """G(at), or G(at-) when ``strict``."""
        log_g = np.log(np.clip(self._survival, 1e-300, None))
        return np.exp(self._step(log_g, np.asarray(at, dtype=float), strict))

    def martingale_integrals(self, at: np.ndarray, strict: bool) -> np.ndarray:
        """Matrix (patient k, point s) of int_0^s dM_C,k(u) / y(u), y = Y/n, the integral up
        to s- when ``strict``: -IF_k(G(s))/G(s) in its Nelson-Aalen form."""
        at = np.asarray(at, dtype=float)
        t_k = self.time[:, None]
        before = (t_k < at[None, :]) if strict else (t_k <= at[None, :])
        own_index = np.searchsorted(self.times, self.time)  # each patient's distinct time
        own = np.where(self.event == 0, self.n / self.at_risk[own_index], 0.0)
        own_part = own - self._compensator[own_index]
        later_part = -self._step(self._compensator, at, strict)
        return np.where(before, own_part[:, None], later_part[None, :])


def _groups(
    time: np.ndarray, event: np.ndarray, landmark: float, censoring: CensoringModel
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cases (event by the landmark), controls (event-free after it) and the IPC weights."""
    case = (time <= landmark) & (event == 1)
    control = time > landmark
    weight = np.zeros(len(time))
    weight[case] = 1 / censoring.survival(time[case], strict=True)
    weight[control] = 1 / censoring.survival(np.array([landmark]))[0]
    return case, control, weight


def ipcw_auc(time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float) -> Metric:
    """Cumulative/dynamic AUC at ``landmark`` (risk of case > risk of control, ties 1/2).

    AUC = nu/mu with nu = sum_ij w_i w_j h(r_i, r_j)/n^2 over cases i and controls j, and
    mu = sum_i w_i sum_j w_j/n^2; the influence function is that of the ratio with fixed
    weights plus the term of the estimated censoring weights.
    """
    time, event, risk = (np.asarray(a, dtype=float) for a in (time, event, risk))
    n = len(time)
    censoring = CensoringModel(time, event)
    case, control, weight = _groups(time, event, landmark, censoring)
    if not case.any() or not control.any():
        return undefined(n)
    concordant = (risk[case][:, None] > risk[control][None, :]) + 0.5 * (
        risk[case][:, None] == risk[control][None, :]
    )
    pairs = weight[case][:, None] * weight[control][None, :] * concordant
    w_cases, w_controls = weight[case].sum(), weight[control].sum()
    nu, mu = pairs.sum() / n**2, w_cases * w_controls / n**2
    if_nu, if_mu = np.zeros(n), np.zeros(n)
    if_nu[case], if_nu[control] = pairs.sum(axis=1) / n, pairs.sum(axis=0) / n
    if_mu[case], if_mu[control] = weight[case] * w_controls / n, weight[control] * w_cases / n
    at_case = censoring.martingale_integrals(time[case], strict=True)
    at_landmark = censoring.martingale_integrals(np.array([landmark]), strict=False)[:, 0]
    if_nu += (at_case @ pairs.sum(axis=1) + at_landmark * pairs.sum()) / n**2
    if_mu += (w_controls * (at_case @ weight[case]) + w_cases * w_controls * at_landmark) / n**2
    return Metric(nu / mu, (if_nu * mu - if_mu * nu) / mu**2)


def ipcw_brier(time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float) -> Metric:
    """Brier score at ``landmark``: mean of (1 - r)^2/G(T-) over cases and r^2/G(t) over
    controls (patients censored before t add 0), with its influence function."""
    time, event, risk = (np.asarray(a, dtype=float) for a in (time, event, risk))
    n = len(time)
    censoring = CensoringModel(time, event)
    case, control, weight = _groups(time, event, landmark, censoring)
    residual = np.zeros(n)
    residual[case] = (1 - risk[case]) ** 2 * weight[case]
    residual[control] = risk[control] ** 2 * weight[control]
    brier = residual.mean()
    at_case = censoring.martingale_integrals(time[case], strict=True)
    at_landmark = censoring.martingale_integrals(np.array([landmark]), strict=False)[:, 0]
    correction = (at_case @ residual[case] + at_landmark * residual[control].sum()) / n
    return Metric(float(brier), residual - brier + correction)


def kaplan_meier_risk(time: np.ndarray, event: np.ndarray, landmark: float) -> float:
    """1 - S(landmark) of the Kaplan-Meier estimate (right-continuous): the null model's risk."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    times, events = np.unique(time[(event == 1) & (time <= landmark)], return_counts=True)
    at_risk = len(time) - np.searchsorted(np.sort(time), times, side="left")
    return float(1 - np.prod(1 - events / at_risk)) if len(times) else 0.0


def ipa(model: Metric, null: Metric) -> Metric:
    """Index of prediction accuracy 1 - Brier/Brier(null), delta-method influence function."""
    if not null.estimate > 0:
        return undefined(len(model.influence))
    ratio = model.estimate / null.estimate
    influence = -model.influence / null.estimate + ratio * null.influence / null.estimate
    return Metric(1 - ratio, influence)


#: Columns of results/survival/time_dependent_accuracy.tsv.
ACCURACY_COLUMNS = [
    "endpoint",
    "landmark",
    "model",
    "metric",
    "estimate",
    "se",
    "lower",
    "upper",
    "n",
    "cases",
    "controls",
    "censored_before",
    "note",
]
#: What each metric row is.
METRIC_NOTES = {
    "auc": "cumulative/dynamic AUC, IPCW (Kaplan-Meier censoring)",
    "brier": "Brier score, IPCW (Kaplan-Meier censoring)",
    "brier_null": "Brier score of the null model (Kaplan-Meier risk, no predictor)",
    "ipa": "IPA = 1 - brier/brier_null; SE by the delta method",
}
#: Apparent performance: the model is fitted and judged on the same patients.
APPARENT = "apparent (fitted and judged on the same patients)"


def landmark_metrics(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float
) -> dict[str, Metric]:
    """AUC, Brier score, the null model's Brier score and IPA at one landmark."""
    null_risk = np.full(len(time), kaplan_meier_risk(time, event, landmark))
    brier = ipcw_brier(time, event, risk, landmark)
    brier_null = ipcw_brier(time, event, null_risk, landmark)
    return {
        "auc": ipcw_auc(time, event, risk, landmark),
        "brier": brier,
        "brier_null": brier_null,
        "ipa": ipa(brier, brier_null),
    }


def wald_interval(name: str, metric: Metric, z: float) -> tuple[float, float]:
    """Wald 95 % limits; AUC and Brier score kept within [0, 1] as Score does, IPA not."""
    lower, upper = metric.estimate - z * metric.se, metric.estimate + z * metric.se
    if name == "ipa":
        return lower, upper
    # np.clip keeps NaN (a metric without cases or controls); max/min would turn it into 0, 1
    return float(np.clip(lower, 0.0, 1.0)), float(np.clip(upper, 0.0, 1.0))


def accuracy_table(
    risks: pd.DataFrame, notes: Mapping[str, str], landmarks: Sequence[float]
) -> pd.DataFrame:
    """time_dependent_accuracy.tsv from the predicted risks (prognostic.RISK_COLUMNS): one row
    per endpoint x landmark x metric; an endpoint without a model gets NaN rows with the reason."""
    z = float(stats.norm.ppf(0.975))
    rows = []
    for (endpoint, model, landmark), group in risks.groupby(
        ["endpoint", "model", "landmark"], sort=False
    ):
        time, event = group["time"].to_numpy(float), group["event"].to_numpy(int)
        counts = {
            "n": len(time),
            "cases": int(((time <= landmark) & (event == 1)).sum()),
            "controls": int((time > landmark).sum()),
            "censored_before": int(((time <= landmark) & (event == 0)).sum()),
        }
        metrics = landmark_metrics(time, event, group["risk"].to_numpy(float), landmark)
        for name, metric in metrics.items():
            lower, upper = wald_interval(name, metric, z)
            undefined_note = "" if math.isfinite(metric.estimate) else "; no cases or controls"
            rows.append(
                {"endpoint": endpoint, "landmark": landmark, "model": model, "metric": name}
                | {"estimate": metric.estimate, "se": metric.se, "lower": lower, "upper": upper}
                | counts
                | {"note": f"{METRIC_NOTES[name]}; {APPARENT}{undefined_note}"}
            )
    for endpoint, note in notes.items():
        for landmark in landmarks:
            for name in METRIC_NOTES:
                rows.append(
                    {"endpoint": endpoint, "landmark": float(landmark), "metric": name}
                    | {"note": note}
                )
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)
