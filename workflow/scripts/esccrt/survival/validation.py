"""Internal validation of the diagnostic logistic model's AUC on a small cohort.

The apparent AUC (model fitted and judged on the same patients) is optimistic. Two corrections,
both refitting the model on every resample (vectorised: all fits of a run at once):

- Harrell's bootstrap (Harrell, Lee and Mark 1996; ``rms::validate``): refit on each bootstrap
  sample, optimism = AUC on that sample minus AUC of the same fit on the original patients;
  corrected AUC = apparent AUC - mean optimism.
- Repeated stratified k-fold cross-validation: AUC of the pooled out-of-fold predictions of each
  repeat; mean and standard deviation over repeats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit


@dataclass(frozen=True)
class ValidatedAuc:
    """Apparent, optimism-corrected and cross-validated AUC of one model."""

    apparent: float
    optimism: float
    corrected: float
    resamples: int
    resamples_used: int
    cv_auc: float
    cv_sd: float
    folds: int
    repeats: int


def _design(X: np.ndarray) -> np.ndarray:
    """The predictors with a leading column of ones (intercept)."""
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    return np.column_stack([np.ones(len(X)), X])


def logistic_fits(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray, ridge: float = 1e-6, iterations: int = 100
) -> np.ndarray:
    """Coefficients (intercept first) of one logistic regression per row of ``weights``
    (case weights, e.g. bootstrap counts or 0 for held-out patients), by Newton/IRLS.

    A tiny ridge on the slopes keeps a fit finite under complete separation.
    """
    design = _design(X)
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    beta = np.zeros((len(weights), design.shape[1]))
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        prob = expit(beta @ design.T)
        w = weights * prob * (1.0 - prob)
        hessian = np.einsum("bn,ni,nj->bij", w, design, design) + penalty
        gradient = (weights * (y - prob)) @ design - beta @ penalty
        step = np.linalg.solve(hessian, gradient[..., None])[..., 0]
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


#: Case x control comparisons held in memory at once by :func:`weighted_auc` (bounds the memory
#: of many resamples of a large cohort; a 38-patient cohort does all its resamples in one go).
PAIRS_PER_BLOCK = 2_000_000


def weighted_auc(
    y: np.ndarray, scores: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """AUC of each row of ``scores`` (Mann-Whitney, ties one half), every patient counted
    ``weights`` times (bootstrap counts); NaN for a row without a case or a control."""
    scores = np.atleast_2d(scores)
    weights = np.ones_like(scores) if weights is None else np.atleast_2d(weights)
    cases, controls = y == 1, y == 0
    block = max(1, PAIRS_PER_BLOCK // max(int(cases.sum() * controls.sum()), 1))
    aucs = []
    for start in range(0, len(scores), block):
        rows = slice(start, start + block)
        s_case, s_ctrl = scores[rows][:, cases][:, :, None], scores[rows][:, controls][:, None, :]
        above = (s_case > s_ctrl) + 0.5 * (s_case == s_ctrl)
        w = weights[rows]
        pair_weight = w[:, cases][:, :, None] * w[:, controls][:, None, :]
        total = pair_weight.sum(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            aucs.append(np.where(total > 0, (above * pair_weight).sum(axis=(1, 2)) / total, np.nan))
    return np.concatenate(aucs)


def optimism_of_resamples(X: np.ndarray, y: np.ndarray, counts: np.ndarray) -> tuple[float, int]:
    """Harrell's mean optimism of the AUC over the bootstrap samples given as ``counts``
    (resamples x patients: how often each patient was drawn), and how many samples had both
    outcomes (the others are skipped, as ``rms::validate`` skips failed fits)."""
    scores = logistic_fits(X, y, counts) @ _design(X).T
    on_sample = weighted_auc(y, scores, counts)
    on_original = weighted_auc(y, scores)
    usable = np.isfinite(on_sample) & np.isfinite(on_original)
    if not usable.any():
        return math.nan, 0
    return float(np.mean(on_sample[usable] - on_original[usable])), int(usable.sum())


def bootstrap_optimism(
    X: np.ndarray, y: np.ndarray, resamples: int, rng: np.random.Generator
) -> tuple[float, int]:
    """Harrell's mean optimism of the AUC over ``resamples`` bootstrap samples drawn by ``rng``
    (:func:`optimism_of_resamples`)."""
    if resamples <= 0:
        return math.nan, 0
    counts = rng.multinomial(len(y), np.full(len(y), 1.0 / len(y)), size=resamples)
    return optimism_of_resamples(X, y, counts)


def stratified_folds(y: np.ndarray, folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold number (0 .. folds-1) of each patient: cases and controls shuffled separately and
    dealt round-robin, so that every fold has both outcomes when possible."""
    fold = np.empty(len(y), dtype=int)
    start = 0
    for outcome in (1, 0):
        members = rng.permutation(np.flatnonzero(y == outcome))
        fold[members] = (start + np.arange(len(members))) % folds
        start = (start + len(members)) % folds
    return fold


def cross_validated_auc(
    X: np.ndarray, y: np.ndarray, folds: int, repeats: int, rng: np.random.Generator
) -> tuple[float, float]:
    """Mean and standard deviation over ``repeats`` of the AUC of pooled out-of-fold predictions
    from stratified ``folds``-fold cross-validation (NaN when not computable)."""
    folds = min(folds, int(min((y == 1).sum(), (y == 0).sum())))
    if folds < 2 or repeats <= 0:
        return math.nan, math.nan
    assignment = np.array([stratified_folds(y, folds, rng) for _ in range(repeats)])
    held_out = assignment[:, None, :] == np.arange(folds)[None, :, None]  # repeat, fold, patient
    train = (~held_out).reshape(repeats * folds, -1).astype(float)
    scores = (logistic_fits(X, y, train) @ _design(X).T).reshape(repeats, folds, -1)
    out_of_fold = (scores * held_out).sum(axis=1)
    aucs = weighted_auc(y, out_of_fold)
    return float(np.mean(aucs)), float(np.std(aucs, ddof=1)) if repeats > 1 else math.nan


def validated_auc(
    X: np.ndarray, y: np.ndarray, resamples: int, folds: int, repeats: int, seed: int
) -> ValidatedAuc:
    """Apparent AUC, Harrell's optimism-corrected AUC and repeated k-fold CV AUC (``seed``)."""
    rng = np.random.default_rng(seed)
    apparent = float(weighted_auc(y, logistic_fits(X, y, np.ones(len(y))) @ _design(X).T)[0])
    optimism, used = bootstrap_optimism(X, y, resamples, rng)
    cv_auc, cv_sd = cross_validated_auc(X, y, folds, repeats, rng)
    return ValidatedAuc(
        apparent, optimism, apparent - optimism, resamples, used, cv_auc, cv_sd, folds, repeats
    )
