"""Trimming: presets -> cutadapt arguments, real cutadapt runs on hand-made reads (inserts,
NEXTflex random bases, QIAseq UMIs), cutadapt's quality trimming, unreadable reads.
"""

from __future__ import annotations

from collections import Counter

import pysam
import pytest
from esccrt.errors import InputError
from esccrt.smallrna.collapse import collapse_reads, umi_from_name
from esccrt.smallrna.presets import QIASEQ_ADAPTER, trim_preset
from esccrt.smallrna.trim import cutadapt_args, exact_adapter_cut, parse_cutadapt_json
from smallrna_helpers import (
    ILLUMINA,
    LET7A,
    MIR21,
    run_cutadapt,
    trim_as_rule,
    trim_settings,
    write_fastq,
)


def test_presets_give_expected_cutadapt_arguments():
    settings = trim_settings(error_rate=0.1, min_overlap=3, quality_cutoff=20)
    illumina = cutadapt_args(trim_preset("illumina"), settings, "in.fq.gz", "o", "r.json")
    assert illumina[:2] == ["-a", f"illumina={ILLUMINA};min_overlap=3"]
    assert illumina[-3:] == ["-o", "o", "in.fq.gz"]
    assert "--discard-untrimmed" not in illumina and "--rename" not in illumina
    assert all(isinstance(a, str) for a in illumina)

    nextflex = cutadapt_args(trim_preset("nextflex"), settings, "in", "o", "r.json")
    assert nextflex[1] == f"nextflex=NNNN{ILLUMINA};min_overlap=7"  # 4 random nt + 3 adapter nt
    assert nextflex[nextflex.index("-u") + 1] == "4"

    qiaseq = cutadapt_args(trim_preset("qiaseq"), settings, "in", "o", "r.json")
    assert qiaseq[1] == f"qiaseq={QIASEQ_ADAPTER}{'N' * 12};min_overlap=31"
    assert (
        "--discard-untrimmed" in qiaseq
        and "{match_sequence}" in qiaseq[qiaseq.index("--rename") + 1]
    )

    custom = cutadapt_args(
        trim_preset("custom", "tcgtatgccgtcttctgcttg"),
        trim_settings(discard_untrimmed=True, quality_cutoff=0),
        "in",
        "o",
        "r.json",
    )
    assert custom[1] == "custom=TCGTATGCCGTCTTCTGCTTG;min_overlap=3"
    assert "--discard-untrimmed" in custom and "-q" not in custom


def test_illumina_trimming_recovers_inserts(tmp_path):
    reads = [
        ("r1", MIR21 + ILLUMINA + "ATCTCGTATG"),
        ("r2", LET7A + ILLUMINA[:10]),  # partial adapter at the read end
        ("r3", ILLUMINA + "ACGTACGTAC"),  # adapter dimer: empty insert
        ("r4", "ACGT" * 10),  # no adapter
    ]
    fastq = write_fastq(tmp_path / "u.fastq", reads)
    trimmed = run_cutadapt(trim_preset("illumina"), fastq, tmp_path)
    seqs = [r.sequence for r in pysam.FastxFile(str(trimmed))]
    assert seqs == [MIR21, LET7A, "", "ACGT" * 10]
    report = parse_cutadapt_json(tmp_path / "u.json")
    assert (report.input, report.adapter_found, report.output) == (4, 3, 4)


def test_nextflex_removes_four_random_bases_at_both_ends(tmp_path):
    reads = [("r1", "GATC" + MIR21 + "TTAG" + ILLUMINA + "AAAAA")]
    trimmed = run_cutadapt(trim_preset("nextflex"), write_fastq(tmp_path / "n.fq", reads), tmp_path)
    assert [r.sequence for r in pysam.FastxFile(str(trimmed))] == [MIR21]


def test_qiaseq_umi_is_extracted_before_trimming_and_deduplicated(tmp_path):
    umi_a, umi_b = "ACGTACGTACGT", "TTTTGGGGCCCC"
    tail = QIASEQ_ADAPTER
    reads = [
        ("r1", MIR21 + tail + umi_a + "AGATCGGAAG"),
        ("r2", MIR21 + tail + umi_a + "AGATCGGAAG"),  # PCR duplicate
        ("r3", MIR21 + tail + umi_b + "AGATCGGAAG"),  # same insert, other molecule
        ("r4", LET7A + tail + umi_a + "AGATCGGAAG"),
        ("r5", LET7A + tail[:15]),  # adapter cut short: no UMI -> discarded by cutadapt
    ]
    fastq = write_fastq(tmp_path / "q.fastq.gz", reads)
    trimmed = run_cutadapt(trim_preset("qiaseq"), fastq, tmp_path)
    records = list(pysam.FastxFile(str(trimmed)))
    assert [r.sequence for r in records] == [MIR21, MIR21, MIR21, LET7A]
    assert umi_from_name(f"{records[0].name} {records[0].comment}", 12) == umi_a
    report = parse_cutadapt_json(tmp_path / "q.fastq.json")
    assert report.no_adapter_discarded == 1

    result = collapse_reads([trimmed], 16, 40, umi_length=12)
    assert dict(result.counts.items()) == {MIR21: 2, LET7A: 1}
    assert result.umi_duplicate == 1 and result.no_umi == 0


def test_exact_adapter_cut_splits_off_random_bases():
    assert exact_adapter_cut("NNNNACGT") == ("ACGT", 4, 0)
    assert exact_adapter_cut("ACGTNNN") == ("ACGT", 0, 3)
    assert exact_adapter_cut("ACNGT") is None


def test_unreadable_reads_are_input_errors_naming_the_file(tmp_path):
    """A broken FASTQ stops trimming with the file named; no output is left behind."""
    bad = tmp_path / "bad.fastq"
    bad.write_text("@r1\nACGTACGT\n+\nIIII\n")
    with pytest.raises(InputError, match=r"test bad.fastq: the reads in '.*bad.fastq'"):
        trim_as_rule(bad, "illumina", "", tmp_path)
    assert not (tmp_path / "bad.distinct.fa").exists()
    assert not list(tmp_path.glob(".*.fa"))


def test_redundant_reads_are_cut_once_per_distinct_read_diverse_ones_read_by_read(monkeypatch):
    """The batching judgement: many copies of the same reads -> each distinct read is cut
    once (with its copy number); nearly all-distinct reads -> cut read by read. The counts are
    the same either way (the cutadapt parity tests run both modes)."""
    import random

    import dnaio
    from esccrt.smallrna import trim

    cut: list[int] = []
    cut_all = trim._AdapterCutter.cut_all

    def counting_cut_all(self, sequences):
        items = list(sequences)
        cut.append(len(items))
        cut_all(self, items)

    monkeypatch.setattr(trim._AdapterCutter, "cut_all", counting_cut_all)
    monkeypatch.setattr(trim, "_READS_PER_BATCH", 500)
    preset, settings = trim_preset("illumina"), trim_settings()
    adapter = trim.cutadapt_adapter(preset, settings)
    rng = random.Random(3)

    def reads(sequences):
        return [dnaio.SequenceRecord(f"r{i}", s, "I" * len(s)) for i, s in enumerate(sequences)]

    redundant = [rng.choice([MIR21, LET7A]) + ILLUMINA for _ in range(2000)]
    tally = trim.tally_reads(reads(redundant), preset, settings, adapter, (16, 40))
    assert sum(cut) == 4 * 2 and tally.reads == 2000  # 4 batches of 2 distinct reads
    assert dict(tally.in_window.items()) == Counter(s[:22] for s in redundant)

    cut.clear()
    diverse = ["".join(rng.choice("ACGT") for _ in range(22)) + ILLUMINA for _ in range(2000)]
    tally = trim.tally_reads(reads(diverse), preset, settings, adapter, (16, 40))
    assert cut == [500, 1500] and tally.in_window.counts == Counter(s[:22] for s in diverse)
