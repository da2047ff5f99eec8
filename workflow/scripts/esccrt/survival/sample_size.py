"""Minimum sample size of a time-to-event prediction model (Riley et al., BMJ 2020;368:m441;
Stat Med 2019;38:1276-1296, "Part II").

Three criteria for ``parameters`` candidate predictor parameters, an anticipated Cox-Snell R²
(``r2_cs``), an overall event rate (events per unit time), the mean follow-up and a time point:

(i) expected uniform shrinkage >= ``shrinkage`` (0.9):
    n = P / ((S - 1) ln(1 - R²_CS / S));
(ii) small optimism in Nagelkerke's R² (apparent - adjusted <= ``r2_difference``, 0.05):
    criterion (i) at S = R²_CS / (R²_CS + δ max(R²_CS)), where
    max(R²_CS) = 1 - exp(2 (E/n ln(E/n) - E/n)) with E/n = rate x mean follow-up (E rounded
    up in a notional study of 10000, as pmsampsize);
(iii) precise overall risk at the time point: the smallest n whose 95 % CI of the risk
    1 - exp(-rate t) (rate ± 1.96 sqrt(rate / (n x mean follow-up)), exponential survival) has
    an upper margin <= ``margin`` (0.05).

The R package pmsampsize (type "s") computes (i) and (ii) the same way; for (iii) it reports the
margin reached at max(n_i, n_ii) instead of solving for n, so the final n agrees whenever (iii)
is not the largest. Required events: n x rate x mean follow-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.survival.continuous import fit_cox_matrix
from esccrt.survival.settings import SampleSizeSettings

SAMPLE_SIZE_COLUMNS = (
    "criterion",
    "required_n",
    "required_events",
    "events_per_parameter",
    "shrinkage",
    "cohort_n",
    "cohort_events",
    "verdict",
    "detail",
    "endpoint",
    "parameters",
    "r2_cs",
    "r2_cs_source",
    "rate",
    "mean_followup",
    "timepoint",
)

#: The rows of the table: the three criteria and the minimum of all.
CRITERIA_NAMES: Sequence[str] = (
    "(i) shrinkage",
    "(ii) optimism in Nagelkerke R2",
    "(iii) overall risk",
    "minimum (all criteria)",
)

#: Normal quantile of the 95 % CI of criterion (iii) (pmsampsize: 1.96).
Z95 = 1.96


@dataclass(frozen=True)
class SampleSizeInputs:
    """What the criteria need: the model's size and fit, and the outcome's rate and timing."""

    parameters: int
    r2_cs: float
    rate: float
    timepoint: float
    mean_followup: float
    shrinkage: float
    r2_difference: float
    margin: float


@dataclass(frozen=True)
class Criterion:
    """One criterion's minimum sample size and what it implies."""

    name: str
    n: int
    shrinkage: float
    detail: str


#: pmsampsize evaluates max(R²_CS) for a notional study of this size, its events rounded up;
#: kept so that criterion (ii) gives pmsampsize's n (the rounding moves it by one at most).
NOTIONAL_N = 10000


def max_r2_cs(rate: float, mean_followup: float) -> float:
    """Largest Cox-Snell R² of a model of this event rate (Riley Part II, equation 23; as
    pmsampsize: events of a notional study of NOTIONAL_N people, rounded up)."""
    events_per_person = math.ceil(rate * mean_followup * NOTIONAL_N) / NOTIONAL_N
    null_loglik = events_per_person * math.log(events_per_person) - events_per_person
    return 1 - math.exp(2 * null_loglik)


def shrinkage_n(parameters: int, r2_cs: float, shrinkage: float) -> int:
    """Smallest n with expected uniform shrinkage >= ``shrinkage`` (criterion (i))."""
    return math.ceil(parameters / ((shrinkage - 1) * math.log(1 - r2_cs / shrinkage)))


def risk_margin(rate: float, timepoint: float, person_time: float) -> float:
    """Upper margin of error of the risk at ``timepoint`` from ``person_time`` of follow-up."""
    upper_rate = rate + Z95 * math.sqrt(rate / person_time)
    return (1 - math.exp(-upper_rate * timepoint)) - (1 - math.exp(-rate * timepoint))


def risk_n(rate: float, timepoint: float, mean_followup: float, margin: float) -> int:
    """Smallest n whose risk margin at ``timepoint`` is <= ``margin`` (criterion (iii))."""
    risk = 1 - math.exp(-rate * timepoint)
    if risk + margin >= 1:
        return 1
    upper_rate = -math.log(1 - risk - margin) / timepoint
    n = rate * Z95**2 / (mean_followup * (upper_rate - rate) ** 2)
    n_needed = max(1, math.ceil(n - 1e-9))
    while risk_margin(rate, timepoint, n_needed * mean_followup) > margin:
        n_needed += 1  # guards the closed form against rounding at the boundary
    return n_needed


def riley_criteria(inputs: SampleSizeInputs) -> list[Criterion]:
    """The three criteria of Riley et al. (see the module); raises :class:`InputError` for
    inputs the formulas cannot take (R² beyond its maximum, shrinkage <= R²)."""
    i = inputs
    if not 0 < i.r2_cs < 1 or i.rate <= 0 or i.mean_followup <= 0 or i.parameters < 1:
        raise InputError(
            f"sample size: R2_CS {i.r2_cs}, rate {i.rate}, mean follow-up {i.mean_followup} "
            f"and {i.parameters} parameters cannot give a sample size."
        )
    largest = max_r2_cs(i.rate, i.mean_followup)
    if i.r2_cs >= largest or i.r2_cs >= i.shrinkage:
        raise InputError(
            f"sample size: anticipated R2_CS {i.r2_cs:.4g} is not below its maximum "
            f"{largest:.4g} for this event rate (or the shrinkage {i.shrinkage})."
        )
    small_difference = i.r2_cs / (i.r2_cs + i.r2_difference * largest)
    n3 = risk_n(i.rate, i.timepoint, i.mean_followup, i.margin)
    risk = 1 - math.exp(-i.rate * i.timepoint)
    return [
        Criterion(
            CRITERIA_NAMES[0],
            shrinkage_n(i.parameters, i.r2_cs, i.shrinkage),
            i.shrinkage,
            f"expected shrinkage >= {i.shrinkage:g}",
        ),
        Criterion(
            CRITERIA_NAMES[1],
            shrinkage_n(i.parameters, i.r2_cs, small_difference),
            small_difference,
            f"apparent - adjusted Nagelkerke R2 <= {i.r2_difference:g} "
            f"(max R2_CS {largest:.3f}, Nagelkerke R2 {i.r2_cs / largest:.3f})",
        ),
        Criterion(
            CRITERIA_NAMES[2],
            n3,
            math.nan,
            f"risk {risk:.3f} at {i.timepoint:g} within +/- {i.margin:g}",
        ),
    ]


def sample_size_table(
    inputs: SampleSizeInputs,
    cohort_n: int,
    cohort_events: int,
    context: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """sample_size.tsv: each criterion and the final minimum (the largest), the cohort's n and
    events, and the verdict: ``adequate`` when the cohort reaches the n, else ``exploratory``.
    ``context`` (endpoint, r2_cs_source) is repeated on every row with the inputs."""
    criteria = riley_criteria(inputs)
    final = max(criteria, key=lambda c: c.n)
    rows = [*criteria, Criterion(CRITERIA_NAMES[3], final.n, final.shrinkage, final.name)]
    per_person = inputs.rate * inputs.mean_followup
    return pd.DataFrame(
        [
            {
                "criterion": c.name,
                "required_n": c.n,
                "required_events": c.n * per_person,
                "events_per_parameter": c.n * per_person / inputs.parameters,
                "shrinkage": c.shrinkage,
                "cohort_n": cohort_n,
                "cohort_events": cohort_events,
                "verdict": "adequate" if cohort_n >= c.n else "exploratory",
                "detail": c.detail,
                **_input_columns(inputs, context or {}),
            }
            for c in rows
        ],
        columns=list(SAMPLE_SIZE_COLUMNS),
    )


def r2_cs_from_lr(lr_chisq: float, n: int, parameters: int) -> tuple[float, float]:
    """Cox-Snell R² of a fitted model from its likelihood-ratio statistic, apparent and adjusted
    for optimism by the van Houwelingen shrinkage 1 - P / LR (Riley et al. 2019, Part II)."""
    apparent = 1 - math.exp(-lr_chisq / n)
    shrinkage = 1 - parameters / lr_chisq if lr_chisq > 0 else 0.0
    return apparent, shrinkage * apparent


def _input_columns(inputs: SampleSizeInputs, context: Mapping[str, object]) -> dict[str, object]:
    """The inputs the criteria used, repeated on each row of the table."""
    return {
        "endpoint": context.get("endpoint", ""),
        "parameters": inputs.parameters,
        "r2_cs": inputs.r2_cs,
        "r2_cs_source": context.get("r2_cs_source", ""),
        "rate": inputs.rate,
        "mean_followup": inputs.mean_followup,
        "timepoint": inputs.timepoint,
    }


def cohort_sample_size(
    clinical: pd.DataFrame, log2_fc: pd.DataFrame, settings: SampleSizeSettings
) -> pd.DataFrame:
    """sample_size.tsv of the cohort: the criteria for the configured endpoint and time point,
    with the cohort's event rate (events / person-time) and mean follow-up, the patients with
    every marker, and R²_CS configured or from the markers' joint Cox model (its LR statistic,
    adjusted for optimism). Without a usable R²_CS (the model explains nothing beyond its
    parameters) the rows say so, with no required n, and the verdict is ``exploratory``."""
    endpoint = settings.endpoint
    data = pd.concat(
        [clinical[[endpoint.time, endpoint.event]], log2_fc.reindex(clinical.index)], axis=1
    ).dropna()
    time = data[endpoint.time].to_numpy(dtype=float)
    event = data[endpoint.event].to_numpy(dtype=float)
    n, events = len(data), int(event.sum())
    parameters = settings.parameters or log2_fc.shape[1]
    if settings.r2_cs is not None:
        r2_cs, source = settings.r2_cs, "configured"
    elif events == 0:
        r2_cs, source = math.nan, "no events: no model"
    else:
        r2_cs, source = _model_r2_cs(time, event, data[list(log2_fc.columns)])
    inputs = SampleSizeInputs(
        parameters=int(parameters),
        r2_cs=float(r2_cs),
        rate=events / float(time.sum()),
        timepoint=settings.timepoint,
        mean_followup=float(time.mean()),
        shrinkage=settings.shrinkage,
        r2_difference=settings.r2_difference,
        margin=settings.margin,
    )
    context = {"endpoint": endpoint.name, "r2_cs_source": source}
    if not r2_cs > 0 or events == 0:
        return _no_sample_size(inputs, n, events, context)
    return sample_size_table(inputs, n, events, context)


def _model_r2_cs(time: np.ndarray, event: np.ndarray, markers: pd.DataFrame) -> tuple[float, str]:
    """R²_CS of the markers' joint Cox model (adjusted for optimism) and where it came from;
    NaN when the model cannot be fitted."""
    try:
        lr = fit_cox_matrix(time, event, markers.to_numpy(dtype=float))
    except np.linalg.LinAlgError:
        return math.nan, "markers' Cox model: singular (collinear markers)"
    apparent, adjusted = r2_cs_from_lr(lr.lr_chisq, len(markers), markers.shape[1])
    source = (
        f"markers' Cox model: LR {lr.lr_chisq:.3f} on {markers.shape[1]} df, apparent "
        f"{apparent:.4f}, adjusted by 1 - P/LR"
    )
    return adjusted, source


def _no_sample_size(
    inputs: SampleSizeInputs, n: int, events: int, context: Mapping[str, object]
) -> pd.DataFrame:
    """The table when the criteria cannot be computed: why, and the verdict exploratory."""
    reason = (
        "no events"
        if events == 0
        else f"no usable R2_CS ({context.get('r2_cs_source', '')}; adjusted R2_CS "
        f"{inputs.r2_cs:.4g}: the model's LR does not exceed its parameters): configure "
        "survival.sample_size.r2_cs from a previous study"
    )
    return pd.DataFrame(
        [
            {
                "criterion": name,
                "required_n": np.nan,
                "required_events": np.nan,
                "events_per_parameter": np.nan,
                "shrinkage": np.nan,
                "cohort_n": n,
                "cohort_events": events,
                "verdict": "exploratory",
                "detail": reason,
                **_input_columns(inputs, context),
            }
            for name in CRITERIA_NAMES
        ],
        columns=list(SAMPLE_SIZE_COLUMNS),
    )
