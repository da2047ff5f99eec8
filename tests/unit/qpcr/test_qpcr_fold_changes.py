"""qPCR fold changes on hand-made Ct tables: reference mean, ddCt, the undetermined rules,
replicate QC, and the errors a biologist sees for bad Ct tables; the simulated cohort's groups."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.ct_table import CT_COLUMNS
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.settings import QpcrSettings
from prerequisites import DEMO_DATA, missing
from schema_sections import qpcr_settings


def _write(tmp_path: Path, rows: list[tuple], name: str = "ct.tsv") -> Path:
    frame = pd.DataFrame(rows, columns=list(CT_COLUMNS))
    path = tmp_path / name
    frame.to_csv(path, sep="\t", index=False)
    return path


def _run(path: Path, settings: QpcrSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fold changes, replicate QC) of the qPCR rule's step."""
    results = run_qpcr(path, settings)
    return results.fold_changes, results.replicate_qc


def _table(cts: dict[tuple[str, str, str], list[object]]) -> list[tuple]:
    return [
        (p, tp, t, i + 1, ct) for (p, tp, t), values in cts.items() for i, ct in enumerate(values)
    ]


# Detection limit 40 cycles (the schema default is 35): the cases below sit between the two.
TWO_REFS = qpcr_settings(["miR-A"], ["ref1", "ref2"], ct_limit=40)


def _patient(p: str, a_pre: list, a_post: list) -> dict:
    return {
        (p, "pre", "miR-A"): a_pre,
        (p, "post", "miR-A"): a_post,
        (p, "pre", "ref1"): [20.0, 20.0, 20.0],
        (p, "post", "ref1"): [21.0, 21.0, 21.0],
        (p, "pre", "ref2"): [22.0, 22.0, 22.0],
        (p, "post", "ref2"): [22.0, 22.0, 22.0],
    }


def test_mean_of_references_and_ddct(tmp_path: Path) -> None:
    path = _write(tmp_path, _table(_patient("P1", [30, 30, 30], [28.5, 28.5, 28.5])))
    fc, _ = _run(path, TWO_REFS)
    row = fc.iloc[0]
    assert row["ref_ct_pre"] == 21.0 and row["ref_ct_post"] == 21.5
    assert row["ddct"] == pytest.approx((28.5 - 21.5) - (30 - 21))  # -2
    assert row["fold_change"] == pytest.approx(4.0)


def test_undetermined_rules_and_flags(tmp_path: Path) -> None:
    path = _write(tmp_path, _table(_patient("P1", [30, 30, "Undetermined"], [28, 28, 41.5])))
    fc, qc = _run(path, TWO_REFS)
    pre = qc.set_index(["timepoint", "target"]).loc[("pre", "miR-A")]
    assert pre["mean_ct"] == pytest.approx(100 / 3)  # 30, 30, 40
    assert pre["n_undetermined_or_above_limit"] == 1
    assert pre["undetermined_or_above_limit"] == "3(undetermined)"
    post = qc.set_index(["timepoint", "target"]).loc[("post", "miR-A")]
    assert post["undetermined_or_above_limit"] == "3(above_limit)" and post["mean_ct"] == 32
    assert "high_sd_pre" in fc.iloc[0]["flags"]
    excluded = qpcr_settings(["miR-A"], ["ref1", "ref2"], ct_limit=40, undetermined="exclude")
    fc, qc = _run(path, excluded)
    row = fc.iloc[0]
    assert row["ct_pre"] == 30 and row["ct_post"] == 28
    assert "undetermined_or_above_limit_pre" in row["flags"]


def test_outlier_removal_is_recorded(tmp_path: Path) -> None:
    path = _write(tmp_path, _table(_patient("P1", [30.0, 30.2, 33.0], [28, 28, 28])))
    settings = qpcr_settings(["miR-A"], ["ref1", "ref2"], ct_limit=40, remove_outliers=True)
    fc, qc = _run(path, settings)
    pre = qc.set_index(["timepoint", "target"]).loc[("pre", "miR-A")]
    assert pre["outlier_replicate"] == "3" and pre["outlier_ct"] == 33.0
    assert pre["mean_ct"] == pytest.approx(30.1) and pre["n_used"] == 2
    assert pre["sd_before_outlier_removal"] > 0.5
    assert "outlier_removed_pre" in fc.iloc[0]["flags"]


def test_text_in_ct_names_file_line_column_and_patient(tmp_path: Path) -> None:
    rows = _table(_patient("P1", [30, 30, 30], [28, 28, 28]))
    rows += _table(_patient("P7", [30, "3O.1", 30], [28, 28, 28]))
    path = _write(tmp_path, rows)
    with pytest.raises(InputError) as error:
        _run(path, TWO_REFS)
    text = str(error.value)
    assert str(path) in text and "line 21" in text and "column 'ct'" in text
    assert "'P7'" in text and "3O.1" in text


def test_missing_reference_and_missing_timepoint_list_patients(tmp_path: Path) -> None:
    rows = [r for r in _table(_patient("P1", [30] * 3, [28] * 3)) if r[2] != "ref2"]
    rows += _table(_patient("P2", [30] * 3, [28] * 3))
    with pytest.raises(InputError, match=r"ref2.*P1 \(pre\), P1 \(post\)"):
        _run(_write(tmp_path, rows), TWO_REFS)
    # A sample that exists (P2 post has reference wells) but lacks a target is still refused.
    rows = _table(_patient("P1", [30] * 3, [28] * 3)) + [
        r for r in _table(_patient("P2", [30] * 3, [28] * 3)) if r[1:3] != ("post", "miR-A")
    ]
    with pytest.raises(InputError, match=r"target 'miR-A'.*no Ct for: P2 \(post\)"):
        _run(_write(tmp_path, rows, "b.tsv"), TWO_REFS)
    # A patient missing the whole timepoint (issue 30) leaves the fold changes only, named.
    rows = _table(_patient("P1", [30] * 3, [28] * 3)) + [
        r for r in _table(_patient("P2", [30] * 3, [28] * 3)) if r[1] != "post"
    ]
    results = run_qpcr(_write(tmp_path, rows, "c.tsv"), TWO_REFS)
    assert results.fold_changes["patient"].tolist() == ["P1"]
    assert results.unpaired[
        ["patient", "timepoint_present", "timepoint_missing"]
    ].values.tolist() == [["P2", "pre", "post"]]
    assert ("P2", "pre") in set(
        zip(results.replicate_qc["patient"], results.replicate_qc["timepoint"], strict=True)
    )


def test_unknown_timepoint_and_bad_rule(tmp_path: Path) -> None:
    rows = _table(_patient("P1", [30] * 3, [28] * 3))
    rows[0] = ("P1", "week3", *rows[0][2:])
    with pytest.raises(InputError, match=r"week3.*P1"):
        _run(_write(tmp_path, rows), TWO_REFS)
    with pytest.raises(InputError, match=r"qpcr\.undetermined"):
        replace(qpcr_settings(["a"], ["b"]), undetermined="drop").check()


def test_demo_cohort_groups(repo_root: Path) -> None:
    """On the simulated cohort, the fold-change groups at 1.5 are the planted ones (Table 1)."""
    ct, truth = repo_root / "config" / "qpcr_ct.tsv", repo_root / "config" / "demo_cohort_truth.tsv"
    if not ct.exists() or not truth.exists():
        missing("the simulated cohort (config/qpcr_ct.tsv)", DEMO_DATA)
    targets = ["hsa-miR-143-3p", "hsa-miR-181a-5p", "hsa-miR-223-3p"]
    settings = qpcr_settings(targets, ["hsa-miR-484", "hsa-miR-191-5p"], ct_limit=40)
    fc, _ = _run(ct, settings)
    planted = pd.read_csv(truth, sep="\t").set_index("patient")
    for target, n_high in zip(targets, (13, 21, 16), strict=True):
        high = fc[fc["target"] == target].set_index("patient")["fold_change"] > 1.5
        assert int(high.sum()) == n_high
        assert (high == planted.loc[high.index, f"high_{target}"].astype(bool)).all()
    assert math.isfinite(fc["fold_change"].sum())
