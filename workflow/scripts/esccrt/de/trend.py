"""The dispersion trend ``a0 + a1 / mean`` fitted the way R DESeq2 fits it.

R DESeq2's parametric trend is a gamma GLM with identity link (:func:`gamma_identity_glm`, as
R's ``glm.fit`` solves it) refitted on the genes near the current curve
(:func:`fit_trend_as_r`, R's ``parametricDispersionFit``). PyDESeq2 0.5 minimises the same loss
with L-BFGS-B and filters genes differently, which moves the curve and with it every MAP
dispersion and Wald statistic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pydeseq2.dds import DeseqDataSet

#: R's starting curve of the parametric dispersion trend, ``0.1 + 1 / mean``.
TREND_START = (0.1, 1.0)


def gamma_identity_glm(
    inverse_means: np.ndarray, dispersions: np.ndarray, start: np.ndarray, max_iterations: int = 25
) -> tuple[np.ndarray, bool]:
    """``glm(dispersions ~ I(1/means), family=Gamma(link="identity"), start=start)`` as R's
    ``glm.fit`` fits it (IRLS with weights 1/mu^2, step halving while a mean is not positive,
    convergence when the deviance changes by less than 1e-8 relative).

    R DESeq2's parametric trend rests on it; PyDESeq2 minimises the same loss with L-BFGS-B,
    which stops short of R's optimum (trend up to 2 % off). Returns coefficients and convergence.
    """
    design = np.column_stack([np.ones_like(inverse_means), inverse_means])

    def deviance(mu: np.ndarray) -> float:
        """The gamma deviance of ``dispersions`` around means ``mu``."""
        return float(-2 * np.sum(np.log(dispersions / mu) - (dispersions - mu) / mu))

    coefficients = np.asarray(start, dtype=float)
    mu = design @ coefficients
    if np.any(mu <= 0):
        return coefficients, False
    old_deviance = deviance(mu)
    for _ in range(max_iterations):
        # identity link: working response = y, working weights = 1 / variance = 1 / mu^2
        weights = 1.0 / mu**2
        weighted = design * weights[:, None]
        proposal = np.linalg.solve(design.T @ weighted, weighted.T @ dispersions)
        for _ in range(max_iterations):  # R's step halving into the valid region
            mu = design @ proposal
            if np.all(mu > 0):
                break
            proposal = (proposal + coefficients) / 2
        else:
            return coefficients, False
        coefficients = proposal
        new_deviance = deviance(mu)
        if abs(new_deviance - old_deviance) / (abs(new_deviance) + 0.1) < 1e-8:
            return coefficients, True
        old_deviance = new_deviance
    return coefficients, False


def fit_trend_as_r(dds: DeseqDataSet) -> bool:
    """Fit the parametric dispersion trend ``a0 + a1 / mean`` the way R DESeq2 does.

    R's ``parametricDispersionFit`` fits the gamma GLM on the genes with a gene-wise dispersion
    above ``100 * minDisp`` and, at each iteration, only on those within a factor 1e-4 .. 15 of
    the current curve (chosen afresh from all of them, starting from the curve 0.1 + 1/mean).
    PyDESeq2 0.5 starts from an unfiltered fit and drops genes for good, which moves the curve
    (pasilla: a1 2.31 instead of R's 2.72) and with it every MAP dispersion and Wald statistic.
    Stores the curve as PyDESeq2 would; returns False (nothing stored) when the fit does not
    converge, as R would then switch to another fit type.
    """
    genes = dds.var["non_zero"].to_numpy()
    dispersions = dds.var["genewise_dispersions"].to_numpy()[genes]
    means = dds.var["_normed_means"].to_numpy()[genes]
    usable = (dispersions > 100 * dds.min_disp) & (means > 0) & np.isfinite(means)
    dispersions, means = dispersions[usable], means[usable]
    coefficients = np.array(TREND_START)
    for _ in range(11):  # R gives up after 10 iterations
        ratio = dispersions / (coefficients[0] + coefficients[1] / means)
        good = (ratio > 1e-4) & (ratio < 15)
        if good.sum() < 2:
            return False
        previous = coefficients
        coefficients, converged = gamma_identity_glm(
            1 / means[good], dispersions[good], start=previous
        )
        if not np.all(coefficients > 0):
            return False
        if converged and np.sum(np.log(coefficients / previous) ** 2) < 1e-6:
            break
    else:
        return False
    dds.uns["trend_coeffs"] = pd.Series(coefficients, index=["a0", "a1"])
    dds.uns["disp_function_type"] = "parametric"
    dds.var["fitted_dispersions"] = np.full(dds.n_vars, np.nan)
    non_zero = dds.var["non_zero"]
    dds.var.loc[non_zero, "fitted_dispersions"] = dds.disp_function(
        dds.var.loc[non_zero, "_normed_means"]
    )
    return True
