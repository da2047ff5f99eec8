"""Small-RNA arm: presets, UMIs, collapsing, counting rules, references, and real-data checks.

Real-data checks (skipped without ../shared/data): exRNAQC serum/plasma reads against the
project's full-depth counts, and exceRpt's example against exceRpt's own miRNA counts. The demo
check (skipped until `make demo-data` has written resources/demo) compares with the simulator's
planted abundances. All run the arm's Python pieces directly (cutadapt, bowtie, pysam), not
Snakemake, to stay fast.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pysam
import pytest
from esccrt import mirbase, references
from esccrt import smallrna as sr
from esccrt.errors import InputError
from scipy.stats import spearmanr

ILLUMINA = sr.ILLUMINA_ADAPTER
MIR21 = "TAGCTTATCAGACTGATGTTGA"
LET7A = "TGAGGTAGTAGGTTGTATAGTT"
needs_tools = pytest.mark.skipif(
    not (shutil.which("bowtie") and shutil.which("bowtie-build") and shutil.which("samtools")),
    reason="bowtie 1, bowtie-build and samtools are needed on PATH",
)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def write_fastq(path: Path, reads: list[tuple[str, str]]) -> Path:
    """Write (name, sequence) reads with high qualities, gzip-compressed when path ends .gz."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as handle:
        for name, sequence in reads:
            handle.write(f"@{name}\n{sequence}\n+\n{'I' * len(sequence)}\n")
    return path


def run_cutadapt(preset: sr.TrimPreset, fastq: Path, out_dir: Path, **settings) -> Path:
    """Run cutadapt through :func:`esccrt.smallrna.cutadapt_args`; return the trimmed FASTQ."""
    output, report = out_dir / f"{fastq.stem}.trimmed.fastq", out_dir / f"{fastq.stem}.json"
    args = sr.cutadapt_args(preset, sr.TrimSettings(**settings), str(fastq), output, report)
    subprocess.run([sys.executable, "-m", "cutadapt", *args], check=True, capture_output=True)
    return output


def trim_distinct(
    preset: sr.TrimPreset, fastq: Path, out_dir: Path, **settings
) -> tuple[Path, sr.TrimReport]:
    """Trim as rule smallrna_trim does (:func:`esccrt.smallrna.trim_unit`)."""
    output = out_dir / f"{fastq.stem}.distinct.fa"
    with open(out_dir / f"{fastq.stem}.trim.log", "w") as log:
        report = sr.trim_unit(
            str(fastq),
            preset,
            sr.TrimSettings(**settings),
            output,
            out_dir / f"{fastq.stem}.cutadapt.json",
            log,
            f"test {fastq.name}",
        )
    return output, report


def build_index(fasta: Path, prefix: Path) -> str:
    """bowtie-build a small reference quietly."""
    subprocess.run(["bowtie-build", "-q", str(fasta), str(prefix)], check=True)
    return str(prefix)


def write_bam(path: Path, references: dict[str, int], reads: list[dict]) -> Path:
    """A hand-made BAM: reads are dicts with name, ref, pos, seq, and optional reverse, nm."""
    header = {"HD": {"VN": "1.0"}, "SQ": [{"SN": n, "LN": ln} for n, ln in references.items()]}
    names = list(references)
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for spec in reads:
            read = pysam.AlignedSegment()
            read.query_name = spec["name"]
            read.query_sequence = spec["seq"]
            read.flag = 16 if spec.get("reverse") else 0
            read.reference_id = names.index(spec["ref"])
            read.reference_start = spec["pos"]
            read.mapping_quality = 255
            read.cigarstring = f"{len(spec['seq'])}M"
            read.set_tag("NM", spec.get("nm", 0))
            out.write(read)
    return path


# ---------------------------------------------------------------------------------------------
# presets -> cutadapt arguments
# ---------------------------------------------------------------------------------------------


def test_presets_give_expected_cutadapt_arguments():
    settings = sr.TrimSettings(error_rate=0.1, min_overlap=3, quality_cutoff=20)
    illumina = sr.cutadapt_args(sr.trim_preset("illumina"), settings, "in.fq.gz", "o", "r.json")
    assert illumina[:2] == ["-a", f"illumina={ILLUMINA};min_overlap=3"]
    assert illumina[-3:] == ["-o", "o", "in.fq.gz"]
    assert "--discard-untrimmed" not in illumina and "--rename" not in illumina
    assert all(isinstance(a, str) for a in illumina)

    nextflex = sr.cutadapt_args(sr.trim_preset("nextflex"), settings, "in", "o", "r.json")
    assert nextflex[1] == f"nextflex=NNNN{ILLUMINA};min_overlap=7"  # 4 random nt + 3 adapter nt
    assert nextflex[nextflex.index("-u") + 1] == "4"

    qiaseq = sr.cutadapt_args(sr.trim_preset("qiaseq"), settings, "in", "o", "r.json")
    assert qiaseq[1] == f"qiaseq={sr.QIASEQ_ADAPTER}{'N' * 12};min_overlap=31"
    assert (
        "--discard-untrimmed" in qiaseq
        and "{match_sequence}" in qiaseq[qiaseq.index("--rename") + 1]
    )

    custom = sr.cutadapt_args(
        sr.trim_preset("custom", "tcgtatgccgtcttctgcttg"),
        sr.TrimSettings(discard_untrimmed=True, quality_cutoff=0),
        "in",
        "o",
        "r.json",
    )
    assert custom[1] == "custom=TCGTATGCCGTCTTCTGCTTG;min_overlap=3"
    assert "--discard-untrimmed" in custom and "-q" not in custom


@pytest.mark.parametrize("adapter", ["", "ACGT; rm -rf /", "ACGU"])
def test_custom_preset_rejects_bad_adapter(adapter):
    with pytest.raises(InputError, match="adapter"):
        sr.trim_preset("custom", adapter)


def test_unknown_protocol_is_an_input_error():
    with pytest.raises(InputError, match="nebnext"):
        sr.trim_preset("nebnext")


# ---------------------------------------------------------------------------------------------
# real cutadapt runs on hand-made reads: inserts, NEXTflex random bases, QIAseq UMIs
# ---------------------------------------------------------------------------------------------


def test_illumina_trimming_recovers_inserts(tmp_path):
    reads = [
        ("r1", MIR21 + ILLUMINA + "ATCTCGTATG"),
        ("r2", LET7A + ILLUMINA[:10]),  # partial adapter at the read end
        ("r3", ILLUMINA + "ACGTACGTAC"),  # adapter dimer: empty insert
        ("r4", "ACGT" * 10),  # no adapter
    ]
    fastq = write_fastq(tmp_path / "u.fastq", reads)
    trimmed = run_cutadapt(sr.trim_preset("illumina"), fastq, tmp_path)
    seqs = [r.sequence for r in pysam.FastxFile(str(trimmed))]
    assert seqs == [MIR21, LET7A, "", "ACGT" * 10]
    report = sr.parse_cutadapt_json(tmp_path / "u.json")
    assert (report.input, report.adapter_found, report.output) == (4, 3, 4)


def test_nextflex_removes_four_random_bases_at_both_ends(tmp_path):
    reads = [("r1", "GATC" + MIR21 + "TTAG" + ILLUMINA + "AAAAA")]
    trimmed = run_cutadapt(
        sr.trim_preset("nextflex"), write_fastq(tmp_path / "n.fq", reads), tmp_path
    )
    assert [r.sequence for r in pysam.FastxFile(str(trimmed))] == [MIR21]


def test_qiaseq_umi_is_extracted_before_trimming_and_deduplicated(tmp_path):
    umi_a, umi_b = "ACGTACGTACGT", "TTTTGGGGCCCC"
    tail = sr.QIASEQ_ADAPTER
    reads = [
        ("r1", MIR21 + tail + umi_a + "AGATCGGAAG"),
        ("r2", MIR21 + tail + umi_a + "AGATCGGAAG"),  # PCR duplicate
        ("r3", MIR21 + tail + umi_b + "AGATCGGAAG"),  # same insert, other molecule
        ("r4", LET7A + tail + umi_a + "AGATCGGAAG"),
        ("r5", LET7A + tail[:15]),  # adapter cut short: no UMI -> discarded by cutadapt
    ]
    fastq = write_fastq(tmp_path / "q.fastq.gz", reads)
    trimmed = run_cutadapt(sr.trim_preset("qiaseq"), fastq, tmp_path)
    records = list(pysam.FastxFile(str(trimmed)))
    assert [r.sequence for r in records] == [MIR21, MIR21, MIR21, LET7A]
    assert sr.umi_from_name(f"{records[0].name} {records[0].comment}", 12) == umi_a
    report = sr.parse_cutadapt_json(tmp_path / "q.fastq.json")
    assert report.no_adapter_discarded == 1

    result = sr.collapse_reads([trimmed], 16, 40, umi_length=12)
    assert result.counts == {MIR21: 2, LET7A: 1}
    assert result.umi_duplicate == 1 and result.no_umi == 0


def test_quality_trim_stop_follows_cutadapt():
    """cutadapt's 3' algorithm: cut where the running sum of (cutoff - quality) peaks."""
    assert sr.quality_trim_stop("IIIII", 20) == 5  # all above: nothing trimmed
    assert sr.quality_trim_stop("IIII#", 20) == 4  # '#' = 2
    assert sr.quality_trim_stop("I#I#I", 20) == 5  # a good last base stops it at once
    assert sr.quality_trim_stop("II#I#", 20) == 4  # the good base before does not pay back
    assert sr.quality_trim_stop("I#5##", 20) == 1  # '5' = 20 adds nothing; peak after it
    assert sr.quality_trim_stop("#####", 20) == 0  # everything trimmed
    assert sr.quality_trim_stop("", 20) == 0
    assert sr.exact_adapter_cut("NNNNACGT") == ("ACGT", 4, 0)
    assert sr.exact_adapter_cut("ACGTNNN") == ("ACGT", 0, 3)
    assert sr.exact_adapter_cut("ACNGT") is None


def _mixed_reads(seed: int, adapter: str, n: int = 3000) -> list[tuple[str, str, str]]:
    """Reads that exercise every trimming case: (name, sequence, qualities)."""
    import random

    rng = random.Random(seed)
    inserts = [MIR21, LET7A, MIR21[:15], "", "ACGT" * 9, MIR21 + "A"]
    reads = []
    for i in range(n):
        insert = rng.choice(inserts)
        tail = "".join(rng.choice("ACGT") for _ in range(rng.choice([0, 5, 12, 20])))
        kind = rng.random()
        if kind < 0.5:
            body = insert + adapter + tail
        elif kind < 0.6:
            body = insert + adapter[: rng.randint(1, len(adapter) - 1)]  # partial at the end
        elif kind < 0.7:
            body = insert + adapter + insert + adapter  # adapter twice
        elif kind < 0.8:  # one error in the adapter
            at = rng.randrange(len(adapter))
            body = insert + adapter[:at] + rng.choice("ACGT") + adapter[at + 1 :] + tail
        elif kind < 0.9:
            body = insert + tail  # no adapter
        else:
            body = "".join(rng.choice("ACGTN") for _ in range(rng.randint(10, 60)))
        body = body.replace("N", rng.choice("ACGT")) if rng.random() < 0.5 else body
        body = body or "A"
        quality = [rng.choice("I:F") for _ in body]
        if rng.random() < 0.4:  # low-quality 3' end of random length
            for j in range(max(0, len(body) - rng.randint(1, 30)), len(body)):
                quality[j] = rng.choice("#+,5")
        reads.append((f"r{i}", body, "".join(quality)))
    return reads + reads[: n // 3]  # duplicates, as real libraries have


def _same_as_cutadapt_on_every_read(preset, fastq: Path, work: Path, umi: int = 0, **settings):
    """trim_unit + collapse == cutadapt on every read + collapse, read for read."""
    every = run_cutadapt(preset, fastq, work, **settings)
    cutadapt_report = sr.parse_cutadapt_json(work / f"{fastq.stem}.json")
    distinct, report = trim_distinct(preset, fastq, work, **settings)
    ours = sr.collapse_reads([distinct], 16, 40, umi_length=umi)
    theirs = sr.collapse_reads([every], 16, 40, umi_length=umi)
    assert ours == theirs
    assert (report.input, report.adapter_found, report.no_adapter_discarded, report.output) == (
        cutadapt_report.input,
        cutadapt_report.adapter_found,
        cutadapt_report.no_adapter_discarded,
        cutadapt_report.output,
    )
    assert 0 < report.unique_sequences < report.input
    return report


@pytest.mark.parametrize("protocol", ["illumina", "nextflex", "qiaseq", "custom"])
@pytest.mark.parametrize("discard_untrimmed", [False, True])
def test_distinct_read_trimming_equals_cutadapt_on_every_read(
    tmp_path, protocol, discard_untrimmed
):
    """Collapsing before cutadapt (quality trimming done here, reads cut behind an exact
    adapter) changes no insert, length, UMI or report number, for every preset."""
    preset = sr.trim_preset(protocol, "AGATCGGAAGAGC")
    adapter = {"qiaseq": sr.QIASEQ_ADAPTER + "ACGTACGTACGT", "custom": "AGATCGGAAGAGC"}.get(
        protocol, sr.ILLUMINA_ADAPTER
    )
    reads = _mixed_reads(7, adapter)
    if protocol == "nextflex":
        reads = [(name, "GATC" + seq, "IIII" + qual) for name, seq, qual in reads]
    fastq = tmp_path / "mixed.fastq.gz"
    with gzip.open(fastq, "wt") as handle:
        handle.writelines(f"@{name}\n{seq}\n+\n{qual}\n" for name, seq, qual in reads)
    umi = preset.umi_length
    report = _same_as_cutadapt_on_every_read(
        preset, fastq, tmp_path, umi, discard_untrimmed=discard_untrimmed
    )
    assert report.adapter_found > 0
    assert (report.output < report.input) == (discard_untrimmed or protocol == "qiaseq")


def test_distinct_read_trimming_equals_cutadapt_on_real_reads(shared_data, tmp_path):
    """The same on the real exRNAQC serum/plasma reads and the exceRpt example."""
    exrnaqc = shared_data / "smallrna_fastq" / "exrnaqc_serum_plasma"
    for stem in EXRNAQC.values():
        fastq = exrnaqc / f"{stem}.fastq.gz"
        _same_as_cutadapt_on_every_read(sr.trim_preset("illumina"), fastq, tmp_path)
    folder = shared_data / "smallrna_fastq" / "excerpt_example"
    adapter = (folder / "outputs" / "testData_human.fastq.adapterSeq").read_text().strip()
    fastq = folder / "testData_human.fastq.gz"
    _same_as_cutadapt_on_every_read(sr.trim_preset("custom", adapter), fastq, tmp_path)


def test_unreadable_reads_are_input_errors_naming_the_file(tmp_path):
    """A broken FASTQ stops trimming with the file named; no output is left behind."""
    bad = tmp_path / "bad.fastq"
    bad.write_text("@r1\nACGTACGT\n+\nIIII\n")
    with pytest.raises(InputError, match=r"test bad.fastq: the reads in '.*bad.fastq'"):
        trim_distinct(sr.trim_preset("illumina"), bad, tmp_path)
    assert not (tmp_path / "bad.distinct.fa").exists()
    assert not list(tmp_path.glob(".*.fa"))


def test_umi_from_name_handles_missing_or_short_field():
    assert sr.umi_from_name("read1 umi=AACTGTAGGCACCATCAATACGTACGTACGT", 12) == "ACGTACGTACGT"
    assert sr.umi_from_name("read1 umi=", 12) is None
    assert sr.umi_from_name("read1", 12) is None


# ---------------------------------------------------------------------------------------------
# collapsing
# ---------------------------------------------------------------------------------------------


def test_collapse_counts_lengths_and_writes_mirdeep_style_fasta(tmp_path):
    lane1 = write_fastq(tmp_path / "l1.fq", [("a", MIR21), ("b", MIR21), ("c", "ACGT"), ("d", "")])
    lane2 = write_fastq(tmp_path / "l2.fq", [("e", MIR21), ("f", LET7A), ("g", "A" * 45)])
    result = sr.collapse_reads([lane1, lane2], min_length=16, max_length=40)
    assert result.counts == {MIR21: 3, LET7A: 1}
    assert (result.reads, result.too_short, result.too_long, result.kept) == (7, 2, 1, 4)
    assert result.lengths == {22: 4, 4: 1, 0: 1, 45: 1}

    fasta = tmp_path / "c.fa"
    assert sr.write_collapsed_fasta(result.counts, fasta) == 2
    assert fasta.read_text() == f">seq1_x3\n{MIR21}\n>seq2_x1\n{LET7A}\n"
    assert sr.fasta_copies(fasta) == 4
    assert sr.copy_number("seq7_x120") == 120
    assert sr.copy_number("plain_read") == 1


# ---------------------------------------------------------------------------------------------
# counting: copy numbers, the multi-mapper rule, strand, hairpin arms, matrix rounding
# ---------------------------------------------------------------------------------------------


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
    counts = sr.count_alignments(bam)
    assert counts.features == pytest.approx(
        {"miR-a": 3.5 + 1 / 3, "miR-b": 1.5 + 1 / 3, "miR-c": 1 / 3}
    )
    assert counts.aligned_copies == 6
    assert counts.antisense_only_copies == 5
    assert counts.isomirs["miR-c"] == pytest.approx({"canonical": 1 / 3})

    # matrix-level rounding (half up) of the fractional sums; every reference feature listed
    matrix = sr.count_matrix(
        {"s2": counts.features, "s1": {"miR-b": 0.5}}, ["miR-a", "miR-b", "miR-c", "miR-d"]
    )
    assert list(matrix.columns) == ["feature", "s1", "s2"]
    assert matrix["s2"].tolist() == [4, 2, 0, 0]
    assert matrix["s1"].tolist() == [0, 1, 0, 0]
    assert all(str(dtype) == "int64" for dtype in matrix.dtypes[1:])
    with pytest.raises(ValueError, match="missing from the reference"):
        sr.count_matrix({"s1": {"miR-x": 1.0}}, ["miR-a"])


@pytest.mark.parametrize(
    ("offset5", "offset3", "mismatches", "expected"),
    [
        (0, 0, 0, "canonical"),
        (0, 0, 1, "mismatch"),
        (1, 0, 0, "shifted_5p"),
        (-1, 2, 0, "shifted_5p"),
        (0, -2, 0, "trimmed_3p"),
        (0, 3, 0, "extended_3p"),
    ],
)
def test_isomir_classes(offset5, offset3, mismatches, expected):
    assert sr.isomir_class(offset5, offset3, mismatches) == expected


def test_hairpin_reads_are_credited_to_the_mature_arm_they_lie_in(tmp_path):
    hairpin = "GGG" + MIR21 + "CCCCCCCCCCCCCCCCCCCC" + LET7A + "GGG"
    table = sr.mature_positions({"miR-21-5p": MIR21, "let-7a-5p": LET7A}, {"mir-21": hairpin})
    assert table.to_dict("records") == [
        {"hairpin": "mir-21", "mature": "miR-21-5p", "start": 3, "end": 25},
        {"hairpin": "mir-21", "mature": "let-7a-5p", "start": 45, "end": 67},
    ]
    arms = sr.arms_from_table(table)
    bam = write_bam(
        tmp_path / "h.bam",
        {"mir-21": len(hairpin)},
        [
            {"name": "seq1_x4", "ref": "mir-21", "pos": 2, "seq": hairpin[2:28]},  # -1 / +3 nt
            {"name": "seq2_x2", "ref": "mir-21", "pos": 10, "seq": hairpin[10:40]},  # loop
            {"name": "seq3_x1", "ref": "mir-21", "pos": 45, "seq": hairpin[45:68], "nm": 3},
        ],
    )
    counts = sr.count_alignments(bam, arms, sr.ArmRule(upstream=2, downstream=5, max_mismatches=1))
    assert counts.arm_features == {"miR-21-5p": 4.0}
    assert counts.arm_copies == 4
    assert counts.isomirs == {"miR-21-5p": {"shifted_5p": 4.0}}
    assert counts.features == {"mir-21": 7.0}
    assert sr.arm_of(arms, "mir-21", 0, 25, 0, sr.ArmRule(upstream=2)) is None  # 3 nt upstream


def test_read_fate_must_account_for_every_read():
    trim = sr.TrimReport(input=100, adapter_found=90, no_adapter_discarded=0, output=100)
    mature = sr.AlignmentCounts({"m": 50.0}, 50, 0)
    hairpin = sr.AlignmentCounts({"h": 10.0}, 10, 0, {"m": 4.0}, 4)
    collapsed = {"too_short": 20, "too_long": 5, "umi_duplicate": 0, "no_umi": 0}
    fate = sr.sample_fate("s1", [trim], collapsed, None, mature, hairpin, unaligned_copies=15)
    assert (fate.mature, fate.hairpin_only, fate.unassigned) == (54, 6, 15)
    with pytest.raises(RuntimeError, match="does not add up"):
        sr.sample_fate("s1", [trim], collapsed, None, mature, hairpin, unaligned_copies=14)

    table, warnings = sr.read_fate_table([fate], min_adapter_fraction=0.95)
    assert table.loc[0, "adapter_fraction"] == 0.9 and bool(table.loc[0, "adapter_warning"])
    assert "s1" in warnings[0] and "90.0%" in warnings[0]


def test_qc_gate_names_failing_samples():
    gate = sr.qc_gate({"good": 15000.4, "poor": 99.6}, min_mirna_reads=10000)
    assert gate["passed"].tolist() == [True, False]
    assert gate.loc[1, "mirna_reads"] == 100
    assert "min_mirna_reads" in gate.loc[1, "reason"] and gate.loc[0, "reason"] == ""


# ---------------------------------------------------------------------------------------------
# references
# ---------------------------------------------------------------------------------------------


def test_reference_is_filtered_converted_and_checksummed(tmp_path):
    source = tmp_path / "mature.fa.gz"
    with gzip.open(source, "wt") as handle:
        handle.write(
            ">hsa-miR-21-5p MIMAT0000076 Homo sapiens miR-21-5p\nUAGCUUAUCAGACUGA\nUGUUGA\n"
        )
        handle.write(">mmu-miR-21a-5p MIMAT0000530 Mus musculus\nUAGCUUAUCAGACUGAUGUUGA\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "ref" / "mature.fa"
    assert mirbase.prepare_reference(str(source), out, "hsa", sha256=digest) == 1
    assert out.read_text() == f">hsa-miR-21-5p\n{MIR21}\n"
    with pytest.raises(InputError, match="SHA-256"):
        mirbase.prepare_reference(str(source), tmp_path / "x.fa", "hsa", sha256="0" * 64)
    assert not (tmp_path / "x.fa").exists()
    with pytest.raises(InputError, match="no entry for species 'rno'"):
        mirbase.prepare_reference(str(source), tmp_path / "x.fa", "rno")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<!DOCTYPE html><html><body>Moved</body></html>\n", "HTML page"),
        (">hsa-a\nACGU\n>hsa-a\nACGU\n", "occurs more than once"),
        (">hsa-a\nACGU{}\n", "unexpected character"),
        ("", "empty"),
    ],
)
def test_bad_reference_files_are_named_in_the_error(tmp_path, content, message):
    bad = tmp_path / "hairpin.fa"
    bad.write_text(content)
    with pytest.raises(InputError, match=message) as error:
        mirbase.prepare_reference(str(bad), tmp_path / "out.fa", "hsa")
    assert "hairpin.fa" in str(error.value)


@pytest.fixture
def http_folder(tmp_path):
    """Serve ``tmp_path / 'www'`` on a local HTTP port for download tests; yields (folder, url)."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_reference_download_checks_checksum_and_html(http_folder, tmp_path):
    folder, url = http_folder
    (folder / "hairpin.fa").write_text(">hsa-mir-21 MI0000077\nUGUCGGGUAGCUUAUCAGACUGAUGUUGA\n")
    (folder / "moved.html").write_text("<html><head><title>Moved</title></head></html>\n")
    digest = hashlib.sha256((folder / "hairpin.fa").read_bytes()).hexdigest()
    out = tmp_path / "hairpin.fa"
    assert mirbase.prepare_reference(f"{url}/hairpin.fa", out, "hsa", sha256=digest) == 1
    assert out.read_text() == ">hsa-mir-21\nTGTCGGGTAGCTTATCAGACTGATGTTGA\n"
    with pytest.raises(InputError, match="SHA-256"):
        mirbase.prepare_reference(f"{url}/hairpin.fa", tmp_path / "x.fa", "hsa", sha256="1" * 64)
    with pytest.raises(InputError, match=r"moved\.html.*HTML page"):
        mirbase.prepare_reference(f"{url}/moved.html", tmp_path / "x.fa", "hsa")
    with pytest.raises(InputError, match="could not download"):
        mirbase.prepare_reference(f"{url}/missing.fa", tmp_path / "x.fa", "hsa")
    assert not (tmp_path / "x.fa").exists()
    assert not list(tmp_path.glob(".*.part")) and not list(tmp_path.glob(".*.source"))


def test_missing_reference_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        references.fetch(str(tmp_path / "nope.fa"), tmp_path / "out.fa")


# ---------------------------------------------------------------------------------------------
# bowtie on tiny inputs
# ---------------------------------------------------------------------------------------------


@needs_tools
def test_bowtie_mature_then_hairpin_chain(tmp_path):
    extension = MIR21 + "CA"  # templated 3' extension: not within the mature sequence
    hairpin = "TGTCGGG" + extension + "GTCTGACAAGGCAACATCAGTCTGATAAGCTA"
    (tmp_path / "mature.fa").write_text(f">hsa-miR-21-5p\n{MIR21}\n")
    (tmp_path / "hairpin.fa").write_text(f">hsa-mir-21\n{hairpin}\n")
    mature_idx = build_index(tmp_path / "mature.fa", tmp_path / "mature")
    hairpin_idx = build_index(tmp_path / "hairpin.fa", tmp_path / "hairpin")
    reads = tmp_path / "collapsed.fa"
    sr.write_collapsed_fasta({MIR21: 5, extension: 2, "ACGTTGCAACGTTGCAACGT": 1}, reads)
    mature_args = ["-n", "0", "-l", "15", "-e", "99999", "-k", "50", "--best", "--strata", "--norc"]
    sr.run_bowtie(mature_idx, reads, tmp_path / "m.bam", tmp_path / "m.un.fa", mature_args)
    sr.run_bowtie(
        hairpin_idx, tmp_path / "m.un.fa", tmp_path / "h.bam", tmp_path / "h.un.fa", mature_args
    )
    # every read aligned: bowtie writes no --un file, the step must still leave an empty one
    only_mature = tmp_path / "only_mature.fa"
    sr.write_collapsed_fasta({MIR21: 1}, only_mature)
    sr.run_bowtie(mature_idx, only_mature, tmp_path / "x.bam", tmp_path / "x.un.fa", mature_args)
    assert (tmp_path / "x.un.fa").read_text() == ""
    # a sample with no read left (all adapter dimers): empty input, empty outputs, zero counts
    empty = tmp_path / "empty.fa"
    sr.write_collapsed_fasta({}, empty)
    sr.run_bowtie(mature_idx, empty, tmp_path / "e.bam", tmp_path / "e.un.fa", mature_args)
    assert sr.count_alignments(tmp_path / "e.bam").aligned_copies == 0
    assert sr.fasta_copies(tmp_path / "e.un.fa") == 0

    mature = sr.count_alignments(tmp_path / "m.bam")
    arms = sr.arms_from_table(
        sr.mature_positions({"hsa-miR-21-5p": MIR21}, {"hsa-mir-21": hairpin})
    )
    hairpin_counts = sr.count_alignments(tmp_path / "h.bam", arms)
    assert mature.features == {"hsa-miR-21-5p": 5.0}
    assert hairpin_counts.arm_features == {"hsa-miR-21-5p": 2.0}
    assert sr.fasta_copies(tmp_path / "h.un.fa") == 1


# ---------------------------------------------------------------------------------------------
# real data: exRNAQC serum/plasma, exceRpt example, demo
# ---------------------------------------------------------------------------------------------

BOWTIE = sr.TrimSettings()
MATURE_ARGS = ["-n", "0", "-l", "15", "-e", "99999", "-k", "50", "--best", "--strata", "--norc"]
HAIRPIN_ARGS = ["-n", "1", "-l", "15", "-e", "99999", "-k", "50", "--best", "--strata", "--norc"]
CONTAMINANT_ARGS = ["-n", "1", "-l", "15", "-e", "99999", "-k", "1", "--best"]


class References:
    """Prepared mature/hairpin (+ contaminants) FASTA, bowtie indexes and hairpin arms."""

    def __init__(self, folder: Path, mature: Path, hairpin: Path, contaminants: Path | None):
        folder.mkdir(parents=True, exist_ok=True)
        self.index: dict[str, str] = {}
        sources = {"mature": mature, "hairpin": hairpin, "contaminants": contaminants}
        for kind, source in sources.items():
            if source is None:
                continue
            fasta = folder / f"{kind}.fa"
            mirbase.prepare_reference(str(source), fasta, None if kind == "contaminants" else "hsa")
            self.index[kind] = build_index(fasta, folder / kind)
        self.mature_names = [r.name for r in mirbase.read_fasta(folder / "mature.fa")]
        self.arms = sr.arms_from_table(
            sr.mature_positions(
                {r.name: r.sequence for r in mirbase.read_fasta(folder / "mature.fa")},
                {r.name: r.sequence for r in mirbase.read_fasta(folder / "hairpin.fa")},
            )
        )


def quantify(fastq: Path, protocol: str, adapter: str, refs: References, work: Path) -> dict:
    """The arm's steps for one single-unit sample; returns mature counts and the read fate."""
    work.mkdir(parents=True, exist_ok=True)
    trimmed, trim_report = trim_distinct(sr.trim_preset(protocol, adapter), fastq, work)
    result = sr.collapse_reads([trimmed], 16, 40)
    reads = work / "collapsed.fa"
    sr.write_collapsed_fasta(result.counts, reads)
    steps = {"contaminants": CONTAMINANT_ARGS, "mature": MATURE_ARGS, "hairpin": HAIRPIN_ARGS}
    counts = {}
    for kind, args in steps.items():
        if kind not in refs.index:
            continue
        bam, unaligned = work / f"{kind}.bam", work / f"{kind}.un.fa"
        sr.run_bowtie(refs.index[kind], reads, bam, unaligned, args, log=work / "bowtie.log")
        counts[kind] = sr.count_alignments(bam, refs.arms if kind == "hairpin" else None)
        reads = unaligned
    collapsed = {"too_short": result.too_short, "too_long": result.too_long}
    fate = sr.sample_fate(
        fastq.name,
        [trim_report],
        collapsed,
        counts.get("contaminants"),
        counts["mature"],
        counts["hairpin"],
        sr.fasta_copies(reads),
    )
    mature = sr.add_counts(counts["mature"].features, counts["hairpin"].arm_features)
    return {"mature": mature, "fate": fate}


def mature_matrix(per_sample: dict[str, dict], refs: References) -> pd.DataFrame:
    """Count matrix (features as index) from :func:`quantify` results."""
    matrix = sr.count_matrix({s: r["mature"] for s, r in per_sample.items()}, refs.mature_names)
    return matrix.set_index("feature")


@pytest.fixture(scope="module")
def mirbase_refs(shared_data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("mirbase")
    if not shutil.which("bowtie"):
        pytest.skip("bowtie 1 is not installed")
    return References(
        folder, shared_data / "mirbase" / "mature.fa", shared_data / "mirbase" / "hairpin.fa", None
    )


EXRNAQC = {
    "RNA014937": "RNA014937_S1_R1",
    "RNA014938": "RNA014938_S2_R1",
    "RNA014939": "RNA014939_S3_R1",
}


def test_exrnaqc_serum_plasma_top_mirnas_match_full_depth(shared_data, mirbase_refs, tmp_path):
    folder = shared_data / "smallrna_fastq" / "exrnaqc_serum_plasma"
    results = {
        sample: quantify(
            folder / f"{stem}.fastq.gz", "illumina", "", mirbase_refs, tmp_path / sample
        )
        for sample, stem in EXRNAQC.items()
    }
    ours = mature_matrix(results, mirbase_refs)
    reference = pd.read_csv(
        folder / "full_depth_reference" / "allmiRs_subs.txt", sep="\t", index_col=0
    )
    mimat_to_name = {
        r.header.split()[1]: r.name
        for r in mirbase.read_fasta(shared_data / "mirbase" / "mature.fa")
    }
    for sample, result in results.items():
        assert result["fate"].input == 10000
        assert result["fate"].adapter_found / 10000 > 0.95
        top = ours[sample].sort_values(ascending=False)
        assert top.index[0] == "hsa-miR-486-5p", f"{sample}: top miRNA is {top.index[0]}"
        full = reference[sample].fillna(0).sort_values(ascending=False).head(10)
        full_names = {mimat_to_name[mimat] for mimat in full.index}
        overlap = len(set(top.head(10).index) & full_names)
        assert overlap >= 6, f"{sample}: top-10 overlap with full depth only {overlap}"
    # measured: overlap 10, 9, 10 of 10; miR-486-5p 37-50 % of mature reads (53/46/70 % at depth)


def test_excerpt_example_matches_excerpt_mature_counts(shared_data, mirbase_refs, tmp_path):
    folder = shared_data / "smallrna_fastq" / "excerpt_example"
    adapter = (folder / "outputs" / "testData_human.fastq.adapterSeq").read_text().strip()
    result = quantify(folder / "testData_human.fastq.gz", "custom", adapter, mirbase_refs, tmp_path)
    ours = mature_matrix({"ex": result}, mirbase_refs)["ex"]
    theirs = pd.read_csv(folder / "outputs" / "readCounts_miRNAmature_sense.txt", sep="\t")
    theirs.index = theirs["ReferenceID"].str.split(":").str[0]
    both = [m for m in theirs.index if m in ours.index and ours[m] > 0]
    assert len(both) >= 10, f"only {len(both)} miRNAs detected by both"
    rho = spearmanr(ours[both], theirs.loc[both, "totalReadCount"]).statistic
    assert rho >= 0.8, f"Spearman {rho:.3f} over {len(both)} miRNAs"
    assert ours.idxmax() == "hsa-miR-101-3p" and ours.max() == 13  # exceRpt: 13 reads
    # measured: rho 0.906 over 15 shared miRNAs; exceRpt's miRNA_sense 35, ours 34 mature reads


DEMO = Path(__file__).resolve().parents[1] / "resources" / "demo" / "smallrna"


def test_demo_counts_follow_planted_abundances(tmp_path_factory):
    truth_path = DEMO / "truth_abundance.tsv"
    if not truth_path.is_file():
        pytest.skip(f"demo data not generated ({truth_path} missing): run `make demo-data`")
    if not shutil.which("bowtie"):
        pytest.skip("bowtie 1 is not installed")
    folder = tmp_path_factory.mktemp("demo")
    contaminants = DEMO / "contaminants.fa"
    refs = References(
        folder / "ref",
        DEMO / "mature.fa",
        DEMO / "hairpin.fa",
        contaminants if contaminants.is_file() else None,
    )
    truth = pd.read_csv(truth_path, sep="\t", index_col="feature")
    results = {
        sample: quantify(
            DEMO / "reads" / f"{sample}.fastq.gz", "illumina", "", refs, folder / sample
        )
        for sample in truth.columns
    }
    ours = mature_matrix(results, refs)
    for sample in truth.columns:
        expressed = truth.index[truth[sample] >= 10]
        rho = spearmanr(ours.loc[expressed, sample], truth.loc[expressed, sample]).statistic
        assert rho >= 0.95, f"{sample}: Spearman {rho:.3f} over {len(expressed)} miRNAs"
    classes_path = DEMO / "truth_read_classes.tsv"
    if classes_path.is_file():  # the simulator's own read classes: check the read fate too
        classes = pd.read_csv(classes_path, sep="\t").pivot(
            index="sample", columns="read_class", values="reads"
        )
        for sample in truth.columns:
            fate = results[sample]["fate"]
            assert fate.mature >= 0.95 * classes.loc[sample, "mirna"], sample
            assert fate.mature <= classes.loc[sample, "mirna"], sample
            assert (
                abs(fate.contaminant - classes.loc[sample, "contaminant"])
                <= 0.02 * classes.loc[sample, "contaminant"]
            ), sample
    # measured: Spearman 0.9997-0.9999; mature = 97.3-97.6 % of the simulated miRNA reads


# ---------------------------------------------------------------------------------------------
# config schema
# ---------------------------------------------------------------------------------------------


def test_schema_describes_every_setting_and_fills_defaults(repo_root):
    import yaml
    from snakemake.utils import validate

    schema_path = repo_root / "workflow" / "schemas" / "smallrna.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    assert schema["required"] == ["mature", "hairpin"]

    def undocumented(node: dict, where: str) -> list[str]:
        missing = []
        for name, spec in node.get("properties", {}).items():
            if not spec.get("description"):
                missing.append(f"{where}{name}")
            missing += undocumented(spec, f"{where}{name}.")
        return missing

    assert undocumented(schema, "") == []
    config = {"mature": "mature.fa", "hairpin": "hairpin.fa"}
    validate(config, str(schema_path))
    assert config["species"] == "hsa" and (config["min_length"], config["max_length"]) == (16, 40)
    assert "--norc" in config["bowtie"]["mature"]
    assert config["hairpin_to_mature"] == {
        "enabled": True,
        "upstream": 2,
        "downstream": 5,
        "max_mismatches": 1,
    }
    with pytest.raises(Exception, match="min_mirna_read"):
        validate({"mature": "m", "hairpin": "h", "min_mirna_read": 5}, str(schema_path))
