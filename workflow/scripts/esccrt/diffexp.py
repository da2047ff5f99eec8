"""Differential expression with PyDESeq2 (the Python port of R DESeq2), for both arms.

The steps, each a small function the rule script and the tests call:

1. :func:`resolve_design` turns ``diffexp.design`` (``auto`` or a formula) into a formula;
   :func:`check_design` checks it and every contrast against the sample sheet *before* any
   fitting, so a typo or an unusable design stops the run with a message naming the config key.
2. :func:`read_qc_gate` / :func:`apply_qc_gate` leave out the samples the arm's QC gate failed;
   :func:`load_counts` reads the count matrix (contract: ``feature``, optional ``name``, then
   one integer column per sample) keeping only those samples; :func:`prefilter` drops features
   with too few reads.
3. :func:`fit_dataset` fits the DESeq2 model (size factors, dispersions, LFCs, Cook's distances
   and refitting of outliers) with PyDESeq2, where R DESeq2's numbers depend on how it fits:
   the dispersion trend (:func:`fit_trend_as_r`), the gene-wise and MAP dispersions and the
   Wald test's floored means (:mod:`esccrt.dispersion`);
   :func:`contrast_results` runs the Wald test with Cook's and independent filtering, adds
   apeGLM-shrunk fold changes and the ``significant`` call.
4. :func:`normalise_and_vst` gives the normalised counts and the (blind) variance-stabilised
   matrix for plots and clustering.

Contrasts are ``[variable, tested level, reference level]`` (fold change = tested / reference),
or ``[variable]`` for a continuous covariate (change per unit). A design variable whose values are
all numbers is continuous, except ``batch`` and the variable of a three-element contrast, which
are always groups.
"""

from __future__ import annotations

import math
import os
import re
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.errors import InputError, located

#: Columns of a differential-expression table, in order (``name`` only when the matrix has it).
RESULT_COLUMNS = (
    "feature",
    "name",
    "baseMean",
    "log2FoldChange",
    "lfcSE",
    "stat",
    "pvalue",
    "padj",
    "log2FoldChange_shrunk",
    "significant",
)
SIZE_FACTOR_METHODS = ("ratio", "poscounts", "iterative")
#: Sample-sheet column holding the batch; ``design: auto`` adds it when it has several values.
BATCH = "batch"
CONDITION = "condition"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_TRUE = {"true", "1", "yes", "pass", "passed"}
_FALSE = {"false", "0", "no", "fail", "failed"}


# --------------------------------------------------------------------------- design checks


def resolve_design(samples: pd.DataFrame, design: str) -> str:
    """Return the design formula for ``samples``.

    ``auto`` gives ``~condition``, or ``~batch + condition`` when the samples span more than one
    batch. Any other value is taken as a formula (``~`` optional) and returned normalised, e.g.
    ``"batch+condition"`` -> ``"~batch + condition"``.
    """
    if str(design).strip().lower() == "auto":
        if BATCH in samples.columns and samples[BATCH].nunique() > 1:
            return f"~{BATCH} + {CONDITION}"
        return f"~{CONDITION}"
    return "~" + " + ".join(design_variables(design))


def design_variables(design: str) -> list[str]:
    """Variables (sample-sheet columns) of an additive formula such as ``~ batch + condition``.

    Only sums of columns are supported; interactions, transformations and ``-1`` are rejected.
    """
    text = str(design).strip()
    if text.startswith("~"):
        text = text[1:]
    terms = [term.strip() for term in text.split("+")]
    if not text.strip() or any(not _IDENTIFIER.match(term) for term in terms):
        raise InputError(
            f"config key diffexp.design: '{design}' is not a supported design. Write 'auto' or "
            "a sum of sample-sheet columns such as '~ batch + condition' (column names only; "
            "no interactions ':' or '*', no functions)."
        )
    if len(set(terms)) != len(terms):
        raise InputError(f"config key diffexp.design: '{design}' names a column twice.")
    return terms


def _is_numeric(values: pd.Series) -> bool:
    """True when every value reads as a finite number."""
    parsed = pd.to_numeric(values, errors="coerce")
    return bool(parsed.notna().all() and np.isfinite(parsed.astype(float)).all())


def categorical_variables(
    samples: pd.DataFrame, design: str, contrasts: Mapping[str, Sequence[str]]
) -> list[str]:
    """Design variables treated as groups (the others are continuous covariates).

    A variable is a group unless all its values are numbers; ``batch`` and the variable of any
    ``[variable, tested, reference]`` contrast are groups whatever their values.
    """
    forced = {BATCH} | {spec[0] for spec in contrasts.values() if len(spec) == 3}
    return [
        var
        for var in design_variables(design)
        if var in forced or var not in samples.columns or not _is_numeric(samples[var])
    ]


def design_matrix(
    samples: pd.DataFrame, variables: Sequence[str], categorical: Iterable[str]
) -> pd.DataFrame:
    """Intercept plus treatment-coded groups and continuous columns (for rank checks only)."""
    categorical = set(categorical)
    parts = [pd.Series(1.0, index=samples.index, name="Intercept")]
    for var in variables:
        if var in categorical:
            dummies = pd.get_dummies(samples[var].astype(str), prefix=var, dtype=float)
            parts.extend(dummies[col] for col in dummies.columns[1:])
        else:
            parts.append(pd.to_numeric(samples[var]).astype(float).rename(var))
    return pd.concat(parts, axis=1)


def _rank(samples: pd.DataFrame, variables: Sequence[str], categorical: Iterable[str]) -> int:
    return int(np.linalg.matrix_rank(design_matrix(samples, variables, categorical).to_numpy()))


def check_design(
    samples: pd.DataFrame,
    design: str | Mapping,
    contrasts: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """Check the design and every contrast against ``samples`` (one arm); return the formula.

    ``design`` is ``auto``, a formula, or the whole ``diffexp`` config section (then the
    contrasts are taken from it). Raises :class:`InputError` naming ``diffexp.design`` or
    ``diffexp.contrasts.<name>`` for: a variable that is not a sample-sheet column, a contrast
    variable missing from the design, an unknown level, a compared level with fewer than 2
    samples, and a contrast variable fully confounded with another design variable (e.g. every
    control in batch b1 and every irradiated sample in batch b2), where the effect cannot be told
    apart from the batch.
    """
    if isinstance(design, Mapping):
        contrasts = design.get("contrasts", {}) if contrasts is None else contrasts
        design = str(design.get("design", "auto"))
    contrasts = contrasts or {}
    design = resolve_design(samples, design)
    variables = design_variables(design)
    sheet_columns = sorted(str(c) for c in samples.columns)
    for var in variables:
        if var not in samples.columns:
            raise InputError(
                f"config key diffexp.design: '{var}' in design '{design}' is not a column of "
                f"the sample sheet (columns: {sheet_columns}). Fix the design or add the column."
            )
        empty = samples.index[samples[var].astype(str).str.strip() == ""].tolist()
        if empty:
            raise InputError(
                f"config key diffexp.design: column '{var}' of the sample sheet is empty for "
                f"sample(s) {empty}; every sample in the analysis needs a value."
            )
    if not contrasts:
        raise InputError("config key diffexp.contrasts: no contrast is defined; add at least one.")
    categorical = categorical_variables(samples, design, contrasts)
    for name, spec in contrasts.items():
        _check_contrast(samples, variables, categorical, str(name), spec)
    full = design_matrix(samples, variables, categorical)
    rank = int(np.linalg.matrix_rank(full.to_numpy()))
    if rank < full.shape[1]:
        raise InputError(
            f"config key diffexp.design: the design '{design}' cannot be fitted with these "
            f"{len(samples)} samples: some of its variables ({variables}) are confounded with "
            "each other or there are more coefficients than samples. Drop a variable."
        )
    if rank >= len(samples):
        raise InputError(
            f"config key diffexp.design: the design '{design}' has {full.shape[1]} coefficients "
            f"for {len(samples)} samples, which leaves no replicate to estimate the variability. "
            "Use fewer variables or more samples."
        )
    return design


def _check_contrast(
    samples: pd.DataFrame,
    variables: Sequence[str],
    categorical: Sequence[str],
    name: str,
    spec: Sequence[str],
) -> None:
    """Check one contrast (see :func:`check_design`)."""
    key = f"config key diffexp.contrasts.{name}"
    if isinstance(spec, str) or len(spec) not in (1, 3):
        raise InputError(
            f"{key}: expected [variable, tested level, reference level] (or [variable] for a "
            f"continuous covariate), found {spec!r}."
        )
    var = str(spec[0])
    if var not in samples.columns:
        raise InputError(
            f"{key}: '{var}' is not a column of the sample sheet (columns: "
            f"{sorted(str(c) for c in samples.columns)})."
        )
    if var not in variables:
        raise InputError(
            f"{key}: '{var}' is not in the design ({' + '.join(variables)}); add it to "
            "diffexp.design or use 'auto'."
        )
    if len(spec) == 1:
        if var in categorical:
            raise InputError(
                f"{key}: '{var}' holds groups, not numbers; write [{var}, tested level, "
                "reference level]."
            )
        return
    tested, reference = str(spec[1]), str(spec[2])
    if tested == reference:
        raise InputError(f"{key}: tested and reference level are both '{tested}'.")
    counts = samples[var].astype(str).value_counts()
    for level in (tested, reference):
        if level not in counts.index:
            raise InputError(
                f"{key}: level '{level}' does not occur in column '{var}' of the sample sheet "
                f"for these samples (levels: {sorted(counts.index)}). Check spelling and case."
            )
        if counts[level] < 2:
            raise InputError(
                f"{key}: level '{level}' of '{var}' has {counts[level]} sample(s) left after the "
                "QC gate; at least 2 replicates per compared group are needed."
            )
    others = [v for v in variables if v != var]
    n_new = samples[var].nunique() - 1
    confounders = [
        other
        for other in others
        if _rank(samples, [other, var], categorical) - _rank(samples, [other], categorical) < n_new
    ]
    if (
        not confounders
        and others
        and _rank(samples, variables, categorical) - _rank(samples, others, categorical) < n_new
    ):
        confounders = others
    if confounders:
        raise InputError(
            f"{key}: '{var}' is fully confounded with {confounders} (each value of "
            f"{confounders} goes with a single '{var}' group), so the effect of '{var}' cannot be "
            "separated from it. Re-balance the samples across batches, or leave the confounding "
            "variable out of diffexp.design (e.g. design: '~condition')."
        )


# --------------------------------------------------------------------------- inputs


def _parse_bool(value: object, path: object, line: int) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InputError(located(path, f"'{value}' is not True or False.", line, "passed"))


def read_qc_gate(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read an arm's QC gate table (``sample``, ``passed``, ``reason``), indexed by sample."""
    gate = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in ("sample", "passed") if c not in gate.columns]
    if missing:
        raise InputError(
            located(path, f"missing column(s) {missing}; expected sample, passed, reason.", 1)
        )
    if "reason" not in gate.columns:
        gate["reason"] = ""
    gate["passed"] = [_parse_bool(v, path, i) for i, v in enumerate(gate["passed"], start=2)]
    return gate.set_index("sample", drop=False)


def apply_qc_gate(samples: pd.DataFrame, gate: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split ``samples`` into those kept and those the gate failed.

    Returns ``(kept samples, excluded)`` where ``excluded`` has columns ``sample`` and ``reason``.
    A sample absent from the gate table is kept, with a warning on stderr.
    """
    absent = [s for s in samples.index if s not in gate.index]
    if absent:
        print(f"warning: sample(s) {absent} are not in the QC gate table; kept.", file=sys.stderr)
    failed = [s for s in samples.index if s in gate.index and not gate.loc[s, "passed"]]
    excluded = pd.DataFrame(
        {"sample": failed, "reason": [gate.loc[s, "reason"] for s in failed]},
        columns=["sample", "reason"],
    )
    return samples.drop(index=failed), excluded


def load_counts(
    path: str | os.PathLike[str], samples: Sequence[str]
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read a count matrix, keeping the columns of ``samples`` in that order.

    Returns ``(counts, names)``: integer counts indexed by feature (one column per sample) and
    the ``name`` column as a Series (``None`` when the matrix has none).
    """
    table = pd.read_csv(path, sep="\t", dtype={"feature": str, "name": str}, keep_default_na=False)
    if table.columns.empty or table.columns[0] != "feature":
        raise InputError(
            located(path, "the first column must be 'feature' (count matrix contract).", 1)
        )
    missing = [s for s in samples if s not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"no count column for sample(s) {missing}; the matrix has "
                f"{[c for c in table.columns if c not in ('feature', 'name')]}. The sample sheet "
                "and the counted samples disagree: re-run the counting step.",
                1,
            )
        )
    duplicated = table["feature"][table["feature"].duplicated()].unique().tolist()
    if duplicated:
        raise InputError(located(path, f"feature(s) {duplicated[:5]} appear more than once.", 1))
    counts = table.set_index("feature")[list(samples)]
    for sample in samples:
        values = pd.to_numeric(counts[sample], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                located(
                    path,
                    f"'{counts[sample].iloc[row]}' is not a non-negative whole number of reads.",
                    row + 2,
                    sample,
                )
            )
        counts[sample] = values.astype(np.int64)
    names = table.set_index("feature")["name"] if "name" in table.columns else None
    return counts.astype(np.int64), names


def prefilter(counts: pd.DataFrame, min_total_count: int) -> pd.DataFrame:
    """Drop features with fewer than ``min_total_count`` reads over all samples.

    ``0`` keeps everything (all-zero features then get NA statistics, as in R). A matrix left
    without any read raises :class:`InputError`.
    """
    kept = counts[counts.sum(axis=1) >= int(min_total_count)]
    if kept.empty or int(kept.to_numpy().sum()) == 0:
        raise InputError(
            f"config key diffexp.min_total_count: no feature has {min_total_count} reads or more "
            f"over samples {list(counts.columns)}; the libraries are empty or the threshold is "
            "too high."
        )
    return kept


def sample_metadata(
    samples: pd.DataFrame,
    design: str,
    contrasts: Mapping[str, Sequence[str]],
    reference: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Design variables of ``samples`` as PyDESeq2 metadata.

    Groups become ordered categoricals whose first category is the reference level (from
    ``reference``, variable -> level; else the sorted first), so that PyDESeq2's coefficient
    ``var[T.level]`` is exactly the tested-vs-reference fold change; covariates become floats.
    """
    reference = dict(reference or {})
    categorical = categorical_variables(samples, design, contrasts)
    meta = pd.DataFrame(index=pd.Index(samples.index.astype(str), name="sample"))
    for var in design_variables(design):
        values = samples[var].to_numpy()
        if var in categorical:
            levels = sorted({str(v) for v in values})
            if var in reference:
                levels.remove(reference[var])
                levels.insert(0, reference[var])
            meta[var] = pd.Categorical([str(v) for v in values], categories=levels)
        else:
            meta[var] = pd.to_numeric(pd.Series(values)).astype(float).to_numpy()
    return meta


# --------------------------------------------------------------------------- fitting


def fit_trend_as_r(dds) -> bool:
    """Fit the parametric dispersion trend ``a0 + a1 / mean`` the way R DESeq2 does.

    R's ``parametricDispersionFit`` fits the gamma GLM on the genes with a gene-wise dispersion
    above ``100 * minDisp`` and, at each iteration, only on those within a factor 1e-4 .. 15 of
    the current curve (chosen afresh from all of them, starting from the curve 0.1 + 1/mean).
    PyDESeq2 0.5 starts from an unfiltered fit and drops genes for good, which moves the curve
    (pasilla: a1 2.31 instead of R's 2.72) and with it every MAP dispersion and Wald statistic.
    Stores the curve as PyDESeq2 would; returns False (nothing stored) when the fit does not
    converge, as R would then switch to another fit type.
    """
    from esccrt.dispersion import TREND_START, gamma_identity_glm

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


def fit_dataset(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    *,
    size_factors: str = "ratio",
    refit_cooks: bool = True,
    n_cpus: int = 1,
):
    """Fit the DESeq2 model on ``counts`` (features x samples) and return the DeseqDataSet.

    ``size_factors`` is ``ratio`` (median of ratios, DESeq2's default), ``poscounts`` (DESeq2's
    estimator for sparse data such as small-RNA and single-cell counts) or ``iterative``.
    The steps are PyDESeq2's ``deseq2()`` except the dispersions, fitted as R fits them: the
    trend (:func:`fit_trend_as_r`; PyDESeq2's own fit when that fails), the gene-wise and MAP
    estimates (:mod:`esccrt.dispersion`, through the data set's inference object, which also
    serves the Wald test and the refit of outliers). Cook's distances flag
    outliers, which are replaced and refitted as in DESeq2 when a group has 7 or more
    replicates (``refit_cooks``).
    """
    from pydeseq2.dds import DeseqDataSet

    from esccrt import dispersion

    if size_factors not in SIZE_FACTOR_METHODS:
        raise InputError(
            f"config key diffexp.size_factors: '{size_factors}' is not one of "
            f"{list(SIZE_FACTOR_METHODS)}."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        dds = DeseqDataSet(
            counts=counts.T.loc[metadata.index],
            metadata=metadata,
            design=design,
            size_factors_fit_type=size_factors,
            refit_cooks=refit_cooks,
            inference=dispersion.RDispersionInference(n_cpus=n_cpus),
            quiet=True,
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
    dds,
    contrast: Sequence[str],
    *,
    alpha: float = 0.05,
    lfc_threshold: float = 1.0,
    shrink: bool = True,
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
    from pydeseq2.ds import DeseqStats

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
    # the fitted set's inference object: its Wald test is R's (esccrt.dispersion)
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


def normalise_and_vst(
    counts: pd.DataFrame,
    metadata: pd.DataFrame,
    design: str,
    *,
    size_factors: str = "ratio",
    n_cpus: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Normalised counts and blind VST (R's ``vst(dds, blind=TRUE)``), features x samples.

    The dispersion trend of the VST is parametric, as in R; should that fit fail (tiny
    matrices), the mean dispersion is used instead and a warning goes to stderr.
    Returns ``(normalised counts, vst, size factors)``.
    """
    from pydeseq2.dds import DeseqDataSet

    from esccrt import dispersion

    def _dataset() -> DeseqDataSet:
        return DeseqDataSet(
            counts=counts.T.loc[metadata.index],
            metadata=metadata,
            design=design,
            size_factors_fit_type=size_factors,
            inference=dispersion.RDispersionInference(n_cpus=n_cpus),
            quiet=True,
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=DeprecationWarning)
        dds = _dataset()
        try:
            dds.vst(use_design=False, fit_type="parametric")
        except (RuntimeError, ValueError, np.linalg.LinAlgError) as error:
            print(
                f"warning: parametric VST fit failed ({error}); using fit_type 'mean'.",
                file=sys.stderr,
            )
            dds = _dataset()
            dds.vst(use_design=False, fit_type="mean")
    normalised = pd.DataFrame(
        np.asarray(dds.layers["normed_counts"]).T, index=counts.index, columns=metadata.index
    )
    vst = pd.DataFrame(
        np.asarray(dds.layers["vst_counts"]).T, index=counts.index, columns=metadata.index
    )
    size = pd.Series(np.asarray(dds.obs["size_factors"]), index=metadata.index, name="size_factor")
    return normalised, vst, size


def results_table(results: pd.DataFrame, names: pd.Series | None) -> pd.DataFrame:
    """Results in the published column order, most significant first (``feature`` as column)."""
    table = results.copy()
    table.insert(0, "feature", table.index.astype(str))
    if names is not None:
        table.insert(1, "name", names.reindex(table.index).fillna("").to_numpy())
    columns = [c for c in RESULT_COLUMNS if c in table.columns]
    table = table[columns].sort_values(["padj", "pvalue"], na_position="last", kind="stable")
    return table.reset_index(drop=True)


# --------------------------------------------------------------------------- one call per rule


def prepare(
    counts_path: str | os.PathLike[str],
    samples: pd.DataFrame,
    gate_path: str | os.PathLike[str] | None,
    design: str,
    contrasts: Mapping[str, Sequence[str]],
    min_total_count: int,
) -> tuple[pd.DataFrame, pd.Series | None, pd.DataFrame, str, pd.DataFrame]:
    """Gate, check and load: returns ``(counts, names, kept samples, design, excluded)``."""
    excluded = pd.DataFrame(columns=["sample", "reason"])
    if gate_path is not None and Path(gate_path).exists():
        samples, excluded = apply_qc_gate(samples, read_qc_gate(gate_path))
    formula = resolve_design(samples, design)
    check_design(samples, formula, contrasts)
    counts, names = load_counts(counts_path, list(samples.index))
    return prefilter(counts, min_total_count), names, samples, formula, excluded


def run_contrast(
    counts: pd.DataFrame,
    samples: pd.DataFrame,
    design: str,
    contrasts: Mapping[str, Sequence[str]],
    name: str,
    *,
    size_factors: str = "ratio",
    alpha: float = 0.05,
    lfc_threshold: float = 1.0,
    shrink: bool = True,
    n_cpus: int = 1,
) -> pd.DataFrame:
    """Fit with the contrast's reference level first and test contrast ``name``."""
    spec = [str(x) for x in contrasts[name]]
    reference = {spec[0]: spec[2]} if len(spec) == 3 else {}
    metadata = sample_metadata(samples, design, contrasts, reference)
    dds = fit_dataset(counts, metadata, design, size_factors=size_factors, n_cpus=n_cpus)
    return contrast_results(
        dds, spec, alpha=alpha, lfc_threshold=lfc_threshold, shrink=shrink, n_cpus=n_cpus
    )
