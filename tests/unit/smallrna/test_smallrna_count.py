"""Counting: copy numbers, the multi-mapper rule, strand, matrix rounding."""

from __future__ import annotations

import pytest
from esccrt.errors import InputError
from esccrt.smallrna.count import count_alignments, count_matrix
from schema_sections import smallrna_section
from smallrna_helpers import LET7A, MIR21, write_bam

#: The schema's non-templated 3' tail length (smallrna.non_templated_3p.max_length).
TAILS = smallrna_section()["non_templated_3p"]["max_length"]


def test_counting_splits_multimappers_among_best_hits_and_ignores_antisense(tmp_path):
    refs = {"miR-a": 22, "miR-b": 22, "miR-c": 22}
    bam = write_bam(
        tmp_path / "m.bam",
        refs,
        [
            # 3 copies, two equally good hits: 1.5 each
            {"name": "seq1_x3", "ref": "miR-a", "pos": 0, "seq": MIR21},
            {"name": "seq1_x3", "ref": "miR-b", "pos": 0, "seq": MIR21},
            # same seed stratum but one more mismatch on miR-c: only miR-a counts
            {"name": "seq2_x2", "ref": "miR-a", "pos": 0, "seq": LET7A, "nm": 0},
            {"name": "seq2_x2", "ref": "miR-c", "pos": 0, "seq": LET7A, "nm": 1},
            # antisense only: never counted, reported
            {"name": "seq3_x5", "ref": "miR-c", "pos": 0, "seq": MIR21, "reverse": True},
            # one copy split three ways
            {"name": "seq4_x1", "ref": "miR-a", "pos": 0, "seq": MIR21},
            {"name": "seq4_x1", "ref": "miR-b", "pos": 0, "seq": MIR21},
            {"name": "seq4_x1", "ref": "miR-c", "pos": 0, "seq": MIR21},
        ],
    )
    counts = count_alignments(bam, max_non_templated=TAILS)
    assert counts.features == pytest.approx(
        {"miR-a": 3.5 + 1 / 3, "miR-b": 1.5 + 1 / 3, "miR-c": 1 / 3}
    )
    assert counts.aligned_copies == 6
    assert counts.antisense_only_copies == 5
    assert counts.isomirs["miR-c"] == pytest.approx({"canonical": 1 / 3})

    # matrix-level rounding (half up) of the fractional sums; every reference feature listed
    matrix = count_matrix(
        {"s2": counts.features, "s1": {"miR-b": 0.5}}, ["miR-a", "miR-b", "miR-c", "miR-d"]
    )
    assert list(matrix.columns) == ["feature", "s1", "s2"]
    assert matrix["s2"].tolist() == [4, 2, 0, 0]
    assert matrix["s1"].tolist() == [0, 1, 0, 0]
    assert all(str(dtype) == "int64" for dtype in matrix.dtypes[1:])
    with pytest.raises(ValueError, match="missing from the reference"):
        count_matrix({"s1": {"miR-x": 1.0}}, ["miR-a"])


def test_counting_refuses_a_bam_not_grouped_by_read(tmp_path):
    """Counting holds one read's alignments at a time (memory flat in the library's size), so a
    read whose alignments are split (a coordinate-sorted BAM) must stop it, not count twice."""
    refs = {"miR-a": 22, "miR-b": 22}
    reads = [
        {"name": "seq1_x3", "ref": "miR-a", "pos": 0, "seq": MIR21},
        {"name": "seq2_x1", "ref": "miR-a", "pos": 0, "seq": LET7A},
        {"name": "seq1_x3", "ref": "miR-b", "pos": 0, "seq": MIR21},
    ]
    bam = write_bam(tmp_path / "sorted.bam", refs, reads)
    with pytest.raises(InputError, match=r"sorted\.bam: the alignments of read seq1_x3"):
        count_alignments(bam, max_non_templated=TAILS)
    grouped = write_bam(tmp_path / "grouped.bam", refs, [reads[0], reads[2], reads[1]])
    counts = count_alignments(grouped, max_non_templated=TAILS)
    assert counts.features == {"miR-a": 2.5, "miR-b": 1.5}
