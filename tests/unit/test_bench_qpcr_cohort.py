"""The qPCR cohort generator of the qpcr_scale benchmark (bench/qpcr_cohort.py) and its direct
fold-change computation (bench/qpcr_scale.py): deterministic, the shapes asked for, files the
workflow's import reads back as generated, plate offsets the workflow's qBase+ calibration
removes (exactly with exact calibrators). No timing here: that is `make bench`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import qpcr_cohort
import qpcr_scale
import yaml
from bench_runs import run_quick_section
from esccrt.qpcr.calibration import CalibrationSettings, calibrate
from esccrt.qpcr.ct_import import ImportSettings, import_ct
from esccrt.qpcr.ct_table import read_ct_table
from esccrt.qpcr.fold_changes import fold_changes, replicate_summary
from esccrt.qpcr.settings import QpcrSettings
from schema_sections import validated

SMALL = qpcr_cohort.CohortDesign(patients=12, plates=3, replicates=3)
TOKENS = ["Undetermined", ""]


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_same_design_same_files_other_seed_other_cq(tmp_path: Path) -> None:
    first = qpcr_cohort.generate(tmp_path / "a", SMALL)
    second = qpcr_cohort.generate(tmp_path / "b", SMALL)
    assert _files(first.folder) == _files(second.folder)
    reseeded = qpcr_cohort.generate(tmp_path / "c", qpcr_cohort.CohortDesign(12, 3, seed=1))
    a, c = qpcr_cohort.read_truth(first), qpcr_cohort.read_truth(reseeded)
    assert a[["patient", "timepoint", "target"]].equals(c[["patient", "timepoint", "target"]])
    assert not np.allclose(a["cq"].fillna(0), c["cq"].fillna(0))


def test_cached_cohort_is_reused_and_a_new_design_rewritten(tmp_path: Path) -> None:
    cohort = qpcr_cohort.generate(tmp_path, SMALL)
    stamp = cohort.truth.stat().st_mtime_ns
    assert qpcr_cohort.generate(tmp_path, SMALL).truth.stat().st_mtime_ns == stamp
    bigger = qpcr_cohort.generate(tmp_path, qpcr_cohort.CohortDesign(patients=14, plates=3))
    truth = qpcr_cohort.read_truth(bigger)
    assert truth.loc[~truth["calibrator"], "patient"].nunique() == 14


def test_shapes_patients_timepoints_assays_replicates_plates(tmp_path: Path) -> None:
    cohort = qpcr_cohort.generate(tmp_path, SMALL)
    truth = qpcr_cohort.read_truth(cohort)
    assays = len(qpcr_cohort.ASSAYS)
    calibrator_wells = SMALL.plates * SMALL.calibrators * assays * SMALL.replicates
    assert len(truth) == SMALL.patients * 2 * assays * SMALL.replicates + calibrator_wells
    assert truth.groupby(["patient", "timepoint", "target"]).size().gt(0).all()
    patients = truth[~truth["calibrator"]]
    assert patients.groupby(["patient", "timepoint", "target"]).size().eq(SMALL.replicates).all()
    assert len(cohort.plates) == SMALL.plates and all(p.exists() for p in cohort.plates)
    # a patient's two samples on one plate, but every 10th patient's post on the next plate
    plates = patients.groupby(["patient", "timepoint"])["plate"].first().unstack()
    split = plates.index[plates["pre"] != plates["post"]].tolist()
    assert split == ["P0010"] and plates.loc["P0010", "post"] == plates.loc["P0010", "pre"] % 3 + 1
    assert truth["file"].nunique() == SMALL.plates
    sheet = pd.read_csv(cohort.sample_map, sep="\t", keep_default_na=False)
    assert len(sheet) == 2 * SMALL.patients + SMALL.calibrators + 1
    assert sheet["task"].tolist().count("NTC") == 1
    assert sheet.loc[sheet["patient"].str.startswith("IRC"), "timepoint"].eq("irc").all()


def test_calibrators_on_every_plate_and_plate_offsets_exact(tmp_path: Path) -> None:
    """Each calibrator: every assay in 3 wells with a Cq on every plate; written Cq = the
    plate-effect-free Cq + the plate's offset (within +-0.5, steps of 0.001) to float rounding."""
    truth = qpcr_cohort.read_truth(qpcr_cohort.generate(tmp_path, SMALL))
    calibrators = truth[truth["calibrator"]]
    assert sorted(calibrators["patient"].unique()) == ["IRC1", "IRC2"]
    per_plate = calibrators.groupby(["plate", "patient", "target"])["cq"]
    assert len(per_plate) == SMALL.plates * 2 * len(qpcr_cohort.ASSAYS)
    assert per_plate.count().eq(SMALL.replicates).all()  # no drop-out among calibrators
    offsets = truth.groupby(["plate", "target"])["plate_offset"].nunique()
    assert offsets.eq(1).all() and len(offsets) == SMALL.plates * len(qpcr_cohort.ASSAYS)
    offset = truth["plate_offset"]
    assert offset.abs().max() <= SMALL.plate_effect and offset.std() > 0.1
    np.testing.assert_allclose(offset * 1000, np.round(offset * 1000), atol=1e-9)
    measured = truth["cq"].notna()
    assert truth.loc[measured, "true_cq"].notna().all()
    difference = truth.loc[measured, "cq"] - truth.loc[measured, "plate_offset"]
    np.testing.assert_allclose(difference, truth.loc[measured, "true_cq"], rtol=0, atol=1e-9)


def _calibrated_fold_changes(cohort: qpcr_cohort.Cohort, qpcr: dict) -> pd.DataFrame:
    """The workflow's library on the cohort: import, qBase+ calibration, Livak fold changes."""
    settings = ImportSettings(
        [str(p) for p in cohort.plates], "auto", str(cohort.sample_map), TOKENS
    )
    long = import_ct(settings)[0]
    path = cohort.folder / "ct_long.tsv"
    long.to_csv(path, sep="\t", index=False)
    table = read_ct_table(path, TOKENS)
    calibration = calibrate(table, CalibrationSettings.from_config(qpcr))
    assert not calibration.table["patient"].str.startswith("IRC").any()  # calibrators left out
    quantities = QpcrSettings.from_config(qpcr)
    return fold_changes(replicate_summary(calibration.table, quantities), quantities), calibration


def _bench_qpcr(repo_root: Path, calibrators: list[str]) -> dict:
    """The repository's qpcr section as the bench sets it (qBase+ from the calibrators)."""
    qpcr = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())["qpcr"]
    qpcr["interrun_calibration"] = {"method": "qbase", "calibrators": calibrators}
    return validated("qpcr", qpcr)


def test_exact_calibrators_remove_the_plate_effect_exactly(tmp_path: Path, repo_root: Path):
    """No technical noise: qBase+ recovers every plate's offset, and the fold changes equal the
    plate-effect-free ones also for the patient whose pre and post sit on two plates (measured:
    below 1e-12 cycles), while without calibration that patient's differ by > 0.05 cycles."""
    design = qpcr_cohort.CohortDesign(patients=12, plates=3, technical_sd=0.0, outlier_share=0.0)
    cohort = qpcr_cohort.generate(tmp_path, design)
    truth = qpcr_cohort.read_truth(cohort)
    patients = truth[~truth["calibrator"]]
    qpcr = _bench_qpcr(repo_root, qpcr_cohort.calibrator_ids(design))
    assert qpcr_scale.calibration_residuals(truth).abs().max() < 1e-12
    ours, _ = _calibrated_fold_changes(cohort, qpcr)
    limit = float(qpcr["ct_limit"])
    free_cq = qpcr_scale.censored_cq(patients, limit) - patients["plate_offset"]
    free = qpcr_scale.expected_fold_changes(patients, qpcr, free_cq)
    mine = ours.set_index(["patient", "target"])["fold_change"].reindex(free.index)
    assert mine.notna().all()
    assert np.abs(np.log2(mine / free)).max() < 1e-12
    uncalibrated = qpcr_scale.expected_fold_changes(patients, qpcr)
    assert np.abs(np.log2(uncalibrated / free)).loc["P0010"].max() > 0.05


def test_noisy_calibrators_leave_only_their_scatter(tmp_path: Path, repo_root: Path) -> None:
    """Calibrators with technical noise: each Cq shift = -(centred plate offset + e), e from
    the calibrators' plate-effect-free Cq (qpcr_scale.calibration_residuals), to 1e-9."""
    cohort = qpcr_cohort.generate(tmp_path, SMALL)
    truth = qpcr_cohort.read_truth(cohort)
    qpcr = _bench_qpcr(repo_root, qpcr_cohort.calibrator_ids(SMALL))
    _, calibration = _calibrated_fold_changes(cohort, qpcr)
    residual = qpcr_scale.calibration_residuals(truth)
    assert 0.0 < residual.abs().max() < 0.3
    number = {f"{path.name}:plate": k for k, path in enumerate(cohort.plates, start=1)}
    shift = calibration.factors.assign(plate=calibration.factors["plate"].map(number))
    shift = shift.set_index(["plate", "target"])["cq_shift"].sort_index()
    offset = truth.groupby(["plate", "target"])["plate_offset"].first()
    centred = offset - offset.groupby(level="target").transform("mean")
    np.testing.assert_allclose(shift, -(centred + residual).reindex(shift.index), atol=1e-9)


def test_assays_are_the_configs_targets_references_and_haemolysis_pair(repo_root: Path) -> None:
    qpcr = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())["qpcr"]
    needed = {
        *qpcr["targets"],
        *qpcr["reference_targets"],
        *qpcr["reference_candidates"],
        qpcr["haemolysis"]["reference"],
        qpcr["haemolysis"]["marker"],
    }
    assert needed == set(qpcr_cohort.ASSAYS) and len(qpcr_cohort.ASSAYS) == 10


def test_the_workflows_import_reads_the_plates_back_as_generated(tmp_path: Path) -> None:
    cohort = qpcr_cohort.generate(tmp_path, SMALL)
    settings = ImportSettings(
        [str(p) for p in cohort.plates], "auto", str(cohort.sample_map), TOKENS
    )
    long, controls, wells, _ = import_ct(settings)
    truth = qpcr_cohort.read_truth(cohort)
    keys = ["patient", "timepoint", "target"]
    assert long[keys].equals(truth[keys])
    written = pd.to_numeric(long["ct"], errors="coerce").to_numpy()
    assert np.array_equal(written, truth["cq"].to_numpy(), equal_nan=True)
    assert len(controls) == SMALL.plates * len(qpcr_cohort.ASSAYS)
    assert controls["amplified"].sum() == 1  # the one primer-dimer NTC
    assert len(wells) == len(truth) + len(controls)


def test_some_wells_undetermined_outliers_and_haemolysed_samples() -> None:
    """At the benchmark's size (sample level only: no files), the oddities a lab meets."""
    design = qpcr_cohort.CohortDesign()
    rng = np.random.default_rng(design.seed)
    samples = qpcr_cohort.true_cq(design, rng)
    wells = qpcr_cohort.well_cq(design, samples, rng)
    assert len(wells) == 1000 * 2 * 10 * 3
    assert 10 <= wells["cq"].isna().sum() <= 300
    assert 50 <= wells["outlier"].sum() <= 400
    haemolysed = samples.drop_duplicates(["patient", "timepoint"])["haemolysed"].sum()
    assert 10 <= haemolysed <= 80


def test_design_refuses_more_wells_than_a_plate_holds() -> None:
    with pytest.raises(ValueError, match="exceed an OpenArray plate"):
        qpcr_cohort.CohortDesign(patients=1000, plates=10).check()


def test_direct_fold_change_is_livak_with_undetermined_at_the_limit() -> None:
    qpcr = {
        "undetermined": "set_to_limit",
        "remove_outliers": False,
        "efficiencies": {},
        "ct_limit": 35,
        "reference_targets": ["ref"],
        "targets": ["t"],
        "pre": "pre",
        "post": "post",
    }
    rows = [
        ("P1", "pre", "t", [30.0, 30.2]),
        ("P1", "pre", "ref", [20.0, 20.0]),
        ("P1", "post", "t", [np.nan, 37.0]),  # both at the limit 35
        ("P1", "post", "ref", [21.0, 21.0]),
    ]
    truth = pd.DataFrame(
        [(p, tp, t, cq) for p, tp, t, cqs in rows for cq in cqs],
        columns=["patient", "timepoint", "target", "cq"],
    )
    ddct = (35.0 - 21.0) - (30.1 - 20.0)
    expected = qpcr_scale.expected_fold_changes(truth, qpcr)
    assert expected.loc[("P1", "t")] == pytest.approx(2.0**-ddct)
    with pytest.raises(ValueError, match="set_to_limit"):
        qpcr_scale.expected_fold_changes(truth, {**qpcr, "remove_outliers": True})


@pytest.mark.slow
def test_quick_qpcr_scale_section_runs_the_rules_and_checks_their_outputs(
    tmp_path: Path, repo_root: Path
) -> None:
    """bench/run.py --quick --only qpcr_scale: the three rules through Snakemake on 100 patients
    on 3 calibrated plates (qBase+, then the calibration again with Ruijter's method), their
    outputs asserted against the generated cohort (no timing asserted)."""
    saved = run_quick_section(repo_root, tmp_path, "qpcr_scale")
    assert [row["stage"].split(",")[0] for row in saved["rows"]] == [
        "qPCR at scale: rule qpcr_import_ct",
        "qPCR at scale: rule qpcr_interrun_calibration",
        "qPCR at scale: rule qpcr_fold_changes",
        "qPCR at scale: import + calibration + QC + fold changes",
        "qPCR at scale: rule qpcr_interrun_calibration with method ruijter",
    ]
    checked = saved["raw"]["agreement"]
    assert checked["wells"] == 100 * 2 * 10 * 3 + 3 * 2 * 10 * 3
    assert checked["patient_wells"] == 100 * 2 * 10 * 3 and checked["fold_change_rows"] == 100 * 3
    assert checked["max_fold_change_rel_difference"] <= qpcr_scale.FOLD_CHANGE_RTOL
    assert checked["split_patients"] == 10
    assert checked["max_cycles_vs_plate_free_same_plate"] <= qpcr_scale.FOLD_CHANGE_RTOL
    bound = 4 * checked["max_calibrator_residual_cycles"]
    assert checked["max_cycles_vs_plate_free_split"] <= bound + qpcr_scale.FOLD_CHANGE_RTOL
    assert checked["max_cycles_vs_plate_free_split_uncalibrated"] > 0.1
    ruijter = saved["raw"]["ruijter"]
    assert ruijter["max_shift_difference_vs_qbase_mean"] <= qpcr_scale.FOLD_CHANGE_RTOL
