"""The diagnostic model's logistic fit and AUC against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from esccrt.survival.diagnostic import logistic_fit, roc_auc, roc_curve


def test_logistic_fit_and_auc_agree_with_scikit_learn() -> None:
    """The small IRLS fit and Mann-Whitney AUC equal scikit-learn's (unpenalised) results."""
    from sklearn import linear_model, metrics  # pinned in requirements.lock (make setup)

    rng = np.random.default_rng(11)
    X = rng.normal(size=(80, 3))
    y = (X @ [0.8, -0.5, 0.3] + rng.normal(size=80) > 0).astype(float)
    beta = logistic_fit(X, y)
    reference = linear_model.LogisticRegression(C=1e12, tol=1e-12, max_iter=10000).fit(X, y)
    # measured 3.1e-7 (coefficients) and 3.1e-8 (intercept) on 2026-12-06 (were 1e-4)
    np.testing.assert_allclose(beta[1:], reference.coef_[0], atol=6e-7)
    np.testing.assert_allclose(beta[0], reference.intercept_[0], atol=6e-8)
    score = np.column_stack([np.ones(len(X)), X]) @ beta
    score = np.round(score, 1)  # ties
    # measured 1.3e-16 on 2026-12-06 (was pytest's default 1e-6)
    assert roc_auc(y, score) == pytest.approx(metrics.roc_auc_score(y, score), rel=1e-12)
    roc = roc_curve(y, score)
    # measured 1.3e-16 on 2026-12-06
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(roc_auc(y, score), rel=1e-12)
