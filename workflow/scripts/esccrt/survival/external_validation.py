"""External validation of a locked prognostic model (:mod:`esccrt.survival.locked_model`) on
a cohort it was not fitted on: discrimination, calibration and net benefit of its predictions,
nothing refitted (McLernon et al. 2023, Ann Intern Med 176:105).

- Discrimination over the whole follow-up: Harrell's C of the linear predictor and Uno's C
  (pairs weighted 1/G(T_i-)^2, G the reverse Kaplan-Meier of the censoring), each with the
  SE and Wald interval of ``survival::concordance`` (``timewt = "n/G2"`` for Uno's); at each
  landmark the
  cumulative/dynamic AUC (:mod:`esccrt.survival.time_accuracy`).
- Calibration: at each landmark calibration-in-the-large, the Kaplan-Meier risk observed by the
  landmark against the mean predicted risk, and their ratio O/E with the interval
  exp(+-1.96/sqrt(events by the landmark)) of the paper; over the whole follow-up the
  calibration slope, the Cox coefficient of the linear predictor (1 = predictions spread as
  the outcomes, below 1 too extreme).
- Overall: Brier score and IPA at each landmark; clinical utility: net benefit of the model
  and of treating all at the decision-curve thresholds (:mod:`esccrt.survival.decision_curve`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from esccrt.survival.concordance import Concordance, concordance, tied_times
from esccrt.survival.cox import fit_cox
from esccrt.survival.decision_curve import decision_curve
from esccrt.survival.locked_model import LockedModel, check_columns, read_model_file
from esccrt.survival.settings import Endpoint
from esccrt.survival.time_accuracy import (
    METRIC_NOTES,
    CensoringModel,
    kaplan_meier_risk,
    landmark_metrics,
    wald_interval,
)

#: Columns of results/survival/external_validation.tsv.
VALIDATION_COLUMNS = [
    "endpoint",
    "landmark",
    "metric",
    "threshold",
    "estimate",
    "se",
    "lower",
    "upper",
    "n",
    "events",
    "note",
]
#: What each metric row is (besides those of time_accuracy.METRIC_NOTES).
NOTES = METRIC_NOTES | {
    "harrell_c": "Harrell's C of the linear predictor, whole follow-up (SE: survival::concordance)",
    "uno_c": "Uno's C of the linear predictor, whole follow-up (pairs weighted 1/G(T-)^2; "
    "SE: survival::concordance, timewt n/G2)",
    "calibration_slope": "calibration slope: Cox coefficient of the linear predictor (ideal 1)",
    "observed_risk": "observed risk by the landmark: 1 - Kaplan-Meier",
    "expected_risk": "expected risk by the landmark: mean predicted risk",
    "oe_ratio": "O/E: observed / expected risk (ideal 1); interval exp(+-1.96/sqrt(events))",
    "net_benefit_model": "net benefit of treating patients with predicted risk >= threshold",
    "net_benefit_treat_all": "net benefit of treating all",
}
#: Every row says how the model was judged.
LOCKED = "locked model applied unchanged (external validation)"
Z = float(stats.norm.ppf(0.975))


def uno_c(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> Concordance:
    """Uno's concordance and its standard error, as ``survival::concordance(timewt = "n/G2")``:
    comparable pairs (i's event before j's time) weighted 1/G(T_i-)^2, G the reverse
    Kaplan-Meier of the censoring (at a time with both, the events leave its risk set first),
    a higher risk of the earlier event concordant, tied risks one half, near-tied times tied
    first (aeqSurv); the infinitesimal jackknife SE takes the weights as known. With fewer
    than two events the pairs are not weighted (Harrell's C), as concordancefit does."""
    time, risk = tied_times(time), np.asarray(risk, dtype=float)
    event = np.asarray(event).astype(bool)
    if event.sum() < 2:
        return concordance(time, event, risk)
    weight = np.ones(len(time))
    censoring = CensoringModel(time, event.astype(int))
    weight[event] = 1 / censoring.survival(time[event], strict=True) ** 2
    return concordance(time, event, risk, weight)


def _row(metric: str, estimate: float, se: float = math.nan, **extra: object) -> dict:
    """One table row; Wald limits where there is an SE."""
    lower, upper = (estimate - Z * se, estimate + Z * se) if math.isfinite(se) else (None, None)
    note = NOTES[metric] + "; " + LOCKED
    return {"metric": metric, "estimate": estimate, "se": se, "lower": lower, "upper": upper} | (
        {"note": note} | extra
    )


def whole_follow_up(time: np.ndarray, event: np.ndarray, lp: np.ndarray) -> list[dict]:
    """Harrell's C, Uno's C and the calibration slope."""
    harrell, uno = concordance(time, event, lp), uno_c(time, event, lp)
    frame = pd.DataFrame({"time": time, "event": event, "lp": lp})
    slope = fit_cox(frame, "time", "event", ["lp"])[0].loc["lp"]
    return [
        _row("harrell_c", harrell.c, harrell.se),
        _row("uno_c", uno.c, uno.se),
        _row("calibration_slope", float(slope["coef"]), float(slope["se"])),
    ]


def at_landmark(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float, grid: np.ndarray
) -> list[dict]:
    """AUC, Brier, IPA, calibration-in-the-large and net benefit at one landmark."""
    rows = []
    for name, metric in landmark_metrics(time, event, risk, landmark).items():
        row = _row(name, metric.estimate, metric.se)
        if math.isfinite(metric.estimate):  # no limits where there are no cases or controls
            row["lower"], row["upper"] = wald_interval(name, metric, Z)
        rows.append(row)
    observed, expected = kaplan_meier_risk(time, event, landmark), float(np.mean(risk))
    events = int(((time <= landmark) & (event == 1)).sum())
    ratio = observed / expected
    spread = Z / math.sqrt(events) if events else math.nan
    rows += [
        _row("observed_risk", observed),
        _row("expected_risk", expected),
        _row("oe_ratio", ratio)
        | {"lower": ratio * math.exp(-spread), "upper": ratio * math.exp(spread)},
    ]
    curve = decision_curve(time, event, risk, landmark, grid)
    for strategy in ("model", "treat_all"):
        for point in curve[curve["strategy"] == strategy].itertuples():
            rows.append(
                _row(f"net_benefit_{strategy}", point.net_benefit, threshold=point.threshold)
            )
    return [row | {"landmark": landmark, "events": events} for row in rows]


def validation_table(
    model: LockedModel, time: np.ndarray, event: np.ndarray, lp: np.ndarray, grid: np.ndarray
) -> pd.DataFrame:
    """external_validation.tsv rows of one endpoint: the locked ``model``'s linear predictor
    ``lp`` and its risks judged on the cohort's (time, event)."""
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    lp = np.asarray(lp, dtype=float)
    risks = model.risks(lp)
    rows = [row | {"events": int(event.sum())} for row in whole_follow_up(time, event, lp)]
    for column, landmark in enumerate(model.landmarks):
        rows += at_landmark(time, event, risks[:, column], landmark, grid)
    table = pd.DataFrame(rows).assign(endpoint=model.endpoint, n=len(time))
    return table.reindex(columns=VALIDATION_COLUMNS)


def external_validation(
    path: Path, cohort: pd.DataFrame, endpoints: Sequence[Endpoint], grid: np.ndarray
) -> pd.DataFrame:
    """external_validation.tsv: the locked models of ``path`` (checksum verified) applied
    unchanged to ``cohort`` (one row per patient: each endpoint's time and event columns and
    the models' covariate columns), the patients with every covariate (complete cases)."""
    model_file = read_model_file(path)
    frames = []
    for endpoint in endpoints:
        model = model_file.model(endpoint.name, path)
        check_columns(model, cohort, path, "the cohort")
        lp = model.linear_predictor(cohort)
        outcome = cohort[[endpoint.time, endpoint.event]].astype(float)
        keep = np.isfinite(lp) & outcome.notna().all(axis=1).to_numpy()
        frames.append(
            validation_table(
                model, outcome[endpoint.time][keep], outcome[endpoint.event][keep], lp[keep], grid
            )
        )
    return pd.concat(frames, ignore_index=True)
