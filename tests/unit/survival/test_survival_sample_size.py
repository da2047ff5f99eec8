"""Riley et al.'s minimum sample size for a time-to-event prediction model against published
numbers, and the table the survival stage writes from the cohort.

Published numbers (R package pmsampsize 1.1.3, type "s", the authors' own implementation;
tests/testthat/test_surv.R, https://rdrr.io/cran/pmsampsize/src/tests/testthat/test_surv.R):
the worked example of Riley et al. (recurrent venous thromboembolism: Cox-Snell R² 0.051,
overall event rate 0.065 per year, time point 2 years, mean follow-up 2.07 years) with 25 and 50
parameters, R² 0.065 and rate 0.1: sample sizes for criteria (i), (ii), (iii) and the final,
and the events per parameter. With the paper's 30 parameters (BMJ 2020;368:m441; Stat Med
2019;38:1276, whose abstract states "an EPP of at least 23") the same formulas give n = 5143.
(The brief's "time point 10 years, mean follow-up 5.36, 385 events" is not in these sources.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.survival.sample_size import (
    CRITERIA_NAMES,
    SampleSizeInputs,
    cohort_sample_size,
    r2_cs_from_lr,
    riley_criteria,
    risk_margin,
    sample_size_table,
)
from esccrt.survival.settings import Endpoint, SampleSizeSettings

#: pmsampsize's test_surv.R: (parameters, R2_CS, rate) -> n of (i), (ii), final; EPP of (i), (ii)
PMSAMPSIZE = [
    ((25, 0.051, 0.065), (4286, 866, 4286), (23.07, 4.66)),
    ((25, 0.065, 0.065), (3335, 859, 3335), (17.95, 4.62)),
    ((50, 0.051, 0.065), (8572, 1731, 8572), (23.07, 4.66)),
    ((25, 0.051, 0.1), (4286, 731, 4286), (35.49, 6.05)),
]


def _inputs(parameters: int, r2_cs: float, rate: float) -> SampleSizeInputs:
    """The worked example's time point and follow-up, Riley's default targets."""
    return SampleSizeInputs(parameters, r2_cs, rate, 2.0, 2.07, 0.9, 0.05, 0.05)


@pytest.mark.parametrize(("given", "sizes", "epp"), PMSAMPSIZE)
def test_criteria_match_pmsampsize(given, sizes, epp) -> None:
    """Criteria (i) and (ii), the final n and the events per parameter equal to pmsampsize."""
    table = sample_size_table(_inputs(*given), cohort_n=40, cohort_events=30)
    rows = table.set_index("criterion")
    got = [rows.loc[name, "required_n"] for name in (CRITERIA_NAMES[0], CRITERIA_NAMES[1])]
    assert [*got, rows.loc[CRITERIA_NAMES[3], "required_n"]] == list(sizes)
    per_parameter = rows.loc[[CRITERIA_NAMES[0], CRITERIA_NAMES[1]], "events_per_parameter"]
    assert np.round(per_parameter.to_numpy(dtype=float), 2).tolist() == list(epp)


def test_paper_example_with_30_parameters() -> None:
    """Riley's example (30 parameters): n = 5143 by criterion (i), 692 events, EPP 23.07."""
    table = sample_size_table(_inputs(30, 0.051, 0.065), cohort_n=6000, cohort_events=800)
    final = table.set_index("criterion").loc[CRITERIA_NAMES[3]]
    assert final["required_n"] == 5143 and final["detail"] == CRITERIA_NAMES[0]
    assert round(final["required_events"]) == 692
    assert round(final["events_per_parameter"], 2) == 23.07
    assert final["verdict"] == "adequate"


def test_overall_risk_criterion_solves_for_the_margin() -> None:
    """Criterion (iii): the smallest n whose upper margin is <= 0.05 (n - 1 exceeds it); at the
    example's final n the margin is the one pmsampsize reports (0.009: risk 0.122, 95 % CI
    upper limit 0.131)."""
    n3 = riley_criteria(_inputs(25, 0.051, 0.065))[2].n
    assert risk_margin(0.065, 2.0, n3 * 2.07) <= 0.05 < risk_margin(0.065, 2.0, (n3 - 1) * 2.07)
    assert risk_margin(0.065, 2.0, 4286 * 2.07) == pytest.approx(0.009, abs=5e-4)
    assert 1 - math.exp(-0.065 * 2) == pytest.approx(0.122, abs=5e-4)


def test_impossible_r2_is_refused() -> None:
    """An R² at or beyond the maximum for the event rate cannot give a sample size."""
    with pytest.raises(InputError, match="maximum"):
        riley_criteria(_inputs(10, 0.2, 0.01))


def test_r2_from_lr_statistic() -> None:
    """R²_CS = 1 - exp(-LR/n), adjusted by the shrinkage 1 - P/LR."""
    apparent, adjusted = r2_cs_from_lr(20.0, 100, 4)
    assert apparent == pytest.approx(1 - math.exp(-0.2))
    assert adjusted == pytest.approx(0.8 * apparent)


def _settings(**overrides) -> SampleSizeSettings:
    base = {
        "endpoint": Endpoint("pfs", "t", "e", "PFS"),
        "timepoint": 12.0,
        "parameters": None,
        "r2_cs": None,
        "shrinkage": 0.9,
        "r2_difference": 0.05,
        "margin": 0.05,
    }
    return SampleSizeSettings(**(base | overrides))


def _cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """40 patients whose hazard rises with marker A; marker B is noise."""
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=40), rng.normal(size=40)
    time = rng.exponential(20 * np.exp(-0.9 * a))
    event = (time < 30).astype(int)
    index = [f"P{i}" for i in range(40)]
    clinical = pd.DataFrame({"t": np.minimum(time, 30), "e": event}, index=index)
    return clinical, pd.DataFrame({"A": a, "B": b}, index=index)


def test_cohort_table_uses_the_cohort_rate_and_the_model_r2() -> None:
    """The cohort's rate (events / person-time) and mean follow-up; R² from the markers' LR;
    40 patients are far below the minimum: exploratory on every row."""
    clinical, markers = _cohort()
    table = cohort_sample_size(clinical, markers, _settings())
    assert table["criterion"].tolist() == list(CRITERIA_NAMES)
    first = table.iloc[0]
    assert first["rate"] == pytest.approx(clinical["e"].sum() / clinical["t"].sum())
    assert first["mean_followup"] == pytest.approx(clinical["t"].mean())
    assert first["parameters"] == 2 and first["cohort_n"] == 40
    assert "LR" in first["r2_cs_source"] and 0 < first["r2_cs"] < 1
    assert (table["verdict"] == "exploratory").all()
    assert (table["required_n"] > 40).all()


def test_cohort_table_with_configured_r2_and_parameters() -> None:
    """Configured R² and parameters are used as given."""
    clinical, markers = _cohort()
    table = cohort_sample_size(clinical, markers, _settings(r2_cs=0.3, parameters=1))
    first = table.iloc[0]
    assert first["r2_cs_source"] == "configured" and first["r2_cs"] == 0.3
    assert first["parameters"] == 1


def test_cohort_without_signal_is_exploratory_without_n() -> None:
    """A model whose LR does not exceed its parameters gives no R²: no n, exploratory, why."""
    clinical, markers = _cohort()
    noise = markers[["B"]].assign(C=np.random.default_rng(1).normal(size=40))
    table = cohort_sample_size(clinical, noise, _settings())
    assert table["required_n"].isna().all(), table.iloc[0]["r2_cs_source"]
    assert (table["verdict"] == "exploratory").all()
    assert table["detail"].str.contains("r2_cs").all()
