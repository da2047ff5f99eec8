"""The DESeq2 model of one arm: fit it, and test one contrast on the fit (PyDESeq2, R's numbers).

:func:`fit_dataset` fits the DESeq2 model (size factors, dispersions, LFCs, Cook's distances
and refitting of outliers) with PyDESeq2, where R DESeq2's numbers depend on how it fits:
the dispersion trend (:func:`esccrt.de.trend.fit_trend_as_r`), the gene-wise and MAP
dispersions and the Wald test's floored means (:mod:`esccrt.de.dispersion`);
:func:`contrast_results` runs the Wald test with Cook's and independent filtering, adds
apeGLM-shrunk fold changes and the ``significant`` call. :func:`run_contrast` is both, for one
named contrast.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from pydeseq2.dds import DeseqDataSet
from pydeseq2.ds import DeseqStats

from esccrt.de.design import sample_metadata
from esccrt.de.dispersion import RDispersionInference
from esccrt.de.trend import fit_trend_as_r
from esccrt.errors import InputError

SIZE_FACTOR_METHODS = ("ratio", "poscounts", "iterative")


def deseq_dataset(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    *,
    size_factors: str,
    n_cpus: int,
    refit_cooks: bool = True,
) -> DeseqDataSet:
    """A PyDESeq2 data set of ``counts`` (features x samples) whose dispersion fits and Wald
    test are R's (:class:`esccrt.de.dispersion.RDispersionInference`); nothing fitted yet.

    ``refit_cooks`` defaults to PyDESeq2's own default. PyDESeq2 warns of deprecations on
    construction: callers silence :class:`DeprecationWarning` around it.
    """
    return DeseqDataSet(
        counts=counts.T.loc[metadata.index],
        metadata=metadata,
        design=design,
        size_factors_fit_type=size_factors,
        refit_cooks=refit_cooks,
        inference=RDispersionInference(n_cpus=n_cpus),
        quiet=True,
    )


def fit_dataset(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    *,
    size_factors: str,
    refit_cooks: bool = True,
    n_cpus: int = 1,
) -> DeseqDataSet:
    """Fit the DESeq2 model on ``counts`` (features x samples) and return the DeseqDataSet.

    ``size_factors`` is ``ratio`` (median of ratios, DESeq2's default), ``poscounts`` (DESeq2's
    estimator for sparse data such as small-RNA and single-cell counts) or ``iterative``.
    The steps are PyDESeq2's ``deseq2()`` except the dispersions, fitted as R fits them: the
    trend (:func:`fit_trend_as_r`; PyDESeq2's own fit when that fails), the gene-wise and MAP
    estimates (:mod:`esccrt.de.dispersion`, through the data set's inference object, which also
    serves the Wald test and the refit of outliers). Cook's distances flag
    outliers, which are replaced and refitted as in DESeq2 when a group has 7 or more
    replicates (``refit_cooks``).
    """
    if size_factors not in SIZE_FACTOR_METHODS:
        raise InputError(
            f"config key diffexp.size_factors: '{size_factors}' is not one of "
            f"{list(SIZE_FACTOR_METHODS)}."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        dds = deseq_dataset(
            counts,
            metadata,
            design,
            size_factors=size_factors,
            n_cpus=n_cpus,
            refit_cooks=refit_cooks,
        )
        dds.fit_size_factors(fit_type=size_factors)
        dds.fit_genewise_dispersions()
        if not fit_trend_as_r(dds):
            dds.fit_dispersion_trend()
        dds.fit_dispersion_prior()
        dds.fit_MAP_dispersions()
        dds.fit_LFC()
        dds.calculate_cooks()
        if refit_cooks:
            dds.refit()
        dds.cooks_outlier()
    return dds


def contrast_results(
    dds: DeseqDataSet,
    contrast: Sequence[str],
    *,
    alpha: float,
    lfc_threshold: float,
    shrink: bool,
    cooks_filter: bool = True,
    independent_filter: bool = True,
    n_cpus: int = 1,
) -> pd.DataFrame:
    """Wald test of one contrast on a fitted DeseqDataSet; one row per feature.

    Columns: ``baseMean, log2FoldChange, lfcSE, stat, pvalue, padj`` as in R's ``results()``
    (``alpha`` is the FDR target of independent filtering, like R's ``alpha``), then
    ``log2FoldChange_shrunk`` (apeGLM shrinkage as R's ``lfcShrink(type="apeglm")``; NaN when
    ``shrink`` is off) and ``significant`` (``padj < alpha`` and ``|log2FoldChange| >=
    lfc_threshold``). The design's reference level must be the contrast's reference (see
    :func:`sample_metadata`), so that the shrunk coefficient is the tested one.
    """
    columns = list(dds.obsm["design_matrix"].columns)
    if len(contrast) == 1:
        coeff = str(contrast[0])
        tested_contrast = np.array([1.0 if c == coeff else 0.0 for c in columns])
    else:
        var, tested, reference = (str(x) for x in contrast)
        coeff = f"{var}[T.{tested}]"
        if dds.obs[var].cat.categories[0] != reference:
            raise ValueError(f"the design's reference level of '{var}' must be '{reference}'")
        tested_contrast = [var, tested, reference]
    # the fitted set's inference object: its Wald test is R's (esccrt.de.dispersion)
    stats = DeseqStats(
        dds,
        contrast=tested_contrast,
        alpha=alpha,
        cooks_filter=cooks_filter,
        independent_filter=independent_filter,
        inference=dds.inference,
        quiet=True,
        n_cpus=n_cpus,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        stats.summary()
    results = stats.results_df.copy()
    results["log2FoldChange_shrunk"] = np.nan
    if shrink:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            stats.lfc_shrink(coeff=coeff)
        results["log2FoldChange_shrunk"] = stats.LFC[coeff] / math.log(2)
    results["significant"] = (results["padj"] < alpha) & (
        results["log2FoldChange"].abs() >= lfc_threshold
    )
    return results


def run_contrast(
    counts: pd.DataFrame,
    samples: pd.DataFrame,
    design: str,
    contrasts: Mapping[str, Sequence[str]],
    name: str,
    *,
    size_factors: str,
    alpha: float,
    lfc_threshold: float,
    shrink: bool,
    n_cpus: int = 1,
) -> pd.DataFrame:
    """Fit with the contrast's reference level first and test contrast ``name``.

    The study's choices (``size_factors``, ``alpha`` = ``diffexp.padj_threshold``,
    ``lfc_threshold``, ``shrink`` = ``diffexp.lfc_shrink``) have no default here: they come from
    the validated config (:class:`esccrt.de.settings.DESettings`), whose schema holds the defaults.
    """
    spec = [str(x) for x in contrasts[name]]
    reference = {spec[0]: spec[2]} if len(spec) == 3 else {}
    metadata = sample_metadata(samples, design, contrasts, reference)
    dds = fit_dataset(counts, metadata, design, size_factors=size_factors, n_cpus=n_cpus)
    return contrast_results(
        dds, spec, alpha=alpha, lfc_threshold=lfc_threshold, shrink=shrink, n_cpus=n_cpus
    )
