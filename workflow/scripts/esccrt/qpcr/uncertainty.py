"""Standard errors and confidence intervals of relative quantities and fold changes (qBase).

First-order (delta-method) error propagation of Hellemans et al. 2007 (Genome Biology 8:R19),
the model of qBase/qbase+. For one target in one sample, with amplification factor E (2.0 =
100 %), its standard error SE_E, the sample's mean Cq over n technical replicates with SD s
(SE_Cq = s / sqrt(n)) and dCq = Cq(calibrator) - Cq(sample):

    RQ    = E^dCq
    SE_RQ = RQ * sqrt( (ln E * SE_dCq)^2 + (dCq * SE_E / E)^2 )
    NF    = geometric mean of the f references' RQ
    SE_NF = NF * sqrt( sum_r (SE_RQ_r / (f * RQ_r))^2 )
    NRQ   = RQ / NF,   SE_NRQ = NRQ * sqrt( (SE_NF / NF)^2 + (SE_RQ / RQ)^2 )

:func:`relative_quantities` uses qBase's default calibrator per target, the arithmetic mean Cq
over every sample, taken as a constant (SE_dCq = SE_Cq of the sample). :func:`fold_change_se`
takes the patient's pre sample as the calibrator, so both Cqs carry error
(SE_dCq^2 = SE_pre^2 + SE_post^2) and the efficiency term uses the pre - post Cq difference: E
is one estimate shared by every sample, so its error does not cancel, but it scales with the
distance between the two samples, not with their distance from the cohort mean.

All terms are propagated on the log scale (SE_ln X = SE_X / X, the relative SE above), and the
interval is exp(ln X +/- z * SE_ln X) with z the normal quantile of the confidence level: it
stays positive and is symmetric on the log scale, as fold changes are read.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from esccrt.errors import InputError, located
from esccrt.io import read_tsv
from esccrt.paths import QPCR_EFFICIENCIES

#: Livak's assumption when no amplification factor is configured: 100 % efficiency.
LIVAK_EFFICIENCY = 2.0
#: Columns of the per-target efficiency table (results/qpcr/efficiencies.tsv, curve analysis).
EFFICIENCY_TABLE_COLUMNS = ("target", "efficiency", "efficiency_se")
#: What the numbers of that table must be.
WANTED = {
    "efficiency": "an amplification factor above 1 (2.0 = 100 % efficiency)",
    "efficiency_se": "its standard error, a number >= 0",
}
#: Columns of results/qpcr/efficiency_uncertainty.tsv: what the propagation used per assay.
EFFICIENCY_INPUT_COLUMNS = ("target", "efficiency", "efficiency_se", "efficiency_se_source")
#: Columns of results/qpcr/relative_quantities.tsv: one row per patient, timepoint and target.
RELATIVE_QUANTITY_COLUMNS = (
    "patient",
    "timepoint",
    "target",
    "mean_ct",
    "se_ct",
    "rq",
    "rq_se",
    "nf",
    "nf_se",
    "nrq",
    "nrq_se",
    "log2_nrq",
    "log2_nrq_se",
    "nrq_ci_low",
    "nrq_ci_high",
    "ci_level",
)
#: Columns added to results/qpcr/fold_changes.tsv (after the existing ones).
FOLD_CHANGE_SE_COLUMNS = (
    "log2_fold_change",
    "log2_fold_change_se",
    "fold_change_se",
    "fold_change_ci_low",
    "fold_change_ci_high",
    "ci_level",
)


def z_value(level: float) -> float:
    """Two-sided normal quantile of a confidence level (0.95 -> 1.959964); the level is checked
    with the config (QpcrSettings)."""
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def read_efficiency_table(path: str | os.PathLike[str], needed: Sequence[str] = ()) -> pd.DataFrame:
    """The per-target efficiency table of the curve analysis (target, efficiency as amplification
    factor, efficiency_se, ...); an :class:`InputError` names the file, line and column of a bad
    value. ``needed`` are the targets whose amplification factor the fold changes take from the
    table (qpcr.efficiency_source: linregpcr): one LinRegPCR gave none is refused by name first."""
    table = read_tsv(path, ["target"])
    missing = [c for c in EFFICIENCY_TABLE_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"missing column(s) {missing}; expected at least {list(EFFICIENCY_TABLE_COLUMNS)}.",
            )
        )
    _check_needed(table, needed, path)
    for i, row in enumerate(table.itertuples(index=False), start=2):
        for column, rule in WANTED.items():
            value = pd.to_numeric(getattr(row, column), errors="coerce")
            usable = value > 1.0 if column == "efficiency" else value >= 0.0
            if not (math.isfinite(value) and usable):
                raise InputError(
                    located(
                        path,
                        f"target '{row.target}': '{getattr(row, column)}' is not usable; "
                        f"{column} is {rule}.",
                        line=i,
                        column=column,
                    )
                )
    if table["target"].duplicated().any():
        twice = sorted(table.loc[table["target"].duplicated(), "target"].unique())
        raise InputError(located(path, f"target(s) {twice} listed more than once."))
    return table[list(EFFICIENCY_TABLE_COLUMNS)].astype(
        {"efficiency": float, "efficiency_se": float}
    )


def efficiency_inputs(
    assays: Sequence[str],
    efficiencies: Mapping[str, float],
    efficiency_se: Mapping[str, float],
    table: pd.DataFrame | None = None,
    table_name: str = QPCR_EFFICIENCIES,
) -> pd.DataFrame:
    """Amplification factor and its SE per assay, and where the SE came from.

    E is the factor the fold changes use (``qpcr.efficiencies``, else Livak's 2.0). Its SE comes
    from ``qpcr.efficiency_se`` when given there, else from ``table`` (the curve analysis'
    efficiencies.tsv) when it lists the assay, else it is 0: E is taken as exact.
    """
    listed = (
        {} if table is None else dict(zip(table["target"], table["efficiency_se"], strict=True))
    )
    rows = []
    for assay in dict.fromkeys(assays):
        if assay in efficiency_se:
            se, source = float(efficiency_se[assay]), "config qpcr.efficiency_se"
        elif assay in listed:
            se, source = float(listed[assay]), table_name
        else:
            se, source = 0.0, "none (E taken as exact)"
        factor = float(efficiencies.get(assay, LIVAK_EFFICIENCY))
        rows.append((assay, factor, se, source))
    return pd.DataFrame(rows, columns=list(EFFICIENCY_INPUT_COLUMNS))


def _cq_se(summary: pd.DataFrame) -> pd.Series:
    """SE of each mean Cq: SD / sqrt(n used); NaN for a single replicate (no SD to propagate)."""
    return summary["sd_ct"] / np.sqrt(summary["n_used"].astype(float))


def _ln_variance(
    delta: pd.Series, var_delta: pd.Series, factor: pd.Series, se: pd.Series
) -> pd.Series:
    """Var(ln E^dCq) to first order: (ln E)^2 Var(dCq) + (dCq SE_E / E)^2."""
    return np.log(factor) ** 2 * var_delta + (delta * se / factor) ** 2


def _with_efficiencies(frame: pd.DataFrame, inputs: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the assay's efficiency and its SE joined on ``target``."""
    return frame.merge(inputs[["target", "efficiency", "efficiency_se"]], on="target", how="left")


def _normalisation_factor(per_ref: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """ln NF = mean of the references' ln RQ; Var(ln NF) = sum Var(ln RQ_r) / f^2."""
    grouped = per_ref.groupby(keys)
    out = grouped["ln_rq"].mean().rename("ln_nf").to_frame()
    f = grouped["ln_rq"].size()
    out["var_ln_nf"] = grouped["var_ln_rq"].sum(min_count=1) / f**2
    # a reference missing in a sample leaves its NF undefined (no silent renormalisation)
    out.loc[grouped["ln_rq"].count() < f, ["ln_nf", "var_ln_nf"]] = math.nan
    return out.reset_index()


def _interval(ln_value: pd.Series, ln_se: pd.Series, level: float) -> tuple[pd.Series, pd.Series]:
    """exp(ln X -/+ z SE_ln X)."""
    z = z_value(level)
    return np.exp(ln_value - z * ln_se), np.exp(ln_value + z * ln_se)


def relative_quantities(
    summary: pd.DataFrame,
    targets: Sequence[str],
    references: Sequence[str],
    timepoints: Sequence[str],
    inputs: pd.DataFrame,
    level: float,
) -> pd.DataFrame:
    """RQ, NF and NRQ with their SEs and a ``level`` interval per patient, timepoint and target.

    ``summary`` is the replicate summary (mean_ct, sd_ct, n_used per patient, timepoint and
    target); ``inputs`` is :func:`efficiency_inputs`. The calibrator of each assay is its mean Cq
    over every sample that has one (qBase's default), a constant of the propagation.
    """
    data = summary[summary["target"].isin([*targets, *references])].copy()
    data["se_ct"] = _cq_se(data)
    data = _with_efficiencies(data, inputs)
    data["delta"] = data.groupby("target")["mean_ct"].transform("mean") - data["mean_ct"]
    data["ln_rq"] = data["delta"] * np.log(data["efficiency"])
    data["var_ln_rq"] = _ln_variance(
        data["delta"], data["se_ct"] ** 2, data["efficiency"], data["efficiency_se"]
    )
    keys = ["patient", "timepoint"]
    nf = _normalisation_factor(data[data["target"].isin(references)], keys)
    out = data[data["target"].isin(targets)].merge(nf, on=keys, how="left")
    out["rq"] = np.exp(out["ln_rq"])
    out["rq_se"] = out["rq"] * np.sqrt(out["var_ln_rq"])
    out["nf"] = np.exp(out["ln_nf"])
    out["nf_se"] = out["nf"] * np.sqrt(out["var_ln_nf"])
    ln_nrq = out["ln_rq"] - out["ln_nf"]
    ln_se = np.sqrt(out["var_ln_rq"] + out["var_ln_nf"])
    out["nrq"] = np.exp(ln_nrq)
    out["nrq_se"] = out["nrq"] * ln_se
    out["log2_nrq"] = ln_nrq / math.log(2)
    out["log2_nrq_se"] = ln_se / math.log(2)
    out["nrq_ci_low"], out["nrq_ci_high"] = _interval(ln_nrq, ln_se, level)
    out["ci_level"] = level
    out = out.sort_values(
        ["patient", "timepoint", "target"], key=_configured_order(targets, timepoints)
    )
    return out[list(RELATIVE_QUANTITY_COLUMNS)].reset_index(drop=True)


def _configured_order(targets: Sequence[str], timepoints: Sequence[str]) -> Callable:
    """Sort key: targets and timepoints in the configured order (others after them), patients
    as they sort."""
    orders = {
        "target": {name: i for i, name in enumerate(targets)},
        "timepoint": {name: i for i, name in enumerate(timepoints)},
    }

    def key(column: pd.Series) -> pd.Series:
        order = orders.get(str(column.name))
        return column if order is None else column.map(order).fillna(len(order))

    return key


def fold_change_se(
    summary: pd.DataFrame,
    targets: Sequence[str],
    references: Sequence[str],
    timepoints: tuple[str, str],
    inputs: pd.DataFrame,
    level: float,
) -> pd.DataFrame:
    """log2 fold change post vs pre with its SE, the fold change's SE and a ``level`` interval,
    per patient and target; the calibrator is the patient's ``timepoints[0]`` (pre) sample.

    ln FC = ln E_t * d_t - mean_r ln E_r * d_r with d = Cq(pre) - Cq(post): equal to the
    pipeline's Livak 2^-ddCt (every E = 2) and Pfaffl ratio.
    """
    pre, post = timepoints
    data = summary[summary["target"].isin([*targets, *references])].copy()
    data["se_ct"] = _cq_se(data)
    wide = data.pivot_table(
        index=["patient", "target"],
        columns="timepoint",
        values=["mean_ct", "se_ct"],
        dropna=False,
    )
    pairs = pd.DataFrame(
        {
            "delta": wide[("mean_ct", pre)] - wide[("mean_ct", post)],
            "var_delta": wide[("se_ct", pre)] ** 2 + wide[("se_ct", post)] ** 2,
        }
    ).reset_index()
    pairs = _with_efficiencies(pairs, inputs)
    pairs["ln_rq"] = pairs["delta"] * np.log(pairs["efficiency"])
    pairs["var_ln_rq"] = _ln_variance(
        pairs["delta"], pairs["var_delta"], pairs["efficiency"], pairs["efficiency_se"]
    )
    nf = _normalisation_factor(pairs[pairs["target"].isin(references)], ["patient"])
    out = pairs[pairs["target"].isin(targets)].merge(nf, on="patient", how="left")
    ln_fc = out["ln_rq"] - out["ln_nf"]
    ln_se = np.sqrt(out["var_ln_rq"] + out["var_ln_nf"])
    out["log2_fold_change"] = ln_fc / math.log(2)
    out["log2_fold_change_se"] = ln_se / math.log(2)
    out["fold_change_se"] = np.exp(ln_fc) * ln_se
    out["fold_change_ci_low"], out["fold_change_ci_high"] = _interval(ln_fc, ln_se, level)
    out["ci_level"] = level
    return out[["patient", "target", *FOLD_CHANGE_SE_COLUMNS]].reset_index(drop=True)


def with_fold_change_se(fold_changes: pd.DataFrame, uncertainty: pd.DataFrame) -> pd.DataFrame:
    """The fold-change table with :data:`FOLD_CHANGE_SE_COLUMNS` appended; its own columns, rows
    and their order unchanged."""
    merged = fold_changes.merge(uncertainty, on=["patient", "target"], how="left", validate="1:1")
    return merged[[*fold_changes.columns, *FOLD_CHANGE_SE_COLUMNS]]


def _check_needed(table: pd.DataFrame, needed: Sequence[str], path: str | os.PathLike[str]) -> None:
    """Every ``needed`` target has a numeric efficiency in ``table`` (as read, unchecked)."""
    efficiency = pd.to_numeric(table["efficiency"], errors="coerce")
    factors = dict(zip(table["target"].astype(str), efficiency.astype(float), strict=True))
    missing = [t for t in needed if not math.isfinite(factors.get(t, math.nan))]
    if missing:
        raise InputError(
            f"{path}: no LinRegPCR efficiency for {missing} (config key qpcr.efficiency_source "
            "is 'linregpcr'): the curves of those targets gave none (see "
            "linregpcr_reactions.tsv), or the file names them differently. Use "
            "qpcr.efficiency_source 'config' with qpcr.efficiencies."
        )


def fold_change_efficiencies(path: str | Path, targets: Sequence[str]) -> dict[str, float]:
    """The amplification factors of the efficiency table ``path`` for ``targets`` (targets,
    references and candidates), read and checked by :func:`read_efficiency_table`."""
    factors = read_efficiency_table(path, targets).set_index("target")["efficiency"]
    return {t: float(factors[t]) for t in targets}
