"""The qPCR cohort generator of the qpcr_scale benchmark (bench/qpcr_cohort.py) and its direct
fold-change computation (bench/qpcr_scale.py): deterministic, the shapes asked for, files the
workflow's import reads back as generated. No timing here: that is `make bench`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import qpcr_cohort
import qpcr_scale
import yaml
from esccrt.qpcr.ct_import import ImportSettings, import_ct

SMALL = qpcr_cohort.CohortDesign(patients=12, plates=3, replicates=3)


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
    assert qpcr_cohort.read_truth(bigger)["patient"].nunique() == 14


def test_shapes_patients_timepoints_assays_replicates_plates(tmp_path: Path) -> None:
    cohort = qpcr_cohort.generate(tmp_path, SMALL)
    truth = qpcr_cohort.read_truth(cohort)
    assays = len(qpcr_cohort.ASSAYS)
    assert len(truth) == SMALL.patients * 2 * assays * SMALL.replicates
    assert truth.groupby(["patient", "timepoint", "target"]).size().eq(SMALL.replicates).all()
    assert len(cohort.plates) == SMALL.plates and all(p.exists() for p in cohort.plates)
    # a patient's two samples on one plate; every plate used
    assert truth.groupby("patient")["file"].nunique().eq(1).all()
    assert truth["file"].nunique() == SMALL.plates
    sheet = pd.read_csv(cohort.sample_map, sep="\t", keep_default_na=False)
    assert len(sheet) == 2 * SMALL.patients + 1 and sheet["task"].tolist().count("NTC") == 1


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
        [str(p) for p in cohort.plates], "auto", str(cohort.sample_map), ["Undetermined", ""]
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
    """bench/run.py --quick --only qpcr_scale: the two rules through Snakemake on 100 patients,
    their outputs asserted against the generated cohort (no timing asserted)."""
    env = {**os.environ, "BENCH_WORK": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(repo_root / "bench" / "run.py"), "--quick", "--only", "qpcr_scale"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = json.loads((tmp_path / "sections" / "qpcr_scale.json").read_text())
    assert saved["quick"] and "error" not in saved
    assert [row["stage"].split(",")[0] for row in saved["rows"]] == [
        "qPCR at scale: rule qpcr_import_ct",
        "qPCR at scale: rule qpcr_fold_changes",
        "qPCR at scale: import + QC + fold changes",
    ]
    checked = saved["raw"]["agreement"]
    assert checked["wells"] == 100 * 2 * 10 * 3 and checked["fold_change_rows"] == 100 * 3
    assert checked["max_fold_change_rel_difference"] <= qpcr_scale.FOLD_CHANGE_RTOL
