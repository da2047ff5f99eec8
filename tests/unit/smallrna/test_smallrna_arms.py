"""Hairpin arms: hairpin reads credited to the mature region they lie in."""

from __future__ import annotations

from esccrt.smallrna.arms import ArmRule, arm_of, mature_positions
from esccrt.smallrna.count import count_alignments, mismatch_positions
from schema_sections import smallrna_section
from smallrna_helpers import LET7A, MIR21, arms_as_rule, write_bam


def test_hairpin_reads_are_credited_to_the_mature_arm_they_lie_in(tmp_path):
    hairpin = "GGG" + MIR21 + "CCCCCCCCCCCCCCCCCCCC" + LET7A + "GGG"
    table = mature_positions({"miR-21-5p": MIR21, "let-7a-5p": LET7A}, {"mir-21": hairpin})
    assert table.to_dict("records") == [
        {"hairpin": "mir-21", "mature": "miR-21-5p", "start": 3, "end": 25},
        {"hairpin": "mir-21", "mature": "let-7a-5p", "start": 45, "end": 67},
    ]
    arms = arms_as_rule(table, tmp_path)
    bam = write_bam(
        tmp_path / "h.bam",
        {"mir-21": len(hairpin)},
        [
            {"name": "seq1_x4", "ref": "mir-21", "pos": 2, "seq": hairpin[2:28]},  # -1 / +3 nt
            {"name": "seq2_x2", "ref": "mir-21", "pos": 10, "seq": hairpin[10:40]},  # loop
            {"name": "seq3_x1", "ref": "mir-21", "pos": 45, "seq": hairpin[45:68], "nm": 3},
        ],
    )
    # the schema's default window and tails (smallrna.hairpin_to_mature, non_templated_3p)
    small = smallrna_section()
    rule = ArmRule.from_config(small["hairpin_to_mature"])
    assert rule == ArmRule(upstream=2, downstream=5, max_mismatches=1)
    tails = small["non_templated_3p"]["max_length"]
    counts = count_alignments(bam, arms, rule, max_non_templated=tails)
    assert counts.arm_features == {"miR-21-5p": 4.0}
    assert counts.arm_copies == 4
    assert counts.isomirs == {"miR-21-5p": {"shifted_5p": 4.0}}
    assert counts.features == {"mir-21": 7.0}
    assert arm_of(arms, "mir-21", 0, 25, 0, rule) is None  # 3 nt upstream


def test_non_templated_tails_do_not_count_against_hairpin_reads(tmp_path):
    # the hairpin goes on with TG after the mature arm; reads carry AT / A / AAAA tails
    hairpin = "GGG" + MIR21 + "TGCCCCCCCCCCCCCCCCCC"
    arms = arms_as_rule(mature_positions({"miR-21-5p": MIR21}, {"mir-21": hairpin}), tmp_path)
    reads = [
        # + AT: both mismatch the hairpin (TG): a 2-nt non-templated tail
        {"name": "seq1_x5", "seq": MIR21 + "AT", "nm": 2, "md": "22T0G0"},
        # 1 nt trimmed + A: the A mismatches the mature's last G
        {"name": "seq2_x3", "seq": MIR21[:-1] + "A", "nm": 1, "md": "21G0"},
        # + TA: T is templated, A is added
        {"name": "seq3_x2", "seq": MIR21 + "TA", "nm": 1, "md": "23G0"},
        # 4 mismatches in the last 4 nt: longer than the allowed tail, 1 left in the template
        {"name": "seq4_x7", "seq": MIR21[:-2] + "AAAA", "nm": 4, "md": "20T0G0T0G0"},
    ]
    for read in reads:
        read.update(ref="mir-21", pos=3)
    bam = write_bam(tmp_path / "h.bam", {"mir-21": len(hairpin)}, reads)
    rule = ArmRule(upstream=2, downstream=5, max_mismatches=0)
    counts = count_alignments(bam, arms, rule, max_non_templated=3)
    assert counts.arm_features == {"miR-21-5p": 10.0}
    assert counts.isomirs == {"miR-21-5p": {"non_templated_3p": 10.0}}
    assert sorted(p[0] for p in counts.placements) == ["seq1_x5", "seq2_x3", "seq3_x2"]
    assert {p[0]: p[4] for p in counts.placements}["seq1_x5"] == MIR21 + "AT"
    assert count_alignments(bam, arms, rule, max_non_templated=0).arm_features == {}  # off
    assert mismatch_positions("22T0G0") == (22, 23)
    assert mismatch_positions("3^AC5T0") == (8,)
