"""The vectorised GLM steps (esccrt.de.glm) against PyDESeq2's own per-gene functions."""

from __future__ import annotations

import numpy as np
import pytest
from esccrt.de import glm
from pydeseq2 import utils


@pytest.fixture(scope="module")
def data() -> dict:
    rng = np.random.default_rng(5)
    n_genes, n_samples = 60, 8
    design = np.column_stack([np.ones(n_samples), np.repeat([0.0, 1.0], n_samples // 2)])
    size_factors = rng.uniform(0.6, 1.4, n_samples)
    means = np.exp(rng.normal(3, 2, n_genes))[:, None] * np.exp(design[:, 1] * rng.normal(0, 1))
    dispersions = rng.uniform(0.01, 1.0, n_genes)
    counts = rng.negative_binomial(1 / dispersions[:, None], 1 / (1 + means * dispersions[:, None]))
    counts[0] = 0
    counts[1, :4] = 0  # a group of zeros
    counts[2, :] = [0, 0, 0, 0, 0, 0, 0, 5]
    return {
        "counts": counts.T.astype(float),  # samples x genes, as PyDESeq2 passes them
        "design": design,
        "size_factors": size_factors,
        "dispersions": dispersions,
    }


@pytest.mark.parametrize("maxiter", [250, 2])
def test_irls_equals_pydeseq2_per_gene(data, maxiter):
    """Same fit; with ``maxiter`` 2 every gene leaves IRLS for PyDESeq2's optimiser path."""
    counts, design, sf, disp = (
        data["counts"],
        data["design"],
        data["size_factors"],
        data["dispersions"],
    )
    if maxiter == 2:  # the optimiser path is slow: a few genes are enough
        counts, disp = counts[:, :12], disp[:12]
    beta, mu, hat, converged = glm.irls(counts, sf, design, disp, 0.5, 1e-8, maxiter=maxiter)
    for gene in range(counts.shape[1]):
        b, m, h, c = utils.irls_solver(
            counts[:, gene], sf, design, disp[gene], 0.5, 1e-8, maxiter=maxiter
        )
        np.testing.assert_allclose(beta[gene], b, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(mu[:, gene], m, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(hat[:, gene], h, rtol=1e-7, atol=1e-12)
        assert converged[gene] == c


def test_linear_means_and_wald_test_equal_pydeseq2_per_gene(data):
    counts, design, sf, disp = (
        data["counts"],
        data["design"],
        data["size_factors"],
        data["dispersions"],
    )
    mu = glm.linear_means(counts, sf, design, 0.5)
    beta, fitted, _hat, _ok = glm.irls(counts, sf, design, disp, 0.5, 1e-8)
    ridge, contrast = np.diag([1e-6, 1e-6]), np.array([0.0, 1.0])
    p, stat, se = glm.wald_test(design, disp, beta, fitted, ridge, contrast, 0.0)
    for gene in range(counts.shape[1]):
        np.testing.assert_allclose(mu[:, gene], utils.fit_lin_mu(counts[:, gene], sf, design, 0.5))
        expected = utils.wald_test(
            design, disp[gene], beta[gene], fitted[:, gene], ridge, contrast, 0.0, None
        )
        np.testing.assert_allclose([p[gene], stat[gene], se[gene]], expected, rtol=1e-9)
