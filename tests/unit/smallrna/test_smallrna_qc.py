"""QC: the read fate accounts for every read; the QC gate names failing samples."""

from __future__ import annotations

import pytest
from esccrt.smallrna.count import AlignmentCounts
from esccrt.smallrna.qc import read_fate_table, sample_fate
from esccrt.smallrna.sample_qc import qc_gate
from esccrt.smallrna.trim import TrimReport
from sample_qc_helpers import transcriptome_verdicts


def test_read_fate_must_account_for_every_read():
    trim = TrimReport(input=100, adapter_found=90, no_adapter_discarded=0, output=100)
    mature = AlignmentCounts({"m": 50.0}, 50, 0)
    hairpin = AlignmentCounts({"h": 10.0}, 10, 0, {"m": 4.0}, 4)
    collapsed = {"too_short": 20, "too_long": 5, "umi_duplicate": 0, "no_umi": 0}
    fate = sample_fate("s1", [trim], collapsed, {}, mature, hairpin, unaligned_copies=15)
    assert (fate.mature, fate.hairpin_only, fate.unassigned) == (54, 6, 15)
    with pytest.raises(RuntimeError, match="does not add up"):
        sample_fate("s1", [trim], collapsed, {}, mature, hairpin, unaligned_copies=14)

    table, warnings = read_fate_table([fate], min_adapter_fraction=0.95)
    assert table.loc[0, "adapter_fraction"] == 0.9 and bool(table.loc[0, "adapter_warning"])
    assert "s1" in warnings[0] and "90.0%" in warnings[0]


def test_qc_gate_names_failing_samples():
    table = transcriptome_verdicts({"good": 15000.0, "poor": 100.0}, fail=10000)
    gate = qc_gate(table, "fail")
    assert gate["passed"].tolist() == [True, False]
    assert gate.loc[1, "overall"] == "fail"
    assert "transcriptome_reads 100 <= 10000 (fail, exceRpt)" in gate.loc[1, "reason"]
    # the verdict, not a consequence: a QC-only arm excludes from no differential expression
    assert gate.loc[1, "reason"].startswith("QC verdict fail (qc.exclude: fail): ")
    assert "differential expression" not in gate.loc[1, "reason"]
    assert gate.loc[0, "reason"] == ""
