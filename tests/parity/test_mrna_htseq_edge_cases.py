"""Hand-made edge cases: every branch of htseq-count's decisions, against its command line."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from esccrt.mrna.counting import count_bam
from esccrt.mrna.features import load_features
from esccrt.mrna.htseq_table import read_htseq_table, write_htseq_table
from mrna_parity_tools import (
    htseq_count_cli,
)
from schema_sections import count_options, feature_options

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
    ref_genes, ref_special = read_htseq_table(ref)
    features = load_features(gtf, stranded=stranded != "no", **feature_options())
    for threads, by_region in ((1, False), (1, True), (2, True)):
        result = count_bam(
            bam, features, stranded, **count_options(), threads=threads, by_region=by_region
        )
        out = tmp_path / f"ours_{threads}_{by_region}.tsv"
        write_htseq_table(result, features.names, out)
        genes, special = read_htseq_table(out)
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
        features = load_features(gtf, stranded=True, **feature_options())
        result = count_bam(bam, features, "yes", **count_options(mode=mode, nonunique=nonunique))
        out = tmp_path / f"{layout}.ours.tsv"
        write_htseq_table(result, features.names, out)
        assert out.read_text() == ref.read_text(), layout
