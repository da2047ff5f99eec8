"""The mRNA rules themselves: a small Snakefile providing common.smk's API around rules/mrna.smk.

Run on real yeast reads, their counts are compared with the htseq-count command line.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from esccrt.mrna.align import parse_aligner_log
from esccrt.mrna.htseq_table import read_htseq_table
from mrna_parity_tools import (
    REPO,
    htseq_count_cli,
    needs_tools,
    write,
)

STUB_SNAKEFILE = """
import pandas as pd
from snakemake.utils import validate

from esccrt import paths, sheets
from esccrt.mrna.reference import reference_path

units = pd.read_csv(config["units"], sep="\\t", dtype=str, keep_default_na=False)
units = units.set_index(["sample", "unit"], drop=False).sort_index()
UNITS = sheets.UnitIndex.of(units)
MRNA_SAMPLES = sorted(set(units["sample"]))
validate(config["mrna"], schema={schema!r})
MRNA = config["mrna"]
MRNA_UNITS = [(s, u) for s in MRNA_SAMPLES for u in units.loc[s, "unit"].tolist()]
MRNA_GENOME = reference_path(MRNA, "genome.fa")
MRNA_GTF = reference_path(MRNA, "genes.gtf")

wildcard_constraints:
    sample="[A-Za-z0-9][A-Za-z0-9._-]*",
    unit="[A-Za-z0-9][A-Za-z0-9._-]*",

def units_of(sample):
    return UNITS.units_of(sample)

def is_paired(sample, unit):
    return UNITS.is_paired(sample, unit)

def unit_fastqs(wildcards):
    unit = UNITS.row(wildcards.sample, wildcards.unit)
    return {{"fq1": unit["fq1"], **({{"fq2": unit["fq2"]}} if unit["fq2"] else {{}})}}

# The workflow's resource table (requests() for every rule), as common.smk includes it.
include: {resources!r}
include: {rules!r}

rule all:
    input:
        "results/mrna/counts.tsv",
        "results/mrna/qc_gate.tsv",
        "results/mrna/strandedness.tsv",
"""


def stub_folder(
    tmp: Path, unit_rows: list[str], genome: Path, gtf: Path, min_assigned: int, **mrna_config
) -> Path:
    """A work folder with the stub Snakefile, units.tsv (``unit_rows``) and config.yaml."""
    import yaml

    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "Snakefile").write_text(
        STUB_SNAKEFILE.format(
            rules=str(REPO / "workflow" / "rules" / "mrna.smk"),
            resources=str(REPO / "workflow" / "rules" / "resources.smk"),
            schema=str(REPO / "workflow" / "schemas" / "mrna.schema.yaml"),
        )
    )
    write(
        tmp / "units.tsv", ["sample\tunit\tfq1\tfq2\tprotocol\tadapter\tstrandedness", *unit_rows]
    )
    config = {
        "units": "units.tsv",
        "mrna": {
            "genome": {"source": str(genome)},
            "annotation": {"source": str(gtf)},
            "qc": {"min_assigned_reads": min_assigned},
            **mrna_config,
        },
    }
    (tmp / "config.yaml").write_text(yaml.safe_dump(config))
    return tmp


def stub_workdir(tmp: Path, base: Path, sheet_strandedness: dict[str, str], **mrna_config) -> Path:
    """A work folder with units.tsv (yeast FASTQs), config.yaml and the stub Snakefile."""
    rows = [
        f"y{sample}\tlane1\t{base / f'{sample}_subsamp.fastq.gz'}\t\ttruseq\t\t{strandedness}"
        for sample, strandedness in sheet_strandedness.items()
    ]
    return stub_folder(tmp, rows, base / "genome.fa", base / "genes.gtf", 1000, **mrna_config)


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
    for rule in ("mrna_star_index", "mrna_align_star", "mrna_cutadapt", "mrna_count"):
        assert rule in run.stdout
    assert "mrna_align_hisat2" not in run.stdout
    lint = snakemake(work, "--lint")
    report = lint.stdout + lint.stderr
    assert "Lints for rule mrna_" not in report and "rules/mrna.smk:" not in report, report


@needs_tools
@pytest.mark.slow  # Snakemake runs the rules (an aligner, real reads): make test, not test-fast
@pytest.mark.commands("STAR")
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
    assert parse_aligner_log(aligned / f"{sample}.lane1.Log.final.out", "star") > 0.5
    calls = pd.read_csv(work / "results/mrna/strandedness.tsv", sep="\t").set_index("sample")
    assert calls.loc[sample, "inferred"] == "reverse"
    counts = pd.read_csv(work / "results/mrna/counts.tsv", sep="\t", keep_default_na=False)
    ref = htseq_count_cli(
        aligned / f"{sample}.lane1.bam", base / "genes.gtf", "reverse", tmp_path / "r"
    )
    genes, special = read_htseq_table(ref)
    assert counts[sample].tolist() == genes["count"].tolist()
    assert genes["count"].sum() > 1000
    summary = pd.read_csv(work / "results/mrna/count_summary.tsv", sep="\t").set_index("sample")
    assert summary.loc[sample, list(special)].to_dict() == special


@needs_tools
@pytest.mark.slow  # Snakemake runs the rules three times on real reads: make test, not test-fast
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
        genes, special = read_htseq_table(ref)
        assert counts[sample].tolist() == genes["count"].tolist()
        assert summary.loc[sample, list(special)].to_dict() == special
    gate = pd.read_csv(work / "results/mrna/qc_gate.tsv", sep="\t").set_index("sample")
    assert gate["passed"].tolist() == [True, False]  # the wrong orientation loses the reads

    fail = stub_workdir(tmp_path / "fail", base, sheet, strandedness={"mismatch": "fail"})
    run = snakemake(fail, "results/mrna/strandedness/ySRR4238379/ySRR4238379.lane1.tsv")
    assert run.returncode != 0
    log = (fail / "results/logs/mrna/strandedness/ySRR4238379.lane1.log").read_text()
    assert "Input error: sample ySRR4238379, unit lane1: the units sheet says" in log
    assert "Traceback" not in log  # a user's error is its message alone, not a stack
