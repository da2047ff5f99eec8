"""bowtie on tiny inputs: mature then hairpin, empty inputs and outputs."""

from __future__ import annotations

from esccrt.smallrna.align import run_bowtie
from esccrt.smallrna.arms import ArmRule, mature_positions
from esccrt.smallrna.collapse import fasta_copies, write_collapsed_fasta
from esccrt.smallrna.count import count_alignments
from schema_sections import smallrna_section
from smallrna_helpers import MIR21, arms_as_rule, build_index, needs_tools


@needs_tools
def test_bowtie_mature_then_hairpin_chain(tmp_path):
    extension = MIR21 + "CA"  # templated 3' extension: not within the mature sequence
    hairpin = "TGTCGGG" + extension + "GTCTGACAAGGCAACATCAGTCTGATAAGCTA"
    (tmp_path / "mature.fa").write_text(f">hsa-miR-21-5p\n{MIR21}\n")
    (tmp_path / "hairpin.fa").write_text(f">hsa-mir-21\n{hairpin}\n")
    mature_idx = build_index(tmp_path / "mature.fa", tmp_path / "mature")
    hairpin_idx = build_index(tmp_path / "hairpin.fa", tmp_path / "hairpin")
    reads = tmp_path / "collapsed.fa"
    write_collapsed_fasta({MIR21: 5, extension: 2, "ACGTTGCAACGTTGCAACGT": 1}, reads)
    mature_args = ["-n", "0", "-l", "15", "-e", "99999", "-k", "50", "--best", "--strata", "--norc"]
    run_bowtie(mature_idx, reads, tmp_path / "m.bam", tmp_path / "m.un.fa", mature_args)
    run_bowtie(
        hairpin_idx, tmp_path / "m.un.fa", tmp_path / "h.bam", tmp_path / "h.un.fa", mature_args
    )
    # every read aligned: bowtie writes no --un file, the step must still leave an empty one
    only_mature = tmp_path / "only_mature.fa"
    write_collapsed_fasta({MIR21: 1}, only_mature)
    run_bowtie(mature_idx, only_mature, tmp_path / "x.bam", tmp_path / "x.un.fa", mature_args)
    assert (tmp_path / "x.un.fa").read_text() == ""
    # a sample with no read left (all adapter dimers): empty input, empty outputs, zero counts
    empty = tmp_path / "empty.fa"
    write_collapsed_fasta({}, empty)
    run_bowtie(mature_idx, empty, tmp_path / "e.bam", tmp_path / "e.un.fa", mature_args)
    small = smallrna_section()  # the schema's tails and hairpin-to-mature window
    tails = small["non_templated_3p"]["max_length"]
    rule = ArmRule.from_config(small["hairpin_to_mature"])
    assert count_alignments(tmp_path / "e.bam", max_non_templated=tails).aligned_copies == 0
    assert fasta_copies(tmp_path / "e.un.fa") == 0

    mature = count_alignments(tmp_path / "m.bam", max_non_templated=tails)
    arms = arms_as_rule(
        mature_positions({"hsa-miR-21-5p": MIR21}, {"hsa-mir-21": hairpin}), tmp_path
    )
    hairpin_counts = count_alignments(tmp_path / "h.bam", arms, rule, max_non_templated=tails)
    assert mature.features == {"hsa-miR-21-5p": 5.0}
    assert hairpin_counts.arm_features == {"hsa-miR-21-5p": 2.0}
    assert fasta_copies(tmp_path / "h.un.fa") == 1
