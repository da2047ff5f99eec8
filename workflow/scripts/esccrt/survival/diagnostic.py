"""Diagnostic model: logistic regression of "event within N months" on the log2 fold changes,
ROC curve, apparent AUC with its DeLong 95 % CI, optimism-corrected and cross-validated AUC."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.survival.delong import delong_auc
from esccrt.survival.settings import DiagnosticSettings, Endpoint
from esccrt.survival.validation import logistic_fits, validated_auc, weighted_auc


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
    return logistic_fits(X, y, np.ones(len(y)), ridge, iterations)[0]


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half); NaN without both classes."""
    return float(weighted_auc(y, score)[0])


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
    clinical: pd.DataFrame, fold_changes: pd.DataFrame, settings: DiagnosticSettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Logistic model of "event within ``within``" on log2 fold changes; (roc, auc summary).

    The summary holds the apparent AUC (fitted and judged on the same patients) with its DeLong
    95 % CI, Harrell's optimism-corrected AUC (``bootstrap`` refits) and the AUC of repeated
    stratified k-fold cross-validation (``cv_folds`` x ``cv_repeats``), all from ``seed``.
    """
    endpoint, within, predictors = settings.endpoint, settings.within, settings.predictors
    outcome, unknown = binary_outcome(clinical, endpoint, within)
    absent = [p for p in predictors if p not in fold_changes.columns]
    if absent:
        raise InputError(
            f"config key survival.diagnostic.predictors: no fold change (qPCR or seq:) "
            f"for {absent}."
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
        summary |= dict.fromkeys(("auc", "ci_low", "ci_high", "auc_corrected", "auc_cv"), math.nan)
        summary["note"] = "outcome has a single class: no model"
        return pd.DataFrame(columns=["threshold", "fpr", "tpr"]), pd.DataFrame([summary])
    beta = logistic_fit(X, y)
    score = np.column_stack([np.ones(len(X)), X]) @ beta
    apparent = delong_auc(y, score)
    checked = validated_auc(
        X, y, settings.bootstrap, settings.cv_folds, settings.cv_repeats, settings.seed
    )
    summary |= {
        "auc": apparent.auc,
        "auc_se": apparent.se,
        "ci_low": apparent.ci_low,
        "ci_high": apparent.ci_high,
        "ci_method": "DeLong",
        "auc_optimism": checked.optimism,
        "auc_corrected": checked.corrected,
        "bootstrap": settings.bootstrap,
        "bootstrap_used": checked.resamples_used,
        "auc_cv": checked.cv_auc,
        "auc_cv_sd": checked.cv_sd,
        "cv_folds": settings.cv_folds,
        "cv_repeats": settings.cv_repeats,
        "seed": settings.seed,
        "intercept": float(beta[0]),
    }
    summary |= {f"coef_log2fc_{p}": float(b) for p, b in zip(predictors, beta[1:], strict=True)}
    summary["note"] = (
        "auc: apparent (fitted and judged on the same patients); auc_corrected: Harrell's "
        "bootstrap optimism correction; auc_cv: repeated stratified cross-validation"
    )
    return roc_curve(y, score), pd.DataFrame([summary])
