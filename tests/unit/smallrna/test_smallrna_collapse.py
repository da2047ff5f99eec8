"""Collapsing: UMIs from read names, unique inserts, insert lengths, copy numbers."""

from __future__ import annotations

from esccrt.smallrna.collapse import (
    collapse_reads,
    copy_number,
    fasta_copies,
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
