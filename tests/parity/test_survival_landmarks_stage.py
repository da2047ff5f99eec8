"""The survival stage's entry point (:func:`esccrt.survival.stage.run`, what rule
survival_analysis calls) on the demo's inputs, with the validated config: it writes the
predicted risks, the time-dependent accuracy, the decision curves and the calibration that the
parity tests compare with riskRegression::Score (test_survival_time_accuracy_r.py), dcurves
(test_survival_decision_curve_dcurves.py) and McLernon et al.'s R code
(test_survival_calibration_r.py), and their figures."""

from __future__ import annotations

import copy
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt import paths
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.settings import QpcrSettings
from esccrt.report.survival_accuracy import survival_accuracy_part
from esccrt.report.survival_calibration import survival_calibration_part
from esccrt.report.survival_competing import survival_competing_part
from esccrt.report.survival_missing import survival_missing_part
from esccrt.report.survival_validation import external_validation_part
from esccrt.survival.calibration import CURVE_POINTS, METRICS, calibration_at, curve_grid
from esccrt.survival.competing import FINE_GRAY_COLUMNS, NONE_CODED
from esccrt.survival.decision_curve import decision_table, thresholds
from esccrt.survival.locked_model import marker_cohort, read_model_file
from esccrt.survival.missing_data import POOLED_COLUMNS
from esccrt.survival.settings import SurvivalSettings
from esccrt.survival.stage import SurvivalInputs, SurvivalOutputs, model_record, run
from esccrt.survival.time_accuracy import accuracy_table
from snakemake.utils import validate
from survival_risks import demo_risks

#: The stage with the qPCR step before it: about 10 s.
pytestmark = pytest.mark.slow

#: What this does not test is made small: the optimism bootstrap and cross-validation of the
#: diagnostic model, and Table 1 (one factor, two Kaplan-Meier figures instead of 28); the
#: calibration bootstrap runs a few resamples (test_survival_calibration.py checks its optimism).
BOOTSTRAP, CV_REPEATS, FACTOR, CALIBRATION_BOOTSTRAP = 20, 1, "fc_mir143_mir223", 5


@pytest.fixture(scope="module")
def stage_run(tmp_path_factory, repo_root: Path, demo_config: dict) -> tuple[Path, dict]:
    """Run the stage in a fresh folder on the demo's clinical table and qPCR results; the
    folder and the outputs' paths."""
    folder = tmp_path_factory.mktemp("survival_stage")
    section = copy.deepcopy(demo_config["survival"])
    section["diagnostic"] |= {"bootstrap": BOOTSTRAP, "cv_repeats": CV_REPEATS}
    section["factors"] = [f for f in section["factors"] if f["name"] == FACTOR]
    section["cox"]["multivariate"] = [FACTOR]
    section["calibration"] = {"bootstrap": CALIBRATION_BOOTSTRAP}
    validate(section, str(repo_root / "workflow" / "schemas" / "survival.schema.yaml"))
    qpcr = run_qpcr(
        repo_root / demo_config["qpcr"]["ct_table"], QpcrSettings.from_config(demo_config["qpcr"])
    )
    qpcr.fold_changes.to_csv(folder / "fold_changes.tsv", sep="\t", index=False)
    qpcr.haemolysis.to_csv(folder / "haemolysis.tsv", sep="\t", index=False)
    inputs = SurvivalInputs(
        clinical=repo_root / section["clinical"],
        fold_changes=folder / "fold_changes.tsv",
        haemolysis=folder / "haemolysis.tsv",
    )
    outputs = {f.name: folder / f"{f.name}.tsv" for f in fields(SurvivalOutputs)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # the figures go to results/survival/ of the working directory
        run(SurvivalSettings.from_config(section), inputs, SurvivalOutputs(**outputs), demo=True)
    return folder, outputs


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])


def test_stage_writes_the_accuracy_the_parity_test_compares(stage_run, demo_cohort) -> None:
    _, outputs = stage_run
    written = _read(outputs["time_accuracy"])
    expected = accuracy_table(demo_risks(demo_cohort), {}, demo_cohort.settings.landmarks)
    assert list(written.columns) == list(expected.columns)
    assert written[["endpoint", "landmark", "metric", "model"]].equals(
        expected[["endpoint", "landmark", "metric", "model"]]
    )
    for column in ("estimate", "se", "lower", "upper"):
        assert np.allclose(written[column], expected[column], rtol=0, atol=1e-12), column
    assert set(written["landmark"]) == {12.0, 24.0}  # the schema's default landmarks
    assert written["model"].str.startswith("Cox: log2 FC hsa-miR-143-3p").all()
    risks = _read(outputs["predicted_risks"])
    assert risks["risk"].between(0, 1).all() and len(risks) == 2 * 2 * 40


def test_stage_writes_decision_curves_and_their_figure(stage_run, demo_cohort) -> None:
    folder, outputs = stage_run
    settings = demo_cohort.settings
    written = _read(outputs["decision_curves"])
    grid = thresholds(settings.decision_threshold_max, settings.decision_threshold_step)
    expected = decision_table(demo_risks(demo_cohort), grid)
    assert len(written) == len(expected) == 2 * 2 * 3 * len(grid)
    assert np.allclose(written["net_benefit"], expected["net_benefit"], atol=1e-12, equal_nan=True)
    none = written[written["strategy"] == "treat_none"]
    assert (none["net_benefit"] == 0).all()
    figure = folder / paths.SURVIVAL_DECISION_PLOT
    assert figure.read_bytes().startswith(b"\x89PNG")
    page = survival_accuracy_part(
        str(outputs["time_accuracy"]), str(outputs["decision_curves"]), [str(figure)]
    )
    assert '<table id="time_accuracy"' in page and '<table id="decision_curves"' in page
    assert "data:image/png;base64," in page


def test_stage_locks_the_model_its_risks_come_from(stage_run, demo_cohort) -> None:
    _, outputs = stage_run
    model_file = read_model_file(outputs["prognostic_model"])  # its SHA-256 verified
    assert [m.endpoint for m in model_file.models] == ["os", "pfs"]
    assert model_file.config["survival.landmarks"] == [12.0, 24.0]
    assert {"lifelines", "numpy", "pandas", "scipy", "python"} <= set(model_file.versions)
    assert [c["factor"] for c in model_file.cutpoints] == [FACTOR]
    risks = _read(outputs["predicted_risks"]).astype({"patient": str})
    cohort = marker_cohort(demo_cohort.clinical, demo_cohort.fold_changes)
    for model in model_file.models:
        assert [t.column for t in model.terms] == demo_cohort.settings.diagnostic.predictors
        for column, landmark in enumerate(model.landmarks):
            rows = risks[(risks["endpoint"] == model.endpoint) & (risks["landmark"] == landmark)]
            locked = model.risks(model.linear_predictor(cohort.loc[rows["patient"]]))
            assert np.allclose(locked[:, column], rows["risk"], rtol=0, atol=1e-12)
    assert _read(outputs["external_validation"]).empty  # a development run
    assert "Development run" in external_validation_part(str(outputs["external_validation"]))


def test_locked_model_applied_to_its_own_cohort_refits_nothing(stage_run, demo_cohort) -> None:
    """The stage's validation path (survival.validate_model set) on the development cohort:
    the same risks, hence the accuracy and net benefit of the apparent tables."""
    folder, outputs = stage_run
    settings = replace(demo_cohort.settings, validate_model=outputs["prognostic_model"])
    text, table = model_record(settings, demo_cohort.clinical, demo_cohort.fold_changes, [])
    assert text == outputs["prognostic_model"].read_text()
    accuracy = _read(outputs["time_accuracy"])
    merged = table.merge(accuracy, on=["endpoint", "landmark", "metric"], suffixes=("", "_a"))
    assert len(merged) == 2 * 2 * 4  # endpoints x landmarks x (auc, brier, brier_null, ipa)
    for column in ("estimate", "se"):
        assert np.allclose(merged[column], merged[f"{column}_a"], rtol=0, atol=1e-12), column
    curves = _read(outputs["decision_curves"])
    model_curve = curves[curves["strategy"] == "model"]
    benefit = table[table["metric"] == "net_benefit_model"]
    assert len(benefit) == len(model_curve)
    assert np.allclose(benefit["estimate"], model_curve["net_benefit"], atol=1e-12, equal_nan=True)
    path = folder / "external_validation_run.tsv"
    table.to_csv(path, sep="\t", index=False)
    page = external_validation_part(str(path))
    assert '<table id="external_validation"' in page and "oe_ratio" in page


def test_stage_writes_calibration_and_its_figure(stage_run, demo_cohort) -> None:
    folder, outputs = stage_run
    written = _read(outputs["calibration"])
    risks = demo_risks(demo_cohort)
    for (endpoint, landmark), group in risks.groupby(["endpoint", "landmark"]):
        # the apparent values are those the parity test compares with R on the same risks
        grid = curve_grid(group["risk"])
        expected = calibration_at(group["time"], group["event"], group["risk"], landmark, grid)
        rows = written[(written["endpoint"] == endpoint) & (written["landmark"] == landmark)]
        rows = rows.set_index("metric")
        assert list(rows.index) == list(METRICS)
        for metric, value in expected.metrics.items():
            assert rows.loc[metric, "apparent"] == pytest.approx(value, abs=1e-12), metric
    assert (written["resamples"] == CALIBRATION_BOOTSTRAP).all()
    assert (written["resamples_used"] > 0).all() and written["optimism"].notna().all()
    assert (written["seed"] == demo_cohort.settings.diagnostic.seed).all()
    assert np.allclose(written["corrected"], written["apparent"] - written["optimism"])
    curve = _read(outputs["calibration_curve"])
    assert len(curve) == 2 * 2 * CURVE_POINTS and curve["corrected"].notna().all()
    figure = folder / paths.SURVIVAL_CALIBRATION_PLOT
    assert figure.read_bytes().startswith(b"\x89PNG")
    page = survival_calibration_part(str(outputs["calibration"]), [str(figure)])
    assert '<table id="calibration"' in page and "data:image/png;base64," in page


def test_stage_counts_missing_values_of_the_variables_used(stage_run, demo_cohort) -> None:
    """missingness.tsv: the endpoints' four columns and the factor's two markers plus the third
    continuous marker, none missing in the demo; with complete_case (the default)
    mice_pooled.tsv has its columns and no rows, and the report shows only the missingness."""
    _, outputs = stage_run
    missingness = _read(outputs["missingness"])
    endpoint_columns = ["os_months", "os_event", "pfs_months", "pfs_event"]
    markers = ["hsa-miR-143-3p", "hsa-miR-223-3p", "hsa-miR-181a-5p"]
    assert missingness["variable"].tolist() == endpoint_columns + markers
    assert (missingness["n"] == len(demo_cohort.clinical)).all()
    assert (missingness["n_missing"] == 0).all() and (missingness["share_missing"] == 0).all()
    pooled = _read(outputs["mice_pooled"])
    assert pooled.empty and pooled.columns.tolist() == list(POOLED_COLUMNS)
    page = survival_missing_part(str(outputs["missingness"]), str(outputs["mice_pooled"]))
    assert '<table id="missingness"' in page and "mice_pooled" not in page


def test_stage_states_that_the_demo_codes_no_competing_event(stage_run) -> None:
    """The demo names no competing event: competing_risks.tsv says so per endpoint, the
    cumulative incidence tables are empty, and the report shows the note."""
    _, outputs = stage_run
    models = _read(outputs["competing_risks"])
    assert list(models.columns) == list(FINE_GRAY_COLUMNS)
    assert models[["endpoint", "note"]].values.tolist() == [["os", NONE_CODED], ["pfs", NONE_CODED]]
    assert _read(outputs["cumulative_incidence"]).empty
    assert _read(outputs["incidence_curves"]).empty
    page = survival_competing_part(
        str(outputs["competing_risks"]), str(outputs["cumulative_incidence"]), []
    )
    assert '<table id="competing_risks"' in page and "no competing events coded" in page
