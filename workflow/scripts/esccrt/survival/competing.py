"""Competing risks: Aalen-Johansen cumulative incidence and Fine-Gray subdistribution hazards.

An endpoint with ``competing`` configured codes its status 0 (censored), 1 (the event of
interest) or 2 (the competing event, e.g. death before progression). The cause-specific analyses
of the other tables (Kaplan-Meier, log-rank, Cox) censor the competing event; here:

* the Aalen-Johansen cumulative incidence of the event (Aalen & Johansen 1978) with the
  variance ``cmprsk::cuminc`` reports (Aalen's delta-method estimator) and a log(-log) 95 % CI;
* the Fine-Gray subdistribution hazard ratio (Fine & Gray 1999, JASA 94:496-509): a Cox model in
  which a patient with the competing event stays in the risk set with the weight
  G(t-)/G(s-), G the Kaplan-Meier estimate of the censoring distribution (censorings after
  events at tied times) and s the time of the competing event, exactly the data
  ``survival::finegray`` builds; fitted as ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x,
  weight = fgwt)`` fits it (Efron ties) with coxph's robust (sandwich) variance, which coxph
  uses for non-integer case weights, one score residual per row of finegray's data. With
  ``survival.competing_risks.estimator: crr`` estimate and SE are ``cmprsk::crr``'s instead:
  Breslow ties, G counting the events tied with a censoring among those at risk of it, and
  Fine and Gray's sandwich variance with the term of estimating G.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from esccrt.survival.settings import Endpoint, Factor

#: Status codes of an endpoint with a competing event.
CENSORED, EVENT, COMPETING = 0, 1, 2

#: The two estimators: R's survival::finegray + coxph, and cmprsk::crr.
ESTIMATORS = ("finegray", "crr")

#: Newton-Raphson: stop when the log partial likelihood changes by less than this (relative).
TOLERANCE, MAX_ITERATIONS = 1e-12, 50


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
    other_events = np.bincount(inverse, weights=(status != cause) & (status != CENSORED))
    other_events = np.pad(other_events, (0, len(times) - len(other_events)))
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


def log_log_interval(estimate: np.ndarray, se: np.ndarray, level: float = 0.95) -> tuple:
    """CI of a cumulative incidence on the log(-log) scale (stays within 0 and 1): F^exp(
    +/- z se / (F log F)); undefined (NaN) where F is 0 or 1."""
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * se / (estimate * np.log(estimate))
        defined = (estimate > 0) & (estimate < 1)
        low = np.where(defined, estimate ** np.exp(-spread), np.nan)
        high = np.where(defined, estimate ** np.exp(spread), np.nan)
    return low, high


@dataclass(frozen=True)
class FineGrayFit:
    """A Fine-Gray fit: coefficients, their robust covariance (coxph's or crr's) and the
    model-based one."""

    coef: np.ndarray
    covariance: np.ndarray
    naive_covariance: np.ndarray

    def summary(self, term: int = 0, level: float = 0.95) -> dict[str, float]:
        """Subdistribution HR of one term with its robust SE, Wald CI and two-sided p."""
        coef, se = float(self.coef[term]), math.sqrt(float(self.covariance[term, term]))
        z = stats.norm.ppf(0.5 + level / 2)
        return {
            "coef": coef,
            "se": se,
            "hr": math.exp(coef),
            "ci_low": math.exp(coef - z * se),
            "ci_high": math.exp(coef + z * se),
            "p": float(2 * stats.norm.sf(abs(coef / se))),
        }


@dataclass(frozen=True)
class _FineGrayData:
    """The weighted risk sets of the Fine-Gray model at the distinct event times."""

    #: Weight of each patient (columns) in the risk set of each event time (rows).
    weights: np.ndarray
    #: Whether the patient has the event of interest at the time.
    dies: np.ndarray
    #: Row of survival::finegray's data each (time, patient) belongs to (robust variance).
    row: np.ndarray
    #: Handling of tied events: ``efron`` or ``breslow``.
    ties: str


def _censoring_survival_before(
    time: np.ndarray, status: np.ndarray, at: np.ndarray, estimator: str
) -> np.ndarray:
    """Kaplan-Meier of the censoring distribution just before each of ``at``. finegray
    places censorings after the events at tied times (its 0.2 shift of event times): at risk
    of censoring at c are those followed beyond c or censored at c; crr counts everyone
    followed up to c (survfit of the censoring indicator)."""
    censor_times, censored = np.unique(time[status == CENSORED], return_counts=True)
    if estimator == "finegray":
        at_risk = (time[None, :] > censor_times[:, None]).sum(axis=1) + censored
    else:
        at_risk = (time[None, :] >= censor_times[:, None]).sum(axis=1)
    survival = np.cumprod(np.concatenate(([1.0], 1 - censored / at_risk)))
    return survival[np.searchsorted(censor_times, at, side="left")]


def _fine_gray_data(time: np.ndarray, status: np.ndarray, estimator: str) -> _FineGrayData:
    """Weights of every patient at every event time: 1 while followed (time >= t), G(t-)/G(s-)
    after a competing event at s < t, 0 otherwise; and finegray's row of each pair: a
    competing patient gets a new row at each censoring interval (c_{m-1}, c_m] after the one
    holding s."""
    event_times = np.unique(time[status == EVENT])
    competing = status == COMPETING
    g_event = _censoring_survival_before(time, status, event_times, estimator)
    g_own = _censoring_survival_before(time, status, time, estimator)
    followed = time[None, :] >= event_times[:, None]
    after_competing = competing[None, :] & ~followed
    weights = np.where(followed, 1.0, np.where(after_competing, g_event[:, None] / g_own, 0.0))
    dies = followed & (time[None, :] == event_times[:, None]) & (status == EVENT)[None, :]
    censor_times = np.unique(time[status == CENSORED])
    interval_of_time = np.searchsorted(censor_times, event_times, side="left")
    interval_of_patient = np.searchsorted(censor_times, time, side="left")
    row = np.where(
        competing[None, :], np.maximum(interval_of_time[:, None], interval_of_patient), 0
    )
    return _FineGrayData(weights, dies, row, "efron" if estimator == "finegray" else "breslow")


def _partial_likelihood(
    data: _FineGrayData, design: np.ndarray, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, list[tuple[np.ndarray, ...]]]:
    """Weighted log partial likelihood (events of weight 1; Efron's ties: d tied events leave
    the risk set in d equal steps, Breslow's: none), its gradient, information, and per event
    time the steps' shares, denominators and means (for the score residuals)."""
    eta = design @ beta
    risk = np.exp(eta - eta.max())  # shifted for overflow; cancels in every ratio
    loglik, gradient = 0.0, np.zeros(len(beta))
    information = np.zeros((len(beta), len(beta)))
    steps = []
    for weights, dies in zip(data.weights, data.dies, strict=True):
        wr = weights * risk
        s0, s1 = wr.sum(), wr @ design
        s2 = np.einsum("i,ij,ik->jk", wr, design, design)
        e0, e1 = wr[dies].sum(), wr[dies] @ design[dies]
        e2 = np.einsum("i,ij,ik->jk", wr[dies], design[dies], design[dies])
        d = int(dies.sum())
        share = np.arange(d) / d if data.ties == "efron" else np.zeros(d)
        denom = s0 - share * e0
        means = (s1[None, :] - share[:, None] * e1[None, :]) / denom[:, None]
        second = (s2[None] - share[:, None, None] * e2[None]) / denom[:, None, None]
        loglik += float(eta[dies].sum() - d * eta.max() - np.log(denom).sum())
        gradient += design[dies].sum(axis=0) - means.sum(axis=0)
        information += (second - np.einsum("kj,kl->kjl", means, means)).sum(axis=0)
        steps.append((share, denom, means))
    return loglik, gradient, information, steps


def fine_gray(
    time: np.ndarray, status: np.ndarray, design: np.ndarray, estimator: str
) -> FineGrayFit:
    """Fine-Gray subdistribution hazards model of ``design``'s columns for status 1 (status
    2: the competing event, 0: censored), ``estimator`` finegray or crr, by Newton-Raphson
    with step halving to full convergence. Raises :class:`np.linalg.LinAlgError` for a
    singular information matrix."""
    time, status = np.asarray(time, dtype=float), np.asarray(status, dtype=int)
    design = np.asarray(design, dtype=float).reshape(len(time), -1)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, not {estimator!r}")
    data = _fine_gray_data(time, status, estimator)
    beta = np.zeros(design.shape[1])
    loglik, gradient, information, _ = _partial_likelihood(data, design, beta)
    for _iteration in range(MAX_ITERATIONS):
        step = np.linalg.solve(information, gradient)
        for _halving in range(30):
            trial = _partial_likelihood(data, design, beta + step)
            if trial[0] >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2
        beta = beta + step
        change, loglik = abs(trial[0] - loglik), trial[0]
        gradient, information = trial[1], trial[2]
        if change <= TOLERANCE * max(abs(loglik), 1.0):
            break
    naive = np.linalg.inv(information)
    if estimator == "finegray":
        scores = _row_scores(data, design, beta).reshape(-1, design.shape[1])
    else:
        scores = _crr_scores(data, design, beta, time, status)
    return FineGrayFit(beta, naive @ (scores.T @ scores) @ naive, naive)


def _row_scores(data: _FineGrayData, design: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """Weighted score residuals (coxph's) summed over each row of finegray's data (patients x
    rows x covariates): the rows of coxph's robust variance's meat."""
    eta = design @ beta
    risk = np.exp(eta - eta.max())
    _, _, _, steps = _partial_likelihood(data, design, beta)
    n, p = design.shape
    rows = np.zeros((n, int(data.row.max()) + 1 if data.row.size else 1, p))
    for k, (share, denom, means) in enumerate(steps):
        weights, dies = data.weights[k], data.dies[k]
        hazard, mean_hazard = (1 / denom).sum(), (means / denom[:, None]).sum(axis=0)
        # a dying patient leaves the risk set in Efron's steps: weight 1 - k/d at step k (1 with
        # Breslow's)
        stay = 1 - share
        hazard_dying = (stay / denom).sum()
        mean_hazard_dying = (stay[:, None] * means / denom[:, None]).sum(axis=0)
        residual = -risk[:, None] * (design * hazard - mean_hazard)
        residual[dies] = (
            design[dies]
            - means.mean(axis=0)
            - risk[dies, None] * (design[dies] * hazard_dying - mean_hazard_dying)
        )
        present = weights > 0
        np.add.at(
            rows,
            (np.flatnonzero(present), data.row[k, present]),
            weights[present, None] * residual[present],
        )
    return rows


def _crr_scores(
    data: _FineGrayData, design: np.ndarray, beta: np.ndarray, time: np.ndarray, status: np.ndarray
) -> np.ndarray:
    """Per patient, the score residual eta_i plus the term psi_i of estimating the censoring
    distribution G (Fine & Gray 1999, section 4), as cmprsk::crr's variance sums them (Breslow
    ties): psi_i = q(T_i)/R(T_i) if censored, minus the sum over censoring times u <= T_i of
    d_c(u) q(u)/R(u)^2, with R(u) = number followed to u and q(u) = the sum over events at
    t >= u of 1/S0(t) times the centred risk weights at t of the competing events before u."""
    eta_scores = _row_scores(data, design, beta).sum(axis=1)
    eta = design @ beta
    risk = np.exp(eta - eta.max())  # shifted for overflow; cancels against S0
    _, _, _, steps = _partial_likelihood(data, design, beta)
    s0 = np.array([denom[0] for _, denom, _ in steps])  # Breslow: every step alike
    mean = np.array([means[0] for _, _, means in steps])
    deaths = data.dies.sum(axis=1)
    event_times = np.unique(time[status == EVENT])
    competing_weight = data.weights * risk * (status == COMPETING)
    centred = competing_weight[:, :, None] * (design[None, :, :] - mean[:, None, :])
    censor_times, censored = np.unique(time[status == CENSORED], return_counts=True)
    before = (time[None, :] < censor_times[:, None]).astype(float)
    later = (event_times[None, :] >= censor_times[:, None]) * (deaths / s0)[None, :]
    q = np.einsum("ck,ckp->cp", later, np.einsum("cj,kjp->ckp", before, centred))
    at_risk = (time[None, :] >= censor_times[:, None]).sum(axis=1)
    steps_c = censored[:, None] * q / at_risk[:, None] ** 2
    compensator = np.vstack([np.zeros((1, design.shape[1])), np.cumsum(steps_c, axis=0)])
    psi = -compensator[np.searchsorted(censor_times, time, side="right")]
    is_censored = status == CENSORED
    own = np.searchsorted(censor_times, time[is_censored])
    psi[is_censored] += q[own] / at_risk[own, None]
    return eta_scores + psi


# --- the stage's tables -----------------------------------------------------------------------

#: Columns of results/survival/competing_risks.tsv: one Fine-Gray model per row.
FINE_GRAY_COLUMNS = (
    "endpoint",
    "competing_event",
    "analysis",
    "variable",
    "contrast",
    "n",
    "events",
    "competing_events",
    "coef",
    "se",
    "shr",
    "ci_low",
    "ci_high",
    "p",
    "note",
)
#: Columns of results/survival/cumulative_incidence.tsv: the cumulative incidence at a landmark.
INCIDENCE_COLUMNS = (
    "endpoint",
    "factor",
    "group",
    "cause",
    "landmark",
    "n",
    "cif",
    "se",
    "ci_low",
    "ci_high",
)
#: Columns of results/survival/cumulative_incidence_curves.tsv: the step functions, to plot.
CURVE_COLUMNS = ("endpoint", "factor", "group", "cause", "time", "cif")
#: The ``factor`` and ``group`` of the whole cohort's rows.
ALL_PATIENTS = "all patients"
#: The note of an endpoint without a competing event configured.
NONE_CODED = (
    "no competing events coded (survival.endpoints competing empty): the cause-specific "
    "analyses only"
)


@dataclass(frozen=True)
class CompetingTables:
    """The stage's competing-risks tables."""

    fine_gray: pd.DataFrame
    incidence: pd.DataFrame
    curves: pd.DataFrame


def competing_tables(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    log2_fc: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
    landmarks: Sequence[float],
    estimator: str,
) -> CompetingTables:
    """Per endpoint with a competing event: the Fine-Gray model of each fold-change factor's
    groups and of each marker's log2 fold change (``log2_fc``: patients x markers), and the
    Aalen-Johansen cumulative incidence of the event and of the competing event in the whole
    cohort and in each fold-change group. An endpoint without one: a row saying so. ``estimator``:
    the Fine-Gray models' (finegray or crr)."""
    markers = [f for f in factors if f.kind == "fold_change"]
    fine_gray_rows, incidence, curves = [], [], []
    for endpoint in endpoints:
        if not endpoint.competing:
            fine_gray_rows.append({"endpoint": endpoint.name, "note": NONE_CODED})
            continue
        time, status = clinical[endpoint.time], clinical[endpoint.status]
        for factor in markers:
            fine_gray_rows.append(_group_model(endpoint, factor, time, status, groups, estimator))
        for marker in log2_fc.columns:
            x = log2_fc[marker].reindex(clinical.index)
            fields = _competing_fields(endpoint, "continuous")
            row = _fine_gray_row(time, status, x, fields, estimator)
            fine_gray_rows.append(row | {"variable": marker, "contrast": "per doubling"})
        subsets = {(ALL_PATIENTS, ALL_PATIENTS): clinical.index}
        for factor in markers:
            labels = groups[factor.name].reindex(clinical.index).astype(object)
            for level in factor.level_labels():
                subsets[(factor.name, level)] = clinical.index[labels == level]
        for (factor_name, level), index in subsets.items():
            keys = {"endpoint": endpoint.name, "factor": factor_name, "group": level}
            for cause, code in (("event", EVENT), ("competing", COMPETING)):
                curve = aalen_johansen(time[index], status[index], code)
                incidence += _landmark_rows(curve, keys | {"cause": cause}, len(index), landmarks)
                curves += [
                    keys | {"cause": cause, "time": t, "cif": f}
                    for t, f in zip(curve.time, curve.estimate, strict=True)
                ]
    return CompetingTables(
        pd.DataFrame(fine_gray_rows, columns=list(FINE_GRAY_COLUMNS)),
        pd.DataFrame(incidence, columns=list(INCIDENCE_COLUMNS)),
        pd.DataFrame(curves, columns=list(CURVE_COLUMNS)),
    )


def _competing_fields(endpoint: Endpoint, analysis: str) -> dict[str, str]:
    """The columns naming a model's endpoint, competing event and kind of analysis."""
    return {"endpoint": endpoint.name, "competing_event": endpoint.competing, "analysis": analysis}


def _group_model(
    endpoint: Endpoint,
    factor: Factor,
    time: pd.Series,
    status: pd.Series,
    groups: pd.DataFrame,
    estimator: str,
) -> dict[str, object]:
    """The Fine-Gray model of a fold-change factor: its other level against the reference."""
    reference = factor.reference_level()
    (other,) = [level for level in factor.level_labels() if level != reference]
    labels = groups[factor.name].reindex(time.index).astype(object)
    x = pd.Series(np.where(labels.isna(), np.nan, (labels == other).astype(float)), time.index)
    row = _fine_gray_row(time, status, x, _competing_fields(endpoint, "group"), estimator)
    return row | {"variable": factor.name, "contrast": f"{other} vs {reference}"}


def _fine_gray_row(
    time: pd.Series, status: pd.Series, x: pd.Series, fields: dict[str, str], estimator: str
) -> dict[str, object]:
    """One row of competing_risks.tsv: the patients with ``x`` known, their counts and the
    model's subdistribution HR (or a note why there is none)."""
    keep = x.notna()
    t, s, v = time[keep].to_numpy(float), status[keep].to_numpy(int), x[keep].to_numpy(float)
    row: dict[str, object] = fields | {
        "n": int(keep.sum()),
        "events": int((s == EVENT).sum()),
        "competing_events": int((s == COMPETING).sum()),
    }
    if row["events"] == 0 or np.ptp(v[s == EVENT]) == 0:
        # e.g. a group without events: the likelihood grows without bound, no finite sHR
        return row | {"note": "the covariate does not vary among the events: sHR not estimable"}
    try:
        fit = fine_gray(t, s, v[:, None], estimator)
    except np.linalg.LinAlgError as error:
        return row | {"note": f"Fine-Gray model did not converge: {str(error)[:120]}"}
    note = "" if row["competing_events"] else "no competing events coded in the clinical table"
    summary = fit.summary()
    return (
        row
        | {k: summary[k] for k in ("coef", "se", "ci_low", "ci_high", "p")}
        | {
            "shr": summary["hr"],
            "note": note,
        }
    )


def _landmark_rows(
    curve: CumulativeIncidence, keys: dict[str, str], n: int, landmarks: Sequence[float]
) -> list[dict[str, object]]:
    """Rows of cumulative_incidence.tsv: the curve at each landmark with SE and CI."""
    times = np.asarray(landmarks, dtype=float)
    estimate, se = curve.at(times)
    low, high = log_log_interval(estimate, se)
    return [
        keys | {"landmark": t, "n": n, "cif": f, "se": e, "ci_low": lo, "ci_high": hi}
        for t, f, e, lo, hi in zip(times, estimate, se, low, high, strict=True)
    ]
