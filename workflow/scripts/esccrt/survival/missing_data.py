"""Missing data: how much is missing per variable, and the markers' Cox models after multiple
imputation.

:func:`missingness_table` counts the missing values of every variable an analysis uses
(results/survival/missingness.tsv). Every analysis of the stage is complete-case: a patient
without a value is left out of the analyses that need it, and the tables say how many remain.
With ``survival.missing_data.method: mice``, :func:`mice_analysis` also imputes the markers'
missing log2 fold changes by chained equations (statsmodels ``MICEData``: predictive mean
matching with ``donors`` donors, mice's default 5 where statsmodels' 20 would draw from half of
a cohort of 40 patients; one chain per imputed data set), fits each marker's linear Cox model
(the model of continuous_markers.tsv) on every imputed data set and pools the fits by Rubin's
rules with the Barnard-Rubin degrees of freedom, as ``mice::pool`` does
(results/survival/mice_pooled.tsv).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.imputation.mice import MICEData

from esccrt.survival.continuous import fit_cox_matrix
from esccrt.survival.settings import Endpoint, MissingDataSettings

MISSINGNESS_COLUMNS = ("variable", "role", "n", "n_missing", "share_missing")

POOLED_COLUMNS = (
    "endpoint",
    "marker",
    "imputations",
    "n",
    "events",
    "n_imputed",
    "coef",
    "se",
    "hr_per_doubling",
    "ci_low",
    "ci_high",
    "p",
    "df",
    "df_complete",
    "within_variance",
    "between_variance",
    "total_variance",
    "riv",
    "lambda",
    "fmi",
    "note",
)

#: mice::pool floors the share of variance due to missingness at this value before the
#: Barnard-Rubin degrees of freedom (``barnard.rubin``), so that no missing value means a large
#: finite df rather than a division by zero.
LAMBDA_FLOOR = 1e-4


def missingness_table(variables: pd.DataFrame, roles: Mapping[str, str]) -> pd.DataFrame:
    """missingness.tsv: one row per column of ``variables`` (patients x variables, NaN =
    missing) with its role (e.g. ``endpoint os``, ``factor``, ``marker``), the number of
    patients, how many lack a value and their share."""
    n = len(variables)
    missing = variables.isna().sum()
    return pd.DataFrame(
        {
            "variable": list(variables.columns),
            "role": [roles[c] for c in variables.columns],
            "n": n,
            "n_missing": missing.to_numpy(dtype=int),
            "share_missing": missing.to_numpy(dtype=float) / n if n else math.nan,
        },
        columns=list(MISSINGNESS_COLUMNS),
    )


def nelson_aalen_at_own_time(time: pd.Series, event: pd.Series) -> pd.Series:
    """Each patient's Nelson-Aalen cumulative hazard at their own time: with the event
    indicator, the outcome's representation in the imputation model of a Cox analysis (White and
    Royston 2009, Stat Med 28:1982)."""
    t, e = time.to_numpy(dtype=float), event.to_numpy(dtype=float)
    times = np.unique(t)
    deaths = np.array([e[t == s].sum() for s in times])
    at_risk = np.array([(t >= s).sum() for s in times])
    cumulative = np.cumsum(deaths / at_risk)
    return pd.Series(cumulative[np.searchsorted(times, t)], index=time.index)


def imputation_frame(
    clinical: pd.DataFrame, markers: pd.DataFrame, endpoints: Sequence[Endpoint]
) -> pd.DataFrame:
    """The data the chained equations use: the markers (with their gaps) and, per endpoint,
    the event indicator and the Nelson-Aalen cumulative hazard, indexed by patient."""
    frame = markers.reindex(clinical.index).astype(float)
    outcome = {}
    for endpoint in endpoints:
        outcome[f"{endpoint.name} event"] = clinical[endpoint.event].astype(float)
        outcome[f"{endpoint.name} cumulative hazard"] = nelson_aalen_at_own_time(
            clinical[endpoint.time], clinical[endpoint.event]
        )
    return pd.concat([frame, pd.DataFrame(outcome, index=clinical.index)], axis=1)


def impute(frame: pd.DataFrame, settings: MissingDataSettings) -> list[pd.DataFrame]:
    """``settings.imputations`` completed copies of ``frame``, each the end of its own chain of
    ``settings.iterations`` cycles (as mice runs m chains of maxit), all drawn from one
    generator seeded with ``settings.seed`` (reproducible)."""
    # statsmodels builds each variable's imputation model from a formula: plain column names
    safe = {column: f"v{i}" for i, column in enumerate(frame.columns)}
    renamed = frame.rename(columns=safe).reset_index(drop=True)
    rng = np.random.default_rng(settings.seed)
    completed = []
    for _ in range(settings.imputations):
        chain = MICEData(renamed, k_pmm=settings.donors, rng=rng)
        chain.update_all(settings.iterations)
        data = chain.data.copy()
        data.columns, data.index = list(frame.columns), frame.index
        completed.append(data)
    return completed


@dataclass(frozen=True)
class PooledEstimate:
    """One coefficient pooled over m imputed data sets by Rubin's rules (as mice::pool)."""

    estimate: float
    within_variance: float
    between_variance: float
    total_variance: float
    df: float
    riv: float
    lambda_: float
    fmi: float

    @property
    def se(self) -> float:
        """Standard error: the square root of the total variance."""
        return math.sqrt(self.total_variance)

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Confidence interval of the estimate from Student's t with the pooled df."""
        half = stats.t.ppf(0.5 + level / 2, self.df) * self.se
        return self.estimate - half, self.estimate + half

    @property
    def p(self) -> float:
        """Two-sided p of estimate / se against Student's t with the pooled df (mice's
        summary floors df at 0.001)."""
        return float(2 * stats.t.sf(abs(self.estimate / self.se), max(self.df, 0.001)))


def rubin_pool(
    estimates: Sequence[float], variances: Sequence[float], df_complete: float
) -> PooledEstimate:
    """Rubin's rules for one coefficient: the mean estimate, total variance = mean within +
    (1 + 1/m) between, and the Barnard-Rubin (1999) degrees of freedom given the complete-data
    df (``math.inf``: Rubin's 1987 df), with mice::pool's floor of lambda."""
    q, u = np.asarray(estimates, dtype=float), np.asarray(variances, dtype=float)
    m = len(q)
    if m < 2:
        raise ValueError("Rubin's rules need at least two imputed data sets")
    ubar, b = float(u.mean()), float(q.var(ddof=1))
    total = ubar + (1 + 1 / m) * b
    share = (1 + 1 / m) * b / total
    floored = max(share, LAMBDA_FLOOR)
    df_old = (m - 1) / floored**2
    if math.isinf(df_complete):
        df = df_old
    else:
        df_observed = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - floored)
        df = df_old * df_observed / (df_old + df_observed)
    riv = (1 + 1 / m) * b / ubar
    return PooledEstimate(
        estimate=float(q.mean()),
        within_variance=ubar,
        between_variance=b,
        total_variance=total,
        df=df,
        riv=riv,
        lambda_=share,
        fmi=(riv + 2 / (df + 3)) / (riv + 1),
    )


def cox_df_complete(events: int, coefficients: int) -> float:
    """The complete-data degrees of freedom mice::pool gives a coxph fit (``get.dfcom``: events
    minus coefficients, at least 1)."""
    return float(max(events - coefficients, 1))


def pooled_marker_row(
    completed: Sequence[pd.DataFrame], endpoint: Endpoint, marker: str, time: pd.Series
) -> dict[str, object]:
    """One row of mice_pooled.tsv: the marker's linear Cox model fitted on every imputed data
    set (:func:`esccrt.survival.continuous.fit_cox_matrix`, Efron ties) and pooled."""
    event = completed[0][f"{endpoint.name} event"].to_numpy(dtype=float)
    t = time.reindex(completed[0].index).to_numpy(dtype=float)
    row: dict[str, object] = {"endpoint": endpoint.name, "marker": marker}
    row |= {"imputations": len(completed), "n": len(t), "events": int(event.sum())}
    row |= dict.fromkeys(POOLED_COLUMNS[5:], math.nan) | {"note": ""}
    if row["events"] == 0:
        return row | {"note": "no events"}
    estimates, variances, notes = [], [], []
    for data in completed:
        try:
            fit = fit_cox_matrix(t, event, data[[marker]].to_numpy(dtype=float))
        except (np.linalg.LinAlgError, ValueError) as error:
            return row | {"note": f"Cox model did not converge: {str(error).splitlines()[0]}"}
        estimates.append(float(fit.coef[0]))
        variances.append(float(fit.covariance[0, 0]))
        notes += fit.warnings
    pooled = rubin_pool(estimates, variances, cox_df_complete(row["events"], 1))
    low, high = pooled.interval()
    return row | {
        "coef": pooled.estimate,
        "se": pooled.se,
        "hr_per_doubling": math.exp(pooled.estimate),
        "ci_low": math.exp(low),
        "ci_high": math.exp(high),
        "p": pooled.p,
        "df": pooled.df,
        "df_complete": cox_df_complete(row["events"], 1),
        "within_variance": pooled.within_variance,
        "between_variance": pooled.between_variance,
        "total_variance": pooled.total_variance,
        "riv": pooled.riv,
        "lambda": pooled.lambda_,
        "fmi": pooled.fmi,
        "note": "; ".join(dict.fromkeys(notes)),
    }


@dataclass(frozen=True)
class MiceResult:
    """The imputed data sets (patients x imputation variables) and the pooled table."""

    completed: Sequence[pd.DataFrame]
    pooled: pd.DataFrame


def mice_analysis(
    clinical: pd.DataFrame,
    markers: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    settings: MissingDataSettings,
) -> MiceResult:
    """The markers' (``markers``: patients x markers, e.g. log2 fold changes) missing values
    imputed ``settings.imputations`` times, and every endpoint x marker linear Cox model pooled
    by Rubin's rules (mice_pooled.tsv). A marker without any value has nothing to impute from:
    left out of the imputation, its rows say so."""
    markers = markers.reindex(clinical.index)
    observed = [m for m in markers.columns if markers[m].notna().any()]
    completed = impute(imputation_frame(clinical, markers[observed], endpoints), settings)
    rows = []
    for endpoint in endpoints:
        for marker in markers.columns:
            if marker in observed:
                row = pooled_marker_row(completed, endpoint, marker, clinical[endpoint.time])
            else:
                row = dict.fromkeys(POOLED_COLUMNS, math.nan) | {
                    "endpoint": endpoint.name,
                    "marker": marker,
                    "imputations": 0,
                    "note": "no patient has a value: nothing to impute from",
                }
            row["n_imputed"] = int(markers[marker].isna().sum()) if marker in observed else 0
            rows.append(row)
    return MiceResult(completed, pd.DataFrame(rows, columns=list(POOLED_COLUMNS)))


def empty_pooled_table() -> pd.DataFrame:
    """mice_pooled.tsv of a complete-case run (``survival.missing_data.method:
    complete_case``): the columns, no rows."""
    return pd.DataFrame(columns=list(POOLED_COLUMNS))
