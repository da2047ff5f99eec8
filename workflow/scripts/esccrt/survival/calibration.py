"""Calibration of the marker Cox model's predicted risks at each landmark, optimism-corrected.

At a landmark t, with the outcome administratively censored at t (McLernon et al. 2023, Ann
Intern Med 176:105, code: github.com/danielegiardiello/Prediction_performance_survival):

- calibration-in-the-large: the observed risk (1 - Kaplan-Meier survival at t) against the
  expected risk (the mean predicted risk): O/E ratio, with the 95 % CI
  O/E exp(+/- 1.96 sqrt(1/events by t)), and the difference O - E;
- calibration slope: the coefficient of ``coxph(Surv(time, event) ~ cloglog(risk))`` (cloglog(r)
  = log(-log(1 - r))), as McLernon et al.'s "weak calibration at a fixed time point"; 1 is ideal,
  below 1 means risks too extreme (overfitting);
- smoothed calibration curve (Austin, Harrell & van Klaveren 2020, Stat Med 39:2714): the risk
  by t of ``rms::cph(Surv(time, event) ~ rcs(cloglog(risk), 3))`` (``rms::survest``) is the
  observed risk of a patient with that predicted risk; ICI (mean |observed - predicted| over
  the patients), E50, E90 and Emax summarise it.

The apparent numbers judge the model on the patients it was fitted on. Harrell's bootstrap
(``rms::validate``/``rms::calibrate``) corrects them: on each resample the marker Cox model is
refitted (the whole modelling procedure: Efron Cox fit, Breslow baseline, risks at every
landmark), every measure is computed on the resample (its apparent value) and on the original
patients (its test value), and the mean difference (optimism) is subtracted from the apparent
value; the curve is corrected the same way at every point of its grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from esccrt.errors import InputError
from esccrt.survival.continuous import fit_cox_matrix
from esccrt.survival.prognostic import marker_data, model_label
from esccrt.survival.settings import CalibrationSettings, Endpoint
from esccrt.survival.splines import rcs_basis, rcs_knots
from esccrt.survival.time_accuracy import kaplan_meier_risk

#: Knots of the smoothed curve's spline of cloglog(risk) (McLernon et al.: rcs(pred.cll, 3)).
CURVE_KNOTS = 3
#: Points of the calibration curve's grid, evenly spaced over the range of the predicted risks.
CURVE_POINTS = 50
#: The measures, in the table's order, and what each is.
METRICS = {
    "observed_risk": "1 - Kaplan-Meier survival at the landmark",
    "expected_risk": "mean predicted risk",
    "oe_ratio": "observed/expected; 95 % CI O/E exp(+/-1.96 sqrt(1/events))",
    "oe_difference": "observed - expected",
    "slope": "Cox coefficient of cloglog(risk), outcome censored at the landmark; Wald 95 % CI",
    "ici": "mean |smoothed observed - predicted| (rcs(cloglog(risk), 3) Cox model)",
    "e50": "median |smoothed observed - predicted|",
    "e90": "90th percentile of |smoothed observed - predicted|",
    "emax": "largest |smoothed observed - predicted|",
}
#: Columns of results/survival/calibration.tsv and calibration_curve.tsv.
CALIBRATION_COLUMNS = [
    "endpoint",
    "landmark",
    "model",
    "metric",
    "apparent",
    "optimism",
    "corrected",
    "lower",
    "upper",
    "n",
    "events",
    "resamples",
    "resamples_used",
    "seed",
    "note",
]
CURVE_COLUMNS = [
    "endpoint",
    "landmark",
    "model",
    "predicted",
    "observed",
    "optimism",
    "corrected",
]


class NotEstimableError(ValueError):
    """Calibration cannot be estimated (no event by the landmark, a risk of 0 or 1, a fit
    that fails); a bootstrap resample where this happens is skipped, as rms skips failed fits."""


@dataclass(frozen=True)
class Calibration:
    """The calibration of one set of predicted risks at one landmark."""

    metrics: dict[str, float]
    #: Smoothed observed risk at each point of the curve's grid.
    curve: np.ndarray
    events: int
    slope_se: float


def censored_at(
    time: np.ndarray, event: np.ndarray, landmark: float
) -> tuple[np.ndarray, np.ndarray]:
    """The outcome administratively censored at the landmark (McLernon et al.'s gbsg5)."""
    return np.minimum(time, landmark), np.where(time <= landmark, event, 0)


def cloglog(risk: np.ndarray) -> np.ndarray:
    """log(-log(1 - risk)): the scale on which a Cox model's risks are linear in its predictor."""
    with np.errstate(divide="ignore"):
        return np.log(-np.log1p(-np.asarray(risk, dtype=float)))


def baseline_hazard(
    time: np.ndarray, event: np.ndarray, eta: np.ndarray, landmark: float, efron: bool
) -> float:
    """Cumulative baseline hazard H0(landmark) of a Cox model with linear predictor ``eta``:
    Breslow's estimator (lifelines' baseline), or with Efron's correction for tied events
    (``survival::survfit.coxph`` after an Efron fit, which ``rms::survest`` uses)."""
    weight = np.exp(eta)
    counted = (event == 1) & (time <= landmark)
    times, index, tied = np.unique(time[counted], return_inverse=True, return_counts=True)
    order = np.argsort(time, kind="stable")
    risk_set = np.cumsum(weight[order][::-1])[::-1]
    at_risk = risk_set[np.searchsorted(time[order], times, side="left")]
    if not efron:
        return float(np.sum(tied / at_risk))
    tied_weight = np.bincount(index, weights=weight[counted], minlength=len(times))
    # one term per event: its time's index g and its share k/d_g, k = 0 .. d_g - 1
    group = np.repeat(np.arange(len(times)), tied)
    share = (np.arange(len(group)) - np.repeat(np.cumsum(tied) - tied, tied)) / tied[group]
    return float(np.sum(1 / (at_risk[group] - share * tied_weight[group])))


def cox_model_risks(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    new_X: np.ndarray,
    landmarks: Sequence[float],
) -> np.ndarray:
    """Risks (rows of ``new_X`` x landmarks) of the Cox model of ``X`` fitted on (time, event):
    Efron fit, Breslow baseline, 1 - exp(-H0(t) exp(x'b)), as
    :func:`esccrt.survival.prognostic.cox_risks` (lifelines) computes them, in numpy for the
    bootstrap's speed."""
    try:
        fit = fit_cox_matrix(time, event, X)
    except np.linalg.LinAlgError as error:
        raise NotEstimableError(f"Cox model: {error}") from error
    if fit.warnings:
        raise NotEstimableError(f"Cox model: {fit.warnings[0]}")
    eta, new_eta = X @ fit.coef, new_X @ fit.coef
    hazards = [baseline_hazard(time, event, eta, t, efron=False) for t in landmarks]
    return 1 - np.exp(-np.outer(np.exp(new_eta), hazards))


class SmoothedCurve:
    """The smoothed calibration curve at a landmark: a Cox model of the outcome (censored at
    the landmark) on rcs(cloglog(risk), 3), its risk by the landmark read as the observed risk
    (McLernon et al.'s ``rms::cph`` + ``rms::survest``)."""

    def __init__(self, time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float):
        self.landmark = landmark
        try:
            self.knots = rcs_knots(cloglog(risk), CURVE_KNOTS)
            fit = fit_cox_matrix(time, event, rcs_basis(cloglog(risk), self.knots))
        except (InputError, np.linalg.LinAlgError) as error:
            raise NotEstimableError(f"calibration curve: {error}") from error
        self.coef = fit.coef
        eta = rcs_basis(cloglog(risk), self.knots) @ self.coef
        self.hazard = baseline_hazard(time, event, eta, landmark, efron=True)

    def observed(self, risk: np.ndarray) -> np.ndarray:
        """The smoothed observed risk by the landmark of patients with predicted ``risk``."""
        eta = rcs_basis(cloglog(risk), self.knots) @ self.coef
        return 1 - np.exp(-self.hazard * np.exp(eta))


def calibration_at(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, landmark: float, grid: np.ndarray
) -> Calibration:
    """Calibration of ``risk`` (predicted risks by ``landmark``) against (time, event).

    Raises :class:`NotEstimableError` without an event by the landmark or with a risk of 0 or 1.
    """
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=int)
    risk = np.asarray(risk, dtype=float)
    time, event = censored_at(time, event, landmark)
    events = int(event.sum())
    if events == 0:
        raise NotEstimableError("no event by the landmark")
    if not np.all((risk > 0) & (risk < 1)):
        raise NotEstimableError("a predicted risk of 0 or 1 (no cloglog)")
    observed, expected = kaplan_meier_risk(time, event, landmark), float(risk.mean())
    try:
        slope = fit_cox_matrix(time, event, cloglog(risk)[:, None])
    except np.linalg.LinAlgError as error:
        raise NotEstimableError(f"calibration slope: {error}") from error
    curve = SmoothedCurve(time, event, risk, landmark)
    gap = np.abs(curve.observed(risk) - risk)
    metrics = {
        "observed_risk": observed,
        "expected_risk": expected,
        "oe_ratio": observed / expected,
        "oe_difference": observed - expected,
        "slope": float(slope.coef[0]),
        "ici": float(gap.mean()),
        "e50": float(np.quantile(gap, 0.5)),
        "e90": float(np.quantile(gap, 0.9)),
        "emax": float(gap.max()),
    }
    return Calibration(
        metrics, curve.observed(grid), events, float(np.sqrt(slope.covariance[0, 0]))
    )


@dataclass(frozen=True)
class Optimism:
    """Mean optimism (apparent - test) of every measure and of the curve at one landmark."""

    metrics: dict[str, float]
    curve: np.ndarray
    resamples_used: int


def resample_calibration(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    landmarks: Sequence[float],
    grids: Sequence[np.ndarray],
    rows: np.ndarray,
) -> list[tuple[Calibration, Calibration] | None]:
    """One bootstrap resample (``rows``: the drawn patients' indices): the marker Cox model
    refitted on it; per landmark, (calibration on the resample, calibration of the same fit on
    the original patients), or None where either is not estimable."""
    try:
        risks = cox_model_risks(time[rows], event[rows], X[rows], X, landmarks)
    except NotEstimableError:
        return [None] * len(landmarks)
    results: list[tuple[Calibration, Calibration] | None] = []
    for column, (landmark, grid) in enumerate(zip(landmarks, grids, strict=True)):
        try:
            apparent = calibration_at(time[rows], event[rows], risks[rows, column], landmark, grid)
            test = calibration_at(time, event, risks[:, column], landmark, grid)
        except NotEstimableError:
            results.append(None)
            continue
        results.append((apparent, test))
    return results


def bootstrap_rows(n: int, resamples: int, seed: int) -> np.ndarray:
    """The patients drawn (with replacement) by each resample: resamples x n indices."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_optimism(
    time: np.ndarray,
    event: np.ndarray,
    X: np.ndarray,
    landmarks: Sequence[float],
    grids: Sequence[np.ndarray],
    draws: np.ndarray,
) -> list[Optimism]:
    """Harrell's mean optimism per landmark over the resamples ``draws`` (resamples x n)."""
    per_landmark: list[list[tuple[Calibration, Calibration]]] = [[] for _ in landmarks]
    for rows in draws:
        for collected, pair in zip(
            per_landmark,
            resample_calibration(time, event, X, landmarks, grids, rows),
            strict=True,
        ):
            if pair is not None:
                collected.append(pair)
    return [
        _mean_optimism(pairs, len(grid)) for pairs, grid in zip(per_landmark, grids, strict=True)
    ]


def _mean_optimism(pairs: Sequence[tuple[Calibration, Calibration]], points: int) -> Optimism:
    """Mean of apparent - test over the usable resamples (NaN when none is)."""
    if not pairs:
        return Optimism(dict.fromkeys(METRICS, math.nan), np.full(points, math.nan), 0)
    metrics = {
        name: float(np.mean([a.metrics[name] - t.metrics[name] for a, t in pairs]))
        for name in METRICS
    }
    curve = np.mean([a.curve - t.curve for a, t in pairs], axis=0)
    return Optimism(metrics, curve, len(pairs))


def curve_grid(risk: np.ndarray) -> np.ndarray:
    """:data:`CURVE_POINTS` predicted risks evenly spaced over the range of ``risk``."""
    return np.linspace(float(np.min(risk)), float(np.max(risk)), CURVE_POINTS)


def confidence_limits(name: str, calibration: Calibration) -> tuple[float, float]:
    """95 % limits of the apparent O/E ratio and slope (McLernon et al.); none for the rest."""
    z = float(stats.norm.ppf(0.975))
    value = calibration.metrics[name]
    if name == "oe_ratio":
        spread = z * math.sqrt(1 / calibration.events)
        return value * math.exp(-spread), value * math.exp(spread)
    if name == "slope":
        return value - z * calibration.slope_se, value + z * calibration.slope_se
    return math.nan, math.nan


@dataclass(frozen=True)
class ModelData:
    """An endpoint's patients as the marker Cox model sees them: outcome and predictors."""

    endpoint: str
    model: str
    time: np.ndarray
    event: np.ndarray
    X: np.ndarray


def _rows(
    data: ModelData,
    landmark: float,
    apparent: Calibration | None,
    optimism: Optimism,
    resamples: int,
    seed: int,
    note: str,
) -> list[dict[str, object]]:
    """calibration.tsv's rows of one endpoint x landmark."""
    rows = []
    for name, meaning in METRICS.items():
        value = apparent.metrics[name] if apparent else math.nan
        lower, upper = confidence_limits(name, apparent) if apparent else (math.nan, math.nan)
        rows.append(
            {"endpoint": data.endpoint, "landmark": landmark, "model": data.model}
            | {"metric": name, "apparent": value, "optimism": optimism.metrics[name]}
            | {"corrected": value - optimism.metrics[name], "lower": lower, "upper": upper}
            | {"n": len(data.time), "events": apparent.events if apparent else 0}
            | {"resamples": resamples, "resamples_used": optimism.resamples_used, "seed": seed}
            | {"note": f"{meaning}{note}"}
        )
    return rows


def model_calibration(
    data: ModelData,
    risks: np.ndarray,
    landmarks: Sequence[float],
    resamples: int,
    seed: int,
) -> tuple[list[dict[str, object]], pd.DataFrame]:
    """calibration.tsv rows and calibration_curve.tsv of one endpoint's model, whose apparent
    predicted risks (patients x landmarks) are ``risks``."""
    grids = [curve_grid(risks[:, column]) for column in range(len(landmarks))]
    draws = bootstrap_rows(len(data.time), resamples, seed)
    optimism = bootstrap_optimism(data.time, data.event, data.X, landmarks, grids, draws)
    rows, curves = [], []
    for column, landmark in enumerate(landmarks):
        note = ""
        try:
            apparent = calibration_at(
                data.time, data.event, risks[:, column], landmark, grids[column]
            )
        except NotEstimableError as error:
            apparent, note = None, f"; not estimable: {error}"
        rows += _rows(data, landmark, apparent, optimism[column], resamples, seed, note)
        if apparent is not None:
            curves.append(
                pd.DataFrame(
                    {"endpoint": data.endpoint, "landmark": landmark, "model": data.model}
                    | {"predicted": grids[column], "observed": apparent.curve}
                    | {"optimism": optimism[column].curve}
                    | {"corrected": apparent.curve - optimism[column].curve}
                )
            )
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return rows, curve.reindex(columns=CURVE_COLUMNS)


def calibration_tables(
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    predictors: Sequence[str],
    risks: pd.DataFrame,
    unfitted: Mapping[str, str],
    settings: CalibrationSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """calibration.tsv and calibration_curve.tsv of the marker Cox model of every endpoint,
    from its apparent predicted risks (prognostic.RISK_COLUMNS); an endpoint without a model
    gets NaN rows with the reason."""
    landmarks = [float(t) for t in settings.landmarks]
    rows: list[dict[str, object]] = []
    curves = []
    for endpoint in endpoints:
        if endpoint.name in unfitted:
            rows += [
                {"endpoint": endpoint.name, "landmark": t, "metric": name}
                | {"note": unfitted[endpoint.name]}
                for t in landmarks
                for name in METRICS
            ]
            continue
        frame = marker_data(clinical, fold_changes, endpoint, predictors)
        data = ModelData(
            endpoint.name,
            model_label(predictors),
            frame["time"].to_numpy(float),
            frame["event"].to_numpy(int),
            frame[[c for c in frame.columns if c.startswith("x")]].to_numpy(float),
        )
        own = risks[risks["endpoint"] == endpoint.name]
        matrix = own.pivot(index="patient", columns="landmark", values="risk")
        matrix = matrix.loc[frame.index.astype(str), landmarks].to_numpy(float)
        endpoint_rows, curve = model_calibration(
            data, matrix, landmarks, settings.bootstrap, settings.seed
        )
        rows += endpoint_rows
        curves.append(curve)
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS), curve.reindex(columns=CURVE_COLUMNS)
