"""Real reads: counts identical to htseq-count, close to featureCounts; strandedness inferred.

nf-core test data (human chr22 slice, paired-end STAR BAM and reads aligned here with HISAT2;
yeast chrI, single-end), also counted by reference in processes, and an empty library.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from esccrt.mrna.align import parse_aligner_log
from esccrt.mrna.annotation import stranded_regions
from esccrt.mrna.counting import count_bam
from esccrt.mrna.features import load_features
from esccrt.mrna.htseq_table import read_htseq_table, write_htseq_table
from esccrt.mrna.strandedness import call_strandedness, resolve_strandedness, strand_evidence
from mrna_parity_tools import (
    YEAST_SAMPLES,
    align,
    assert_same_as_htseq,
    build_hisat2_index,
    count_as_rule,
    feature_counts,
    htseq_count_cli,
    log_pearson,
    needs_featurecounts,
    needs_tools,
    ours,
    write,
)
from prerequisites import require_commands
from schema_sections import count_options, feature_options, strandedness_options

#: The study's strandedness settings and counted feature type: the schema's defaults.
EVIDENCE, CALL = strandedness_options()
FEATURE_TYPE = feature_options()["feature_type"]


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
    require_commands("hisat2-build")
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
    assert 0 < parse_aligner_log(summary, "hisat2") < 1


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
        genes = read_htseq_table(table)[0].set_index("feature")["count"]
        fc = feature_counts(bam, yeast["gtf"], fc_strand, paired=False, tmp=tmp)
        r = log_pearson(genes, fc)
        print(f"yeast {sample} -s {stranded}: Pearson(log) vs featureCounts = 1 - {1 - r:.3g}")
        assert r >= 1 - 1e-12  # measured 1 - 2.2e-16 on 2026-12-06 (float noise floor); was 0.99


@needs_featurecounts
@needs_tools
def test_correlation_with_featurecounts_human(human, human_hisat2_bam):
    for bam in (human["bam"], human_hisat2_bam):
        table = ours(bam, human["gtf"], "no", human["tmp"] / f"{bam.stem}.fc-cmp.tsv")
        genes = read_htseq_table(table)[0].set_index("feature")["count"]
        fc = feature_counts(bam, human["gtf"], 0, paired=True, tmp=human["tmp"])
        r = log_pearson(genes, fc)
        print(f"human {bam.name}: Pearson(log counts) vs featureCounts = 1 - {1 - r:.3g}")
        assert r >= 1 - 1e-12  # measured 1 - 0 on 2026-12-06 (float noise floor); was 0.99


@needs_tools
def test_strandedness_yeast_agrees_with_stranded_counting(yeast):
    """The inferred protocol is the one under which htseq-count assigns far more reads."""
    regions = stranded_regions(yeast["gtf"], feature_type=FEATURE_TYPE)
    for sample, bam in yeast["bams"].items():
        ev = strand_evidence(bam, regions, **EVIDENCE)
        call = call_strandedness(ev, **CALL)
        print(
            f"yeast {sample}: forward {ev.fraction_forward:.3f}, reverse "
            f"{ev.fraction_reverse:.3f}, undetermined {ev.fraction_undetermined:.3f} -> {call}"
        )
        assert call in ("forward", "reverse")
        other = "yes" if call == "reverse" else "reverse"
        used = {"reverse": "reverse", "forward": "yes"}[call]
        tmp = yeast["tmp"]
        good = read_htseq_table(htseq_count_cli(bam, yeast["gtf"], used, tmp / "a.tsv"))[0]
        bad = read_htseq_table(htseq_count_cli(bam, yeast["gtf"], other, tmp / "b.tsv"))[0]
        # Not 100:1: ~37 % of yeast reads lie where exons of both strands overlap, and those
        # count to the antisense gene under the wrong orientation.
        ratio = good["count"].sum() / bad["count"].sum()
        print(f"yeast {sample}: right / wrong orientation {ratio:.3f}")
        assert ratio > 2.4  # measured 2.617 and 2.481 on 2026-12-06; was 2


def test_strandedness_human_star_bam(human):
    ev = strand_evidence(
        human["bam"], stranded_regions(human["gtf"], feature_type=FEATURE_TYPE), **EVIDENCE
    )
    call = call_strandedness(ev, **strandedness_options(min_reads=20)[1])
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
    features = load_features(gtf, stranded=stranded != "no", **feature_options())
    for threads in (1, 2):
        result = count_bam(
            bam, features, stranded, **count_options(), threads=threads, by_region=True
        )
        out = human["tmp"] / f"split.{stranded}.{threads}.tsv"
        write_htseq_table(result, features.names, out)
        assert out.read_text() == ref.read_text()
    genes, special = read_htseq_table(ref)
    assert special["__ambiguous"] > 0 and genes["count"].sum() > 0


@needs_tools
def test_region_parallel_counting_identical_unplaced_reads(human, human_hisat2_bam, yeast):
    """By-region counting of BAMs with unaligned reads (the unplaced '*' region)."""
    cases = [(human_hisat2_bam, human["gtf"], human["tmp"])]
    cases += [(bam, yeast["gtf"], yeast["tmp"]) for bam in yeast["bams"].values()]
    for bam, gtf, tmp in cases:
        ref = htseq_count_cli(bam, gtf, "reverse", tmp / f"{bam.stem}.region.htseq.tsv")
        out = tmp / f"{bam.stem}.region.ours.tsv"
        count_as_rule(bam, gtf, "reverse", out, threads=2)  # rule mrna_count's 2 threads
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
    assert count_as_rule(bam, human["gtf"], "reverse", tmp_path / "empty.tsv").assigned == 0
    evidence = strand_evidence(
        bam, stranded_regions(human["gtf"], feature_type=FEATURE_TYPE), **EVIDENCE
    )
    assert evidence.reads_used == 0
    assert call_strandedness(evidence, **CALL) == "undetermined"
    decision = resolve_strandedness("auto", "undetermined", "fail", "sample x, unit y")
    assert decision.used == "unstranded"
