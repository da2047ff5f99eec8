"""GTF checks against the genome, and the splice sites/exons/regions derived from the GTF."""

from __future__ import annotations

from pathlib import Path

import pytest
from esccrt.errors import InputError
from esccrt.mrna.annotation import (
    check_annotation,
    hisat2_exons,
    hisat2_splice_sites,
    stranded_regions,
)
from schema_sections import annotation_options

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
    summary = check_annotation(write(tmp_path / "g.gtf", GTF_LINES), genome, **annotation_options())
    assert summary.genes == {"G1", "G2"}
    assert summary.genes_with_name == {"G1"}
    assert summary.feature_types == {"gene": 1, "exon": 3}


def test_check_annotation_missing_gene_id_names_file_and_line(tmp_path, genome):
    bad = write(
        tmp_path / "bad.gtf", [*GTF_LINES, 'chr1\tt\texon\t5\t9\t.\t+\t.\ttranscript_id "T9";']
    )
    with pytest.raises(InputError, match=r"bad\.gtf: line 5: .*no 'gene_id'"):
        check_annotation(bad, genome, **annotation_options())


def test_check_annotation_unknown_chromosome(tmp_path, genome):
    lines = [line.replace("chr1", "1", 1) for line in GTF_LINES[:2]] + GTF_LINES[2:]
    with pytest.raises(InputError, match=r"other\.gtf: 1 chromosome\(s\).*not in the genome.*: 1 "):
        check_annotation(write(tmp_path / "other.gtf", lines), genome, **annotation_options())


def test_check_annotation_other_problems(tmp_path, genome):
    with pytest.raises(InputError, match="no 'exon' lines found"):
        check_annotation(write(tmp_path / "a.gtf", GTF_LINES[:1]), genome, **annotation_options())
    with pytest.raises(InputError, match="HTML page"):
        check_annotation(
            write(tmp_path / "b.gtf", ["<!DOCTYPE html>", "<html>"]), genome, **annotation_options()
        )
    with pytest.raises(InputError, match="line 1 has 3 tab-separated columns"):
        check_annotation(write(tmp_path / "c.gtf", ["a\tb\tc"]), genome, **annotation_options())
    unstranded = [GTF_LINES[1].replace("\t+\t", "\t.\t")]
    with pytest.raises(InputError, match="no strand"):
        check_annotation(write(tmp_path / "d.gtf", unstranded), genome, **annotation_options())
    check_annotation(tmp_path / "d.gtf", genome, stranded=False, **annotation_options())
    with pytest.raises(InputError, match="not a FASTA file"):
        check_annotation(
            tmp_path / "d.gtf",
            write(tmp_path / "x.fa", ["<html>"]),
            stranded=False,
            **annotation_options(),
        )


def test_hisat2_splice_sites_and_exons(tmp_path):
    gtf = write(tmp_path / "g.gtf", GTF_LINES)
    # exons 1-40 and 61-100 (1-based): junction between 0-based positions 39 and 60
    assert hisat2_splice_sites(gtf) == [("chr1", 39, 60, "+")]
    assert hisat2_exons(gtf) == [
        ("chr1", 0, 39, "+"),
        ("chr1", 60, 99, "+"),
        ("chr1", 150, 199, "-"),
    ]
    assert stranded_regions(gtf, feature_type="exon") == [
        ("chr1", 0, 40, "+"),
        ("chr1", 60, 100, "+"),
        ("chr1", 150, 200, "-"),
    ]
