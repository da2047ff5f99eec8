"""mRNA alignment: HISAT2/STAR/samtools command lines and the index memory they declare."""

from __future__ import annotations

from esccrt.mrna.align import hisat2_args, hisat2_build_args, star_args, star_sa_index_nbases
from esccrt.resources import index_build


def test_alignment_commands():
    assert hisat2_args("idx/g", "a.fq", "s.txt", threads=3) == [
        "hisat2", "-p", "3", "-x", "idx/g", "--new-summary", "-U", "a.fq",
        "--summary-file", "s.txt",
    ]  # fmt: skip
    pe = hisat2_args("g", "a.fq", "s.txt", "b.fq", read_group=("s1.L1", "s1"))
    assert pe[6:] == ["-1", "a.fq", "-2", "b.fq", "--summary-file", "s.txt",
                      "--rg-id", "s1.L1", "--rg", "SM:s1"]  # fmt: skip
    assert hisat2_build_args("g.fa", "p", 2, "ss.tsv", "ex.tsv") == [
        "hisat2-build", "-p", "2", "--ss", "ss.tsv", "--exon", "ex.tsv", "g.fa", "p",
    ]  # fmt: skip
    star = star_args("idx", "r1.fq.gz", "out/", "r2.fq.gz", threads=4)
    assert star[star.index("--readFilesIn") + 1 : star.index("--readFilesIn") + 3] == [
        "r1.fq.gz",
        "r2.fq.gz",
    ]
    assert "zcat" in star and "Within" in star and "SortedByCoordinate" in star
    assert "--readFilesCommand" not in star_args("idx", "r1.fq", "out/")
    # STAR manual: min(14, log2(GenomeLength)/2 - 1); 14 for human, smaller for small genomes
    assert star_sa_index_nbases(3_100_000_000) == 14
    assert star_sa_index_nbases(230_000) == 7
    assert index_build("star", 3_100_000_000, 2).mem_mb == 34100
    assert index_build("hisat2", 3_100_000_000, 2).mem_mb == 9300
    assert index_build("hisat2", 1_000, 2).mem_mb == 500
