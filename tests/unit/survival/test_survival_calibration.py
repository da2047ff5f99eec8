"""Calibration at the landmarks (esccrt.survival.calibration): the bootstrap's refit is the
stage's marker Cox model, and its optimism is apparent minus test of each resample, recomputed
here independently with lifelines for a fixed set of resamples. The measures themselves are
compared with R (McLernon et al.'s code) in tests/parity/test_survival_calibration_r.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.report.survival_calibration import survival_calibration_part
from esccrt.survival.calibration import (
    METRICS,
    ModelData,
    NotEstimableError,
    bootstrap_optimism,
    bootstrap_rows,
    calibration_at,
    cox_model_risks,
    curve_grid,
    model_calibration,
)
from esccrt.survival.cox import fit_cox
from esccrt.survival.plots import calibration_plot
from esccrt.survival.prognostic import cox_risks

COVARIATES, LANDMARKS = ["age", "sex", "ph.ecog"], [180.0, 365.0]


@pytest.fixture(scope="module")
def lung(shared_data: Path) -> pd.DataFrame:
    """lifelines' copy of R's survival::lung, complete cases of the model's columns."""
    data = pd.read_csv(shared_data / "lifelines" / "datasets" / "lung.csv")
    return data[["time", "status", *COVARIATES]].dropna().reset_index(drop=True)


def test_the_bootstraps_refit_is_the_stages_model(lung: pd.DataFrame) -> None:
    X = lung[COVARIATES].to_numpy(float)
    ours = cox_model_risks(lung["time"].to_numpy(float), lung["status"].to_numpy(), X, X, LANDMARKS)
    stage = cox_risks(lung, "time", "status", COVARIATES, LANDMARKS)
    # lifelines stops its Newton-Raphson at about 1e-7 on the coefficients
    assert np.abs(ours - stage).max() < 1e-5


def _lifelines_risks(fitted_on: pd.DataFrame, judged: pd.DataFrame) -> np.ndarray:
    """Risks of ``judged`` by the landmarks from lifelines' Cox fit on ``fitted_on``: Breslow
    baseline step function times the partial hazard (independent of the numpy refit)."""
    _, fit = fit_cox(fitted_on, "time", "status", COVARIATES)
    baseline = fit.baseline_cumulative_hazard_.iloc[:, 0]
    hazard = [baseline[baseline.index <= t].iloc[-1] for t in LANDMARKS]
    partial = fit.predict_partial_hazard(judged[COVARIATES]).to_numpy()
    return 1 - np.exp(-np.outer(partial, hazard))


def test_optimism_is_apparent_minus_test_of_each_resample(lung: pd.DataFrame) -> None:
    time, event = lung["time"].to_numpy(float), lung["status"].to_numpy()
    X = lung[COVARIATES].to_numpy(float)
    apparent_risks = cox_risks(lung, "time", "status", COVARIATES, LANDMARKS)
    grids = [curve_grid(apparent_risks[:, k]) for k in range(len(LANDMARKS))]
    draws = bootstrap_rows(len(lung), 3, seed=7)
    optimism = bootstrap_optimism(time, event, X, LANDMARKS, grids, draws)
    for column, landmark in enumerate(LANDMARKS):
        differences, curves = [], []
        for rows in draws:
            sample = lung.iloc[rows].reset_index(drop=True)
            on_sample = _lifelines_risks(sample, sample)[:, column]
            on_original = _lifelines_risks(sample, lung)[:, column]
            grid = grids[column]
            a = calibration_at(sample["time"], sample["status"], on_sample, landmark, grid)
            t = calibration_at(time, event, on_original, landmark, grid)
            differences.append({m: a.metrics[m] - t.metrics[m] for m in METRICS})
            curves.append(a.curve - t.curve)
        assert optimism[column].resamples_used == 3
        # lifelines' looser convergence: measured within 4.5e-7 (measures), 2e-7 (curve)
        for metric in METRICS:
            expected = np.mean([d[metric] for d in differences])
            assert optimism[column].metrics[metric] == pytest.approx(expected, abs=2e-6), metric
        assert np.abs(optimism[column].curve - np.mean(curves, axis=0)).max() < 2e-6
        assert optimism[column].metrics["slope"] != 0  # the refit moved the slope


def test_table_corrects_the_apparent_values_by_the_optimism(lung: pd.DataFrame) -> None:
    X = lung[COVARIATES].to_numpy(float)
    data = ModelData("os", "Cox", lung["time"].to_numpy(float), lung["status"].to_numpy(), X)
    risks = cox_risks(lung, "time", "status", COVARIATES, LANDMARKS)
    rows, curve = model_calibration(data, risks, LANDMARKS, resamples=2, seed=3)
    table = pd.DataFrame(rows)
    assert len(table) == len(LANDMARKS) * len(METRICS)
    assert np.allclose(table["corrected"], table["apparent"] - table["optimism"])
    assert (table["resamples_used"] == 2).all()
    slope = table[table["metric"] == "slope"]
    assert (slope["lower"] < slope["apparent"]).all() and (slope["apparent"] < slope["upper"]).all()
    assert np.allclose(curve["corrected"], curve["observed"] - curve["optimism"])
    assert curve["predicted"].between(0, 1).all() and len(curve) == 2 * 50


def test_no_event_before_the_landmark_is_not_estimable() -> None:
    time = np.array([5.0, 6, 7, 8, 9, 10, 11, 12])
    event = np.ones(len(time), dtype=int)
    risk = np.linspace(0.1, 0.4, len(time))
    with pytest.raises(NotEstimableError, match="no event"):
        calibration_at(time, event, risk, 2.0, curve_grid(risk))
    with pytest.raises(NotEstimableError, match="risk of 0 or 1"):
        calibration_at(time, event, np.r_[risk[:-1], 1.0], 9.0, curve_grid(risk))


def test_a_landmark_without_events_gets_a_note_not_a_traceback(lung: pd.DataFrame) -> None:
    X = lung[COVARIATES].to_numpy(float)
    data = ModelData("os", "Cox", lung["time"].to_numpy(float), lung["status"].to_numpy(), X)
    risks = np.full((len(lung), 1), 0.1)
    rows, curve = model_calibration(data, risks, [1.0], resamples=1, seed=3)
    assert all("not estimable: no event by the landmark" in row["note"] for row in rows)
    assert all(np.isnan(row["apparent"]) for row in rows) and curve.empty


def test_report_renders_the_written_table_and_figure(tmp_path: Path, lung: pd.DataFrame) -> None:
    X = lung[COVARIATES].to_numpy(float)
    data = ModelData("os", "Cox", lung["time"].to_numpy(float), lung["status"].to_numpy(), X)
    risks = cox_risks(lung, "time", "status", COVARIATES, LANDMARKS)
    rows, curve = model_calibration(data, risks, LANDMARKS, resamples=1, seed=3)
    pd.DataFrame(rows).to_csv(tmp_path / "calibration.tsv", sep="\t", index=False)
    figure = tmp_path / "calibration_curve.png"
    calibration_plot(curve, figure, "days")
    assert survival_calibration_part("", [str(figure)]) == ""
    page = survival_calibration_part(str(tmp_path / "calibration.tsv"), [str(figure)])
    assert '<table id="calibration"' in page and "data:image/png;base64," in page
    assert page.count("<tr") == 1 + len(rows)  # header + one row per measure, none recomputed
