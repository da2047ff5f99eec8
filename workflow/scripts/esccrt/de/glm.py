"""PyDESeq2's per-gene GLM steps, vectorised over genes (NumPy) with the same arithmetic.

PyDESeq2 0.5 fits the negative binomial GLM (``utils.irls_solver``), the linear model of the
first means (``utils.fit_lin_mu``) and the Wald test (``utils.wald_test``) one gene at a time in
joblib workers; with tens of thousands of genes the per-call overhead, not the arithmetic,
is the run time. Here every gene takes the same steps in stacked arrays (genes x samples,
genes x p x p); a gene leaves the IRLS loop when its own deviance criterion is met, exactly
where PyDESeq2's loop would stop. Genes whose IRLS diverges (a coefficient beyond
``max_beta``, or ``maxiter`` iterations) are handed to PyDESeq2's own solver, which then
takes its optimiser path for them, as it would have.

Arrays are as PyDESeq2 passes them: ``counts`` and ``mu`` samples x genes, ``design``
samples x p.
"""

from __future__ import annotations

import numpy as np
from pydeseq2 import utils
from scipy.special import gammaln
from scipy.stats import norm


def linear_means(
    counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray, min_mu: float
) -> np.ndarray:
    """``utils.fit_lin_mu`` of every gene: least squares of normalised counts on the design,
    fitted means floored at ``min_mu`` (samples x genes)."""
    normalised = counts / size_factors[:, None]
    coefficients = np.linalg.lstsq(design, normalised, rcond=None)[0]
    return np.maximum(size_factors[:, None] * (design @ coefficients), min_mu)


def nb_nll_rows(counts: np.ndarray, mu: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
    """``utils.nb_nll`` of each gene (rows of genes x samples arrays) with its dispersion."""
    inverse = (1.0 / dispersions)[:, None]
    log_binomial = gammaln(counts + inverse) - gammaln(counts + 1.0) - gammaln(inverse)
    n = counts.shape[1]
    return n * inverse[:, 0] * np.log(dispersions) + np.sum(
        -log_binomial + (counts + inverse) * np.log(inverse + mu) - counts * np.log(mu), axis=1
    )


def _cross(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """X' diag(w) X per gene (genes x p x p)."""
    return np.einsum("np,gn,nq->gpq", design, weights, design, optimize=True)


def _start(counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray) -> np.ndarray:
    """IRLS starting coefficients of ``utils.irls_solver`` (genes x p)."""
    n_coefficients = design.shape[1]
    if np.linalg.matrix_rank(design) == n_coefficients:
        q, r = np.linalg.qr(design)
        y = np.log(counts / size_factors[None, :] + 0.1)
        return np.linalg.solve(r, q.T @ y.T).T
    start = np.zeros((counts.shape[0], n_coefficients))
    with np.errstate(divide="ignore"):
        start[:, 0] = np.log(counts / size_factors[None, :]).mean(axis=1)
    return start


def irls(
    counts: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    min_mu: float,
    beta_tol: float,
    max_beta: float = 30,
    maxiter: int = 250,
    solver_options: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``utils.irls_solver`` of every gene: (coefficients genes x p, unfloored means,
    hat diagonals (both samples x genes), converged per gene)."""
    y = np.asarray(counts, dtype=float).T  # genes x samples
    n_genes, n_coefficients = y.shape[0], design.shape[1]
    ridge = np.diag(np.repeat(1e-6, n_coefficients))
    beta = _start(y, size_factors, design)
    converged = np.ones(n_genes, dtype=bool)
    diverged = np.zeros(n_genes, dtype=bool)
    deviance = np.full(n_genes, 1000.0)
    active = np.arange(n_genes)
    mu = np.maximum(size_factors * np.exp(beta @ design.T), min_mu)
    iteration = 0
    while active.size:
        iteration += 1
        m, alpha = mu[active], dispersions[active]
        weights = m / (1.0 + m * alpha[:, None])
        z = np.log(m / size_factors) + (y[active] - m) / m
        hessian = _cross(design, weights) + ridge
        rhs = (weights * z) @ design
        beta_hat = np.linalg.solve(hessian, rhs[:, :, None])[:, :, 0]
        leaving = (np.abs(beta_hat) > max_beta).any(axis=1) | (iteration >= maxiter)
        diverged[active[leaving]] = True
        active, beta_hat = active[~leaving], beta_hat[~leaving]
        beta[active] = beta_hat
        mu[active] = np.maximum(size_factors * np.exp(beta_hat @ design.T), min_mu)
        old = deviance[active]
        deviance[active] = -2.0 * nb_nll_rows(y[active], mu[active], dispersions[active])
        ratio = np.abs(deviance[active] - old) / (np.abs(deviance[active]) + 0.1)
        active = active[ratio > beta_tol]
    weights = mu / (1.0 + mu * dispersions[:, None])
    inverse = np.linalg.inv(_cross(design, weights) + ridge)
    hat = np.einsum("np,gpq,nq->gn", design, inverse, design, optimize=True) * weights
    mu_out = size_factors * np.exp(beta @ design.T)
    for gene in np.flatnonzero(diverged):  # PyDESeq2's own path: its optimiser takes over
        beta[gene], mu_out[gene], hat[gene], converged[gene] = utils.irls_solver(
            counts=y[gene],
            size_factors=size_factors,
            design_matrix=design,
            disp=dispersions[gene],
            min_mu=min_mu,
            beta_tol=beta_tol,
            maxiter=maxiter,
            **(solver_options or {}),
        )
    return beta, mu_out.T, hat.T, converged


def wald_test(
    design: np.ndarray,
    dispersions: np.ndarray,
    lfc: np.ndarray,
    mu: np.ndarray,
    ridge: np.ndarray,
    contrast: np.ndarray,
    lfc_null: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``utils.wald_test`` of every gene, two-sided (no ``alt_hypothesis``): p-values,
    statistics and standard errors."""
    mu = np.asarray(mu, dtype=float).T
    weights = mu / (1.0 + mu * dispersions[:, None])
    information = _cross(design, weights)
    covariance = np.linalg.inv(information + ridge)
    hc = covariance @ contrast
    se = np.sqrt(np.einsum("gp,gpq,gq->g", hc, information, hc))
    stat = ((np.asarray(lfc, dtype=float) - lfc_null) @ contrast) / se
    return 2.0 * norm.sf(np.abs(stat)), stat, se
