"""Prebuilt aligner indexes: their files, sequence names and lengths, the check against a FASTA."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from esccrt.errors import InputError
from esccrt.indexes import (
    bowtie_index_input,
    bowtie_index_marker,
    check_index,
    check_star_annotation,
    compare_lengths,
    fasta_lengths,
    index_files,
    index_prefix,
    mrna_index_input,
    mrna_index_marker,
    parse_inspect_summary,
)
from esccrt.smallrna.reference import prepare_reference

needs_builders = pytest.mark.commands("hisat2-build", "bowtie-build")


def test_inspect_summary_and_fasta_lengths(tmp_path):
    text = "SA-Sample\t1 in 16\nSequence-1\tchr22\t40001\nSequence-2\tchrM extra words\t16569\n"
    assert parse_inspect_summary(text) == {"chr22": 40001, "chrM": 16569}
    fasta = tmp_path / "g.fa"
    fasta.write_text(">c1 description\nACGT\nAC\n>c2\nA\n")
    assert fasta_lengths(fasta) == {"c1": 6, "c2": 1}
    fai = tmp_path / "g.fa.fai"
    fai.write_text("c1\t3100000000\t0\t60\t61\n")
    assert fasta_lengths(fasta) == {"c1": 3_100_000_000}  # a current .fai is trusted
    old = time.time() - 100
    os.utime(fai, (old, old))
    assert fasta_lengths(fasta) == {"c1": 6, "c2": 1}  # a stale one is not


def test_compare_lengths_names_both_files_and_the_differences():
    compare_lengths({"a": 1}, {"a": 1}, "IDX", "FA")
    with pytest.raises(InputError) as error:
        compare_lengths({"I": 230218, "a": 5}, {"chr22": 40001, "a": 6}, "'idx/y'", "'g.fa'")
    message = str(error.value)
    assert "'idx/y'" in message and "'g.fa'" in message
    assert "only in the index (e.g. ['I'])" in message
    assert "only in the FASTA (e.g. ['chr22'])" in message
    assert "a: 5 vs 6" in message and "nothing was aligned" in message


def test_index_files_are_listed_or_refused_naming_the_key(tmp_path):
    for suffix in (".1.ht2l", *(f".{n}.ht2l" for n in range(2, 9))):
        (tmp_path / f"big{suffix}").touch()
    files = index_files("hisat2", str(tmp_path / "big"), "mrna.hisat2.index")
    assert files[0].endswith("big.1.ht2l") and len(files) == 8
    assert index_prefix(files[0]) == str(tmp_path / "big")
    assert index_prefix("x/mature.1.ebwt") == "x/mature"
    with pytest.raises(InputError, match=r"config key smallrna\.bowtie_index\.mature: .*absent"):
        index_files("bowtie", str(tmp_path / "none"), "smallrna.bowtie_index.mature")
    star = tmp_path / "star"
    star.mkdir()
    with pytest.raises(InputError, match=r"mrna\.star\.index: .*STAR --genomeDir"):
        index_files("star", str(star), "mrna.star.index")


def test_star_index_is_read_from_chr_name_length(tmp_path):
    star = tmp_path / "star"
    star.mkdir()
    for name in ("Genome", "SA", "SAindex"):
        (star / name).touch()
    (star / "chrNameLength.txt").write_text("c1\t6\nc2\t1\n")
    assert len(index_files("star", str(star), "mrna.star.index")) == 4
    fasta = tmp_path / "g.fa"
    fasta.write_text(">c1\nACGTAC\n>c2\nA\n")
    assert check_index("star", str(star), str(fasta)).sequences == 2
    (star / "chrNameLength.txt").write_text("1\t6\n2\t1\n")
    with pytest.raises(InputError, match="only in the index"):
        check_index("star", str(star), str(fasta))


@needs_builders
def test_real_hisat2_index_matches_its_genome_only(shared_data, tmp_path):
    chr22 = shared_data / "mrnaseq" / "human_chr22_slice" / "genome.fasta"
    yeast = shared_data / "mrnaseq" / "yeast_chrI" / "genome.fa"
    prefix = str(tmp_path / "chr22")
    subprocess.run(["hisat2-build", "-q", str(chr22), prefix], check=True, capture_output=True)
    summary = check_index("hisat2", prefix, str(chr22)).summary()
    assert "40001 bases" in summary and "built without splice sites" in summary
    with pytest.raises(InputError, match=rf"{prefix}.*does not match the FASTA '{yeast}'"):
        check_index("hisat2", prefix, str(yeast))


@needs_builders
def test_real_bowtie_index_of_the_prepared_reference(shared_data, tmp_path):
    """An index of the prepared mature reference matches it; given for the hairpin step it fails."""
    mature, hairpin = tmp_path / "mature.fa", tmp_path / "hairpin.fa"
    prepare_reference(str(shared_data / "mirbase" / "mature.fa"), mature, "hsa")
    prepare_reference(str(shared_data / "mirbase" / "hairpin.fa"), hairpin, "hsa")
    bowtie = str(tmp_path / "mature")
    subprocess.run(["bowtie-build", "-q", str(mature), bowtie], check=True, capture_output=True)
    assert check_index("bowtie", bowtie, str(mature)).sequences == 2588
    with pytest.raises(InputError, match=r"2588 sequence\(s\) only in the index"):
        check_index("bowtie", bowtie, str(hairpin))
    with pytest.raises(InputError, match="could not read the index"):
        check_index("bowtie", str(tmp_path / "nothing"), str(mature))


def test_aligner_rules_read_the_prebuilt_index_or_the_one_built_here():
    mrna = {"aligner": "hisat2", "hisat2": {"index": "lab/g"}, "star": {"index": ""}}
    assert mrna_index_input(mrna, "hisat2", ["lab/g.1.ht2"]) == ["lab/g.1.ht2"]
    assert mrna_index_marker(mrna, "hisat2") == [
        "results/mrna/reference/hisat2.prebuilt_checked.txt"
    ]
    assert mrna_index_input(mrna, "star", []) == "results/mrna/reference/star"
    assert mrna_index_marker(mrna, "star") == []
    mrna.update(aligner="star", star={"index": "lab/star"})
    assert mrna_index_input(mrna, "star", []) == "lab/star"
    assert mrna_index_input(mrna, "hisat2", [])[0] == "results/mrna/reference/hisat2/genome.1.ht2"
    prebuilt = {"mature": ["lab/m.1.ebwt"]}
    assert bowtie_index_input(prebuilt, "mature") == ["lab/m.1.ebwt"]
    assert bowtie_index_input(prebuilt, "hairpin")[-1].endswith("bowtie/hairpin.rev.2.ebwt")
    assert bowtie_index_marker(prebuilt, "hairpin") == []
    assert bowtie_index_marker(prebuilt, "mature")[0].endswith("mature.prebuilt_checked.txt")


@pytest.mark.commands("STAR")
def test_star_index_genes_are_compared_with_the_gtf(shared_data, tmp_path):
    base = shared_data / "mrnaseq" / "human_chr22_slice"
    star = tmp_path / "star"
    star.mkdir()
    subprocess.run(
        ["STAR", "--runMode", "genomeGenerate", "--genomeDir", str(star), "--genomeFastaFiles",
         str(base / "genome.fasta"), "--sjdbGTFfile", str(base / "genome.gtf"),
         "--genomeSAindexNbases", "6", "--sjdbOverhang", "99", "--outFileNamePrefix", f"{star}/"],
        check=True, capture_output=True,
    )  # fmt: skip
    assert check_index("star", str(star), str(base / "genome.fasta")).sequences == 1
    text = (base / "genome.gtf").read_text()
    genes = {field.split('"')[1] for field in text.split("gene_id ")[1:]}
    assert len(genes) == 7
    assert "same 7 genes" in check_star_annotation(str(star), genes, "genome.gtf")
    with pytest.raises(InputError, match=r"another annotation than 'other\.gtf': 1 gene\(s\) only"):
        check_star_annotation(str(star), genes - {"ENSG00000100181"}, "other.gtf")
    (star / "geneInfo.tab").unlink()
    assert "built without an annotation" in check_star_annotation(str(star), genes, "g.gtf")
