"""esccrt.io: the one figure saver (atomic, closes the figure), the one workflow TSV reader and
the QC-gate table schema shared by both arms' writers and the DE reader."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from esccrt.de.inputs import read_qc_gate
from esccrt.io import read_tsv, save_figure, write_tsv_atomic
from esccrt.mrna.qc import qc_gate as mrna_gate
from esccrt.qc_gate import gate_columns
from esccrt.smallrna.sample_qc import qc_gate as smallrna_gate
from sample_qc_helpers import transcriptome_verdicts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_save_figure_writes_the_format_of_the_suffix_and_closes(tmp_path: Path) -> None:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp_path / "a.png", dpi=50)
    assert (tmp_path / "a.png").read_bytes().startswith(PNG_SIGNATURE)
    assert not plt.fignum_exists(fig.number)
    fig, _ = plt.subplots()
    save_figure(fig, tmp_path / "a.svg", dpi=50)
    assert b"<svg" in (tmp_path / "a.svg").read_bytes()[:500]


def test_a_figure_failing_half_way_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """The bytes written before the failure stay in a temporary file that is removed."""
    fig, _ = plt.subplots()

    def half_then_fail(handle, **kwargs) -> None:
        handle.write(PNG_SIGNATURE)
        raise RuntimeError("the renderer failed")

    monkeypatch.setattr(fig, "savefig", half_then_fail)
    with pytest.raises(RuntimeError, match="renderer"):
        save_figure(fig, tmp_path / "a.png", dpi=50)
    assert list(tmp_path.iterdir()) == [] and not plt.fignum_exists(fig.number)


def test_read_tsv_missing_values_and_text_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("feature\tname\tvalue\n007\tNone\tNA\n8\tnull\t1.5\n9\t\tnan\n")
    table = read_tsv(path, text_columns=["feature", "absent"])
    assert list(table["feature"]) == ["007", "8", "9"]  # kept as written
    assert list(table["name"].iloc[:2]) == ["None", "null"] and pd.isna(table["name"].iloc[2])
    assert table["value"].isna().tolist() == [True, False, True]
    assert read_tsv(path)["feature"].tolist() == [7, 8, 9]


def test_both_arms_gate_tables_follow_the_schema_and_read_back(tmp_path: Path) -> None:
    small = smallrna_gate(transcriptome_verdicts({"s1": 3, "s2": 500}, fail=10), "fail")
    rates = pd.DataFrame(
        {"sample": ["m1", "m2"], "assigned": [5, 900], "assignment_rate": [0.1, 0.9]}
    )
    mrna = mrna_gate(rates, min_assigned=100, min_assignment_rate=0.5)
    assert list(small.columns) == gate_columns(["overall"])
    assert list(mrna.columns) == gate_columns()
    for name, table in (("small", small), ("mrna", mrna)):
        write_tsv_atomic(table, tmp_path / f"{name}.tsv")
        gate = read_qc_gate(tmp_path / f"{name}.tsv")
        assert gate["passed"].tolist() == [False, True], name
        assert gate["reason"].iloc[0] and gate.index.tolist() == table["sample"].tolist()
