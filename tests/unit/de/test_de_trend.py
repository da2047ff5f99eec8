"""R DESeq2's parametric dispersion trend (esccrt.de.trend): R's gamma GLM fit."""

from __future__ import annotations

import numpy as np
from esccrt.de.trend import gamma_identity_glm


def test_gamma_trend_fit_solves_the_score_equations():
    """R's glm(Gamma(link="identity")) optimum: X' W (y - mu) = 0 with W = 1 / mu^2."""
    rng = np.random.default_rng(3)
    means = rng.lognormal(4, 1.5, 2000)
    trend = 0.05 + 2.0 / means
    observed = trend * rng.gamma(2.0, 0.5, means.size)
    coefficients, converged = gamma_identity_glm(1 / means, observed, start=np.array([0.1, 1.0]))
    assert converged
    design = np.column_stack([np.ones_like(means), 1 / means])
    mu = design @ coefficients
    score = design.T @ ((observed - mu) / mu**2)
    assert np.all(np.abs(score) < 1e-6 * np.abs(design.T @ (observed / mu**2)))
    np.testing.assert_allclose(coefficients, [0.05, 2.0], rtol=0.1)
