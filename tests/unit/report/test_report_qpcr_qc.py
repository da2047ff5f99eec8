"""The report's qPCR QC part renders the stage's sample and well QC tables as written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from esccrt.report.methods import methods_text
from esccrt.report.qpcr_qc import qpcr_qc_part
from schema_sections import qpcr_decisions, validated


def _write(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    return path


def test_grades_and_flagged_wells_are_shown(tmp_path: Path) -> None:
    grades = {"amplification": "pass", "replicate_sd": "pass", "outliers": "pass"}
    samples = _write(
        tmp_path / "sample_qc.tsv",
        [
            {
                "patient": "P1",
                "timepoint": "pre",
                "overall": "warn",
                **grades,
                "melt_curve": "warn",
            },
            {
                "patient": "P1",
                "timepoint": "post",
                "overall": "pass",
                **grades,
                "melt_curve": "pass",
            },
            {
                "patient": "P2",
                "timepoint": "pre",
                "overall": "fail",
                **grades,
                "melt_curve": "pass",
            },
        ],
    )
    wells = _write(
        tmp_path / "well_qc.tsv",
        [
            {
                "well": "A1",
                "target": "miR-A",
                "flags": "melt_multiple_peaks",
                "reasons": "melt peaks at 72.60,87.80 °C (RDML-Tools)",
            },
            {"well": "A2", "target": "miR-A", "flags": "", "reasons": ""},
        ],
    )
    page = qpcr_qc_part(samples, wells)
    assert "3 samples (patient and timepoint): 1 pass, 1 warn, 1 fail" in page
    assert "1 of 2 wells carry a flag" in page
    assert "melt peaks at 72.60,87.80 °C (RDML-Tools)" in page
    assert "<td>A2</td>" not in page


def test_methods_name_grubbs_when_it_removes_outliers(repo_root: Path) -> None:
    config = validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))
    config["qpcr"].update(
        remove_outliers=True, qc={"outlier_method": "grubbs", "outlier_alpha": 0.01}
    )
    config["qpcr"] = validated("qpcr", config["qpcr"])
    text = methods_text(config, {}, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "rejected by Grubbs' two-sided test at alpha 0.01 (Grubbs 1969) was dropped" in text
    assert "farthest from the median" not in text
