"""Competing risks: the survival stage's tables of the endpoints naming a competing event.

An endpoint with ``competing`` configured codes its status 0 (censored), 1 (the event of
interest) or 2 (the competing event, e.g. death before progression); every other analysis of
the stage censors the competing event (cause-specific hazards). Here, per such endpoint:
results/survival/competing_risks.tsv, the Fine-Gray subdistribution hazard ratio
(:mod:`esccrt.survival.fine_gray`) of each fold-change factor's groups and per doubling of each
marker's fold change; cumulative_incidence.tsv, the Aalen-Johansen cumulative incidence
(:mod:`esccrt.survival.cumulative_incidence`) of the event and of the competing event at the
landmarks, in all patients and per fold-change group; cumulative_incidence_curves.tsv, its step
functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from esccrt.survival.clinical import COMPETING, EVENT
from esccrt.survival.cumulative_incidence import (
    CumulativeIncidence,
    aalen_johansen,
    log_log_interval,
)
from esccrt.survival.fine_gray import fine_gray
from esccrt.survival.settings import Endpoint, Factor

#: Columns of results/survival/competing_risks.tsv: one Fine-Gray model per row.
FINE_GRAY_COLUMNS = (
    "endpoint",
    "competing_event",
    "analysis",
    "variable",
    "contrast",
    "n",
    "events",
    "competing_events",
    "coef",
    "se",
    "shr",
    "ci_low",
    "ci_high",
    "p",
    "note",
)
#: Columns of results/survival/cumulative_incidence.tsv: the cumulative incidence at a landmark.
INCIDENCE_COLUMNS = (
    "endpoint",
    "factor",
    "group",
    "cause",
    "landmark",
    "n",
    "cif",
    "se",
    "ci_low",
    "ci_high",
)
#: Columns of results/survival/cumulative_incidence_curves.tsv: the step functions, to plot.
CURVE_COLUMNS = ("endpoint", "factor", "group", "cause", "time", "cif")
#: The ``factor`` and ``group`` of the whole cohort's rows.
ALL_PATIENTS = "all patients"
#: The note of an endpoint without a competing event configured.
NONE_CODED = (
    "no competing events coded (survival.endpoints competing empty): the cause-specific "
    "analyses only"
)


@dataclass(frozen=True)
class CompetingTables:
    """The stage's competing-risks tables."""

    fine_gray: pd.DataFrame
    incidence: pd.DataFrame
    curves: pd.DataFrame


def competing_tables(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    log2_fc: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
    landmarks: Sequence[float],
    estimator: str,
) -> CompetingTables:
    """Per endpoint with a competing event: the Fine-Gray model of each fold-change factor's
    groups and of each marker's log2 fold change (``log2_fc``: patients x markers), and the
    Aalen-Johansen cumulative incidence of the event and of the competing event in the whole
    cohort and in each fold-change group. An endpoint without one: a row saying so. ``estimator``:
    the Fine-Gray models' (finegray or crr)."""
    markers = [f for f in factors if f.kind == "fold_change"]
    fine_gray_rows, incidence, curves = [], [], []
    for endpoint in endpoints:
        if not endpoint.competing:
            fine_gray_rows.append({"endpoint": endpoint.name, "note": NONE_CODED})
            continue
        time, status = clinical[endpoint.time], clinical[endpoint.status]
        for factor in markers:
            fine_gray_rows.append(_group_model(endpoint, factor, time, status, groups, estimator))
        for marker in log2_fc.columns:
            x = log2_fc[marker].reindex(clinical.index)
            fields = _competing_fields(endpoint, "continuous")
            row = _fine_gray_row(time, status, x, fields, estimator)
            fine_gray_rows.append(row | {"variable": marker, "contrast": "per doubling"})
        subsets = {(ALL_PATIENTS, ALL_PATIENTS): clinical.index}
        for factor in markers:
            labels = groups[factor.name].reindex(clinical.index).astype(object)
            for level in factor.level_labels():
                subsets[(factor.name, level)] = clinical.index[labels == level]
        for (factor_name, level), index in subsets.items():
            keys = {"endpoint": endpoint.name, "factor": factor_name, "group": level}
            for cause, code in (("event", EVENT), ("competing", COMPETING)):
                curve = aalen_johansen(time[index], status[index], code)
                incidence += _landmark_rows(curve, keys | {"cause": cause}, len(index), landmarks)
                curves += [
                    keys | {"cause": cause, "time": t, "cif": f}
                    for t, f in zip(curve.time, curve.estimate, strict=True)
                ]
    return CompetingTables(
        pd.DataFrame(fine_gray_rows, columns=list(FINE_GRAY_COLUMNS)),
        pd.DataFrame(incidence, columns=list(INCIDENCE_COLUMNS)),
        pd.DataFrame(curves, columns=list(CURVE_COLUMNS)),
    )


def _competing_fields(endpoint: Endpoint, analysis: str) -> dict[str, str]:
    """The columns naming a model's endpoint, competing event and kind of analysis."""
    return {"endpoint": endpoint.name, "competing_event": endpoint.competing, "analysis": analysis}


def _group_model(
    endpoint: Endpoint,
    factor: Factor,
    time: pd.Series,
    status: pd.Series,
    groups: pd.DataFrame,
    estimator: str,
) -> dict[str, object]:
    """The Fine-Gray model of a fold-change factor: its other level against the reference."""
    reference = factor.reference_level()
    (other,) = [level for level in factor.level_labels() if level != reference]
    labels = groups[factor.name].reindex(time.index).astype(object)
    x = pd.Series(np.where(labels.isna(), np.nan, (labels == other).astype(float)), time.index)
    row = _fine_gray_row(time, status, x, _competing_fields(endpoint, "group"), estimator)
    return row | {"variable": factor.name, "contrast": f"{other} vs {reference}"}


def _fine_gray_row(
    time: pd.Series, status: pd.Series, x: pd.Series, fields: dict[str, str], estimator: str
) -> dict[str, object]:
    """One row of competing_risks.tsv: the patients with ``x`` known, their counts and the
    model's subdistribution HR (or a note why there is none)."""
    keep = x.notna()
    t, s, v = time[keep].to_numpy(float), status[keep].to_numpy(int), x[keep].to_numpy(float)
    row: dict[str, object] = fields | {
        "n": int(keep.sum()),
        "events": int((s == EVENT).sum()),
        "competing_events": int((s == COMPETING).sum()),
    }
    if row["events"] == 0:
        return row | {"note": "no events of interest: no model"}
    if np.ptp(v[s == EVENT]) == 0:
        # e.g. a group without events: the likelihood grows without bound, no finite sHR
        return row | {"note": "the covariate does not vary among the events: sHR not estimable"}
    try:
        fit = fine_gray(t, s, v[:, None], estimator)
    except np.linalg.LinAlgError as error:
        return row | {"note": f"Fine-Gray model did not converge: {str(error)[:120]}"}
    note = "" if row["competing_events"] else "no competing events coded in the clinical table"
    return row | fit.summary() | {"note": note}


def _landmark_rows(
    curve: CumulativeIncidence, keys: dict[str, str], n: int, landmarks: Sequence[float]
) -> list[dict[str, object]]:
    """Rows of cumulative_incidence.tsv: the curve at each landmark with SE and CI."""
    times = np.asarray(landmarks, dtype=float)
    estimate, se = curve.at(times)
    low, high = log_log_interval(estimate, se)
    return [
        keys | {"landmark": t, "n": n, "cif": f, "se": e, "ci_low": lo, "ci_high": hi}
        for t, f, e, lo, hi in zip(times, estimate, se, low, high, strict=True)
    ]
