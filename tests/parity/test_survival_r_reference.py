"""Survival analysis against R `survival` (survdiff, coxph, survfit) numbers on lifelines'
datasets (in /work/shared/data)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.survival.cox import cox_table, fit_cox
from esccrt.survival.groups import derive_groups
from esccrt.survival.logrank import kaplan_meier, km_medians, logrank
from esccrt.survival.settings import Endpoint, Factor, factors_from_config
from schema_sections import section_defaults, validated

OS = Endpoint("os", "time", "event", "Overall survival")
#: survival.cox.p_threshold (unused by a given multivariate list, but a study choice)
P_THRESHOLD = section_defaults("survival")["cox"]["p_threshold"]


def _validated_factor(spec: dict) -> Factor:
    """The factor the workflow builds from ``spec``: schema-validated, defaults filled in."""
    endpoint = {"name": "os", "time": "time", "event": "event"}
    diagnostic = {"endpoint": "os", "within": 12, "predictors": ["none"]}
    section = {"clinical": "-", "endpoints": [endpoint], "fold_change_cutoff": 1.5}
    section |= {"factors": [spec], "diagnostic": diagnostic}
    validated("survival", section)
    return factors_from_config(section)[0]


def _dataset(shared_data: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / "lifelines" / "datasets" / f"{name}.csv")


def test_logrank_lung_by_sex_matches_r(shared_data: Path) -> None:
    """survdiff(Surv(time, status) ~ sex, lung): Chisq 10.3267 on 1 df, p 0.00131."""
    lung = _dataset(shared_data, "lung")
    res = logrank(lung["time"], lung["status"], lung["sex"])
    assert res.chisq == pytest.approx(10.3267, abs=8e-5)  # measured 4.2e-5 on 2026-12-06 (was 5e-4)
    assert res.p == pytest.approx(0.00131, abs=2e-6)  # measured 1.16e-6 on 2026-12-06 (was 5e-6)
    assert res.df == 1 and res.events == 165 and res.n == 228


def test_km_medians_lung_match_r(shared_data: Path) -> None:
    """survfit medians: sex=1 270 days, sex=2 426 days."""
    lung = _dataset(shared_data, "lung")
    medians = km_medians(kaplan_meier(lung["time"], lung["status"], lung["sex"]))
    assert medians.set_index("level")["median"].to_dict() == {"1": 270.0, "2": 426.0}


def test_logrank_and_km_g3_match_r(shared_data: Path) -> None:
    """g3: log-rank RIT vs other p = 0.0138; KM and log-log 95 % CI of both groups."""
    g3 = _dataset(shared_data, "g3")
    group = np.where(g3["group"] == "RIT", "RIT", "other")
    event = g3["event"].astype(int)
    # measured 5.2e-6 on 2026-12-06 (was 5e-5)
    assert logrank(g3["time"], event, group).p == pytest.approx(0.0138, abs=1e-5)
    fits = kaplan_meier(g3["time"], event, group)
    rit = fits["RIT"].survival_function_at_times([25, 53]).to_numpy()
    np.testing.assert_allclose(rit, [0.909, 0.779], atol=4e-4)  # measured 2.2e-4 on 2026-12-06
    other = fits["other"]
    times = [9, 19, 32, 34]
    np.testing.assert_allclose(
        other.survival_function_at_times(times).to_numpy(), [0.833, 0.667, 0.5, 0.333], atol=5e-4
    )  # measured 3.3e-4 on 2026-12-06 (R prints 3 digits)
    ci = other.confidence_interval_survival_function_.loc[times]
    # measured 4.8e-5 (low, 4 digits) and 4.4e-4 (high, 3 digits) on 2026-12-06
    np.testing.assert_allclose(ci.iloc[:, 0], [0.2731, 0.1946, 0.1109, 0.0461], atol=9e-5)
    np.testing.assert_allclose(ci.iloc[:, 1], [0.975, 0.904, 0.804, 0.676], atol=5e-4)


@pytest.mark.parametrize(
    ("status", "chisq", "p"),
    [([1, 1, 1, 1, 1, 1], 0.254237, 0.614107), ([1, 0, 1, 1, 0, 1], 0.384615, 0.535143)],
)
def test_logrank_hand_made_vectors_match_r(status: list[int], chisq: float, p: float) -> None:
    res = logrank([10, 20, 30, 10, 20, 50], status, [1, 1, 1, 0, 0, 0])
    assert res.chisq == pytest.approx(chisq, abs=7e-7)  # measured 3.9e-7 on 2026-12-06 (was 1e-6)
    assert res.p == pytest.approx(p, abs=9e-7)  # measured 4.5e-7 on 2026-12-06 (was 1e-6)


def test_multigroup_logrank_dd_matches_r(shared_data: Path) -> None:
    """survdiff(Surv(duration, observed) ~ regime, dd): chisq 322.5991 (k - 1 df)."""
    dd = _dataset(shared_data, "dd")
    res = logrank(dd["duration"], dd["observed"], dd["regime"])
    assert res.test == "multivariate_logrank"
    assert res.chisq == pytest.approx(
        322.5991, abs=4e-5
    )  # measured 2.2e-5 on 2026-12-06 (was 1e-3)
    assert res.df == dd["regime"].nunique() - 1


def test_cox_rossi_matches_r(shared_data: Path) -> None:
    """coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio), Efron ties."""
    rossi = _dataset(shared_data, "rossi")
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    fit, _ = fit_cox(rossi, "week", "arrest", covariates)
    expected_coef = [
        -0.3794222,
        -0.0574377,
        0.3138998,
        -0.1497957,
        -0.4337039,
        -0.0848711,
        0.0914971,
    ]
    expected_se = [0.19138, 0.02200, 0.30799, 0.21222, 0.38187, 0.19576, 0.02865]
    # measured 4.0e-8 (coef), 4.3e-6 (se, 5 digits printed), 1.8e-8 (hr) on 2026-12-06
    # (were 5e-5, 5e-5, 1e-4)
    np.testing.assert_allclose(fit["coef"], expected_coef, atol=8e-8)
    np.testing.assert_allclose(fit["se"], expected_se, atol=8e-6)
    assert fit.loc["prio", "hr"] == pytest.approx(math.exp(0.0914971), rel=3e-8)
    assert fit["ph_test_p"].between(0, 1).all()
    # the Schoenfeld test flags age and wexp (known from the lifelines/R documentation of rossi)
    assert fit.loc["age", "ph_test_p"] < 0.05 and fit.loc["fin", "ph_test_p"] > 0.05


def test_cox_lung_sex_matches_r(shared_data: Path) -> None:
    """coxph(Surv(time, status) ~ sex): coef -0.5310, HR 0.5880, p 0.00149, via the factor API."""
    lung = _dataset(shared_data, "lung").rename(columns={"status": "event"})
    lung["patient"] = [f"L{i}" for i in range(len(lung))]
    lung = lung.set_index("patient", drop=False)
    lung["sex"] = lung["sex"].astype(int).astype(str)
    factor = _validated_factor(
        {
            "name": "sex",
            "type": "categorical",
            "column": "sex",
            "levels": [{"label": "male", "values": ["1"]}, {"label": "female", "values": ["2"]}],
        }
    )
    groups = derive_groups(lung, pd.DataFrame(index=lung.index), [factor])
    cox = cox_table(lung, groups, [OS], [factor], multivariate=[], p_threshold=P_THRESHOLD)
    row = cox.iloc[0]
    assert row["contrast"] == "female vs male"
    assert row["hr"] == pytest.approx(0.5880, abs=7e-6)  # measured 3.7e-6 on 2026-12-06 (was 5e-4)
    assert row["p"] == pytest.approx(
        0.00149, abs=2.5e-6
    )  # measured 1.27e-6 on 2026-12-06 (was 2e-5)
