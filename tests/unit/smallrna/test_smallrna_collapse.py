"""Collapsing: UMIs from read names, unique inserts, insert lengths, copy numbers."""

from __future__ import annotations

import esccrt.smallrna.collapse as collapse_module
import pytest
from esccrt.smallrna.collapse import (
    collapse_reads,
    copy_number,
    fasta_copies,
    fasta_totals,
    umi_from_name,
    write_collapsed_fasta,
)
from smallrna_helpers import LET7A, MIR21, write_fastq


def test_umi_from_name_handles_missing_or_short_field():
    assert umi_from_name("read1 umi=AACTGTAGGCACCATCAATACGTACGTACGT", 12) == "ACGTACGTACGT"
    assert umi_from_name("read1 umi=", 12) is None
    assert umi_from_name("read1", 12) is None


def test_collapse_counts_lengths_and_writes_mirdeep_style_fasta(tmp_path):
    lane1 = write_fastq(tmp_path / "l1.fq", [("a", MIR21), ("b", MIR21), ("c", "ACGT"), ("d", "")])
    lane2 = write_fastq(tmp_path / "l2.fq", [("e", MIR21), ("f", LET7A), ("g", "A" * 45)])
    result = collapse_reads([lane1, lane2], min_length=16, max_length=40)
    assert dict(result.counts.items()) == {MIR21: 3, LET7A: 1}
    assert (result.reads, result.too_short, result.too_long, result.kept) == (7, 2, 1, 4)
    assert result.lengths == {22: 4, 4: 1, 0: 1, 45: 1}

    fasta = tmp_path / "c.fa"
    assert write_collapsed_fasta(result.counts, fasta) == 2
    assert fasta.read_text() == f">seq1_x3\n{MIR21}\n>seq2_x1\n{LET7A}\n"
    assert fasta_copies(fasta) == 4
    assert copy_number("seq7_x120") == 120
    assert copy_number("plain_read") == 1


#: Headers that test every branch of copy_number: numbered, plain, several ``_x``, digits
#: followed by more of the word, a comment after the name, blanks, an empty name, non-ASCII
#: digits, a header without a newline at the end of the file.
TRICKY_HEADERS = [
    "seq1_x12",
    "seq2_x7 umi=ACGT_x99",
    "plain_read",
    "a_x3_x4",
    "a_x12_xab",
    "a_x12b",
    "a_x",
    "  seq3_x5",
    "",
    "seq4_x\u0665",
    "seq5_x007\tcomment",
]


@pytest.mark.parametrize("block", [8, 64, 1 << 22])
def test_fasta_totals_equal_copy_number_header_by_header(tmp_path, monkeypatch, block):
    """The bulk tally reads the copy numbers copy_number reads, across block boundaries."""
    monkeypatch.setattr(collapse_module, "_TALLY_BLOCK", block)
    text = "".join(f">{h}\nACGT\n" for h in TRICKY_HEADERS) + ">last_x9\nAC"
    fasta = tmp_path / "tricky.fa"
    fasta.write_text(text)
    names = [*TRICKY_HEADERS, "last_x9"]
    expected = sum(copy_number(name.strip()) for name in names)
    assert expected == 12 + 7 + 1 + 4 + 1 + 1 + 1 + 5 + 1 + 1 + 7 + 9
    assert fasta_totals(fasta) == (expected, len(names))
    assert fasta_copies(fasta) == expected
    assert fasta_totals(tmp_path / "missing.fa") == (0, 0)
