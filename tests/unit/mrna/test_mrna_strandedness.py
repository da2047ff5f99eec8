"""Strandedness decisions: quotas, the call from the evidence, and the sheet reconciliation."""

from __future__ import annotations

import pytest
from esccrt.errors import InputError
from esccrt.mrna.strandedness import (
    StrandEvidence,
    call_strandedness,
    read_used,
    resolve_strandedness,
    split_quota,
)


def test_split_quota():
    assert split_quota(10, [1, 1, 1]) == [4, 3, 3]
    assert split_quota(200_000, [190, 10]) == [190_000, 10_000]
    assert split_quota(5, [0, 0]) == [0, 0]
    assert sum(split_quota(7, [3, 5, 11, 2])) == 7


def test_call_and_resolve_strandedness():
    ev = StrandEvidence(reads_used=1000, forward=30, reverse=870, undetermined=100)
    assert ev.fraction_reverse == pytest.approx(870 / 900)
    assert call_strandedness(ev, threshold=0.75, min_reads=50) == "reverse"
    assert (
        call_strandedness(StrandEvidence(1000, 480, 470, 0), threshold=0.75, min_reads=50)
        == "unstranded"
    )
    assert (
        call_strandedness(StrandEvidence(1000, 900, 10, 0), threshold=0.75, min_reads=50)
        == "forward"
    )
    assert (
        call_strandedness(StrandEvidence(10, 9, 0, 0), threshold=0.75, min_reads=50)
        == "undetermined"
    )

    assert resolve_strandedness("auto", "reverse", "warn", "s1/u1").used == "reverse"
    assert resolve_strandedness("", "unstranded", "fail", "s1/u1").agreement == "inferred"
    agree = resolve_strandedness("reverse", "reverse", "fail", "s1/u1")
    assert (agree.used, agree.agreement, agree.message) == ("reverse", "yes", None)
    warned = resolve_strandedness("forward", "reverse", "warn", "sample s1, unit u1")
    assert (warned.used, warned.agreement) == ("forward", "no")
    assert "sample s1, unit u1" in warned.message and "'reverse'" in warned.message
    with pytest.raises(
        InputError, match="says strandedness 'forward' but the reads look 'reverse'"
    ):
        resolve_strandedness("forward", "reverse", "fail", "sample s1, unit u1")
    empty = resolve_strandedness("auto", "undetermined", "fail", "s1/u1")
    assert (empty.used, empty.agreement) == ("unstranded", "not_tested")
    assert "too few reads" in empty.message
    assert resolve_strandedness("forward", "undetermined", "fail", "x").agreement == ("not_tested")
    with pytest.raises(InputError, match="not one of"):
        resolve_strandedness("yes", "reverse", "warn", "x")


def test_read_used_reads_the_table_the_rule_writes(tmp_path):
    """The counting job's reader (no pandas) gives the ``used`` call of the one-row table that
    rule mrna_strandedness writes (pandas, esccrt.io.write_tsv_atomic); no row: a clear error."""
    import pandas as pd
    from esccrt.io import write_tsv_atomic

    table = tmp_path / "unit.tsv"
    row = {"sample": "s1", "unit": "lane1", "sheet": "auto", "inferred": "reverse"}
    write_tsv_atomic(pd.DataFrame([{**row, "used": "reverse", "agreement": "agree"}]), table)
    assert read_used(table) == "reverse"
    table.write_text("sample\tused\n")
    with pytest.raises(InputError, match="no row"):
        read_used(table)
