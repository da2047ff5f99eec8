"""Inter-run calibration in a qPCR-only study, run by the workflow from its config.

The demo's Ct table spread over two plates: half the patients have pre on plate 1 and post on
plate 2, the others both on plate 2; plate 2 reads every target later by its own offset (0.3 to
1.2 cycles), and two inter-run calibrators (IRC1, IRC2) carry the same offsets. With
``qpcr.interrun_calibration: {method: qbase, calibrators: [IRC1, IRC2]}`` the workflow's fold
changes are those of the same wells on one plate (the offsets removed, the calibrators left out),
while the uncalibrated table gives other fold changes; the factors, the split pairs and the
methods text reach the report.
The demo's Cts above 33 and its undetermined wells are set to 33 in both tables: no well is
censored at the detection limit (35) on either plate, which would otherwise differ, rightly, as
the limit applies to the measured Cq.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from esccrt.qpcr.calibration import CalibrationSettings, calibrate
from esccrt.qpcr.ct_table import read_ct_table
from esccrt.qpcr.fold_changes import fold_changes as fold_change_table
from esccrt.qpcr.fold_changes import replicate_summary
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.settings import QpcrSettings
from schema_sections import validated
from workflow_runs import REPO_ROOT, run_workflow

pytestmark = pytest.mark.slow

CALIBRATORS = ["IRC1", "IRC2"]
#: Highest Ct of the one-plate table: with the largest plate offset (1.2) below the limit, 35.
UNCENSORED = 33.0


def _plate_table(demo: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, float]]:
    """The demo's rows on two plates, plate 2 offset per target, plus the calibrators' wells."""
    targets = sorted(demo["target"].unique())
    offsets = {t: 0.3 + 0.1 * i for i, t in enumerate(targets)}
    patients = sorted(demo["patient"].unique())
    split = set(patients[::2])  # pre on plate 1, post on plate 2
    table = demo.copy()
    on_first = table["patient"].isin(split) & (table["timepoint"] == "pre")
    table["plate"] = np.where(on_first, "plate1", "plate2")
    measured = pd.to_numeric(table["ct"], errors="coerce")
    shifted = measured + table["target"].map(offsets).where(~on_first, 0.0)
    table["ct"] = table["ct"].where(measured.isna(), shifted.round(6).map(repr))
    irc = [
        {"patient": name, "timepoint": "irc", "target": t, "replicate": str(2 * p + r + 1),
         "ct": repr(round(24.0 + k + 0.01 * r + (offsets[t] if p else 0.0), 6)),
         "plate": f"plate{p + 1}"}
        for k, name in enumerate(CALIBRATORS)
        for t in targets
        for p in (0, 1)
        for r in (0, 1)
    ]  # fmt: skip
    return pd.concat([table, pd.DataFrame(irc)], ignore_index=True), offsets


def _qpcr_only_study(workdir: Path, ct_table: pd.DataFrame) -> dict:
    """The demo's config without sequencing arms, reading ``ct_table`` with qBase+ calibration."""
    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    # no sequencing arm, and no survival analysis: this run is about the qPCR stages
    for name in ("smallrna", "mrna", "diffexp", "samples", "units", "survival"):
        config.pop(name)
    ct_table.to_csv(workdir / "config" / "qpcr_ct_plates.tsv", sep="\t", index=False)
    config["qpcr"]["ct_table"] = "config/qpcr_ct_plates.tsv"
    config["qpcr"]["interrun_calibration"] = {"method": "qbase", "calibrators": CALIBRATORS}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    return config


def test_qbase_calibration_removes_plate_offsets_in_a_qpcr_only_run(tmp_path: Path) -> None:
    demo = pd.read_csv(REPO_ROOT / "config" / "qpcr_ct.tsv", sep="\t", dtype=str)
    measured = pd.to_numeric(demo["ct"], errors="coerce")
    demo["ct"] = measured.where(measured <= UNCENSORED, UNCENSORED).map(repr)
    demo_path = tmp_path / "one_plate.tsv"
    demo.to_csv(demo_path, sep="\t", index=False)
    plated, offsets = _plate_table(demo)
    workdir = tmp_path / "run"
    config = _qpcr_only_study(workdir, plated)

    run = run_workflow(workdir, "--cores", "2")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    results = workdir / "results" / "qpcr"

    section = validated("qpcr", config["qpcr"])
    one_plate = run_qpcr(demo_path, QpcrSettings.from_config(section)).fold_changes
    ours = pd.read_csv(results / "fold_changes.tsv", sep="\t")
    np.testing.assert_allclose(ours["fold_change"], one_plate["fold_change"], rtol=1e-9)
    assert ours["patient"].tolist() == one_plate["patient"].tolist()  # calibrators left out

    # the same plates without calibration: the offsets enter the fold changes
    settings = QpcrSettings.from_config(section)
    none = CalibrationSettings.from_config({**section, "interrun_calibration": {
        "method": "none", "calibrators": []}})  # fmt: skip
    raw = read_ct_table(workdir / "config" / "qpcr_ct_plates.tsv", settings.undetermined_tokens)
    raw = calibrate(raw[~raw["patient"].isin(CALIBRATORS)], none).table
    uncalibrated = fold_change_table(replicate_summary(raw, settings), settings)
    assert np.abs(np.log2(uncalibrated["fold_change"] / one_plate["fold_change"])).max() > 0.1

    factors = pd.read_csv(results / "interrun_factors.tsv", sep="\t").set_index(["plate", "target"])
    for target, offset in offsets.items():
        step = (
            factors.at[("plate2", target), "cq_shift"] - factors.at[("plate1", target), "cq_shift"]
        )
        assert step == pytest.approx(-offset, abs=1e-9)
    split = pd.read_csv(results / "plate_split_pairs.tsv", sep="\t")
    assert split["calibrated"].all() and split["patient"].nunique() == len(
        demo["patient"].unique()[::2]
    )

    page = (workdir / "results" / "report" / "report.html").read_text()
    assert "Inter-run calibration" in page and 'id="interrun-factors"' in page
    assert "Hellemans et al. 2007" in page and "IRC1 and IRC2" in page
