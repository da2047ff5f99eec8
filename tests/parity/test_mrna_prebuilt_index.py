"""A HISAT2 index built outside the workflow (config mrna.hisat2.index) on the human chr22 slice.

Given in the config, it replaces the index job, is checked against the genome before any
alignment, and gives the same counts as the index the workflow builds itself.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest
from mrna_parity_tools import needs_tools
from test_mrna_rules import snakemake, stub_folder

CHR22 = ("mrnaseq", "human_chr22_slice")


def chr22_workdir(tmp: Path, base: Path, **mrna_config) -> Path:
    """A stub work folder: one paired unit of the chr22 slice reads, genome and GTF in place."""
    fq1, fq2 = base / "test_rnaseq_1.fastq.gz", base / "test_rnaseq_2.fastq.gz"
    rows = [f"h22\tlane1\t{fq1}\t{fq2}\ttruseq\t\tauto"]
    return stub_folder(tmp, rows, base / "genome.fasta", base / "genome.gtf", 10, **mrna_config)


def build_hisat2_index(fasta: Path, prefix: Path) -> Path:
    """hisat2-build run by hand, as a lab would have done it once."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["hisat2-build", "-q", str(fasta), str(prefix)], check=True, capture_output=True)
    return prefix


@pytest.mark.slow
@needs_tools
def test_prebuilt_index_counts_equal_built_and_mismatch_stops(shared_data, tmp_path):
    """Counts with the lab's index = counts with the workflow's own; another genome is refused."""
    base = shared_data.joinpath(*CHR22)
    prefix = build_hisat2_index(base / "genome.fasta", tmp_path / "lab_index" / "chr22")
    lab = chr22_workdir(
        tmp_path / "lab", base, hisat2={"splice_sites": False, "index": str(prefix)}
    )
    plan = snakemake(lab, "-n")
    assert plan.returncode == 0, plan.stderr + plan.stdout
    assert "mrna_hisat2_index" not in plan.stdout
    assert "mrna_check_index" in plan.stdout and "mrna_align_hisat2" in plan.stdout
    own = chr22_workdir(tmp_path / "own", base, hisat2={"splice_sites": False})
    run = snakemake(own)
    assert run.returncode == 0, run.stderr[-3000:]
    run = snakemake(lab)
    assert run.returncode == 0, run.stderr[-3000:]
    assert not (lab / "results/mrna/reference/hisat2").exists()
    marker = (lab / "results/mrna/reference/hisat2.prebuilt_checked.txt").read_text()
    assert "1 sequence(s), 40001 bases" in marker
    for table in ("counts.tsv", "count_summary.tsv"):
        both = [pd.read_csv(w / "results/mrna" / table, sep="\t") for w in (own, lab)]
        pd.testing.assert_frame_equal(both[0], both[1])
    # 4,159 pairs of which 520 align concordantly to the 40-kb slice; 36 land on its genes.
    assert both[0]["assigned"].sum() > 0 and both[0]["total"].sum() == 4159
    # An index of another genome (yeast chrI) stops the run before any alignment.
    yeast = shared_data / "mrnaseq" / "yeast_chrI" / "genome.fa"
    other = build_hisat2_index(yeast, tmp_path / "yeast_index" / "yeast")
    wrong = chr22_workdir(
        tmp_path / "wrong", base, hisat2={"splice_sites": False, "index": str(other)}
    )
    run = snakemake(wrong)
    assert run.returncode != 0
    log = (wrong / "results/logs/mrna/check_index_hisat2.log").read_text()
    assert str(other) in log and str(base / "genome.fasta") in log
    assert "does not match" in log and "only in the index (e.g. ['I'])" in log
    assert not list((wrong / "results").glob("mrna/aligned/**/*.bam"))
