"""Hairpin arms: hairpin reads credited to the mature region they lie in."""

from __future__ import annotations

from esccrt.smallrna.arms import ArmRule, arm_of, arms_from_table, mature_positions
from esccrt.smallrna.count import count_alignments
from smallrna_helpers import LET7A, MIR21, write_bam


def test_hairpin_reads_are_credited_to_the_mature_arm_they_lie_in(tmp_path):
    hairpin = "GGG" + MIR21 + "CCCCCCCCCCCCCCCCCCCC" + LET7A + "GGG"
    table = mature_positions({"miR-21-5p": MIR21, "let-7a-5p": LET7A}, {"mir-21": hairpin})
    assert table.to_dict("records") == [
        {"hairpin": "mir-21", "mature": "miR-21-5p", "start": 3, "end": 25},
        {"hairpin": "mir-21", "mature": "let-7a-5p", "start": 45, "end": 67},
    ]
    arms = arms_from_table(table)
    bam = write_bam(
        tmp_path / "h.bam",
        {"mir-21": len(hairpin)},
        [
            {"name": "seq1_x4", "ref": "mir-21", "pos": 2, "seq": hairpin[2:28]},  # -1 / +3 nt
            {"name": "seq2_x2", "ref": "mir-21", "pos": 10, "seq": hairpin[10:40]},  # loop
            {"name": "seq3_x1", "ref": "mir-21", "pos": 45, "seq": hairpin[45:68], "nm": 3},
        ],
    )
    counts = count_alignments(bam, arms, ArmRule(upstream=2, downstream=5, max_mismatches=1))
    assert counts.arm_features == {"miR-21-5p": 4.0}
    assert counts.arm_copies == 4
    assert counts.isomirs == {"miR-21-5p": {"shifted_5p": 4.0}}
    assert counts.features == {"mir-21": 7.0}
    assert arm_of(arms, "mir-21", 0, 25, 0, ArmRule(upstream=2)) is None  # 3 nt upstream
