"""The compiled union counting (esccrt.mrna.bam_stream / union_kernel) against the pysam path.

The pysam path (esccrt.mrna.union_count) is checked against the htseq-count command line in
tests/parity; here random BAMs exercise every branch of the compiled loop (flags, NH, MAPQ,
CIGARs, unknown chromosomes, mates missing, repeated or on other chromosomes, long names,
records across chunk boundaries) and its result must be the pysam path's, counter by counter.
"""

from __future__ import annotations

import random
from pathlib import Path

import pysam
import pytest
from esccrt.errors import InputError
from esccrt.mrna import bam_stream, union_count
from esccrt.mrna.features import load_features
from schema_sections import feature_options

# gene, chromosome, start, end, strand (F: E's antisense neighbour; D: two exons)
GENES = [
    ("A", "c1", 101, 200, "+"),
    ("B", "c1", 151, 250, "+"),
    ("C", "c1", 401, 500, "-"),
    ("D", "c1", 601, 700, "+"),
    ("D", "c1", 901, 1000, "+"),
    ("E", "c2", 101, 300, "+"),
    ("F", "c2", 251, 400, "-"),
]
GTF = "".join(
    f'{chrom}\tt\texon\t{start}\t{end}\t.\t{strand}\t.\tgene_id "{gene}"; gene_name "{gene}";\n'
    for gene, chrom, start, end, strand in GENES
)
CIGARS = ["30M", "10M200N20M", "5M50D25M", "10S20M", "15M5I10M", "10M0N20M", "20=10X"]
CHROMS = ["c1", "c1", "c2", "c9"]  # c9 is not in the annotation
LONG = "M" * 50  # read names longer than the 48 bytes kept exactly


def _tags(rng: random.Random) -> str:
    nh = rng.choice(["NH:i:1", "NH:i:1", "NH:i:2", "NH:i:300", ""])  # stored as C, C, S
    return "\t".join(t for t in (rng.choice(["AS:i:0", "XS:Z:+", ""]), nh) if t)


def _record(name, flag, chrom, pos, cigar, mate_chrom, mate_pos, tlen, rng) -> str:
    unmapped = flag & 4
    seq = 30
    fields = [name, str(flag), chrom, str(pos), str(rng.choice([0, 3, 30, 60]))]
    fields += ["*" if unmapped else cigar, mate_chrom, str(mate_pos), str(tlen)]
    return "\t".join([*fields, "A" * seq, "I" * seq, _tags(rng)]).rstrip("\t")


def _pair(rng: random.Random, name: str) -> list[str]:
    """Both mates of a random pair (sometimes one missing, unmapped or secondary)."""
    chrom1, chrom2 = rng.choice(CHROMS), rng.choice([*CHROMS, "same", "same"])
    chrom2 = chrom1 if chrom2 == "same" else chrom2
    pos1, pos2 = rng.randint(1, 1200), rng.randint(1, 1200)
    un1, un2 = rng.random() < 0.08, rng.random() < 0.08
    rev1 = rng.random() < 0.5
    if un1 and un2:
        chrom1 = chrom2 = "*"
        pos1 = pos2 = 0
    elif un1:
        chrom1, pos1 = chrom2, pos2
    elif un2:
        chrom2, pos2 = chrom1, pos1
    tlen = pos2 - pos1 + 30 if chrom1 == chrom2 and not (un1 or un2) else 0
    flag1 = 1 | 64 | (16 if rev1 else 0) | (32 if not rev1 else 0) | (4 if un1 else 0)
    flag2 = 1 | 128 | (16 if not rev1 else 0) | (32 if rev1 else 0) | (4 if un2 else 0)
    flag1 |= 8 if un2 else 0
    flag2 |= 8 if un1 else 0
    next1 = "=" if chrom2 == chrom1 and chrom1 != "*" else chrom2
    next2 = "=" if chrom2 == chrom1 and chrom1 != "*" else chrom1
    cigar1, cigar2 = rng.choice(CIGARS), rng.choice(CIGARS)
    mates = [
        _record(name, flag1, chrom1, pos1, cigar1, next1, pos2, tlen, rng),
        _record(name, flag2, chrom2, pos2, cigar2, next2, pos1, -tlen, rng),
    ]
    if rng.random() < 0.05:
        mates.pop(rng.randrange(2))  # orphan: htseq-count counts it as a half pair
    if rng.random() < 0.05:
        mates.append(_record(name, flag1 | 256, chrom1, pos1, cigar1, next1, pos2, tlen, rng))
    return mates


def _bam(tmp: Path, lines: list[str]) -> Path:
    header = "@HD\tVN:1.6\tSO:unsorted\n" + "".join(
        f"@SQ\tSN:{chrom}\tLN:5000\n" for chrom in ("c1", "c2", "c9")
    )
    sam = tmp / "reads.sam"
    sam.write_text(header + "\n".join(lines) + "\n")
    bam = tmp / "reads.bam"
    pysam.sort("-o", str(bam), str(sam))
    return bam


def _random_paired_bam(tmp: Path, n_pairs: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = []
    for i in range(n_pairs):
        name = f"{LONG}{i}" if i % 7 == 0 else f"p{i % (n_pairs - 40)}"  # some names repeat
        lines += _pair(rng, name)
    return _bam(tmp, lines)


def _pysam_tally(bam: Path, index, paired: bool, reverse: bool) -> union_count.Tally:
    with pysam.AlignmentFile(str(bam)) as samfile:
        reads = samfile.fetch(until_eof=True)
        if paired:
            return union_count.count_paired(reads, index, reverse, 10)
        return union_count.count_single(reads, index, reverse, 10)


@pytest.fixture(scope="module")
def paired_bam(tmp_path_factory) -> Path:
    return _random_paired_bam(tmp_path_factory.mktemp("paired"), 3000, seed=7)


@pytest.mark.parametrize("stranded", ["yes", "no", "reverse"])
def test_compiled_paired_counting_equals_pysam_path(tmp_path, paired_bam, monkeypatch, stranded):
    """Counts and special counters as the pysam path, also with records across chunks and with
    the inflating thread."""
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(GTF)
    features = load_features(gtf, stranded=stranded != "no", **feature_options())
    index = union_count.StepIndex.from_array(features.array, features.names, features.stranded)
    reverse = stranded == "reverse"
    expected = _pysam_tally(paired_bam, index, True, reverse)
    monkeypatch.setattr(bam_stream, "CHUNK_BYTES", 5000)  # records straddle chunks
    for prefetch in (False, True):
        got = bam_stream.count_union(paired_bam, index, True, reverse, 10, prefetch=prefetch)
        assert got == expected, prefetch
    # not vacuous: every counter and several genes are hit
    assert all(value > 0 for value in expected.special().values())
    assert sum(count > 0 for count in expected.genes) >= 3


def test_compiled_single_end_counting_equals_pysam_path(tmp_path):
    rng = random.Random(3)
    lines = []
    for i in range(2000):
        flag = rng.choice([0, 16, 0, 16, 4, 256, 2048])
        chrom, pos = rng.choice(CHROMS), rng.randint(1, 1200)
        if flag == 4:
            chrom, pos = "*", 0
        lines.append(_record(f"s{i}", flag, chrom, pos, rng.choice(CIGARS), "*", 0, 0, rng))
    bam = _bam(tmp_path, lines)
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(GTF)
    features = load_features(gtf, stranded=True, **feature_options())
    index = union_count.StepIndex.from_array(features.array, features.names, True)
    for reverse in (False, True):
        expected = _pysam_tally(bam, index, False, reverse)
        assert bam_stream.count_union(bam, index, False, reverse, 10) == expected
    assert all(value > 0 for value in expected.special().values())


def test_unusual_records_are_left_to_pysam(tmp_path):
    """A non-integer NH tag makes the compiled loop give up (None): count_bam then counts on
    the pysam path."""
    rng = random.Random(1)
    line = _record("f1", 0, "c1", 120, "30M", "*", 0, 0, rng).split("\t")[:11]
    bam = _bam(tmp_path, ["\t".join([*line, "NH:f:2.0"])])
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(GTF)
    features = load_features(gtf, stranded=True, **feature_options())
    index = union_count.StepIndex.from_array(features.array, features.names, True)
    assert bam_stream.count_union(bam, index, False, False, 10) is None
    assert _pysam_tally(bam, index, False, False).not_unique == 1


def test_inflated_blocks_are_the_bam_content_and_truncation_is_an_input_error(tmp_path, paired_bam):
    with pysam.BGZFile(str(paired_bam), "rb") as handle:
        content = handle.read()
    assert b"".join(bam_stream.inflate_blocks(paired_bam, 4096)) == content
    cut = tmp_path / "cut.bam"
    cut.write_bytes(paired_bam.read_bytes()[:-100])
    with pytest.raises(InputError, match=r"cut\.bam"):
        list(bam_stream.inflate_blocks(cut))
    gzipped = tmp_path / "text.gz"  # BGZF, but not a BAM
    gzipped.write_bytes(b"")
    with pysam.BGZFile(str(gzipped), "wb") as handle:
        handle.write(b"chr1\t1\t2\n" * 10)
    with pytest.raises(InputError, match=r"text\.gz: no BAM magic number"):
        bam_stream.records(gzipped)
