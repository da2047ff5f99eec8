"""Continuous markers: Cox models of each miRNA's log2 fold change, linear and as a spline.

Per endpoint x marker (results/survival/continuous_markers.tsv): the hazard ratio per doubling
of the fold change (per unit log2 fold change) with its 95 % CI, Wald and likelihood-ratio p
(``survival::coxph``, Efron ties), and a restricted cubic spline of the log2 fold change with
knots placed as ``rms::rcs`` places them, with the Wald tests ``anova(rms::cph(...))`` reports:
the marker overall and its non-linear terms. The dichotomised fold-change factors of Table 1
stay, as the secondary analysis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from esccrt.errors import InputError
from esccrt.survival.settings import Endpoint
from esccrt.survival.splines import rcs_basis, rcs_knots

CONTINUOUS_COLUMNS = (
    "endpoint",
    "marker",
    "n",
    "events",
    "hr_per_doubling",
    "ci_low",
    "ci_high",
    "coef",
    "se",
    "wald_p",
    "lr_chisq",
    "lr_p",
    "knots",
    "spline_coefficients",
    "spline_chisq",
    "spline_df",
    "spline_p",
    "nonlinear_chisq",
    "nonlinear_df",
    "nonlinear_p",
    "note",
)

#: Newton-Raphson stops when the log partial likelihood changes by less than this (relative),
#: and gives up after MAX_ITERATIONS (survival::coxph: 1e-9 and 20).
TOLERANCE, MAX_ITERATIONS = 1e-12, 50


@dataclass(frozen=True)
class CoxFit:
    """A Cox fit: coefficients, their covariance and the likelihood-ratio statistic."""

    coef: np.ndarray
    covariance: np.ndarray
    lr_chisq: float
    warnings: tuple[str, ...]

    def wald(self, terms: Sequence[int]) -> tuple[float, int, float]:
        """Wald chi-square, degrees of freedom and p of ``terms`` jointly (as rms ``anova``)."""
        index = list(terms)
        b = self.coef[index]
        chisq = float(b @ np.linalg.solve(self.covariance[np.ix_(index, index)], b))
        return chisq, len(index), float(stats.chi2.sf(chisq, len(index)))


def efron_derivatives(
    time: np.ndarray, event: np.ndarray, design: np.ndarray, beta: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Log partial likelihood (Efron ties), its gradient and the information matrix at ``beta``.

    Per distinct event time with d tied events, the tied events' weight leaves the risk set
    in d equal steps (Efron 1977), as survival::coxph's default ``ties = "efron"``. Vectorised
    over the events (the calibration bootstrap fits thousands of these models).
    """
    eta = design @ beta
    weight = np.exp(eta - eta.max())  # shifted for overflow; the shift cancels in every ratio
    is_event = event == 1
    event_times, tied_count = np.unique(time[is_event], return_counts=True)
    risk_sums = _risk_set_sums(time, design, weight, event_times)
    tied_sums = _tied_sums(np.searchsorted(event_times, time[is_event]), design, weight, is_event)
    # one Efron step per event: its time's index and its share k/d, k = 0 .. d-1
    index = np.repeat(np.arange(len(event_times)), tied_count)
    starts = np.repeat(np.cumsum(tied_count) - tied_count, tied_count)
    share = (np.arange(len(index)) - starts) / tied_count[index]
    s0, s1, s2 = (
        r[index] - _broadcast(share, r) * t[index]
        for r, t in zip(risk_sums, tied_sums, strict=True)
    )
    loglik = float(eta[is_event].sum() - is_event.sum() * eta.max() - np.log(s0).sum())
    gradient = design[is_event].sum(axis=0) - (s1 / s0[:, None]).sum(axis=0)
    information = (s2 / s0[:, None, None]).sum(axis=0) - np.einsum(
        "ei,ej->ij", s1 / s0[:, None], s1 / s0[:, None]
    )
    return loglik, gradient, information


def _broadcast(share: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``share`` shaped to multiply rows of ``like`` (vectors or matrices per event time)."""
    return share.reshape((-1,) + (1,) * (like.ndim - 1))


def _risk_set_sums(
    time: np.ndarray, design: np.ndarray, weight: np.ndarray, at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of w, w x and w x x' over the risk set {time >= t} of each t in ``at``."""
    order = np.argsort(time, kind="stable")
    x, w = design[order], weight[order]
    first = np.searchsorted(time[order], at, side="left")
    sums = (w, x * w[:, None], x[:, :, None] * x[:, None, :] * w[:, None, None])
    return tuple(np.cumsum(s[::-1], axis=0)[::-1][first] for s in sums)


def _tied_sums(
    group: np.ndarray, design: np.ndarray, weight: np.ndarray, is_event: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sums of w, w x and w x x' over the events of each event time (``group``: its index)."""
    x, w = design[is_event], weight[is_event]
    size = int(group.max()) + 1 if len(group) else 0
    sums = []
    for values in (w, x * w[:, None], x[:, :, None] * x[:, None, :] * w[:, None, None]):
        total = np.zeros((size, *values.shape[1:]))
        np.add.at(total, group, values)
        sums.append(total)
    return tuple(sums)


def fit_cox_matrix(time: np.ndarray, event: np.ndarray, design: np.ndarray) -> CoxFit:
    """Cox proportional-hazards fit (Efron ties) of ``design``'s columns by Newton-Raphson with
    step halving, run to full convergence; covariance: the inverse information at the estimate.

    Raises :class:`np.linalg.LinAlgError` for a singular information matrix (collinear
    columns, or a covariate constant among the events).
    """
    time, event = np.asarray(time, dtype=float), np.asarray(event, dtype=float)
    design = np.asarray(design, dtype=float)
    beta = np.zeros(design.shape[1])
    null_loglik, gradient, information = efron_derivatives(time, event, design, beta)
    loglik, notes = null_loglik, []
    for _ in range(MAX_ITERATIONS):
        step = np.linalg.solve(information, gradient)
        for _halving in range(30):
            trial = efron_derivatives(time, event, design, beta + step)
            if trial[0] >= loglik - 1e-12 * abs(loglik):
                break
            step = step / 2
        beta = beta + step
        previous, (loglik, gradient, information) = loglik, trial
        if abs(loglik - previous) <= TOLERANCE * abs(loglik):
            break
    else:
        notes.append(f"Newton-Raphson did not converge in {MAX_ITERATIONS} iterations")
    if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 30:
        notes.append("a coefficient diverges (monotone likelihood)")
    return CoxFit(
        coef=beta,
        covariance=np.linalg.inv(information),
        lr_chisq=2 * (loglik - null_loglik),
        warnings=tuple(notes),
    )


def log2_fold_changes(fold_changes: pd.DataFrame, markers: Sequence[str]) -> pd.DataFrame:
    """Patients x markers of log2 fold changes (NaN where no positive fold change exists).

    ``markers`` empty: every target of the fold-change table. Raises :class:`InputError` for a
    configured marker the qPCR fold changes do not hold.
    """
    chosen = list(markers) or list(fold_changes.columns)
    unknown = [m for m in chosen if m not in fold_changes.columns]
    if unknown:
        raise InputError(
            f"config key survival.continuous.markers: {unknown} have no fold changes, qPCR or "
            f"seq: (targets: {list(fold_changes.columns)})."
        )
    values = fold_changes[chosen].astype(float)
    return np.log2(values.where(values > 0))


def _joined(values: Sequence[float]) -> str:
    """Numbers of one cell, ';'-separated at full precision (repr round-trips)."""
    return ";".join(repr(float(v)) for v in values)


def marker_models(
    time: pd.Series, event: pd.Series, log2_fc: pd.Series, n_knots: int
) -> dict[str, object]:
    """The linear and spline Cox models of one marker on one endpoint (patients with a value)."""
    data = pd.DataFrame({"T": time, "E": event, "x": log2_fc}).dropna()
    row: dict[str, object] = {"n": len(data), "events": int(data["E"].sum())}
    row |= dict.fromkeys(CONTINUOUS_COLUMNS[4:], math.nan) | {"knots": "", "note": ""}
    row["spline_coefficients"] = ""
    if row["events"] == 0:
        return row | {"note": "no events"}
    t, e, x = (data[c].to_numpy(dtype=float) for c in ("T", "E", "x"))
    notes = []
    try:
        linear = fit_cox_matrix(t, e, x[:, None])
    except (np.linalg.LinAlgError, ValueError) as error:
        return row | {"note": f"Cox model did not converge: {str(error).splitlines()[0][:120]}"}
    coef, se = float(linear.coef[0]), float(math.sqrt(linear.covariance[0, 0]))
    z = stats.norm.ppf(0.975)
    row |= {
        "coef": coef,
        "se": se,
        "hr_per_doubling": math.exp(coef),
        "ci_low": math.exp(coef - z * se),
        "ci_high": math.exp(coef + z * se),
        "wald_p": linear.wald([0])[2],
        "lr_chisq": linear.lr_chisq,
        "lr_p": float(stats.chi2.sf(linear.lr_chisq, 1)),
    }
    notes += linear.warnings
    try:
        knots = rcs_knots(x, n_knots)
        spline = fit_cox_matrix(t, e, rcs_basis(x, knots))
    except InputError as error:
        notes.append(f"no spline: {error}")
    except (np.linalg.LinAlgError, ValueError) as error:
        notes.append(f"spline model did not converge: {str(error).splitlines()[0][:120]}")
    else:
        overall = spline.wald(range(len(spline.coef)))
        nonlinear = spline.wald(range(1, len(spline.coef)))
        row |= {
            "knots": _joined(knots),
            "spline_coefficients": _joined(spline.coef),
            "spline_chisq": overall[0],
            "spline_df": overall[1],
            "spline_p": overall[2],
            "nonlinear_chisq": nonlinear[0],
            "nonlinear_df": nonlinear[1],
            "nonlinear_p": nonlinear[2],
        }
        if len(knots) < n_knots:
            notes.append(f"{len(knots)} knots (few distinct values; rms::rcs does the same)")
        notes += spline.warnings
    return row | {"note": "; ".join(dict.fromkeys(notes))}


def continuous_markers(
    clinical: pd.DataFrame,
    log2_fc: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    n_knots: int,
) -> pd.DataFrame:
    """continuous_markers.tsv: one row per endpoint x marker (``log2_fc``: patients x markers)."""
    rows = []
    for endpoint in endpoints:
        for marker in log2_fc.columns:
            models = marker_models(
                clinical[endpoint.time],
                clinical[endpoint.event],
                log2_fc[marker].reindex(clinical.index),
                n_knots,
            )
            rows.append({"endpoint": endpoint.name, "marker": marker} | models)
    return pd.DataFrame(rows, columns=list(CONTINUOUS_COLUMNS))
