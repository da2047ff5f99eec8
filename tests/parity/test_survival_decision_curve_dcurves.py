"""Decision curves of the survival stage against the Python package dcurves (``dca`` with
``time``), given the same predicted risks: the stage's marker Cox model on the demo cohort
(landmarks and thresholds from the validated config) and Cox models on gbsg2 and lung.

Net benefit and the share treated agree to within 1e-13 (measured 2026-12-07) wherever dcurves
gives a value; the tests hold them to 1e-9. Where dcurves gives none (the treated patients'
follow-up ends before the landmark), the stage gives NaN too, unless every treated patient
had the event by then (event probability 1; dcurves gives no value there either).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.survival.decision_curve import decision_table, thresholds
from lifelines import KaplanMeierFitter
from survival_risks import all_risks

#: dcurves fits Kaplan-Meier curves per threshold and strategy: about a minute on 2 cores.
pytestmark = pytest.mark.slow

#: dcurves' names of the strategies.
STRATEGY = {"model": "model", "all": "treat_all", "none": "treat_none"}


def _dcurves(group: pd.DataFrame, landmark: float, grid: np.ndarray) -> pd.DataFrame:
    """dcurves.dca on one endpoint x landmark's risks."""
    from dcurves import dca  # the test's reference, no dependency of the workflow

    data = pd.DataFrame(
        {"time": group["time"], "event": group["event"], "model": group["risk"]}
    ).reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' FutureWarnings inside dcurves
        curve = dca(
            data=data,
            outcome="event",
            modelnames=["model"],
            thresholds=grid,
            time=landmark,
            time_to_outcome_col="time",
        )
    curve["strategy"] = curve["model"].map(STRATEGY)
    curve["net_benefit"] = pd.to_numeric(curve["net_benefit"], errors="coerce")
    return curve[["strategy", "threshold", "test_pos_rate", "net_benefit"]]


@pytest.fixture(scope="module")
def risks(demo_cohort, shared_data: Path) -> pd.DataFrame:
    """The predicted risks both sides get."""
    return all_risks(demo_cohort, shared_data)


def _grid(settings, endpoint: str) -> np.ndarray:
    """The validated config's thresholds for the demo; every fifth of them for the real data
    sets (dcurves fits a Kaplan-Meier curve per threshold: minutes otherwise)."""
    grid = thresholds(settings.decision_threshold_max, settings.decision_threshold_step)
    return grid if endpoint in {e.name for e in settings.endpoints} else grid[::5]


@pytest.fixture(scope="module")
def compared(demo_cohort, risks: pd.DataFrame) -> pd.DataFrame:
    """The stage's decision curves merged with dcurves' (columns *_ref)."""
    ours, reference = [], []
    for (endpoint, landmark), group in risks.groupby(["endpoint", "landmark"]):
        grid = _grid(demo_cohort.settings, endpoint)
        ours.append(decision_table(group, grid))
        curve = _dcurves(group, landmark, grid)
        curve.insert(0, "endpoint", endpoint)
        curve.insert(1, "landmark", landmark)
        reference.append(curve)
    ours, reference = pd.concat(ours), pd.concat(reference)
    keys = ["endpoint", "landmark", "strategy", "threshold"]
    merged = ours.merge(reference, on=keys, suffixes=("", "_ref"))
    assert len(merged) == len(ours) == len(reference)
    return merged


def test_net_benefit_equals_dcurves(compared: pd.DataFrame) -> None:
    assert set(compared["endpoint"]) == {"os", "pfs", "gbsg2", "lung"}
    defined = compared["net_benefit_ref"].notna()
    assert defined.mean() > 0.9
    gap = (compared.loc[defined, "net_benefit"] - compared.loc[defined, "net_benefit_ref"]).abs()
    assert gap.max() < 1e-9, compared.loc[gap.idxmax()].to_dict()
    assert np.allclose(compared["treated"], compared["test_pos_rate"], rtol=0, atol=1e-12)


def test_where_dcurves_gives_none(compared: pd.DataFrame, risks: pd.DataFrame) -> None:
    """No value from dcurves: NaN here, or, when the treated patients' Kaplan-Meier curve
    reached 0 before the landmark, the share treated (true positives only)."""
    undefined = compared[compared["net_benefit_ref"].isna()]
    assert len(undefined) > 0
    for row in undefined.itertuples():
        group = risks[(risks["endpoint"] == row.endpoint) & (risks["landmark"] == row.landmark)]
        treated = group[group["risk"] >= row.threshold]
        assert treated["time"].max() < row.landmark
        survival = KaplanMeierFitter().fit(treated["time"], treated["event"]).survival_function_
        if survival.iloc[-1, 0] == 0:
            assert row.net_benefit == pytest.approx(row.treated, abs=1e-12)
        else:
            assert np.isnan(row.net_benefit)
