"""Inputs of a DE run (esccrt.de.inputs): QC gate, count-matrix contract, pre-filter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.de.inputs import apply_qc_gate, load_counts, prefilter, prepare, read_qc_gate
from esccrt.de.tables import feature_table
from esccrt.errors import InputError

GOOD = {"ir_vs_ctrl": ["condition", "irradiated", "control"]}


def _counts_file(folder, sheet) -> Path:
    """A counts table (10 features) of the sheet's samples, written as the arm's count matrix."""
    counts = pd.DataFrame(
        np.arange(60).reshape(10, 6) + 5,
        columns=list(sheet.index),
        index=[f"m{i}" for i in range(10)],
    )
    path = folder / "counts.tsv"
    feature_table(counts, None).to_csv(path, sep="\t", index=False)
    return path


def test_level_with_one_sample_after_qc_gate(tmp_path, demo_sheet):
    gate = tmp_path / "qc_gate.tsv"
    gate.write_text(
        "sample\tpassed\treason\ns_c1\tTrue\t\ns_c2\tFalse\tlow reads\ns_c3\tTrue\t\n"
        "s_i1\tTrue\t\ns_i2\tTrue\t\ns_i3\tTrue\t\n"
    )
    path = _counts_file(tmp_path, demo_sheet)
    kept, excluded = apply_qc_gate(demo_sheet, read_qc_gate(gate))
    assert list(excluded["sample"]) == ["s_c2"]
    assert excluded.loc[0, "reason"] == "low reads"
    assert "s_c2" not in kept.index
    with pytest.raises(InputError, match=r"diffexp\.contrasts\.ir_vs_ctrl.*'control'.*1 sample"):
        prepare(path, demo_sheet.drop(index="s_c1"), gate, "~condition", GOOD, 0)


def test_level_with_one_sample_before_qc_blames_no_qc_gate(demo_sheet):
    """Checked before any job (no QC has run), a level with one sample is named as such."""
    from esccrt.de.design import check_design

    with pytest.raises(InputError) as refused:
        check_design(demo_sheet.drop(index=["s_c1", "s_c2"]), "~condition", GOOD)
    assert "level 'control' of 'condition' has 1 sample(s); at least 2" in str(refused.value)
    assert "QC" not in str(refused.value)


def test_contract_emptied_by_qc_names_the_removed_samples_and_criteria(tmp_path, demo_sheet):
    """The QC verdicts (small RNA: rule smallrna_sample_qc's gate) remove every irradiated
    sample: the message says QC removed them, naming each and its failed criteria."""
    from esccrt.io import write_tsv_atomic
    from esccrt.smallrna.sample_qc import qc_gate
    from sample_qc_helpers import transcriptome_verdicts

    reads = {sample: 512.0 if sample.startswith("s_i") else 2e5 for sample in demo_sheet.index}
    gate = tmp_path / "qc_gate.tsv"
    write_tsv_atomic(qc_gate(transcriptome_verdicts(reads, fail=100000), "fail"), gate)
    path = _counts_file(tmp_path, demo_sheet)
    with pytest.raises(InputError) as error:
        prepare(path, demo_sheet, gate, "~condition", GOOD, 0)
    message = str(error.value)
    assert message.startswith("QC removed 3 sample(s) of this arm")
    assert "With the samples left: config key diffexp.contrasts.ir_vs_ctrl: level " in message
    failed = "QC verdict fail (qc.exclude: fail): transcriptome_reads 512 <= 100000 (fail, exceRpt)"
    for sample in ("s_i1", "s_i2", "s_i3"):
        assert f"{sample}: {failed}" in message
    assert "qc.exclude" in message and "s_c1" not in message


def test_counts_contract_errors(tmp_path):
    path = tmp_path / "counts.tsv"
    path.write_text("feature\ta\tb\nm1\t3\t4\nm2\t2\tx\n")
    with pytest.raises(InputError, match=r"line 3, column 'b'"):
        load_counts(path, ["a", "b"])
    with pytest.raises(InputError, match=r"no count column for sample\(s\) \['c'\]"):
        load_counts(path, ["a", "c"])
    path.write_text("feature\ta\tb\nm1\t0\t0\n")
    counts, names = load_counts(path, ["b", "a"])
    assert names is None and list(counts.columns) == ["b", "a"]
    with pytest.raises(InputError, match=r"diffexp\.min_total_count"):
        prefilter(counts, 10)
