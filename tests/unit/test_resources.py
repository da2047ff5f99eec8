"""Job resources from input sizes (esccrt.resources): formulas, floors, cheap size look-ups."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from esccrt import resources as res
from esccrt.sheets import UnitIndex

HUMAN, YEAST = 3_100_000_000, 12_100_000  # GRCh38 and the whole S. cerevisiae genome


def test_index_builds_scale_with_the_genome():
    plain = res.index_build("hisat2", HUMAN, threads=8)
    assert plain.mem_mb >= 8000 and plain.mem_mb < 12000  # HISAT2 manual: ~8 GB for GRCh38
    assert res.index_build("hisat2_splice_sites", HUMAN, 8).mem_mb >= 160_000
    assert 32_000 <= res.index_build("star", HUMAN, 8).mem_mb <= 40_000
    yeast = res.index_build("hisat2", YEAST, threads=2)
    assert yeast.mem_mb == 500 and yeast.runtime < 35  # the floors
    assert res.index_build("hisat2", HUMAN, 2).runtime > plain.runtime > 60
    assert res.index_build("bowtie", 400_000, 2) == res.Request(500, 31)


def test_sizes_are_read_cheaply(tmp_path):
    fasta = tmp_path / "g.fa"
    fasta.write_text(">c1\nACGT\n")
    assert res.genome_bases(fasta) == 9  # no .fai: the bytes, headers included
    (tmp_path / "g.fa.fai").write_text("c1\t3000000000\t5\t60\t61\nc2\t100000000\t9\t60\t61\n")
    assert res.genome_bases(fasta) == 3_100_000_000
    folder = tmp_path / "star"
    (folder / "sub").mkdir(parents=True)
    (folder / "SA").write_bytes(b"x" * 100)
    (folder / "sub" / "f").write_bytes(b"x" * 20)
    assert res.path_bytes(folder) == 120 and res.path_bytes([folder, fasta]) == 129
    with pytest.raises(FileNotFoundError):  # Snakemake then plans <TBD>
        res.path_bytes([tmp_path / "index.1.ht2"])
    estimate = res.index_bytes([tmp_path / "index.1.ht2"], "hisat2", str(fasta))
    assert estimate == int(3_100_000_000 * res.INDEX_SIZE_PER_BASE["hisat2"])
    assert res.index_bytes(folder, "star", None) == 120


def test_alignment_counting_and_de_requests():
    index = int(HUMAN * res.INDEX_SIZE_PER_BASE["hisat2"])
    one = res.alignment("hisat2", index, fastq_bytes=2 * res.GB, threads=8)
    assert 6000 < one.mem_mb < 15000  # the index in memory plus 8 sort buffers
    assert one.runtime == 15 + 15  # 60 CPU-min per GB, 2 GB on 8 threads
    star = res.alignment("star", int(HUMAN * res.INDEX_SIZE_PER_BASE["star"]), res.GB, 8)
    assert star.mem_mb >= 32_000
    assert res.alignment("bowtie", 10_000, 1000, 2) == res.Request(501, 16)
    assert res.bam_index(4 * res.GB) == res.Request(500, 30)
    human_gtf = res.gene_counting(1_500_000_000, res.GB, threads=2)
    assert human_gtf == res.Request(1000 + 2 * (500 + 1500), 45)
    assert res.mirna_counting(res.GB // 2).mem_mb == 2100
    assert res.differential_expression(12) == res.Request(2000, 30 + 3)
    big = res.differential_expression(500)
    assert big.mem_mb == 1000 + 7500 and big.runtime == 30 + 90


def test_fastq_bytes_of_a_unit_or_a_sample(tmp_path):
    files = {name: tmp_path / name for name in ("a1.fq", "a2.fq", "b.fq")}
    for size, path in zip((10, 20, 5), files.values(), strict=True):
        path.write_bytes(b"@" * size)
    units = pd.DataFrame(
        {
            "sample": ["s1", "s1"],
            "unit": ["l1", "l2"],
            "fq1": [str(files["a1.fq"]), str(files["b.fq"])],
            "fq2": [str(files["a2.fq"]), ""],
        }
    )
    units = UnitIndex.of(units)
    assert res.fastq_bytes(units, "s1", "l1") == 30
    assert res.fastq_bytes(units, "s1") == 35


def test_source_bytes_of_a_configured_reference(tmp_path):
    fasta = tmp_path / "mature.fa"
    fasta.write_text(">hsa-a\nACGU\n")
    assert res.source_bytes(str(fasta)) == 12
    assert res.source_bytes("https://mirbase.org/download_version_files/22.1/mature.fa") == 0
    assert res.source_bytes(str(tmp_path / "absent.fa")) == 0
    assert res.index_build("bowtie", res.source_bytes(str(fasta)), 2).mem_mb == 500


def test_trimming_time_follows_the_reads():
    assert res.trimming(0, 2) == res.Request(1000, 15)
    assert res.trimming(10 * res.GB, 2) == res.Request(1000, 15 + 200)


def test_every_rule_takes_its_requests_from_the_one_table(repo_root):
    """Each rule has threads and its resources from resources.smk's JOB_REQUESTS, by its own name;
    the table has a row for every rule and no other (rule files read as text: no workflow run)."""
    rules_dir = repo_root / "workflow" / "rules"
    table = re.search(
        r"^JOB_REQUESTS = \{\n(.*?)^\}", (rules_dir / "resources.smk").read_text(), re.S | re.M
    )
    assert table is not None
    rows = re.findall(r'^    "(\w+)":', table[1], re.M)
    assert len(rows) == len(set(rows))
    rules = {}
    for path in sorted(rules_dir.glob("*.smk")):
        for match in re.finditer(
            r"^( *)rule (\w+):\n(.*?)(?=^ *rule \w+:|\Z)", path.read_text(), re.S | re.M
        ):
            rules[match[2]] = match[3]
    assert len(rules) == len(rows)
    for name, body in rules.items():
        assert re.search(r"^\s+threads: ", body, re.M), name
        assert re.search(rf'^\s+resources:\n\s+\*\*requests\("{name}"\),\n', body, re.M), name
    assert set(rows) == set(rules)


def test_aggregate_requests_grow_with_the_samples_and_cover_the_measured_peaks(repo_root):
    """bench/aggregate_measured.tsv: the aggregates measured by `bench/run.py --only
    aggregate_scale,mrna_aggregate_scale` (whole processes, GNU time) at 100 to 1,000 synthetic
    samples (the mRNA ones: units of 60,000 genes); the DE rules (request:
    :func:`res.differential_expression`, features' upper bound) on 2,500 miRNAs."""
    measured = pd.read_csv(repo_root / "bench" / "aggregate_measured.tsv", sep="\t", comment="#")
    de_rules = {"diffexp_arm", "diffexp_contrast"}
    isomirs = "smallrna_isomirs"
    assert set(measured["rule"]) == set(res.AGGREGATE_PER_SAMPLE) | de_rules | {isomirs}
    assert (measured.groupby("rule")["samples"].max() >= 1000).all()
    for row in measured.itertuples(index=False):
        if row.rule in de_rules:
            request = res.differential_expression(row.samples)
        elif row.rule == isomirs:  # an empty mirGFF3: the smallest request of that many samples
            request = res.isomir_matrix(row.samples, 0)
        else:
            request = res.aggregate(row.rule, row.samples)
        assert request.mem_mb >= row.peak_mb, row
        assert request.runtime * 60 >= row.wall_s, row
    for rule in res.AGGREGATE_PER_SAMPLE:
        small, large = res.aggregate(rule, 100), res.aggregate(rule, 10_000)
        assert large.mem_mb > small.mem_mb and large.runtime > small.runtime
