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
    np.testing.assert_allclose(beta[1:], reference.coef_[0], atol=1e-4)
    np.testing.assert_allclose(beta[0], reference.intercept_[0], atol=1e-4)
    score = np.column_stack([np.ones(len(X)), X]) @ beta
    score = np.round(score, 1)  # ties
    assert roc_auc(y, score) == pytest.approx(metrics.roc_auc_score(y, score))
    roc = roc_curve(y, score)
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(roc_auc(y, score))
