"""DESeq2's dispersion estimates computed the way R DESeq2 computes them.

PyDESeq2 0.5 maximises the Cox-Reid adjusted likelihood of each gene's dispersion with
SciPy's L-BFGS-B. R DESeq2 (``fitDisp`` in ``src/DESeq2.cpp``, called from
``estimateDispersionsGeneEst`` and ``estimateDispersionsMAP``) uses a backtracking line search
on log(alpha) (Armijo rule, step growth x1.1, halving every fifth accepted step) that stops as
soon as a step gains less than ``tol`` in log posterior, and then

- keeps the starting value of a gene whose gene-wise fit gained less than a millionth of
  ``|log posterior|`` (``noIncrease``): for genes with large counts R's estimate *is* the start,
  the smaller of the rough and the moments estimates;
- refits on a two-level grid the genes whose line search did not converge.

Those rules, not the optimum alone, decide R's numbers, so they are reproduced here, written
from R DESeq2's published algorithm and vectorised over genes (NumPy) instead of R's loop.
The log posterior omits the terms that do not depend on alpha exactly as R's does, because the
``noIncrease`` rule is relative to its value.

Arrays are genes x samples (``counts``, ``mu``); ``design`` is samples x coefficients.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from pydeseq2.default_inference import DefaultInference
from scipy.special import digamma, gammaln

from esccrt.de import glm

#: R DESeq2's settings for both dispersion fits (``kappa_0``, ``dispTol``, ``maxit``).
KAPPA_0 = 1.0
TOLERANCE = 1e-6
MAX_ITERATIONS = 100
#: Armijo sufficient-increase constant and log(alpha) bounds of R's ``fitDisp``.
_ARMIJO = 1e-4
_LOG_ALPHA_FLOOR = -30.0
_LOG_ALPHA_CEILING = 10.0
_GRID_POINTS = 20
_GRID_MIN_DISPERSION = 1e-8
#: R's ``minmu`` (and PyDESeq2's ``min_mu``): fitted means are floored here in every GLM fit.
MIN_MU = 0.5


@dataclass(frozen=True)
class Prior:
    """Normal prior on log(alpha): per-gene means and one variance (functions take ``None``
    for no prior)."""

    log_mean: np.ndarray
    variance: float


def _prior_of(prior: Prior | None, genes: np.ndarray) -> Prior | None:
    """The prior of a subset of genes (index or mask)."""
    return None if prior is None else Prior(prior.log_mean[genes], prior.variance)


@dataclass(frozen=True)
class LineSearch:
    """Result of :func:`line_search`, per gene."""

    log_alpha: np.ndarray
    iterations: np.ndarray
    initial_log_posterior: np.ndarray
    last_log_posterior: np.ndarray


def _glm_weights(alpha: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """The NB GLM's working weights 1 / (1/mu + alpha), whose X'WX is the Cox-Reid term's."""
    return 1.0 / (1.0 / mu + alpha[:, None])


def log_posterior(
    log_alpha: np.ndarray,
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    prior: Prior | None,
) -> np.ndarray:
    """R DESeq2's ``log_posterior``: NB log likelihood (alpha-dependent terms), Cox-Reid, prior."""
    alpha = np.exp(log_alpha)
    inverse = (1.0 / alpha)[:, None]
    likelihood = np.sum(
        gammaln(counts + inverse)
        - gammaln(inverse)
        - counts * np.log(mu + inverse)
        - inverse * np.log(1.0 + mu * alpha[:, None]),
        axis=1,
    )
    _, log_det = np.linalg.slogdet(glm.cross(design, _glm_weights(alpha, mu)))
    result = likelihood - 0.5 * log_det
    if prior is not None:
        result = result - 0.5 * (log_alpha - prior.log_mean) ** 2 / prior.variance
    return result


def dlog_posterior(
    log_alpha: np.ndarray,
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    prior: Prior | None,
) -> np.ndarray:
    """Derivative of :func:`log_posterior` with respect to log(alpha) (R's ``dlog_posterior``)."""
    alpha = np.exp(log_alpha)
    inverse = (1.0 / alpha)[:, None]
    mu_alpha = mu * alpha[:, None]
    likelihood = alpha**-2 * np.sum(
        digamma(inverse)
        + np.log(1.0 + mu_alpha)
        - mu_alpha / (1.0 + mu_alpha)
        - digamma(counts + inverse)
        + counts / (mu + inverse),
        axis=1,
    )
    weights = _glm_weights(alpha, mu)
    information = glm.cross(design, weights)
    derivative = glm.cross(design, -(weights**2))  # d weights / d alpha
    cox_reid = -0.5 * np.trace(np.linalg.solve(information, derivative), axis1=1, axis2=2)
    result = (likelihood + cox_reid) * alpha
    if prior is not None:
        result = result - (log_alpha - prior.log_mean) / prior.variance
    return result


def line_search(
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    start: np.ndarray,
    prior: Prior | None,
    min_log_alpha: float,
) -> LineSearch:
    """R DESeq2's ``fitDisp``: Armijo backtracking line search on log(alpha), all genes at once.

    Each gene follows exactly R's sequence of proposals; genes drop out of the vectorised
    loop as R's loop would ``break`` for them.
    """
    n_genes = counts.shape[0]
    log_alpha = np.log(start).astype(float)
    lp = log_posterior(log_alpha, counts, mu, design, prior)
    dlp = dlog_posterior(log_alpha, counts, mu, design, prior)
    initial = lp.copy()
    kappa = np.full(n_genes, KAPPA_0)
    iterations = np.zeros(n_genes, dtype=int)
    accepted = np.zeros(n_genes, dtype=int)
    active = np.ones(n_genes, dtype=bool)

    def subset(genes: np.ndarray) -> tuple:
        """The arguments of the log posterior for a subset of genes."""
        return counts[genes], mu[genes], design, _prior_of(prior, genes)

    for _ in range(MAX_ITERATIONS):
        genes = np.flatnonzero(active)
        if genes.size == 0:
            break
        iterations[genes] += 1
        a, step, slope = log_alpha[genes], kappa[genes], dlp[genes]
        proposal = a + step * slope
        # R keeps log(alpha) within [-30, 10] by shortening the step (lgamma is unstable beyond).
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(proposal < _LOG_ALPHA_FLOOR, (_LOG_ALPHA_FLOOR - a) / slope, step)
            step = np.where(proposal > _LOG_ALPHA_CEILING, (_LOG_ALPHA_CEILING - a) / slope, step)
        kappa[genes] = step
        moved = a + step * slope
        lp_moved = log_posterior(moved, *subset(genes))
        sufficient = -lp_moved <= -lp[genes] - step * _ARMIJO * slope**2

        rejected = genes[~sufficient]
        kappa[rejected] /= 2.0

        ok = genes[sufficient]
        accepted[ok] += 1
        log_alpha[ok] = moved[sufficient]
        change = lp_moved[sufficient] - lp[ok]
        converged = change < TOLERANCE
        # On convergence R stores the new value; when log(alpha) runs to -infinity it stops
        # keeping the previous log posterior.
        lp[ok[converged]] = lp_moved[sufficient][converged]
        diverging = ~converged & (log_alpha[ok] < min_log_alpha)
        active[ok[converged | diverging]] = False
        going = ~converged & ~diverging
        carry_on = ok[going]
        lp[carry_on] = lp_moved[sufficient][going]
        if carry_on.size:
            dlp[carry_on] = dlog_posterior(log_alpha[carry_on], *subset(carry_on))
        kappa[carry_on] = np.minimum(kappa[carry_on] * 1.1, KAPPA_0)
        halve = carry_on[accepted[carry_on] % 5 == 0]
        kappa[halve] /= 2.0
    return LineSearch(log_alpha, iterations, initial, lp)


def grid_search(
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    prior: Prior | None,
) -> np.ndarray:
    """R DESeq2's ``fitDispGrid``: best log posterior on a 20-point grid, then a finer one."""
    n_genes, n_samples = counts.shape
    grid = np.linspace(np.log(_GRID_MIN_DISPERSION), np.log(max(10.0, n_samples)), _GRID_POINTS)
    delta = grid[1] - grid[0]

    def best(points: np.ndarray) -> np.ndarray:
        """Per gene, the point (of its row of ``points``) with the largest log posterior."""
        values = np.column_stack(
            [log_posterior(points[:, k], counts, mu, design, prior) for k in range(_GRID_POINTS)]
        )
        return points[np.arange(n_genes), np.argmax(values, axis=1)]

    coarse = best(np.broadcast_to(grid, (n_genes, _GRID_POINTS)))
    fine = coarse[:, None] + np.linspace(-delta, delta, _GRID_POINTS)[None, :]
    return np.exp(best(fine))


def _refit_on_grid(
    dispersions: np.ndarray,
    refit: np.ndarray,
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    prior: Prior | None,
) -> np.ndarray:
    """``dispersions`` with the genes of mask ``refit`` replaced by R's grid fit."""
    if refit.any():
        dispersions = dispersions.copy()
        dispersions[refit] = grid_search(counts[refit], mu[refit], design, _prior_of(prior, refit))
    return dispersions


def genewise_dispersions(
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    start: np.ndarray,
    min_disp: float,
    max_disp: float,
) -> tuple[np.ndarray, np.ndarray]:
    """R's ``estimateDispersionsGeneEst`` (one iteration) from ``start`` (min of rough, moments).

    Returns the dispersions and whether the line search converged (R's ``dispGeneEstConv``).
    """
    start = np.clip(start, min_disp, max_disp)
    search = line_search(counts, mu, design, start, None, np.log(min_disp / 10))
    dispersions = np.minimum(np.exp(search.log_alpha), max_disp)
    initial = search.initial_log_posterior
    no_increase = search.last_log_posterior < initial + np.abs(initial) / 1e6
    dispersions = np.where(no_increase, start, dispersions)
    converged = (search.iterations < MAX_ITERATIONS) & (search.iterations != 1)
    refit = ~converged & (dispersions > min_disp * 10)
    dispersions = _refit_on_grid(dispersions, refit, counts, mu, design, None)
    return np.clip(dispersions, min_disp, max_disp), converged


def map_dispersions(
    counts: np.ndarray,
    mu: np.ndarray,
    design: np.ndarray,
    start: np.ndarray,
    fitted: np.ndarray,
    prior_variance: float,
    min_disp: float,
    max_disp: float,
) -> tuple[np.ndarray, np.ndarray]:
    """R's maximum a posteriori step of ``estimateDispersionsMAP`` (before outlier handling).

    The prior on log(alpha) is centred on the trend (``fitted``); ``start`` is R's
    :func:`map_start`. Returns the dispersions and whether the line search converged.
    """
    prior = Prior(np.log(fitted), prior_variance)
    search = line_search(counts, mu, design, start, prior, np.log(min_disp / 10))
    dispersions = np.exp(search.log_alpha)
    converged = search.iterations < MAX_ITERATIONS
    dispersions = _refit_on_grid(dispersions, ~converged, counts, mu, design, prior)
    return np.clip(dispersions, min_disp, max_disp), converged


def map_start(genewise: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """R's starting point of the MAP fit: the gene-wise estimate unless it lies an order of
    magnitude below the trend (or is missing), then the trend."""
    start = np.where(genewise > 0.1 * fitted, genewise, fitted)
    return np.where(np.isnan(start), fitted, start)


def _fingerprint(counts: np.ndarray) -> str:
    """Digest of a count matrix's shape and values as float64 (to recognise the same counts
    without keeping a copy of them), read block by block of genes."""
    digest = hashlib.blake2b(str(counts.shape).encode())
    for block in glm.gene_blocks(counts.shape[1], counts.shape[0]):
        digest.update(np.ascontiguousarray(counts[:, block], dtype=float).T.tobytes())
    return digest.hexdigest()


class RDispersionInference(DefaultInference):
    """A PyDESeq2 inference object whose dispersion fits are R's (:func:`genewise_dispersions`
    and :func:`map_dispersions`) and whose Wald test floors the means as R's does; the GLM
    fits and the Wald test run over all genes at once (:mod:`esccrt.de.glm`) instead of one
    joblib task per gene; everything else is PyDESeq2's ``DefaultInference``. Pass it as
    ``DeseqDataSet(inference=...)``.

    PyDESeq2 asks for a MAP fit with the trend only; R starts it from the gene-wise estimate
    (:func:`map_start`). The object therefore remembers its last gene-wise fit and uses it when
    the MAP fit is on the same counts, which PyDESeq2 guarantees for a data set and for the
    refit of genes whose Cook's outliers were replaced (same object, same order of calls).
    """

    _last_genewise: tuple[str, np.ndarray] | None = None

    def alpha_mle(  # PyDESeq2's signature
        self,
        counts: np.ndarray,
        design_matrix: np.ndarray,
        mu: np.ndarray,
        alpha_hat: np.ndarray,
        min_disp: float,
        max_disp: float,
        prior_disp_var: float | None = None,
        cr_reg: bool = True,
        prior_reg: bool = False,
        optimizer: str = "L-BFGS-B",
    ) -> tuple[np.ndarray, np.ndarray]:
        """R's gene-wise fit (``prior_reg`` false) or MAP fit; dispersions and convergence.

        Fitted block by block of genes (:func:`esccrt.de.glm.gene_blocks`): each gene's fit
        is its own, and only one block's genes x samples arrays exist at a time.
        """
        if not cr_reg:
            raise ValueError("R DESeq2's dispersion fits always use the Cox-Reid term")
        if prior_reg and prior_disp_var is None:
            raise ValueError("a MAP dispersion fit needs the prior variance")
        design = np.asarray(design_matrix, dtype=float)
        counts, mu = np.asarray(counts), np.asarray(mu)
        alpha_hat = np.asarray(alpha_hat, dtype=float)
        key = _fingerprint(counts)
        start = alpha_hat
        if prior_reg and self._last_genewise is not None and self._last_genewise[0] == key:
            start = map_start(self._last_genewise[1], alpha_hat)
        dispersions = np.empty(alpha_hat.shape[0])
        converged = np.empty(alpha_hat.shape[0], dtype=bool)
        for block in glm.gene_blocks(alpha_hat.shape[0], counts.shape[0]):
            y = np.asarray(counts[:, block], dtype=float).T
            # R floors the means at minmu before fitting dispersions, also when they come
            # from the GLM (designs with more coefficients than groups), where PyDESeq2 does not
            m = np.maximum(np.asarray(mu[:, block], dtype=float).T, MIN_MU)
            if prior_reg:
                fit = map_dispersions(
                    y, m, design, start[block], alpha_hat[block], prior_disp_var,
                    min_disp, max_disp,
                )  # fmt: skip
            else:
                fit = genewise_dispersions(y, m, design, start[block], min_disp, max_disp)
            dispersions[block], converged[block] = fit
        if not prior_reg:
            self._last_genewise = (key, dispersions)
        return dispersions, converged

    def lin_reg_mu(  # PyDESeq2's signature
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        min_mu: float,
    ) -> np.ndarray:
        """PyDESeq2's linear first means, all genes at once (:func:`esccrt.de.glm.linear_means`)."""
        return glm.linear_means(
            np.asarray(counts, dtype=float), size_factors, np.asarray(design_matrix), min_mu
        )

    def irls(  # PyDESeq2's signature
        self,
        counts: np.ndarray,
        size_factors: np.ndarray,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        min_mu: float,
        beta_tol: float,
        min_beta: float = -30,
        max_beta: float = 30,
        optimizer: str = "L-BFGS-B",
        maxiter: int = 250,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """PyDESeq2's IRLS fit of the GLM, all genes at once (:func:`esccrt.de.glm.irls`)."""
        return glm.irls(
            np.asarray(counts, dtype=float),
            np.asarray(size_factors, dtype=float),
            np.asarray(design_matrix, dtype=float),
            np.asarray(disp, dtype=float),
            min_mu,
            beta_tol,
            max_beta=max_beta,
            maxiter=maxiter,
            solver_options={"min_beta": min_beta, "max_beta": max_beta, "optimizer": optimizer},
        )

    def wald_test(  # PyDESeq2's signature
        self,
        design_matrix: np.ndarray,
        disp: np.ndarray,
        lfc: np.ndarray,
        mu: np.ndarray,
        ridge_factor: np.ndarray,
        contrast: np.ndarray,
        lfc_null: float,
        alt_hypothesis: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """PyDESeq2's Wald test on the means floored at R's ``minmu``; vectorised over genes
        (:func:`esccrt.de.glm.wald_test`) for the two-sided test."""
        # R's fitBeta computes the coefficients' covariance from the means floored at minmu,
        # as during the fit; PyDESeq2 passes unfloored means, which inflates the standard
        # error of genes with a group of zeros.
        floored = np.maximum(np.asarray(mu, dtype=float), MIN_MU)
        if alt_hypothesis is not None:
            return super().wald_test(
                design_matrix,
                disp,
                lfc,
                floored,
                ridge_factor,
                contrast,
                lfc_null,
                alt_hypothesis,
            )
        return glm.wald_test(
            np.asarray(design_matrix, dtype=float),
            np.asarray(disp, dtype=float),
            lfc,
            floored,
            ridge_factor,
            np.asarray(contrast, dtype=float),
            float(lfc_null),
        )
