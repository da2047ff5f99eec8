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

Each step runs on blocks of genes (:func:`gene_blocks`) so that its genes x samples
temporaries are bounded by :data:`BLOCK_BYTES` instead of growing with the matrix (at 60,000
genes x 1,000 samples one float64 matrix is 480 MB and the IRLS holds about a dozen). Every
gene's arithmetic is its own, so the results do not depend on the blocks
(tests/unit/de/test_de_blocks.py asserts equality, bit for bit): sums over samples are
einsum's loops, not BLAS matrix products, whose order of summation can depend on the number
of genes in the product.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from pydeseq2 import utils
from scipy.special import gammaln
from scipy.stats import norm

#: Memory target of one block's genes x samples temporaries (bytes): a few hundred MB.
BLOCK_BYTES = 256 * 2**20
#: Genes x samples float64 arrays a vectorised step holds at once, at most (IRLS: counts,
#: means, weights, working response, deviance terms and their copies for the active genes).
TEMPORARIES = 16


def gene_blocks(n_genes: int, n_samples: int) -> Iterator[slice]:
    """Consecutive blocks of genes whose :data:`TEMPORARIES` genes x samples float64 arrays
    fit in :data:`BLOCK_BYTES` (at least one gene per block)."""
    size = max(1, BLOCK_BYTES // (TEMPORARIES * 8 * max(n_samples, 1)))
    for start in range(0, n_genes, size):
        yield slice(start, min(start + size, n_genes))


def linear_means(
    counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray, min_mu: float
) -> np.ndarray:
    """``utils.fit_lin_mu`` of every gene: least squares of normalised counts on the design,
    fitted means floored at ``min_mu`` (samples x genes), block by block."""
    means = np.empty(counts.shape)
    # the least-squares solution through the pseudo-inverse and einsum (not BLAS): each
    # gene's sums then run in the same order whatever the block
    inverse = np.linalg.pinv(design)
    for block in gene_blocks(counts.shape[1], counts.shape[0]):
        normalised = counts[:, block] / size_factors[:, None]
        coefficients = np.einsum("pn,ng->pg", inverse, normalised)
        fitted = np.einsum("np,pg->ng", design, coefficients)
        means[:, block] = np.maximum(size_factors[:, None] * fitted, min_mu)
    return means


def nb_nll_rows(counts: np.ndarray, mu: np.ndarray, dispersions: np.ndarray) -> np.ndarray:
    """``utils.nb_nll`` of each gene (rows of genes x samples arrays) with its dispersion."""
    inverse = (1.0 / dispersions)[:, None]
    log_binomial = gammaln(counts + inverse) - gammaln(counts + 1.0) - gammaln(inverse)
    n = counts.shape[1]
    return n * inverse[:, 0] * np.log(dispersions) + np.sum(
        -log_binomial + (counts + inverse) * np.log(inverse + mu) - counts * np.log(mu), axis=1
    )


def cross(design: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """X' diag(w) X per gene (genes x p x p), summed over samples by einsum's own loop (not
    BLAS, whose order of summation can depend on the number of genes)."""
    return np.einsum("gn,npq->gpq", weights, design[:, :, None] * design[:, None, :])


def _start(counts: np.ndarray, size_factors: np.ndarray, design: np.ndarray) -> np.ndarray:
    """IRLS starting coefficients of ``utils.irls_solver`` (genes x p)."""
    n_coefficients = design.shape[1]
    if np.linalg.matrix_rank(design) == n_coefficients:
        q, r = np.linalg.qr(design)
        y = np.log(counts / size_factors[None, :] + 0.1)
        return np.linalg.solve(r[None], np.einsum("np,gn->gp", q, y)[:, :, None])[:, :, 0]
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
    hat diagonals (both samples x genes), converged per gene), block by block."""
    n_samples, n_genes = counts.shape
    beta = np.empty((n_genes, design.shape[1]))
    mu = np.empty((n_genes, n_samples))
    hat = np.empty((n_genes, n_samples))
    converged = np.empty(n_genes, dtype=bool)
    for block in gene_blocks(n_genes, n_samples):
        beta[block], mu[block], hat[block], converged[block] = _irls_block(
            np.asarray(counts[:, block], dtype=float).T,
            size_factors,
            design,
            dispersions[block],
            min_mu,
            beta_tol,
            max_beta,
            maxiter,
            solver_options or {},
        )
    return beta, mu.T, hat.T, converged


def _irls_block(
    y: np.ndarray,
    size_factors: np.ndarray,
    design: np.ndarray,
    dispersions: np.ndarray,
    min_mu: float,
    beta_tol: float,
    max_beta: float,
    maxiter: int,
    solver_options: dict,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`irls` of one block of genes; ``y`` genes x samples, and so are the means and
    hat diagonals returned."""
    n_genes, n_coefficients = y.shape[0], design.shape[1]
    ridge = np.diag(np.repeat(1e-6, n_coefficients))
    beta = _start(y, size_factors, design)
    converged = np.ones(n_genes, dtype=bool)
    diverged = np.zeros(n_genes, dtype=bool)
    deviance = np.full(n_genes, 1000.0)
    active = np.arange(n_genes)
    mu = np.maximum(size_factors * np.exp(np.einsum("gp,np->gn", beta, design)), min_mu)
    iteration = 0
    while active.size:
        iteration += 1
        m, alpha = mu[active], dispersions[active]
        weights = m / (1.0 + m * alpha[:, None])
        z = np.log(m / size_factors) + (y[active] - m) / m
        hessian = cross(design, weights) + ridge
        rhs = np.einsum("gn,np->gp", weights * z, design)  # not BLAS: same sums in any block
        beta_hat = np.linalg.solve(hessian, rhs[:, :, None])[:, :, 0]
        leaving = (np.abs(beta_hat) > max_beta).any(axis=1) | (iteration >= maxiter)
        diverged[active[leaving]] = True
        active, beta_hat = active[~leaving], beta_hat[~leaving]
        beta[active] = beta_hat
        mu[active] = np.maximum(
            size_factors * np.exp(np.einsum("gp,np->gn", beta_hat, design)), min_mu
        )
        old = deviance[active]
        deviance[active] = -2.0 * nb_nll_rows(y[active], mu[active], dispersions[active])
        ratio = np.abs(deviance[active] - old) / (np.abs(deviance[active]) + 0.1)
        active = active[ratio > beta_tol]
    weights = mu / (1.0 + mu * dispersions[:, None])
    inverse = np.linalg.inv(cross(design, weights) + ridge)
    hat = np.einsum("np,gpq,nq->gn", design, inverse, design) * weights
    mu_out = size_factors * np.exp(np.einsum("gp,np->gn", beta, design))
    for gene in np.flatnonzero(diverged):  # PyDESeq2's own path: its optimiser takes over
        beta[gene], mu_out[gene], hat[gene], converged[gene] = utils.irls_solver(
            counts=y[gene],
            size_factors=size_factors,
            design_matrix=design,
            disp=dispersions[gene],
            min_mu=min_mu,
            beta_tol=beta_tol,
            maxiter=maxiter,
            **solver_options,
        )
    return beta, mu_out, hat, converged


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
    se = np.empty(dispersions.shape[0])
    for block in gene_blocks(se.shape[0], mu.shape[0]):
        m = np.asarray(mu[:, block], dtype=float).T
        weights = m / (1.0 + m * dispersions[block, None])
        information = cross(design, weights)
        hc = np.einsum("gpq,q->gp", np.linalg.inv(information + ridge), contrast)
        se[block] = np.sqrt(np.einsum("gp,gpq,gq->g", hc, information, hc))
    stat = ((np.asarray(lfc, dtype=float) - lfc_null) @ contrast) / se
    return 2.0 * norm.sf(np.abs(stat)), stat, se
