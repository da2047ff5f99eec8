"""Time-dependent accuracy, decision curves and the marker Cox model's risks at the landmarks:
the definitions on hand-checkable cohorts (riskRegression and dcurves parity: tests/parity)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.report.survival_accuracy import survival_accuracy_part
from esccrt.survival.decision_curve import decision_curve, decision_table, thresholds
from esccrt.survival.prognostic import marker_cox_risks
from esccrt.survival.settings import Endpoint, SurvivalSettings
from esccrt.survival.time_accuracy import (
    CensoringModel,
    accuracy_table,
    ipcw_auc,
    ipcw_brier,
    kaplan_meier_risk,
)
from schema_sections import validated

ENDPOINT = Endpoint(name="os", time="time", event="event", label="OS")


def test_without_censoring_auc_is_mann_whitney_and_brier_the_mean_squared_error() -> None:
    time = np.array([1.0, 2, 3, 4, 5, 6, 7, 8])
    event = np.ones(8, dtype=int)
    risk = np.array([0.9, 0.5, 0.7, 0.5, 0.2, 0.6, 0.1, 0.3])
    landmark = 4.0  # cases: times 1-4, controls: 5-8
    cases, controls = risk[:4], risk[4:]
    wins = (cases[:, None] > controls[None, :]) + 0.5 * (cases[:, None] == controls[None, :])
    assert ipcw_auc(time, event, risk, landmark).estimate == pytest.approx(wins.mean())
    squared = ((time <= landmark).astype(float) - risk) ** 2
    brier = ipcw_brier(time, event, risk, landmark)
    assert brier.estimate == pytest.approx(squared.mean())
    assert brier.se == pytest.approx(np.std(squared, ddof=1) / math.sqrt(8))


def test_censoring_weights_take_events_out_first_at_a_tied_time() -> None:
    """At time 2 one event and one censoring: prodlim's reverse Kaplan-Meier (Score's weights)
    counts 2 at risk of censoring there, not 3."""
    model = CensoringModel(np.array([1.0, 2, 2, 3]), np.array([1, 1, 0, 1]))
    assert model.survival(np.array([1.0, 2.0, 2.0]), strict=False).tolist() == [1, 0.5, 0.5]
    assert model.survival(np.array([2.0]), strict=True).tolist() == [1.0]


def test_a_landmark_beyond_follow_up_has_no_controls() -> None:
    risks = pd.DataFrame(
        {
            "endpoint": "os",
            "model": "m",
            "landmark": 50.0,
            "patient": list("abcd"),
            "time": [1.0, 2, 3, 4],
            "event": [1, 0, 1, 1],
            "risk": [0.2, 0.4, 0.6, 0.8],
        }
    )
    table = accuracy_table(risks, {}, [50.0]).set_index("metric")
    assert math.isnan(table.loc["auc", "estimate"])
    # no interval for a metric that has no estimate (once 0 to 1)
    assert table.loc["auc", ["lower", "upper"]].isna().all()
    assert "no cases or controls" in table.loc["auc", "note"]
    assert table.loc["auc", "controls"] == 0 and table.loc["auc", "cases"] == 3


def test_an_endpoint_without_events_gets_no_model_and_says_so() -> None:
    clinical = pd.DataFrame(
        {"time": [5.0, 8, 13, 20], "event": [0, 0, 0, 0]}, index=["a", "b", "c", "d"]
    )
    fold_changes = pd.DataFrame({"miR-A": [1.0, 2, 0.5, 3]}, index=clinical.index)
    risks, notes = marker_cox_risks(clinical, fold_changes, [ENDPOINT], ["miR-A"], [12.0])
    assert risks.empty and notes == {"os": "no events: no model"}
    table = accuracy_table(risks, notes, [12.0])
    assert len(table) == 4 and table["estimate"].isna().all()
    assert (table["note"] == "no events: no model").all()
    assert decision_table(risks, thresholds(0.5, 0.1)).empty


def test_decision_curve_strategies() -> None:
    time = np.array([2.0, 3, 5, 8, 9, 14, 15, 20])
    event = np.array([1, 1, 0, 1, 0, 1, 0, 0])
    risk = np.array([0.9, 0.8, 0.3, 0.7, 0.2, 0.4, 0.1, 0.05])
    curve = decision_curve(time, event, risk, 10.0, thresholds(0.5, 0.25)).set_index(
        ["strategy", "threshold"]
    )["net_benefit"]
    assert (curve["treat_none"] == 0).all()
    # at threshold 0 everyone is treated: the net benefit is the event probability by 10
    assert curve[("treat_all", 0.0)] == pytest.approx(kaplan_meier_risk(time, event, 10.0))
    assert curve[("model", 0.0)] == curve[("treat_all", 0.0)]
    # threshold 0.5: the three treated (risk >= 0.5) all had the event by 10
    assert curve[("model", 0.5)] == pytest.approx(3 / 8)


def test_net_benefit_beyond_the_treated_follow_up() -> None:
    """Follow-up of the treated ends before the landmark: not estimable if the last one was
    censored, event probability 1 if every one of them had the event."""
    time = np.array([2.0, 3, 30, 40])
    risk = np.array([0.9, 0.8, 0.2, 0.1])
    censored_last = decision_curve(time, np.array([1, 0, 1, 0]), risk, 10.0, np.array([0.5]))
    events_only = decision_curve(time, np.array([1, 1, 1, 0]), risk, 10.0, np.array([0.5]))
    model = censored_last["strategy"] == "model"
    assert math.isnan(censored_last.loc[model, "net_benefit"].iloc[0])
    assert events_only.loc[model, "net_benefit"].iloc[0] == pytest.approx(0.5)


def test_threshold_grid() -> None:
    grid = thresholds(0.99, 0.01)
    assert len(grid) == 100 and grid[0] == 0 and grid[-1] == 0.99 and 0.07 in grid
    assert thresholds(0.5, 0.1).tolist() == [0, 0.1, 0.2, 0.3, 0.4, 0.5]


def test_schema_fills_the_landmarks_and_thresholds() -> None:
    section = {
        "clinical": "clinical.tsv",
        "endpoints": [{"name": "os", "time": "time", "event": "event"}],
        "fold_change_cutoff": 1.5,
        "factors": [{"name": "a", "type": "fold_change", "targets": ["miR-A"]}],
        "diagnostic": {"endpoint": "os", "within": 12, "predictors": ["miR-A"]},
    }
    settings = SurvivalSettings.from_config(validated("survival", section))
    assert settings.landmarks == [12.0, 24.0]
    assert (settings.decision_threshold_max, settings.decision_threshold_step) == (0.99, 0.01)


def test_report_part_renders_the_tables(tmp_path: Path) -> None:
    assert survival_accuracy_part("", "", []) == ""
    accuracy = pd.DataFrame(
        {"endpoint": ["os"], "landmark": [12.0], "model": ["m"], "metric": ["auc"]}
        | {"estimate": [0.7], "se": [0.1], "lower": [0.5], "upper": [0.9], "note": [""]}
    )
    curves = pd.DataFrame(
        {"endpoint": "os", "landmark": 12.0, "strategy": "model"}
        | {"threshold": [0.0, 0.01, 0.05], "net_benefit": [0.4, 0.39, 0.35]}
    )
    accuracy.to_csv(tmp_path / "a.tsv", sep="\t", index=False)
    curves.to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    page = survival_accuracy_part(str(tmp_path / "a.tsv"), str(tmp_path / "c.tsv"), [])
    assert '<table id="time_accuracy"' in page and '<table id="decision_curves"' in page
    assert "(2 rows)" in page  # thresholds 0 and 0.05 listed, 0.01 only in the figure
