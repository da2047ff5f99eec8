"""Diagnostic model: logistic regression of "event within N months" on the log2 fold changes,
ROC curve and AUC with a percentile-bootstrap 95 % CI."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.survival.settings import Endpoint


def binary_outcome(
    clinical: pd.DataFrame, endpoint: Endpoint, within: float
) -> tuple[pd.Series, list[str]]:
    """1 = event by ``within`` time units, 0 = followed beyond it without (or after) the event.

    Patients censored before ``within`` have an unknown outcome: returned separately, left out.
    """
    t, e = clinical[endpoint.time].astype(float), clinical[endpoint.event].astype(int)
    outcome = pd.Series(np.where((e == 1) & (t <= within), 1, 0), index=clinical.index)
    unknown = (e == 0) & (t <= within)
    return outcome[~unknown], clinical.index[unknown].astype(str).tolist()


def logistic_fit(
    X: np.ndarray, y: np.ndarray, ridge: float = 1e-6, iterations: int = 100
) -> np.ndarray:
    """Coefficients (intercept first) of a logistic regression by Newton/IRLS.

    A tiny ridge keeps the fit finite under complete separation.
    """
    design = np.column_stack([np.ones(len(X)), X])
    beta = np.zeros(design.shape[1])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        prob = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = prob * (1.0 - prob)
        hessian = design.T @ (design * w[:, None]) + penalty
        gradient = design.T @ (y - prob) - penalty @ beta
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half)."""
    pos, neg = score[y == 1], score[y == 0]
    if not len(pos) or not len(neg):
        return math.nan
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def roc_curve(y: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """ROC points (threshold, fpr, tpr) from the highest threshold down, starting at (0, 0)."""
    thresholds = np.unique(score)[::-1]
    n_pos, n_neg = max(int((y == 1).sum()), 1), max(int((y == 0).sum()), 1)
    rows = [{"threshold": math.inf, "fpr": 0.0, "tpr": 0.0}]
    for thr in thresholds:
        called = score >= thr
        rows.append(
            {
                "threshold": float(thr),
                "fpr": float((called & (y == 0)).sum() / n_neg),
                "tpr": float((called & (y == 1)).sum() / n_pos),
            }
        )
    return pd.DataFrame(rows)


def diagnostic_model(
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    endpoint: Endpoint,
    within: float,
    predictors: Sequence[str],
    n_bootstrap: int = 1000,
    seed: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Logistic model of "event within ``within``" on log2 fold changes; (roc, auc summary).

    The AUC is that of the fitted probabilities (apparent AUC, as commonly reported), with a
    percentile 95 % CI from ``n_bootstrap`` resamples of the patients (fixed ``seed``).
    """
    outcome, unknown = binary_outcome(clinical, endpoint, within)
    absent = [p for p in predictors if p not in fold_changes.columns]
    if absent:
        raise InputError(
            f"config key survival.diagnostic.predictors: no qPCR fold change for {absent}."
        )
    fc = fold_changes.reindex(outcome.index)[list(predictors)]
    keep = fc.notna().all(axis=1) & (fc > 0).all(axis=1)
    X = np.log2(fc[keep].to_numpy(dtype=float))
    y = outcome[keep].to_numpy(dtype=float)
    summary = {
        "endpoint": endpoint.name,
        "outcome": f"{endpoint.event}=1 with {endpoint.time} <= {within:g}",
        "n": len(y),
        "n_outcome": int(y.sum()),
        "n_left_out": len(unknown) + int((~keep).sum()),
        "left_out": ",".join(unknown + outcome.index[~keep].astype(str).tolist()),
    }
    if len(np.unique(y)) < 2:
        summary |= {"auc": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        summary["note"] = "outcome has a single class: no model"
        return pd.DataFrame(columns=["threshold", "fpr", "tpr"]), pd.DataFrame([summary])
    beta = logistic_fit(X, y)
    score = np.column_stack([np.ones(len(X)), X]) @ beta
    auc = roc_auc(y, score)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(y), len(y))
        value = roc_auc(y[idx], score[idx])
        if math.isfinite(value):
            boots.append(value)
    low, high = np.percentile(boots, [2.5, 97.5]) if boots else (math.nan, math.nan)
    summary |= {
        "auc": auc,
        "ci_low": float(low),
        "ci_high": float(high),
        "bootstrap": n_bootstrap,
        "seed": seed,
        "intercept": float(beta[0]),
    }
    summary |= {f"coef_log2fc_{p}": float(b) for p, b in zip(predictors, beta[1:], strict=True)}
    summary["note"] = "apparent AUC of the fitted model (no validation set)"
    return roc_curve(y, score), pd.DataFrame([summary])
