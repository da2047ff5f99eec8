"""Cox proportional-hazards models: univariate per factor, multivariate per endpoint.

:func:`fit_cox` (lifelines CoxPHFitter, Efron ties, with the Schoenfeld-residual test of
proportional hazards and Harrell's C of the fitted linear predictor) is behind
:func:`cox_univariate` and :func:`cox_table`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import proportional_hazard_test

from esccrt.errors import InputError
from esccrt.survival.concordance import concordance
from esccrt.survival.settings import Endpoint, Factor

COX_COLUMNS = (
    "model",
    "endpoint",
    "factor",
    "contrast",
    "n",
    "events",
    "hr",
    "ci_low",
    "ci_high",
    "p",
    "ph_test_p",
    "c_index",
    "c_index_se",
    "note",
)


#: Newton-Raphson run to convergence: lifelines' default (precision 1e-7 on the step and the
#: Newton decrement) stops up to ~2e-6 (relative HR) short of survival::coxph's estimate.
FIT_OPTIONS = {"precision": 1e-12}


def fit_cox(
    data: pd.DataFrame, duration: str, event: str, covariates: Sequence[str]
) -> tuple[pd.DataFrame, CoxPHFitter]:
    """Cox proportional-hazards fit (Efron ties) with the Schoenfeld test per covariate.

    Returns a table indexed by covariate with coef, se, hr, ci_low, ci_high, p, ph_test_p (the
    rank-time proportional-hazards test, lifelines ``proportional_hazard_test``), and the fit.
    Convergence warnings (e.g. collinear covariates) are kept in ``table.attrs["warnings"]``,
    Harrell's C of the model's linear predictor (with its standard error, as
    ``survival::concordance``) in ``table.attrs["concordance"]``.
    """
    frame = data[[duration, event, *covariates]].astype(float)
    cph = CoxPHFitter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph.fit(frame, duration_col=duration, event_col=event, fit_options=FIT_OPTIONS)
        ph = proportional_hazard_test(cph, frame, time_transform="rank").summary
    s = cph.summary
    out = pd.DataFrame(
        {
            "coef": s["coef"],
            "se": s["se(coef)"],
            "hr": s["exp(coef)"],
            "ci_low": s["exp(coef) lower 95%"],
            "ci_high": s["exp(coef) upper 95%"],
            "p": s["p"],
            "ph_test_p": ph["p"].reindex(s.index),
        }
    )
    out.index = list(covariates)
    risk = frame[list(covariates)].to_numpy() @ cph.params_.reindex(covariates).to_numpy()
    out.attrs["concordance"] = concordance(frame[duration], frame[event], risk)
    out.attrs["warnings"] = sorted(
        {str(w.message).split(".")[0] for w in caught if issubclass(w.category, ConvergenceWarning)}
    )
    return out, cph


def _dummies(group: pd.Series, reference: str) -> tuple[pd.DataFrame, list[str]]:
    """Treatment-coded indicator columns (x0, x1, ...) and their 'level vs reference' names."""
    levels = [str(c) for c in group.cat.categories if str(c) != reference]
    cols = {f"x{i}": (group.astype(str) == lv).astype(float) for i, lv in enumerate(levels)}
    return pd.DataFrame(cols, index=group.index), [f"{lv} vs {reference}" for lv in levels]


def _design(
    groups: pd.DataFrame, factors: Sequence[Factor]
) -> tuple[pd.DataFrame, list[str], list[Factor]]:
    """Indicator columns of all factors (NaN where the factor has no value), their contrast
    names and the factor owning each column."""
    parts, names, owners = [], [], []
    for factor in factors:
        dummies, contrasts = _dummies(groups[factor.name], factor.reference_level())
        dummies.columns = [f"{factor.name}__{c}" for c in dummies.columns]
        parts.append(dummies.where(groups[factor.name].notna()))
        names += contrasts
        owners += [factor] * len(contrasts)
    design = pd.concat(parts, axis=1)
    return design, names, owners


def _event_free_levels(
    data: pd.DataFrame,
    groups: pd.DataFrame,
    design: pd.DataFrame,
    names: Sequence[str],
    owners: Sequence[Factor],
    factors: Sequence[Factor],
) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """Why the model cannot be fitted (note), and the event-free non-reference levels.

    Returns the data without the patients of event-free levels, the note ("" when the model can
    be fitted) and ``dropped``: indicator column -> reason its HR is not estimable.
    """
    note, dropped = "", {}  # dropped: indicator column -> reason (event-free level)
    if int(data["E"].sum()) == 0:
        note = "no events"
    for column, contrast, factor in zip(design.columns, names, owners, strict=True):
        level = contrast.split(" vs ")[0]
        in_level = groups.loc[data.index, factor.name].astype(str) == level
        if not note and in_level.any() and data.loc[in_level, "E"].sum() == 0:
            dropped[column] = f"no events in group '{level}' of {factor.label}: HR not estimable"
            data = data[~in_level]
    for factor in factors if not note else []:
        reference = factor.reference_level()
        in_ref = groups.loc[data.index, factor.name].astype(str) == reference
        if in_ref.any() and data.loc[in_ref, "E"].sum() == 0:
            note = f"no events in reference group '{reference}' of {factor.label}: HR not estimable"
    return data, note, dropped


def _cox_rows(
    model: str,
    endpoint: Endpoint,
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    factors: Sequence[Factor],
) -> list[dict]:
    """Rows of cox.tsv for one model; a model that cannot be fitted gives NA with the reason."""
    design, names, owners = _design(groups, factors)
    data = pd.concat(
        [
            clinical[[endpoint.time, endpoint.event]].rename(
                columns={endpoint.time: "T", endpoint.event: "E"}
            ),
            design,
        ],
        axis=1,
    ).dropna()
    base = {"model": model, "endpoint": endpoint.name}
    data, note, dropped = _event_free_levels(data, groups, design, names, owners, factors)
    kept = [c for c in design.columns if c not in dropped]
    fit = None
    if not note and kept:
        try:
            fit, _ = fit_cox(data, "T", "E", kept)
            note = "; ".join(fit.attrs["warnings"])
        except (ConvergenceError, np.linalg.LinAlgError, ValueError) as error:
            note = f"Cox model did not converge: {str(error).splitlines()[0][:120]}"
    if dropped and fit is not None:
        left_out = ", ".join(
            reason.split(":")[0].removeprefix("no events in ") for reason in dropped.values()
        )
        note = "; ".join(filter(None, [note, f"fitted without the event-free {left_out}"]))
    n, n_events = len(data), int(data["E"].sum())
    harrell = fit.attrs["concordance"] if fit is not None else None
    model_c = {
        "c_index": harrell.c if harrell else math.nan,
        "c_index_se": harrell.se if harrell else math.nan,
    }
    rows = []
    for i, (column, contrast, factor) in enumerate(zip(design.columns, names, owners, strict=True)):
        row = base | {"factor": factor.label, "contrast": contrast, "n": n, "events": n_events}
        row |= model_c
        if fit is None or column in dropped:
            row |= dict.fromkeys(("hr", "ci_low", "ci_high", "p", "ph_test_p"), math.nan)
            row["note"] = dropped.get(column, note)
        else:
            r = fit.loc[column]
            row |= {k: float(r[k]) for k in ("hr", "ci_low", "ci_high", "p", "ph_test_p")}
            row["note"] = note
        row["_factor"] = factor.name
        row["_order"] = i
        rows.append(row)
    return rows


def cox_univariate(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
) -> pd.DataFrame:
    """One Cox model per endpoint x factor (HR of each level against the reference level)."""
    rows = [
        row
        for endpoint in endpoints
        for factor in factors
        for row in _cox_rows("univariate", endpoint, clinical, groups, [factor])
    ]
    return pd.DataFrame(rows)


def select_multivariate(
    univariate: pd.DataFrame,
    endpoint: str,
    factors: Sequence[Factor],
    configured: Sequence[str] | str,
    p_threshold: float,
) -> list[Factor]:
    """Factors of the multivariate model: the configured names, or with ``auto`` those whose
    smallest univariate Cox p for this endpoint is below ``p_threshold``."""
    by_name = {f.name: f for f in factors}
    if isinstance(configured, str):
        if configured != "auto":
            raise InputError(
                f"config key survival.cox.multivariate: '{configured}' is neither 'auto' nor a "
                "list of factor names."
            )
        uni = univariate[univariate["endpoint"] == endpoint]
        best = uni.groupby("_factor")["p"].min()
        return [f for f in factors if best.get(f.name, math.nan) < p_threshold]
    unknown = [name for name in configured if name not in by_name]
    if unknown:
        raise InputError(
            f"config key survival.cox.multivariate: {unknown} are not factor names "
            f"(survival.factors: {list(by_name)})."
        )
    return [by_name[name] for name in configured]


def cox_table(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
    *,
    multivariate: Sequence[str] | str,
    p_threshold: float,
) -> pd.DataFrame:
    """cox.tsv: univariate models for every factor, then one multivariate model per endpoint
    (``multivariate`` and ``p_threshold``: the validated ``survival.cox`` section)."""
    uni = cox_univariate(clinical, groups, endpoints, factors)
    frames = [uni]
    for endpoint in endpoints:
        chosen = select_multivariate(uni, endpoint.name, factors, multivariate, p_threshold)
        if chosen:
            frames.append(
                pd.DataFrame(_cox_rows("multivariate", endpoint, clinical, groups, chosen))
            )
    table = pd.concat(frames, ignore_index=True)
    return table[list(COX_COLUMNS)]
