"""R DESeq2's dispersion fits (esccrt.de.dispersion): the pieces R's numbers rest on.

Agreement with R's outputs themselves is tested in tests/parity/test_de_matches_r.py (every R
data set and pasilla); these tests pin down the mathematics of the port on small
negative-binomial data.
"""

from __future__ import annotations

import numpy as np
import pytest
from esccrt.de import dispersion

DESIGN = np.column_stack([np.ones(8), np.repeat([0.0, 1.0], 4)])


@pytest.fixture(scope="module")
def genes():
    """200 negative-binomial genes over two groups of four, with means and true dispersions."""
    rng = np.random.default_rng(20261125)
    base = rng.lognormal(4, 1.5, size=200)
    alpha = 0.05 + 1.0 / base
    mu = base[:, None] * np.exp(DESIGN @ np.array([0.0, 0.7]))[None, :]
    counts = rng.negative_binomial(1 / alpha[:, None], 1 / (1 + alpha[:, None] * mu))
    return counts.astype(float), np.maximum(mu, dispersion.MIN_MU), alpha


@pytest.mark.parametrize("with_prior", [False, True])
def test_derivative_is_that_of_the_log_posterior(genes, with_prior):
    counts, mu, alpha = genes
    prior = dispersion.Prior(np.log(alpha), 0.5) if with_prior else None
    log_alpha = np.log(alpha) + 0.3
    step = 1e-5
    numeric = (
        dispersion.log_posterior(log_alpha + step, counts, mu, DESIGN, prior)
        - dispersion.log_posterior(log_alpha - step, counts, mu, DESIGN, prior)
    ) / (2 * step)
    analytic = dispersion.dlog_posterior(log_alpha, counts, mu, DESIGN, prior)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5)


def test_line_search_stops_at_the_maximum(genes):
    counts, mu, alpha = genes
    search = dispersion.line_search(counts, mu, DESIGN, alpha * 3, None, np.log(1e-9))
    done = (search.iterations < dispersion.MAX_ITERATIONS) & (search.log_alpha > np.log(1e-6))
    assert done.mean() > 0.9
    assert np.all(search.last_log_posterior >= search.initial_log_posterior)
    # at the stop, a step either way gains at most a little more than R's tolerance
    for shift in (-0.01, 0.01):
        moved = dispersion.log_posterior(search.log_alpha + shift, counts, mu, DESIGN, None)
        assert np.all((moved - search.last_log_posterior)[done] < 1e-3)


def test_genewise_keeps_the_start_when_the_gain_is_negligible(genes):
    counts, mu, alpha = genes
    start = alpha * 1.02
    search = dispersion.line_search(counts, mu, DESIGN, start, None, np.log(1e-9))
    initial = search.initial_log_posterior
    negligible = search.last_log_posterior < initial + np.abs(initial) / 1e6
    fitted, converged = dispersion.genewise_dispersions(counts, mu, DESIGN, start, 1e-8, 10.0)
    assert negligible.any() and (~negligible).any()
    # R's noIncrease rule: the start exactly, not the line search's last step
    np.testing.assert_array_equal(fitted[negligible], start[negligible])
    moved = ~negligible & converged
    np.testing.assert_allclose(fitted[moved], np.exp(search.log_alpha[moved]))


def test_grid_search_finds_the_best_grid_point(genes):
    counts, mu = genes[0][:20], genes[1][:20]
    best = np.log(dispersion.grid_search(counts, mu, DESIGN, None))
    dense = np.linspace(np.log(1e-8), np.log(10.0), 4000)
    values = np.column_stack(
        [dispersion.log_posterior(np.full(20, a), counts, mu, DESIGN, None) for a in dense]
    )
    # the fine grid spacing is 2 * coarse spacing / 19: within that of the dense optimum
    spacing = 2 * (np.log(10.0) - np.log(1e-8)) / 19 / 19
    assert np.all(np.abs(best - dense[values.argmax(axis=1)]) <= spacing + dense[1] - dense[0])


def test_map_start_follows_r():
    genewise = np.array([0.5, 0.001, np.nan])
    fitted = np.array([0.1, 0.1, 0.2])
    np.testing.assert_array_equal(dispersion.map_start(genewise, fitted), [0.5, 0.1, 0.2])


def test_wald_test_floors_means_as_r():
    """R's fitBeta computes standard errors from means floored at minmu (0.5)."""
    from pydeseq2.default_inference import DefaultInference

    design = np.column_stack([np.ones(4), [0.0, 0.0, 1.0, 1.0]])
    call = dict(
        design_matrix=design,
        disp=np.array([0.1]),
        lfc=np.array([[-6.0, 10.0]]),
        ridge_factor=np.diag([1e-6, 1e-6]),
        contrast=np.array([0.0, 1.0]),
        lfc_null=0.0,
    )
    mu = np.array([[0.001], [0.001], [40.0], [50.0]])
    as_r = dispersion.RDispersionInference(n_cpus=1).wald_test(mu=mu, **call)[2]
    at_floor = DefaultInference(n_cpus=1).wald_test(mu=np.maximum(mu, 0.5), **call)[2]
    unfloored = DefaultInference(n_cpus=1).wald_test(mu=mu, **call)[2]
    np.testing.assert_allclose(as_r, at_floor)
    assert unfloored[0] > 2 * as_r[0]
