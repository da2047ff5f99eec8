"""mRNA arm: trimming arguments, GTF checks, strandedness, and counts identical to htseq-count.

The reference for counting is the ``htseq-count`` command line of HTSeq 2.1.2 (run here on the
same BAMs with the same options) and, as an independent second tool, subread's featureCounts.
Real reads: nf-core test data (human chr22 slice, paired-end; yeast chrI, single-end).
"""

from __future__ import annotations

import gzip
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt import gtf as gtfmod
from esccrt import mrna, references
from esccrt.errors import InputError

REPO = Path(__file__).resolve().parents[1]
HTSEQ_COUNT = Path(sys.executable).parent / "htseq-count"
TRUSEQ = {"r1": "AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "r2": "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"}
PRESETS = {"truseq": TRUSEQ, "nextera": {"r1": "CTGTCTCTTATACACATCT", "r2": "CTGTCTCTTATACACATCT"}}
HTSEQ_OPTIONS = [
    "-f", "bam", "-r", "pos", "-t", "exon", "-i", "gene_id", "-m", "union",
    "--nonunique", "none", "-a", "10", "--secondary-alignments", "ignore",
    "--supplementary-alignments", "ignore", "--additional-attr", "gene_name",
]  # fmt: skip
YEAST_SAMPLES = ["SRR4238351", "SRR4238379"]

needs_featurecounts = pytest.mark.skipif(
    shutil.which("featureCounts") is None, reason="featureCounts not installed (Debian subread)"
)
needs_tools = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("hisat2", "hisat2-build", "samtools")),
    reason="hisat2/samtools not installed (Debian packages hisat2, samtools)",
)


# ----------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------


def htseq_count_cli(
    bam: Path, gtf: Path, stranded: str, out: Path, extra: tuple[str, ...] = ()
) -> Path:
    """Run the reference ``htseq-count`` command line (``extra`` options override ours)."""
    with out.open("w") as handle:
        subprocess.run(
            [str(HTSEQ_COUNT), *HTSEQ_OPTIONS, *extra, "-s", stranded, "-q", str(bam), str(gtf)],
            stdout=handle,
            check=True,
        )
    return out


def ours(bam: Path, gtf: Path, stranded: str, out: Path) -> Path:
    """Count with the workflow's functions and write the same table format."""
    features = mrna.load_features(gtf, stranded=stranded != "no")
    result = mrna.count_bam(bam, features, stranded)
    mrna.write_htseq_table(result, features.names, out)
    return out


def assert_same_as_htseq(bam: Path, gtf: Path, stranded: str, tmp: Path) -> dict[str, int]:
    """Gene by gene and counter by counter equality with htseq-count; returns the counters."""
    ref = htseq_count_cli(bam, gtf, stranded, tmp / f"{bam.stem}.{stranded}.htseq.tsv")
    mine = ours(bam, gtf, stranded, tmp / f"{bam.stem}.{stranded}.ours.tsv")
    ref_genes, ref_special = mrna.read_htseq_table(ref)
    my_genes, my_special = mrna.read_htseq_table(mine)
    pd.testing.assert_frame_equal(my_genes, ref_genes)
    assert my_special == ref_special
    assert mine.read_text() == ref.read_text()  # byte for byte, names included
    return {**ref_special, "assigned": int(ref_genes["count"].sum())}


def feature_counts(bam: Path, gtf: Path, strand: int, paired: bool, tmp: Path) -> pd.Series:
    """Gene counts from featureCounts with options matching htseq-count's as far as possible."""
    out = tmp / f"{bam.stem}.s{strand}.featurecounts.tsv"
    args = ["featureCounts", "-a", str(gtf), "-o", str(out), "-t", "exon", "-g", "gene_id"]
    args += ["-s", str(strand), "-Q", "10", "--primary", "-T", "1"]
    if paired:
        args += ["-p", "--countReadPairs"]
    subprocess.run([*args, str(bam)], check=True, capture_output=True)
    table = pd.read_csv(out, sep="\t", comment="#")
    return table.set_index("Geneid").iloc[:, -1]


def log_pearson(a: pd.Series, b: pd.Series) -> float:
    """Pearson correlation of log(count + 1) over the genes of ``a``."""
    b = b.reindex(a.index)
    return float(np.corrcoef(np.log1p(a.to_numpy(float)), np.log1p(b.to_numpy(float)))[0, 1])


def build_hisat2_index(genome: Path, gtf: Path, outdir: Path) -> str:
    """HISAT2 index with splice sites and exons, through the workflow's functions."""
    outdir.mkdir(parents=True, exist_ok=True)
    ss, exons = outdir / "splice_sites.tsv", outdir / "exons.tsv"
    for rows, path in ((gtfmod.hisat2_splice_sites(gtf), ss), (gtfmod.hisat2_exons(gtf), exons)):
        path.write_text("".join("\t".join(map(str, row)) + "\n" for row in rows))
    prefix = str(outdir / "genome")
    args = mrna.hisat2_build_args(str(genome), prefix, 2, str(ss), str(exons))
    subprocess.run(args, check=True, capture_output=True)
    return prefix


def align(prefix: str, fq1: Path, out: Path, fq2: Path | None = None) -> Path:
    """HISAT2 | samtools sort, then samtools index, as the workflow's rule does."""
    summary = out.with_suffix(".summary.txt")
    args = mrna.hisat2_args(prefix, str(fq1), str(summary), str(fq2) if fq2 else None, 2)
    sort = mrna.samtools_sort_args(str(out), str(out.with_suffix(".tmp")), 2)
    with open(out.with_suffix(".log"), "w") as err:
        mrna.run_pipe(args, sort, err=err)
    subprocess.run(["samtools", "index", str(out)], check=True)
    return out


def head_fastq(src: Path, dest: Path, n_reads: int) -> Path:
    """First ``n_reads`` records of a gzipped FASTQ."""
    with gzip.open(src, "rt") as fin, gzip.open(dest, "wt") as fout:
        for i, line in enumerate(fin):
            if i >= 4 * n_reads:
                break
            fout.write(line)
    return dest


# ----------------------------------------------------------------------------------------------
# trimming arguments (unit tests) and a real cutadapt run
# ----------------------------------------------------------------------------------------------


def test_adapters_presets_and_custom():
    assert mrna.adapters_for("truseq", "", PRESETS, paired=True) == (TRUSEQ["r1"], TRUSEQ["r2"])
    assert mrna.adapters_for("", "", PRESETS, paired=False) == (TRUSEQ["r1"], None)
    assert mrna.adapters_for("Nextera", "", PRESETS, True) == ("CTGTCTCTTATACACATCT",) * 2
    assert mrna.adapters_for("custom", "acgtacgt", PRESETS, False) == ("ACGTACGT", None)
    assert mrna.adapters_for("custom", "AAAA,CCCC", PRESETS, True) == ("AAAA", "CCCC")
    assert mrna.adapters_for("custom", "AAAA", PRESETS, True) == ("AAAA", "AAAA")


@pytest.mark.parametrize(
    ("protocol", "adapter", "expected"),
    [
        ("custom", "", "adapter column"),
        ("custom", "ACGT;TTT", "adapter column"),
        ("custom", "A,C,G", "adapter column"),
        ("truseq", "ACGT", "only read with protocol 'custom'"),
        ("illumina", "", "unknown protocol 'illumina'"),
    ],
)
def test_adapters_bad_sheet_values(protocol, adapter, expected):
    with pytest.raises(InputError, match=expected) as error:
        mrna.adapters_for(protocol, adapter, PRESETS, True, where="units.tsv, sample s1, unit u1")
    assert "units.tsv, sample s1, unit u1" in str(error.value)


def test_cutadapt_args_single_and_paired():
    single = mrna.cutadapt_args(
        fq1="in.fq.gz", out1="out.fq.gz", adapter_r1="ACGT", min_length=18, json_report="r.json"
    )
    assert single == [
        "--cores", "1", "-a", "ACGT", "--quality-cutoff", "20", "--minimum-length", "18",
        "--json", "r.json", "-o", "out.fq.gz", "in.fq.gz",
    ]  # fmt: skip
    paired = mrna.cutadapt_args(
        fq1="a 1.fq.gz",
        fq2="a;2.fq.gz",
        out1="o1.fq.gz",
        out2="o2.fq.gz",
        adapter_r1="AAA",
        adapter_r2="CCC",
        min_length=20,
        quality_cutoff=15,
        cores=2,
        json_report="r.json",
        extra=["--nextseq-trim=20"],
    )
    assert paired == [
        "--cores",
        "2",
        "-a",
        "AAA",
        "-A",
        "CCC",
        "--quality-cutoff",
        "15",
        "--minimum-length",
        "20",
        "--json",
        "r.json",
        "--nextseq-trim=20",
        "-o",
        "o1.fq.gz",
        "-p",
        "o2.fq.gz",
        "a 1.fq.gz",
        "a;2.fq.gz",
    ]  # fmt: skip  (file names with spaces/semicolons stay single arguments)
    with pytest.raises(ValueError, match="together"):
        mrna.cutadapt_args(
            fq1="a", fq2="b", out1="c", adapter_r1="A", min_length=1, json_report="j"
        )
    with pytest.raises(InputError, match="min_length"):
        mrna.cutadapt_args(fq1="a", out1="c", adapter_r1="A", min_length=0, json_report="j")


def test_cutadapt_runs_and_trims_paired(tmp_path):
    """A real cutadapt run with the built arguments removes the TruSeq adapters of both mates."""
    insert = "ACGTTGCAGGCTAGCTAGGATCCGATCGATCGTAGCTAGCTAGGCTAGCAT"  # 50 nt
    rc = insert[::-1].translate(str.maketrans("ACGT", "TGCA"))
    r1 = insert + TRUSEQ["r1"][:25]
    r2 = rc + TRUSEQ["r2"][:25]
    for name, seq in (("r1", r1), ("r2", r2)):
        with gzip.open(tmp_path / f"{name}.fq.gz", "wt") as handle:
            for i in range(3):
                handle.write(f"@read{i}\n{seq}\n+\n{'I' * len(seq)}\n")
    args = mrna.cutadapt_args(
        fq1=str(tmp_path / "r1.fq.gz"),
        fq2=str(tmp_path / "r2.fq.gz"),
        out1=str(tmp_path / "t1.fq.gz"),
        out2=str(tmp_path / "t2.fq.gz"),
        adapter_r1=TRUSEQ["r1"],
        adapter_r2=TRUSEQ["r2"],
        min_length=20,
        json_report=str(tmp_path / "report.json"),
    )
    mrna.run_cutadapt(args, tmp_path / "report.txt")
    with gzip.open(tmp_path / "t1.fq.gz", "rt") as handle:
        assert handle.read().splitlines()[1] == insert
    with gzip.open(tmp_path / "t2.fq.gz", "rt") as handle:
        assert handle.read().splitlines()[1] == rc
    assert "This is cutadapt" in (tmp_path / "report.txt").read_text()
    assert '"read_counts"' in (tmp_path / "report.json").read_text()


def test_alignment_commands():
    assert mrna.hisat2_args("idx/g", "a.fq", "s.txt", threads=3) == [
        "hisat2", "-p", "3", "-x", "idx/g", "--new-summary", "-U", "a.fq",
        "--summary-file", "s.txt",
    ]  # fmt: skip
    pe = mrna.hisat2_args("g", "a.fq", "s.txt", "b.fq", read_group=("s1.L1", "s1"))
    assert pe[6:] == ["-1", "a.fq", "-2", "b.fq", "--summary-file", "s.txt",
                      "--rg-id", "s1.L1", "--rg", "SM:s1"]  # fmt: skip
    assert mrna.hisat2_build_args("g.fa", "p", 2, "ss.tsv", "ex.tsv") == [
        "hisat2-build", "-p", "2", "--ss", "ss.tsv", "--exon", "ex.tsv", "g.fa", "p",
    ]  # fmt: skip
    star = mrna.star_args("idx", "r1.fq.gz", "out/", "r2.fq.gz", threads=4)
    assert star[star.index("--readFilesIn") + 1 : star.index("--readFilesIn") + 3] == [
        "r1.fq.gz",
        "r2.fq.gz",
    ]
    assert "zcat" in star and "Within" in star and "SortedByCoordinate" in star
    assert "--readFilesCommand" not in mrna.star_args("idx", "r1.fq", "out/")
    # STAR manual: min(14, log2(GenomeLength)/2 - 1); 14 for human, smaller for small genomes
    assert mrna.star_sa_index_nbases(3_100_000_000) == 14
    assert mrna.star_sa_index_nbases(230_000) == 7
    assert mrna.index_mem_mb(3_100_000_000, "star") == 34100
    assert mrna.index_mem_mb(3_100_000_000, "hisat2", splice_sites=False) == 9300
    assert mrna.index_mem_mb(1_000, "hisat2") == 2000


def test_fetch_reference_checks_and_decompresses(tmp_path):
    plain = write(tmp_path / "g.fa", [">chr1", "ACGT"])
    packed = tmp_path / "g.fa.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write(">chr1\nACGT\n")
    digest = references.sha256sum(packed)
    mrna.fetch_reference(str(packed), digest, tmp_path / "cache" / "genome.fa", "mrna.genome")
    assert (tmp_path / "cache" / "genome.fa").read_text() == plain.read_text()
    with pytest.raises(InputError, match=r"mrna\.genome: .* has SHA-256 .*expects 0{64}"):
        mrna.fetch_reference(str(plain), "0" * 64, tmp_path / "x.fa", "mrna.genome")
    assert not (tmp_path / "x.fa").exists()
    with pytest.raises(InputError, match="does not exist"):
        mrna.fetch_reference(str(tmp_path / "nope.fa"), "", tmp_path / "y.fa", "mrna.genome")
    config = {"genome": {"source": "https://x.org/g.fa.gz"}, "annotation": {"source": "a.gtf"}}
    assert mrna.reference_path(config, "genome.fa") == "resources/cache/mrna/genome.fa"
    assert mrna.reference_path(config, "genes.gtf") == "a.gtf"
    config["annotation"]["source"] = "local/a.gtf.gz"
    assert mrna.reference_path(config, "genes.gtf") == "resources/cache/mrna/genes.gtf"


# ----------------------------------------------------------------------------------------------
# GTF checks (unit tests)
# ----------------------------------------------------------------------------------------------

GTF_LINES = [
    'chr1\tt\tgene\t1\t100\t.\t+\t.\tgene_id "G1"; gene_name "ONE";',
    'chr1\tt\texon\t1\t40\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "ONE";',
    'chr1\tt\texon\t61\t100\t.\t+\t.\tgene_id "G1"; transcript_id "T1"; gene_name "ONE";',
    'chr1\tt\texon\t151\t200\t.\t-\t.\tgene_id "G2"; transcript_id "T2";',
]


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def genome(tmp_path) -> Path:
    return write(tmp_path / "genome.fa", [">chr1 test", "ACGT" * 60, ">chr2", "ACGT" * 10])


def test_check_annotation_accepts_good_gtf(tmp_path, genome):
    summary = gtfmod.check_annotation(write(tmp_path / "g.gtf", GTF_LINES), genome)
    assert summary.genes == {"G1", "G2"}
    assert summary.genes_with_name == {"G1"}
    assert summary.feature_types == {"gene": 1, "exon": 3}


def test_check_annotation_missing_gene_id_names_file_and_line(tmp_path, genome):
    bad = write(
        tmp_path / "bad.gtf", [*GTF_LINES, 'chr1\tt\texon\t5\t9\t.\t+\t.\ttranscript_id "T9";']
    )
    with pytest.raises(InputError, match=r"bad\.gtf: line 5: .*no 'gene_id'"):
        gtfmod.check_annotation(bad, genome)


def test_check_annotation_unknown_chromosome(tmp_path, genome):
    lines = [line.replace("chr1", "1", 1) for line in GTF_LINES[:2]] + GTF_LINES[2:]
    with pytest.raises(InputError, match=r"other\.gtf: 1 chromosome\(s\).*not in the genome.*: 1 "):
        gtfmod.check_annotation(write(tmp_path / "other.gtf", lines), genome)


def test_check_annotation_other_problems(tmp_path, genome):
    with pytest.raises(InputError, match="no 'exon' lines found"):
        gtfmod.check_annotation(write(tmp_path / "a.gtf", GTF_LINES[:1]), genome)
    with pytest.raises(InputError, match="HTML page"):
        gtfmod.check_annotation(write(tmp_path / "b.gtf", ["<!DOCTYPE html>", "<html>"]), genome)
    with pytest.raises(InputError, match="line 1 has 3 tab-separated columns"):
        gtfmod.check_annotation(write(tmp_path / "c.gtf", ["a\tb\tc"]), genome)
    unstranded = [GTF_LINES[1].replace("\t+\t", "\t.\t")]
    with pytest.raises(InputError, match="no strand"):
        gtfmod.check_annotation(write(tmp_path / "d.gtf", unstranded), genome)
    gtfmod.check_annotation(tmp_path / "d.gtf", genome, stranded=False)
    with pytest.raises(InputError, match="not a FASTA file"):
        gtfmod.check_annotation(
            tmp_path / "d.gtf", write(tmp_path / "x.fa", ["<html>"]), stranded=False
        )


def test_hisat2_splice_sites_and_exons(tmp_path):
    gtf = write(tmp_path / "g.gtf", GTF_LINES)
    # exons 1-40 and 61-100 (1-based): junction between 0-based positions 39 and 60
    assert gtfmod.hisat2_splice_sites(gtf) == [("chr1", 39, 60, "+")]
    assert gtfmod.hisat2_exons(gtf) == [
        ("chr1", 0, 39, "+"),
        ("chr1", 60, 99, "+"),
        ("chr1", 150, 199, "-"),
    ]
    assert gtfmod.stranded_regions(gtf) == [
        ("chr1", 0, 40, "+"),
        ("chr1", 60, 100, "+"),
        ("chr1", 150, 200, "-"),
    ]


def test_real_annotations_pass_the_checks(shared_data):
    for folder, genome_name in (("human_chr22_slice", "genome.fasta"), ("yeast_chrI", "genome.fa")):
        base = shared_data / "mrnaseq" / folder
        summary = gtfmod.check_annotation(
            base / "genes.gtf" if folder == "yeast_chrI" else base / "genome.gtf",
            base / genome_name,
        )
        assert summary.genes


# ----------------------------------------------------------------------------------------------
# strandedness decisions (unit tests)
# ----------------------------------------------------------------------------------------------


def test_split_quota():
    assert mrna.split_quota(10, [1, 1, 1]) == [4, 3, 3]
    assert mrna.split_quota(200_000, [190, 10]) == [190_000, 10_000]
    assert mrna.split_quota(5, [0, 0]) == [0, 0]
    assert sum(mrna.split_quota(7, [3, 5, 11, 2])) == 7


def test_call_and_resolve_strandedness():
    ev = mrna.StrandEvidence(reads_used=1000, forward=30, reverse=870, undetermined=100)
    assert ev.fraction_reverse == pytest.approx(870 / 900)
    assert mrna.call_strandedness(ev, 0.75, 50) == "reverse"
    assert mrna.call_strandedness(mrna.StrandEvidence(1000, 480, 470, 0), 0.75) == "unstranded"
    assert mrna.call_strandedness(mrna.StrandEvidence(1000, 900, 10, 0), 0.75) == "forward"
    assert mrna.call_strandedness(mrna.StrandEvidence(10, 9, 0, 0), 0.75, 50) == "undetermined"

    assert mrna.resolve_strandedness("auto", "reverse", "warn", "s1/u1").used == "reverse"
    assert mrna.resolve_strandedness("", "unstranded", "fail", "s1/u1").agreement == "inferred"
    agree = mrna.resolve_strandedness("reverse", "reverse", "fail", "s1/u1")
    assert (agree.used, agree.agreement, agree.message) == ("reverse", "yes", None)
    warned = mrna.resolve_strandedness("forward", "reverse", "warn", "sample s1, unit u1")
    assert (warned.used, warned.agreement) == ("forward", "no")
    assert "sample s1, unit u1" in warned.message and "'reverse'" in warned.message
    with pytest.raises(
        InputError, match="says strandedness 'forward' but the reads look 'reverse'"
    ):
        mrna.resolve_strandedness("forward", "reverse", "fail", "sample s1, unit u1")
    empty = mrna.resolve_strandedness("auto", "undetermined", "fail", "s1/u1")
    assert (empty.used, empty.agreement) == ("unstranded", "not_tested")
    assert "too few reads" in empty.message
    assert mrna.resolve_strandedness("forward", "undetermined", "fail", "x").agreement == (
        "not_tested"
    )
    with pytest.raises(InputError, match="not one of"):
        mrna.resolve_strandedness("yes", "reverse", "warn", "x")


# ----------------------------------------------------------------------------------------------
# real data: alignment, counting identical to htseq-count, featureCounts, strandedness
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def human(shared_data, tmp_path_factory):
    base = shared_data / "mrnaseq" / "human_chr22_slice"
    return {
        "genome": base / "genome.fasta",
        "gtf": base / "genome.gtf",
        "bam": base / "test.rna.paired_end.sorted.bam",
        "fq1": base / "test_rnaseq_1.fastq.gz",
        "fq2": base / "test_rnaseq_2.fastq.gz",
        "tmp": tmp_path_factory.mktemp("human"),
    }


@pytest.fixture(scope="session")
def human_hisat2_bam(human) -> Path:
    prefix = build_hisat2_index(human["genome"], human["gtf"], human["tmp"] / "index")
    return align(prefix, human["fq1"], human["tmp"] / "hisat2.bam", human["fq2"])


@pytest.fixture(scope="session")
def yeast(shared_data, tmp_path_factory) -> dict:
    base = shared_data / "mrnaseq" / "yeast_chrI"
    tmp = tmp_path_factory.mktemp("yeast")
    if not shutil.which("hisat2-build"):
        pytest.skip("hisat2 not installed")
    prefix = build_hisat2_index(base / "genome.fa", base / "genes.gtf", tmp / "index")
    bams = {
        s: align(prefix, base / f"{s}_subsamp.fastq.gz", tmp / f"{s}.bam") for s in YEAST_SAMPLES
    }
    return {"gtf": base / "genes.gtf", "bams": bams, "tmp": tmp}


@pytest.mark.parametrize("stranded", ["no", "yes", "reverse"])
def test_counts_identical_to_htseq_count_provided_star_bam(human, stranded):
    """Paired-end STAR BAM with secondary alignments and multimappers (NH > 1)."""
    counters = assert_same_as_htseq(human["bam"], human["gtf"], stranded, human["tmp"])
    assert counters["__alignment_not_unique"] > 0  # the multimapper path is exercised
    assert counters["assigned"] > 0


@needs_tools
@pytest.mark.parametrize("stranded", ["no", "yes", "reverse"])
def test_counts_identical_to_htseq_count_hisat2_paired(human, human_hisat2_bam, stranded):
    """Our HISAT2 alignment (unaligned mates kept): exercises __not_aligned and mate rescue."""
    counters = assert_same_as_htseq(human_hisat2_bam, human["gtf"], stranded, human["tmp"])
    assert counters["__not_aligned"] > 0
    summary = human_hisat2_bam.with_suffix(".summary.txt")
    assert 0 < mrna.parse_aligner_log(summary, "hisat2") < 1


@needs_tools
@pytest.mark.parametrize("stranded", ["no", "reverse"])
@pytest.mark.parametrize("sample", YEAST_SAMPLES)
def test_counts_identical_to_htseq_count_yeast_single_end(yeast, sample, stranded):
    counters = assert_same_as_htseq(yeast["bams"][sample], yeast["gtf"], stranded, yeast["tmp"])
    assert counters["assigned"] > 1000


@needs_featurecounts
@needs_tools
@pytest.mark.parametrize("sample", YEAST_SAMPLES)
def test_correlation_with_featurecounts_yeast(yeast, sample):
    bam, tmp = yeast["bams"][sample], yeast["tmp"]
    for stranded, fc_strand in (("no", 0), ("reverse", 2)):
        table = ours(bam, yeast["gtf"], stranded, tmp / f"{sample}.{stranded}.fc-cmp.tsv")
        genes = mrna.read_htseq_table(table)[0].set_index("feature")["count"]
        fc = feature_counts(bam, yeast["gtf"], fc_strand, paired=False, tmp=tmp)
        r = log_pearson(genes, fc)
        print(f"yeast {sample} -s {stranded}: Pearson(log counts) vs featureCounts = {r:.4f}")
        assert r >= 0.99


@needs_featurecounts
@needs_tools
def test_correlation_with_featurecounts_human(human, human_hisat2_bam):
    for bam in (human["bam"], human_hisat2_bam):
        table = ours(bam, human["gtf"], "no", human["tmp"] / f"{bam.stem}.fc-cmp.tsv")
        genes = mrna.read_htseq_table(table)[0].set_index("feature")["count"]
        fc = feature_counts(bam, human["gtf"], 0, paired=True, tmp=human["tmp"])
        r = log_pearson(genes, fc)
        print(f"human {bam.name}: Pearson(log counts) vs featureCounts = {r:.4f}")
        assert r >= 0.99


@needs_tools
def test_strandedness_yeast_agrees_with_stranded_counting(yeast):
    """The inferred protocol is the one under which htseq-count assigns far more reads."""
    regions = gtfmod.stranded_regions(yeast["gtf"])
    for sample, bam in yeast["bams"].items():
        ev = mrna.strand_evidence(bam, regions, n_reads=200_000)
        call = mrna.call_strandedness(ev)
        print(
            f"yeast {sample}: forward {ev.fraction_forward:.3f}, reverse "
            f"{ev.fraction_reverse:.3f}, undetermined {ev.fraction_undetermined:.3f} -> {call}"
        )
        assert call in ("forward", "reverse")
        other = "yes" if call == "reverse" else "reverse"
        used = {"reverse": "reverse", "forward": "yes"}[call]
        tmp = yeast["tmp"]
        good = mrna.read_htseq_table(htseq_count_cli(bam, yeast["gtf"], used, tmp / "a.tsv"))[0]
        bad = mrna.read_htseq_table(htseq_count_cli(bam, yeast["gtf"], other, tmp / "b.tsv"))[0]
        # Not 100:1: ~37 % of yeast reads lie where exons of both strands overlap, and those
        # count to the antisense gene under the wrong orientation.
        assert good["count"].sum() > 2 * bad["count"].sum()


def test_strandedness_human_star_bam(human):
    ev = mrna.strand_evidence(human["bam"], gtfmod.stranded_regions(human["gtf"]))
    call = mrna.call_strandedness(ev, min_reads=20)
    print(
        f"human STAR BAM: {ev.informative} informative reads, forward {ev.fraction_forward:.3f},"
        f" reverse {ev.fraction_reverse:.3f} -> {call}"
    )
    assert call != "undetermined"
    assert math.isclose(ev.fraction_forward + ev.fraction_reverse, 1.0)


def make_split_pairs_bam(src: Path, gtf: Path, tmp: Path, every: int = 3) -> tuple[Path, Path]:
    """A BAM whose pairs partly span two references, and its annotation.

    The reference is duplicated as ``<name>dup`` (genes too, ids suffixed ``_dup``); for every
    ``every``-th primary pair, read 2 is moved onto the copy. htseq-count then sees pairs with
    mates on different chromosomes, the case that region-parallel counting must defer.
    """
    import zlib

    import pysam

    with pysam.AlignmentFile(str(src)) as inp:
        header = inp.header.to_dict()
        chrom = header["SQ"][0]["SN"]
        header["SQ"] = [*header["SQ"], {"SN": f"{chrom}dup", "LN": header["SQ"][0]["LN"]}]
        unsorted = tmp / "split.unsorted.bam"
        with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
            for original in inp.fetch(until_eof=True):
                read = pysam.AlignedSegment.from_dict(original.to_dict(), out.header)
                primary = not (read.is_secondary or read.is_supplementary)
                chosen = zlib.crc32(read.query_name.encode()) % every == 0
                if primary and chosen and read.is_paired and not read.mate_is_unmapped:
                    if read.is_read2:
                        read.reference_id, read.next_reference_id = 1, 0
                    else:
                        read.next_reference_id = 1
                    read.template_length = 0
                out.write(read)
    bam = tmp / "split.bam"
    pysam.sort("-o", str(bam), str(unsorted))
    pysam.index(str(bam))
    lines = [line for line in gtf.read_text().splitlines() if line and not line.startswith("#")]
    dup = [
        re.sub(r'gene_id "([^"]+)"', r'gene_id "\\1_dup"', line.replace(chrom, f"{chrom}dup", 1))
        for line in lines
    ]
    split_gtf = write(tmp / "split.gtf", lines + dup)
    return bam, split_gtf


@pytest.mark.parametrize("stranded", ["no", "reverse"])
def test_region_parallel_counting_identical_with_split_pairs(human, stranded):
    """Counting per chromosome in 2 processes = htseq-count, also for pairs across chromosomes."""
    import pysam

    bam, gtf = make_split_pairs_bam(human["bam"], human["gtf"], human["tmp"])
    with pysam.AlignmentFile(str(bam)) as samfile:
        crossing = sum(
            1
            for r in samfile.fetch(until_eof=True)
            if r.is_paired and r.next_reference_id != r.reference_id
        )
    assert crossing > 100
    ref = htseq_count_cli(bam, gtf, stranded, human["tmp"] / f"split.{stranded}.htseq.tsv")
    features = mrna.load_features(gtf, stranded=stranded != "no")
    for threads in (1, 2):
        result = mrna.count_bam(bam, features, stranded, threads=threads, by_region=True)
        out = human["tmp"] / f"split.{stranded}.{threads}.tsv"
        mrna.write_htseq_table(result, features.names, out)
        assert out.read_text() == ref.read_text()
    genes, special = mrna.read_htseq_table(ref)
    assert special["__ambiguous"] > 0 and genes["count"].sum() > 0


@needs_tools
def test_region_parallel_counting_identical_unplaced_reads(human, human_hisat2_bam, yeast):
    """By-region counting of BAMs with unaligned reads (the unplaced '*' region)."""
    cases = [(human_hisat2_bam, human["gtf"], human["tmp"])]
    cases += [(bam, yeast["gtf"], yeast["tmp"]) for bam in yeast["bams"].values()]
    for bam, gtf, tmp in cases:
        ref = htseq_count_cli(bam, gtf, "reverse", tmp / f"{bam.stem}.region.htseq.tsv")
        features = mrna.load_features(gtf, stranded=True)
        result = mrna.count_bam(bam, features, "reverse", threads=2)
        out = tmp / f"{bam.stem}.region.ours.tsv"
        mrna.write_htseq_table(result, features.names, out)
        assert out.read_text() == ref.read_text()


def test_empty_library_reaches_the_gate(human, tmp_path):
    """A library without aligned reads: zero counts like htseq-count, no strandedness crash."""
    import pysam

    with pysam.AlignmentFile(str(human["bam"])) as inp:
        header = inp.header.to_dict()
    bam = tmp_path / "empty.bam"
    with pysam.AlignmentFile(str(bam), "wb", header=header):
        pass
    pysam.index(str(bam))
    assert_same_as_htseq(bam, human["gtf"], "reverse", tmp_path)
    features = mrna.load_features(human["gtf"], stranded=True)
    assert mrna.count_bam(bam, features, "reverse", threads=2).assigned == 0
    evidence = mrna.strand_evidence(bam, gtfmod.stranded_regions(human["gtf"]))
    assert evidence.reads_used == 0
    assert mrna.call_strandedness(evidence) == "undetermined"
    decision = mrna.resolve_strandedness("auto", "undetermined", "fail", "sample x, unit y")
    assert decision.used == "unstranded"


# ----------------------------------------------------------------------------------------------
# matrices and QC gate
# ----------------------------------------------------------------------------------------------


def test_merge_units_and_qc_gate(tmp_path):
    def table(name, counts, special):
        lines = [f"G{i}\tN{i}\t{c}" for i, c in enumerate(counts)]
        lines += [f"{k}\t\t{v}" for k, v in zip(mrna.SPECIAL_COUNTERS, special, strict=True)]
        return write(tmp_path / name, lines)

    tables = {
        ("s1", "L1"): table("a.tsv", [5, 0, 3], [1, 2, 3, 4, 5]),
        ("s1", "L2"): table("b.tsv", [1, 1, 1], [0, 0, 0, 1, 0]),
        ("s2", "L1"): table("c.tsv", [0, 0, 0], [9, 0, 0, 0, 0]),
    }
    counts, summary = mrna.merge_unit_counts(tables, ["s1", "s2"])
    assert counts.columns.tolist() == ["feature", "name", "s1", "s2"]
    assert counts["s1"].tolist() == [6, 1, 4] and counts["s2"].tolist() == [0, 0, 0]
    assert counts["name"].tolist() == ["N0", "N1", "N2"]
    s1 = summary.set_index("sample").loc["s1"]
    assert s1["assigned"] == 11 and s1["__not_aligned"] == 5 and s1["total"] == 11 + 15 + 1
    rates = mrna.qc_rates(summary, {"s1": 0.9}, {"s1": (30, 27)})
    s1 = rates.set_index("sample").loc["s1"]
    assert s1["mapping_rate"] == pytest.approx(22 / 27)
    assert (s1["raw"], s1["too_short"], s1["aligner_mapping_rate"]) == (30, 3, 0.9)
    assert pd.isna(rates.set_index("sample").loc["s2", "raw"])
    gate = mrna.qc_gate(rates, min_assigned=10, min_assignment_rate=0.2).set_index("sample")
    assert bool(gate.loc["s1", "passed"]) and gate.loc["s1", "reason"] == "ok"
    assert not gate.loc["s2", "passed"]
    assert "0 reads assigned to genes < 10" in gate.loc["s2", "reason"]
    mrna.plot_qc_rates(rates, tmp_path / "rates.png")
    assert (tmp_path / "rates.png").stat().st_size > 1000


# ----------------------------------------------------------------------------------------------
# demo data (simulated: paired-end, TruSeq stranded = reverse)
# ----------------------------------------------------------------------------------------------

DEMO = REPO / "resources" / "demo" / "mrna"


DEMO_SAMPLE = "mac_ctrl_2"  # the smallest demo library (~158k pairs)


@pytest.fixture(scope="session")
def demo_bam(tmp_path_factory) -> Path:
    """The smallest demo library, trimmed and aligned as the workflow does."""
    fq1 = DEMO / "reads" / f"{DEMO_SAMPLE}_R1.fastq.gz"
    if not fq1.exists() or not (DEMO / "genes.gtf").exists():
        pytest.skip(f"demo data absent ({DEMO}); create it with `make demo-data`")
    if not shutil.which("hisat2-build"):
        pytest.skip("hisat2 not installed")
    tmp = tmp_path_factory.mktemp("demo")
    fq2 = DEMO / "reads" / f"{DEMO_SAMPLE}_R2.fastq.gz"
    args = mrna.cutadapt_args(
        fq1=str(fq1),
        fq2=str(fq2),
        out1=str(tmp / "t1.fq.gz"),
        out2=str(tmp / "t2.fq.gz"),
        adapter_r1=TRUSEQ["r1"],
        adapter_r2=TRUSEQ["r2"],
        min_length=20,
        cores=2,
        json_report=str(tmp / "cutadapt.json"),
    )
    mrna.run_cutadapt(args, tmp / "cutadapt.txt")
    prefix = build_hisat2_index(DEMO / "genome.fa", DEMO / "genes.gtf", tmp / "index")
    return align(prefix, tmp / "t1.fq.gz", tmp / f"{DEMO_SAMPLE}.bam", tmp / "t2.fq.gz")


@pytest.fixture(scope="session")
def demo_counters(demo_bam) -> dict[str, int]:
    return assert_same_as_htseq(demo_bam, DEMO / "genes.gtf", "reverse", demo_bam.parent)


def test_counts_identical_to_htseq_count_demo(demo_bam, demo_counters):
    """Identical to htseq-count (fixture), and equal to the simulator's truth but lost reads."""
    genes = mrna.read_htseq_table(demo_bam.parent / f"{demo_bam.stem}.reverse.ours.tsv")[0]
    ours_counts = genes.set_index("feature")["count"]
    truth = pd.read_csv(DEMO / "truth_counts.tsv", sep="\t").set_index("feature")[DEMO_SAMPLE]
    truth = truth.reindex(ours_counts.index)
    assert (ours_counts <= truth).all()  # nothing counted to a gene it was not drawn from
    deficit = int((truth - ours_counts).sum())
    lost = ("__too_low_aQual", "__not_aligned", "__alignment_not_unique", "__ambiguous")
    print(f"demo {DEMO_SAMPLE}: {deficit} of {truth.sum()} fragments not counted; {demo_counters}")
    assert deficit <= sum(demo_counters[k] for k in lost)
    assert deficit / truth.sum() < 0.002
    classes = pd.read_csv(DEMO / "truth_read_classes.tsv", sep="\t")
    intergenic = classes.query("sample == @DEMO_SAMPLE and read_class == 'intronic_or_intergenic'")[
        "reads"
    ]
    assert abs(demo_counters["__no_feature"] - intergenic.iloc[0]) <= 0.01 * intergenic.iloc[0]


@needs_featurecounts
def test_correlation_with_featurecounts_demo(demo_bam, demo_counters):
    table = demo_bam.parent / f"{demo_bam.stem}.reverse.ours.tsv"
    genes = mrna.read_htseq_table(table)[0].set_index("feature")["count"]
    fc = feature_counts(demo_bam, DEMO / "genes.gtf", 2, paired=True, tmp=demo_bam.parent)
    r = log_pearson(genes, fc)
    print(f"demo: Pearson(log counts) vs featureCounts = {r:.4f}")
    assert r >= 0.99


def test_strandedness_demo_is_reverse(demo_bam):
    ev = mrna.strand_evidence(demo_bam, gtfmod.stranded_regions(DEMO / "genes.gtf"))
    print(f"demo: forward {ev.fraction_forward:.3f}, reverse {ev.fraction_reverse:.3f}")
    assert mrna.call_strandedness(ev) == "reverse"
    warned = mrna.resolve_strandedness("forward", mrna.call_strandedness(ev), "warn", "demo")
    assert warned.agreement == "no" and warned.message


# ----------------------------------------------------------------------------------------------
# the rules themselves: a small Snakefile providing common.smk's API around rules/mrna.smk
# ----------------------------------------------------------------------------------------------

STUB_SNAKEFILE = """
import sys
import pandas as pd
from snakemake.utils import validate

sys.path.insert(0, {scripts!r})
units = pd.read_csv(config["units"], sep="\\t", dtype=str, keep_default_na=False)
units = units.set_index(["sample", "unit"], drop=False).sort_index()
MRNA_SAMPLES = sorted(set(units["sample"]))

wildcard_constraints:
    sample="[A-Za-z0-9][A-Za-z0-9._-]*",
    unit="[A-Za-z0-9][A-Za-z0-9._-]*",

def units_of(sample):
    return units.loc[sample, "unit"].tolist()

def is_paired(sample, unit):
    return bool(units.loc[(sample, unit), "fq2"])

def unit_fastqs(wildcards):
    unit = units.loc[(wildcards.sample, wildcards.unit)]
    return {{"fq1": unit["fq1"], **({{"fq2": unit["fq2"]}} if unit["fq2"] else {{}})}}

include: {rules!r}

rule all:
    input:
        "results/mrna/counts.tsv",
        "results/mrna/qc_gate.tsv",
        "results/mrna/strandedness.tsv",
"""


def stub_workdir(tmp: Path, base: Path, sheet_strandedness: dict[str, str], **mrna_config) -> Path:
    """A work folder with units.tsv (yeast FASTQs), config.yaml and the stub Snakefile."""
    import yaml

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Snakefile").write_text(
        STUB_SNAKEFILE.format(
            scripts=str(REPO / "workflow" / "scripts"),
            rules=str(REPO / "workflow" / "rules" / "mrna.smk"),
        )
    )
    rows = ["sample\tunit\tfq1\tfq2\tprotocol\tadapter\tstrandedness"]
    for sample, strandedness in sheet_strandedness.items():
        fq = base / f"{sample}_subsamp.fastq.gz"
        rows.append(f"y{sample}\tlane1\t{fq}\t\ttruseq\t\t{strandedness}")
    write(tmp / "units.tsv", rows)
    config = {
        "units": "units.tsv",
        "mrna": {
            "genome": {"source": str(base / "genome.fa")},
            "annotation": {"source": str(base / "genes.gtf")},
            "qc": {"min_assigned_reads": 1000},
            **mrna_config,
        },
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", "Snakefile", "--configfile", "config.yaml",
         "-c2", *args],
        cwd=workdir, capture_output=True, text=True,
    )  # fmt: skip


def test_rules_dry_run_with_star(shared_data, tmp_path):
    """The STAR rules build a correct, lint-clean DAG (with or without STAR installed)."""
    base = shared_data / "mrnaseq" / "yeast_chrI"
    work = stub_workdir(tmp_path, base, {"SRR4238351": "auto"}, aligner="star")
    run = snakemake(work, "-n")
    assert run.returncode == 0, run.stderr + run.stdout
    for rule in ("mrna_star_index", "mrna_align_star", "mrna_cutadapt_se", "mrna_count"):
        assert rule in run.stdout
    assert "mrna_align_hisat2" not in run.stdout
    lint = snakemake(work, "--lint")
    report = lint.stdout + lint.stderr
    assert "Lints for rule mrna_" not in report and "rules/mrna.smk:" not in report, report


@needs_tools
@pytest.mark.skipif(shutil.which("STAR") is None, reason="STAR not installed (Debian rna-star)")
def test_rules_run_with_star(shared_data, tmp_path):
    """aligner: star end to end on real reads: index, alignment, strandedness, htseq counts."""
    base = shared_data / "mrnaseq" / "yeast_chrI"
    work = stub_workdir(tmp_path, base, {"SRR4238351": "auto"}, aligner="star")
    run = snakemake(work)
    assert run.returncode == 0, run.stderr[-5000:]
    sample = "ySRR4238351"
    aligned = work / f"results/mrna/aligned/star/{sample}"
    summary = (aligned / f"{sample}.lane1.Log.final.out").read_text()
    unique = float(re.search(r"Uniquely mapped reads %\s*\|\s*([\d.]+)%", summary).group(1))
    assert unique > 50, summary
    assert mrna.parse_aligner_log(aligned / f"{sample}.lane1.Log.final.out", "star") > 0.5
    calls = pd.read_csv(work / "results/mrna/strandedness.tsv", sep="\t").set_index("sample")
    assert calls.loc[sample, "inferred"] == "reverse"
    counts = pd.read_csv(work / "results/mrna/counts.tsv", sep="\t", keep_default_na=False)
    ref = htseq_count_cli(
        aligned / f"{sample}.lane1.bam", base / "genes.gtf", "reverse", tmp_path / "r"
    )
    genes, special = mrna.read_htseq_table(ref)
    assert counts[sample].tolist() == genes["count"].tolist()
    assert genes["count"].sum() > 1000
    summary = pd.read_csv(work / "results/mrna/count_summary.tsv", sep="\t").set_index("sample")
    assert summary.loc[sample, list(special)].to_dict() == special


@needs_tools
def test_rules_run_yeast_and_check_strandedness(shared_data, tmp_path):
    """The rules end to end on real reads; a wrong sheet value warns (warn) or stops (fail)."""
    base = shared_data / "mrnaseq" / "yeast_chrI"
    sheet = {"SRR4238351": "auto", "SRR4238379": "forward"}  # the reads are reverse-stranded
    work = stub_workdir(tmp_path / "warn", base, sheet)
    run = snakemake(work)
    assert run.returncode == 0, run.stderr
    assert "the units sheet says strandedness 'forward' but the reads look 'reverse'" in run.stderr
    calls = pd.read_csv(work / "results/mrna/strandedness.tsv", sep="\t").set_index("sample")
    assert calls.loc["ySRR4238351", ["inferred", "used", "agreement"]].tolist() == [
        "reverse", "reverse", "inferred"]  # fmt: skip
    assert calls.loc["ySRR4238379", ["inferred", "used", "agreement"]].tolist() == [
        "reverse", "forward", "no"]  # fmt: skip
    counts = pd.read_csv(work / "results/mrna/counts.tsv", sep="\t", keep_default_na=False)
    assert counts.columns.tolist() == ["feature", "name", "ySRR4238351", "ySRR4238379"]
    summary = pd.read_csv(work / "results/mrna/count_summary.tsv", sep="\t").set_index("sample")
    for sample, stranded in (("ySRR4238351", "reverse"), ("ySRR4238379", "yes")):
        bam = work / f"results/mrna/aligned/hisat2/{sample}/{sample}.lane1.bam"
        ref = htseq_count_cli(bam, base / "genes.gtf", stranded, tmp_path / f"{sample}.tsv")
        genes, special = mrna.read_htseq_table(ref)
        assert counts[sample].tolist() == genes["count"].tolist()
        assert summary.loc[sample, list(special)].to_dict() == special
    gate = pd.read_csv(work / "results/mrna/qc_gate.tsv", sep="\t").set_index("sample")
    assert gate["passed"].tolist() == [True, False]  # the wrong orientation loses the reads

    fail = stub_workdir(tmp_path / "fail", base, sheet, strandedness={"mismatch": "fail"})
    run = snakemake(fail, "results/mrna/strandedness/ySRR4238379/ySRR4238379.lane1.tsv")
    assert run.returncode != 0
    log = (fail / "results/logs/mrna/strandedness/ySRR4238379.lane1.log").read_text()
    assert "InputError: sample ySRR4238379, unit lane1: the units sheet says" in log


# ----------------------------------------------------------------------------------------------
# hand-made edge cases: every branch of htseq-count's decisions, against its command line
# ----------------------------------------------------------------------------------------------

EDGE_GTF = "\n".join(
    "\t".join([chrom, "t", "exon", str(start), str(end), ".", strand, ".", attrs])
    for chrom, start, end, strand, attrs in [
        ("c1", 101, 200, "+", 'gene_id "A"; gene_name "a";'),
        ("c1", 151, 250, "+", 'gene_id "B"; gene_name "b";'),
        ("c1", 401, 500, "-", 'gene_id "C"; gene_name "c";'),
        ("c1", 601, 700, "+", 'gene_id "D"; gene_name "d";'),
        ("c1", 901, 1000, "+", 'gene_id "D"; gene_name "d";'),
        ("c2", 101, 300, "+", 'gene_id "E"; gene_name "e";'),
    ]
)
# name flag chrom pos mapq cigar mate-chrom mate-pos tlen [tags]; positions are 1-based.
EDGE_SINGLE = """
s_a 0 c1 111 60 30M * 0 0 NH:i:1
s_a_rev 16 c1 111 60 30M * 0 0 NH:i:1
s_ab 0 c1 160 60 30M * 0 0 NH:i:1
s_ab_rev 16 c1 160 60 30M * 0 0 NH:i:1
s_c 16 c1 420 60 30M * 0 0
s_spliced_d 0 c1 680 60 20M200N20M * 0 0 NH:i:1
s_spliced_ac 0 c1 180 60 10M250N10M * 0 0 NH:i:1
s_deletion_gap 0 c1 190 60 5M50D5M * 0 0 NH:i:1
s_intergenic 0 c1 2000 60 30M * 0 0 NH:i:1
s_unknown_chrom 0 c9 100 60 30M * 0 0 NH:i:1
s_multi 0 c1 111 60 30M * 0 0 NH:i:2
s_lowq 0 c1 111 5 30M * 0 0 NH:i:1
s_secondary 256 c1 111 60 30M * 0 0 NH:i:1
s_supplementary 2048 c1 111 60 30M * 0 0 NH:i:1
s_unmapped 4 * 0 0 * * 0 0
s_e 0 c2 150 60 10S20M * 0 0 NH:i:1
"""
EDGE_PAIRED = """
p_a 99 c1 111 60 30M = 151 70 NH:i:1
p_a 147 c1 151 60 30M = 111 -70 NH:i:1
p_ab 99 c1 120 60 30M = 200 110 NH:i:1
p_ab 147 c1 200 60 30M = 120 -110 NH:i:1
p_mate_unmapped 73 c1 111 60 30M = 111 0 NH:i:1
p_mate_unmapped 133 c1 111 0 * = 111 0
p_mate_unmapped_hiq 73 c1 111 60 30M = 111 0 NH:i:1
p_mate_unmapped_hiq 133 c1 111 30 * = 111 0
p_both_unmapped 77 * 0 0 * * 0 0
p_both_unmapped 141 * 0 0 * * 0 0
p_orphan 99 c1 111 60 30M = 500 420 NH:i:1
p_cross 65 c1 111 60 30M c2 150 0 NH:i:1
p_cross 145 c2 150 60 30M c1 111 0 NH:i:1
p_nh_first_missing 99 c1 111 60 30M = 151 70
p_nh_first_missing 147 c1 151 60 30M = 111 -70 NH:i:3
p_nh_second 99 c1 111 60 30M = 151 70 NH:i:1
p_nh_second 147 c1 151 60 30M = 111 -70 NH:i:3
p_lowq 99 c1 111 60 30M = 151 70 NH:i:1
p_lowq 147 c1 151 3 30M = 111 -70 NH:i:1
p_secondary 99 c1 111 60 30M = 151 70 NH:i:1
p_secondary 147 c1 151 60 30M = 111 -70 NH:i:1
p_secondary 355 c1 411 60 30M = 451 70 NH:i:1
p_secondary 403 c1 451 60 30M = 411 -70 NH:i:1
p_unknown 99 c1 111 60 30M c9 151 0 NH:i:1
p_unknown 147 c9 151 60 30M c1 111 0 NH:i:1
p_strand 99 c1 420 60 30M = 450 60 NH:i:1
p_strand 147 c1 450 60 30M = 420 -60 NH:i:1
p_ab_rev 163 c1 120 60 30M = 200 110 NH:i:1
p_ab_rev 83 c1 200 60 30M = 120 -110 NH:i:1
"""


def edge_bam(tmp: Path, records: str, name: str) -> Path:
    """A sorted, indexed BAM of SAM ``records`` (space-separated columns) on c1, c2, c9."""
    import pysam

    header = "@HD\tVN:1.6\tSO:unsorted\n" + "".join(
        f"@SQ\tSN:{chrom}\tLN:5000\n" for chrom in ("c1", "c2", "c9")
    )
    lines = []
    for record in records.strip().splitlines():
        fields = record.split()
        seq_len = sum(int(n) for n, _op in re.findall(r"(\d+)([MIS=X])", fields[5])) or 30
        lines.append("\t".join([*fields[:9], "A" * seq_len, "I" * seq_len, *fields[9:]]))
    sam = tmp / f"{name}.sam"
    sam.write_text(header + "\n".join(lines) + "\n")
    bam = tmp / f"{name}.bam"
    pysam.sort("-o", str(bam), str(sam))
    pysam.index(str(bam))
    return bam


@pytest.mark.parametrize("layout", ["single", "paired"])
@pytest.mark.parametrize("stranded", ["yes", "no", "reverse"])
def test_union_counting_edge_cases_identical_to_htseq_count(tmp_path, layout, stranded):
    """Every decision (NH, MAPQ, mates missing/unmapped/split, unknown chromosome, secondary,
    splices, deletions, ambiguity, strand) as htseq-count makes it, in one pass and by region."""
    gtf = tmp_path / "edge.gtf"
    gtf.write_text(EDGE_GTF + "\n")
    bam = edge_bam(tmp_path, EDGE_SINGLE if layout == "single" else EDGE_PAIRED, layout)
    ref = htseq_count_cli(bam, gtf, stranded, tmp_path / "htseq.tsv")
    ref_genes, ref_special = mrna.read_htseq_table(ref)
    features = mrna.load_features(gtf, stranded=stranded != "no")
    for threads, by_region in ((1, False), (1, True), (2, True)):
        result = mrna.count_bam(bam, features, stranded, threads=threads, by_region=by_region)
        out = tmp_path / f"ours_{threads}_{by_region}.tsv"
        mrna.write_htseq_table(result, features.names, out)
        genes, special = mrna.read_htseq_table(out)
        pd.testing.assert_frame_equal(genes, ref_genes)
        assert special == ref_special, (threads, by_region)
    # the cases are not vacuous: every counter is exercised somewhere
    assert ref_genes["count"].sum() > 0
    assert ref_special["__ambiguous"] > 0 and ref_special["__no_feature"] > 0
    assert ref_special["__alignment_not_unique"] > 0 and ref_special["__too_low_aQual"] > 0
    assert ref_special["__not_aligned"] > 0


@pytest.mark.parametrize(
    ("mode", "nonunique"),
    [("intersection-strict", "none"), ("intersection-nonempty", "all"), ("union", "all")],
)
def test_other_htseq_modes_identical_to_htseq_count(tmp_path, mode, nonunique):
    """Modes other than htseq-count's default go through HTSeq's own objects; same counts."""
    gtf = tmp_path / "edge.gtf"
    gtf.write_text(EDGE_GTF + "\n")
    for layout, records in (("single", EDGE_SINGLE), ("paired", EDGE_PAIRED)):
        bam = edge_bam(tmp_path, records, layout)
        extra = ("-m", mode, "--nonunique", nonunique)
        ref = htseq_count_cli(bam, gtf, "yes", tmp_path / f"{layout}.htseq.tsv", extra)
        features = mrna.load_features(gtf, stranded=True)
        result = mrna.count_bam(bam, features, "yes", mode=mode, nonunique=nonunique)
        out = tmp_path / f"{layout}.ours.tsv"
        mrna.write_htseq_table(result, features.names, out)
        assert out.read_text() == ref.read_text(), layout
