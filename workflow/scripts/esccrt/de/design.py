"""The design of a differential-expression run: formula, variable types and checks.

:func:`resolve_design` turns ``diffexp.design`` (``auto`` or a formula) into a formula;
:func:`check_design` checks it and every contrast against the sample sheet *before* any
fitting, so a typo or an unusable design stops the run with a message naming the config key.
:func:`sample_metadata` codes the design variables as PyDESeq2 wants them.

Contrasts are ``[variable, tested level, reference level]`` (fold change = tested / reference),
or ``[variable]`` for a continuous covariate (change per unit). A design variable whose values are
all numbers is continuous, except ``batch`` and the variable of a three-element contrast, which
are always groups.

Standard library, NumPy and pandas only: common.smk imports :func:`check_design` to check the
config before any job runs, without loading PyDESeq2.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from esccrt.errors import InputError

#: Sample-sheet column holding the batch; ``design: auto`` adds it when it has several values.
BATCH = "batch"
CONDITION = "condition"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def resolve_design(samples: pd.DataFrame, design: str, key: str = "diffexp.design") -> str:
    """Return the design formula for ``samples``.

    ``auto`` gives ``~condition``, or ``~batch + condition`` when the samples span more than one
    batch. Any other value is taken as a formula (``~`` optional) and returned normalised, e.g.
    ``"batch+condition"`` -> ``"~batch + condition"``; a bad formula names config key ``key``.
    """
    if str(design).strip().lower() == "auto":
        if BATCH in samples.columns and samples[BATCH].nunique() > 1:
            return f"~{BATCH} + {CONDITION}"
        return f"~{CONDITION}"
    return "~" + " + ".join(design_variables(design, key))


def design_variables(design: str, key: str = "diffexp.design") -> list[str]:
    """Variables (sample-sheet columns) of an additive formula such as ``~ batch + condition``.

    Only sums of columns are supported; interactions, transformations and ``-1`` are rejected,
    naming the config key ``key``.
    """
    text = str(design).strip()
    if text.startswith("~"):
        text = text[1:]
    terms = [term.strip() for term in text.split("+")]
    if not text.strip() or any(not _IDENTIFIER.match(term) for term in terms):
        raise InputError(
            f"config key {key}: '{design}' is not a supported design. Write 'auto' or "
            "a sum of sample-sheet columns such as '~ batch + condition' (column names only; "
            "no interactions ':' or '*', no functions)."
        )
    if len(set(terms)) != len(terms):
        raise InputError(f"config key {key}: '{design}' names a column twice.")
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


def residual_df(
    samples: pd.DataFrame, design: str, contrasts: Mapping[str, Sequence[str]]
) -> tuple[int, int]:
    """(samples, coefficients) of the design on ``samples``: their difference is the residual
    degrees of freedom PyDESeq2 checks before fitting the dispersion prior."""
    categorical = categorical_variables(samples, design, contrasts)
    matrix = design_matrix(samples, design_variables(design), categorical)
    return len(samples), matrix.shape[1]


def _rank(samples: pd.DataFrame, variables: Sequence[str], categorical: Iterable[str]) -> int:
    """Rank of the design matrix of ``variables`` (see :func:`design_matrix`)."""
    return int(np.linalg.matrix_rank(design_matrix(samples, variables, categorical).to_numpy()))


def check_design(
    samples: pd.DataFrame,
    design: str | Mapping,
    contrasts: Mapping[str, Sequence[str]] | None = None,
    *,
    design_key: str = "diffexp.design",
    contrasts_key: str = "diffexp.contrasts",
) -> str:
    """Check the design and every contrast against ``samples`` (one arm); return the formula.

    ``design`` is ``auto``, a formula, or a config section holding ``design`` and ``contrasts``
    (then the contrasts are taken from it, and the config keys from its ``sources`` when it is
    an arm's section, :func:`esccrt.de.settings.arm_section`). Raises :class:`InputError`
    naming ``design_key`` or ``<contrasts_key>.<name>`` for: a variable that is not a
    sample-sheet column, a contrast variable missing from the design, an unknown level, a
    compared level with fewer than 2 samples, and a contrast variable fully confounded with
    another design variable (e.g. every control in batch b1 and every irradiated sample in batch
    b2), where the effect cannot be told apart from the batch.
    """
    if isinstance(design, Mapping):
        section = design
        contrasts = section.get("contrasts") if contrasts is None else contrasts
        design = str(section["design"])
        sources = section.get("sources", {})
        design_key = sources.get("design", design_key)
        contrasts_key = sources.get("contrasts", contrasts_key)
    contrasts = contrasts or {}
    design = resolve_design(samples, design, design_key)
    variables = design_variables(design, design_key)
    sheet_columns = sorted(str(c) for c in samples.columns)
    for var in variables:
        if var not in samples.columns:
            raise InputError(
                f"config key {design_key}: '{var}' in design '{design}' is not a column of "
                f"the sample sheet (columns: {sheet_columns}). Fix the design or add the column."
            )
        empty = samples.index[samples[var].astype(str).str.strip() == ""].tolist()
        if empty:
            raise InputError(
                f"config key {design_key}: column '{var}' of the sample sheet is empty for "
                f"sample(s) {empty}; every sample in the analysis needs a value."
            )
    if not contrasts:
        raise InputError(f"config key {contrasts_key}: no contrast is defined; add at least one.")
    categorical = categorical_variables(samples, design, contrasts)
    for name, spec in contrasts.items():
        _check_contrast(
            samples, variables, categorical, f"{contrasts_key}.{name}", spec, design_key
        )
    full = design_matrix(samples, variables, categorical)
    rank = int(np.linalg.matrix_rank(full.to_numpy()))
    if rank < full.shape[1]:
        raise InputError(
            f"config key {design_key}: the design '{design}' cannot be fitted with these "
            f"{len(samples)} samples: some of its variables ({variables}) are confounded with "
            "each other or there are more coefficients than samples. Drop a variable."
        )
    if rank >= len(samples):
        raise InputError(
            f"config key {design_key}: the design '{design}' has {full.shape[1]} coefficients "
            f"for {len(samples)} samples, which leaves no replicate to estimate the variability. "
            "Use fewer variables or more samples."
        )
    return design


def _check_contrast(
    samples: pd.DataFrame,
    variables: Sequence[str],
    categorical: Sequence[str],
    name_key: str,
    spec: Sequence[str],
    design_key: str,
) -> None:
    """Check one contrast, named by its config key ``name_key`` (see :func:`check_design`)."""
    key = f"config key {name_key}"
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
            f"{design_key} or use 'auto'."
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
                f"{key}: level '{level}' of '{var}' has {counts[level]} sample(s); at least 2 "
                "replicates per compared group are needed."
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
            f"variable out of {design_key} (e.g. design: '~condition')."
        )


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
