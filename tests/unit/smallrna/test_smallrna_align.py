"""bowtie on tiny inputs: mature then hairpin, empty inputs and outputs."""

from __future__ import annotations

import pysam
from esccrt.smallrna import stage
from esccrt.smallrna.align import run_bowtie
from esccrt.smallrna.arms import ArmRule, mature_positions
from esccrt.smallrna.collapse import fasta_copies, write_collapsed_fasta
from esccrt.smallrna.count import count_alignments
from esccrt.smallrna.layout import MIRNA_STEPS
from esccrt.smallrna.settings import BowtieSettings
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


def read_alignments(bam):
    """A BAM's records as SAM lines (the header names the temporary file bowtie wrote)."""
    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        return [read.to_string() for read in handle.fetch(until_eof=True)]


@needs_tools
def test_mirna_steps_in_one_job_equal_the_steps_one_by_one(tmp_path):
    """Rule smallrna_align's entry point: mature then hairpin on the reads mature left, the same
    files as stage.align step by step; each step's log holds its bowtie run only, also when
    the job runs again."""
    extension = MIR21 + "CA"
    hairpin = "TGTCGGG" + extension + "GTCTGACAAGGCAACATCAGTCTGATAAGCTA"
    (tmp_path / "mature.fa").write_text(f">hsa-miR-21-5p\n{MIR21}\n")
    (tmp_path / "hairpin.fa").write_text(f">hsa-mir-21\n{hairpin}\n")
    indexes = {
        "mature": build_index(tmp_path / "mature.fa", tmp_path / "mature"),
        "hairpin": build_index(tmp_path / "hairpin.fa", tmp_path / "hairpin"),
    }
    reads = tmp_path / "collapsed.fa"
    write_collapsed_fasta({MIR21: 5, extension: 2, "ACGTTGCAACGTTGCAACGT": 1}, reads)
    section = smallrna_section()
    steps = [(BowtieSettings.from_config(section, ref), indexes[ref]) for ref in MIRNA_STEPS]

    one_by_one, current = [], reads
    for (settings, index), ref in zip(steps, MIRNA_STEPS, strict=True):
        outputs = stage.AlignOutputs(tmp_path / f"{ref}.bam", tmp_path / f"{ref}.un.fa")
        stage.align(settings, index, stage.AlignInputs(current), outputs, 1, None)
        one_by_one.append(outputs)
        current = outputs.unaligned

    joined = stage.MirnaStepsOutputs(
        tuple(tmp_path / f"job_{ref}.bam" for ref in MIRNA_STEPS),
        tuple(tmp_path / f"job_{ref}.un.fa" for ref in MIRNA_STEPS),
    )
    logs = [tmp_path / f"{ref}.log" for ref in MIRNA_STEPS]
    for _ in range(2):  # the second run replaces the logs, not appends to them
        stage.align_mirna_steps(steps, stage.AlignInputs(reads), joined, 1, logs)
    for outputs, bam, unaligned, log, index in zip(
        one_by_one, joined.bams, joined.unaligned, logs, indexes.values(), strict=True
    ):
        assert read_alignments(bam) == read_alignments(outputs.bam)
        assert unaligned.read_text() == outputs.unaligned.read_text()
        assert log.read_text().count("bowtie ") == 1 and f"-x {index} " in log.read_text()
    assert fasta_copies(joined.unaligned[0]) == 3 and fasta_copies(joined.unaligned[1]) == 1
