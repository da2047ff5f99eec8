"""bench/run.py keeps each section's last real rows in bench/measured/ (running one section
renders every other section's rows unchanged; a failed run keeps the rows it did not replace,
with its failure named); section persample_sizes' goals and its featureCounts agreement."""

from __future__ import annotations

import json

import harness
import pytest
import run
from settings import Settings


@pytest.fixture
def measured(tmp_path, monkeypatch):
    """An empty records folder in place of bench/measured."""
    folder = tmp_path / "measured"
    monkeypatch.setattr(run, "MEASURED", folder)
    return folder


def _record(date: str, *stages: str) -> dict:
    rows = [vars(harness.Row(stage, "size", f"{date} figure")) for stage in stages]
    return {"date": date, "seconds": 1.0, "rows": rows}


def _table(folder, date: str) -> list[str]:
    text = run.render(folder, {"date": date}, Settings())
    return [line for line in text.splitlines() if line.startswith("| ") and "stage" not in line]


def test_a_section_run_alone_keeps_the_other_sections_rows(measured):
    run.keep_measured("smallrna", _record("day 1", "small RNA a", "small RNA b"))
    run.keep_measured("survival", _record("day 1", "survival a"))
    run.keep_measured("survival", _record("day 2", "survival a"))
    table = _table(measured, "day 2")
    assert table == [
        "| small RNA a | size | day 1 figure |  |  |  |  |",
        "| small RNA b | size | day 1 figure |  |  |  |  |",
        "| survival a | size | day 2 figure |  |  |  |  |",
    ]
    text = run.render(measured, {"date": "day 2"}, Settings())
    assert "section `smallrna`: measured on day 1 (not re-run this time)" in text
    assert "`survival`: measured on" not in text


def test_a_section_whose_first_run_failed_is_named_without_rows(measured):
    run.keep_measured("mrna", {"date": "day 1", "error": "DisagreementError: 1 count"})
    text = run.render(measured, {"date": "day 1"}, Settings())
    assert "section `mrna` failed on day 1: DisagreementError: 1 count" in text
    assert _table(measured, "day 1") == []


def test_a_failed_run_keeps_the_last_rows_and_names_its_failure(measured):
    run.keep_measured("diffexp", _record("day 1", "DE a"))
    run.keep_measured("diffexp", {"date": "day 2", "error": "RuntimeError: R missing"})
    saved = json.loads((measured / "diffexp.json").read_text())
    assert [row["stage"] for row in saved["rows"]] == ["DE a"]
    text = run.render(measured, {"date": "day 2"}, Settings())
    assert "| DE a | size | day 1 figure |" in text
    assert "section `diffexp` failed on day 2: RuntimeError: R missing" in text
    # a later successful run replaces the rows and forgets the failure
    run.keep_measured("diffexp", _record("day 3", "DE b"))
    assert "failed" not in run.render(measured, {"date": "day 3"}, Settings())


def test_persample_goals_apply_at_the_sizes_the_issue_names():
    import persample_sizes as sizes

    assert sizes.goal(sizes.SMALLRNA_GOALS, 2_000_000) == 1.3
    assert sizes.goal(sizes.SMALLRNA_GOALS, 10_000_000) == 1.15
    assert sizes.goal(sizes.MRNA_GOALS, 2_600_123) == 1.5  # records of 1.3 M pairs
    assert sizes.goal(sizes.MRNA_GOALS, 14_000_000) == 1.0
    assert sizes.goal(sizes.MRNA_GOALS, 400_000) is None
    assert sizes.verdict(1.29, 1.3) == "goal 1.3x: met"
    assert sizes.verdict(1.31, 1.3) == "goal 1.3x: NOT met"
    assert sizes.verdict(3.0, None) == "no goal named at this size"


def test_featurecounts_may_assign_only_the_pairs_htseq_count_calls_ambiguous():
    import agreement
    import pandas as pd

    ours = pd.Series({"g1": 10, "g2": 5, "__ambiguous": 1, "__no_feature": 3})
    same = pd.Series({"g1": 10, "g2": 5})
    assert agreement.counts_but_htseq_ambiguous(ours, same, "x") == ""
    moved = pd.Series({"g1": 11, "g2": 5})  # the ambiguous pair assigned to g1
    text = agreement.counts_but_htseq_ambiguous(ours, moved, "x")
    assert text.endswith("call ambiguous: g1 +1")
    for wrong in ({"g1": 12, "g2": 5}, {"g1": 9, "g2": 5}, {"g1": 10, "g2": 5, "g3": 0}):
        with pytest.raises(agreement.DisagreementError):
            agreement.counts_but_htseq_ambiguous(ours, pd.Series(wrong), "x")
