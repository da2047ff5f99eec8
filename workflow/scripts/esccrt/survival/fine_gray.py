"""The Fine-Gray subdistribution hazards model (Fine & Gray 1999, JASA 94:496-509).

A Cox model in which a patient with the competing event (status 2) stays in the risk set with
the weight G(t-)/G(s-), G the Kaplan-Meier estimate of the censoring distribution and s the time
of the competing event. Two estimators, as R computes them:

* ``finegray``: the data ``survival::finegray`` builds (censorings after events at tied times in
  G) fitted as ``coxph(Surv(fgstart, fgstop, fgstatus) ~ x, weight = fgwt)`` fits it: Efron ties
  and coxph's robust (sandwich) variance, which it uses for non-integer case weights, one score
  residual per row of finegray's data;
* ``crr``: ``cmprsk::crr``'s: Breslow ties, G counting the events tied with a censoring among
  those at risk of it, and Fine and Gray's sandwich variance with the term of estimating G.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from esccrt.survival.clinical import CENSORED, COMPETING, EVENT

#: The two estimators: R's survival::finegray + coxph, and cmprsk::crr.
ESTIMATORS = ("finegray", "crr")

#: Newton-Raphson: stop when the log partial likelihood changes by less than this (relative).
TOLERANCE, MAX_ITERATIONS = 1e-12, 50


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
            "shr": math.exp(coef),
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
