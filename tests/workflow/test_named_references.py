"""References by name and a prebuilt bowtie index, through the workflow's own rules.

The demo's genome, GTF, rRNA class and miRBase files are laid out like Ensembl's and miRBase's
servers in a ``file://`` folder; the config names them by release only (config ``reference``,
and the rRNA class by ``source``, kept by biotype from an Ensembl-style ncRNA FASTA). One sample's
miRNA counts with a prebuilt mature index equal those with the index the workflow builds, and an
index of another reference stops the run before that step aligns anything.
"""

from __future__ import annotations

import gzip
import json
import subprocess

import pandas as pd
import pytest
import yaml
from esccrt.references import bsd_sum
from esccrt.smallrna.reference import prepare_reference, read_fasta
from prerequisites import DEMO_DATA, missing
from workflow_runs import REPO_ROOT, make_demo_run, run_workflow

pytestmark = pytest.mark.slow
DEMO = REPO_ROOT / "resources" / "demo"


def mirror_of_the_demo(root):
    """Ensembl release 112 and miRBase 22.1 layouts holding the demo's references."""
    dna = root / "ensembl" / "release-112" / "fasta" / "homo_sapiens" / "dna"
    gtf = root / "ensembl" / "release-112" / "gtf" / "homo_sapiens"
    for folder, name, source in (
        (dna, "Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz", DEMO / "mrna" / "genome.fa"),
        (gtf, "Homo_sapiens.GRCh38.112.gtf.gz", DEMO / "mrna" / "genes.gtf"),
    ):
        folder.mkdir(parents=True)
        (folder / name).write_bytes(gzip.compress(source.read_bytes()))
        (folder / "CHECKSUMS").write_text(f"{bsd_sum(folder / name)} {name}\n")
    # Ensembl's ncRNA FASTA: the demo's rRNA class and a lncRNA the class's biotypes leave out
    ncrna = root / "ensembl" / "release-112" / "fasta" / "homo_sapiens" / "ncrna"
    ncrna.mkdir(parents=True)
    entries = [
        (record.name, "rRNA", record.sequence)
        for record in read_fasta(DEMO / "smallrna" / "rna_classes" / "rRNA.fa")
    ] + [("ENST_decoy", "lncRNA", "ACGT" * 20)]
    text = "".join(
        f">{name} ncrna chromosome:GRCh38:1:1:{len(seq)}:1 gene_biotype:{biotype} "
        f"transcript_biotype:{biotype}\n{seq}\n"
        for name, biotype, seq in entries
    )
    name = "Homo_sapiens.GRCh38.ncrna.fa.gz"
    (ncrna / name).write_bytes(gzip.compress(text.encode()))
    (ncrna / "CHECKSUMS").write_text(f"{bsd_sum(ncrna / name)} {name}\n")
    mirbase = root / "mirbase" / "22.1"
    mirbase.mkdir(parents=True)
    for name in ("mature.fa", "hairpin.fa"):
        (mirbase / name).write_bytes((DEMO / "smallrna" / name).read_bytes())
    return {"ensembl": (root / "ensembl").as_uri(), "mirbase": (root / "mirbase").as_uri()}


def job_counts(stdout: str) -> dict[str, int]:
    """Rule -> number of jobs, from the job table of a dry run."""
    rows = (line.split() for line in stdout.splitlines())
    return {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].isdigit()}


def test_named_references_are_downloaded_once_and_recorded(tmp_path):
    if not (DEMO / ".complete").exists():
        missing("the simulated demo data (resources/demo)", DEMO_DATA)
    work = make_demo_run(tmp_path / "run")
    # bowtie indexes of the prepared mature and hairpin references, built by hand
    index = {}
    for step in ("mature", "hairpin"):
        prepared = tmp_path / "lab" / f"{step}.fa"
        prepare_reference(str(DEMO / "smallrna" / f"{step}.fa"), prepared, "hsa")
        index[step] = tmp_path / "lab" / step
        subprocess.run(["bowtie-build", "-q", str(prepared), str(index[step])], check=True)
    config = yaml.safe_load((work / "config" / "config.yaml").read_text())
    for key in ("genome", "annotation"):
        del config["mrna"][key]
    for key in ("mature", "hairpin"):
        del config["smallrna"][key]
    config["smallrna"]["bowtie_index"] = {"mature": str(index["mature"])}
    rrna = config["smallrna"]["rna_classes"][0]
    assert rrna["name"] == "rRNA"
    rrna.clear()
    rrna.update(name="rRNA", source="ensembl 112 homo_sapiens GRCh38", biotypes=["rRNA"])
    config["reference"] = {"source": "ensembl", "species": "homo_sapiens", "build": "GRCh38",
                           "release": 112, "mirna": "mirbase 22.1",
                           "mirrors": mirror_of_the_demo(tmp_path / "mirror")}  # fmt: skip
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))

    plan = run_workflow(work, "-n")
    assert plan.returncode == 0, plan.stderr[-3000:]
    jobs = job_counts(plan.stdout)
    assert jobs["reference_download"] == 5, plan.stdout
    # built here: the hairpin index and one per RNA class; the prebuilt mature index is checked
    classes = len(config["smallrna"]["rna_classes"])
    assert jobs["smallrna_bowtie_index"] == 1 + classes and jobs["smallrna_check_index"] == 1

    checked = "results/smallrna/reference/bowtie/mature.prebuilt_checked.txt"
    counts = "results/smallrna/counts/exo_ctrl_1.json"
    targets = ["results/provenance.json", checked, counts]
    run = run_workflow(work, "-c2", *targets)
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads((work / "results" / "provenance.json").read_text())
    named = {item["role"]: item for item in record["named_references"]}
    assert set(named) == {"genome", "annotation", "mature", "hairpin", rrna["source"]}
    assert named["genome"]["url"].endswith(
        "release-112/fasta/homo_sapiens/dna/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz"
    )
    assert named["genome"]["provider_checksum"] and len(named["genome"]["sha256"]) == 64
    assert named["mature"]["provider_checksum"] == ""  # miRBase publishes none
    cached = work / "resources/cache/references/mirbase/22.1/mature.fa"
    assert cached.read_bytes() == (DEMO / "smallrna" / "mature.fa").read_bytes()
    assert "matches" in (work / checked).read_text()
    # the rRNA class: the provider's file, checked, its rRNA entries kept, recorded
    assert named[rrna["source"]]["url"].endswith(
        "release-112/fasta/homo_sapiens/ncrna/Homo_sapiens.GRCh38.ncrna.fa.gz"
    )
    assert named[rrna["source"]]["provider_checksum"]
    prepared = read_fasta(work / "results/smallrna/reference/rRNA.fa")
    demo_rrna = read_fasta(DEMO / "smallrna" / "rna_classes" / "rRNA.fa")
    assert [r.name for r in prepared] == [r.name for r in demo_rrna]
    used = pd.read_csv(work / "results/references.tsv", sep="\t", keep_default_na=False)
    row = used.set_index("role").loc["RNA class rRNA"]
    assert (row["config_key"], row["provider"], row["release"]) == (
        "smallrna.rna_classes[0].source", "ensembl", "112",
    )  # fmt: skip
    assert row["published_checksum"] == f"sum {named[rrna['source']]['provider_checksum']}"
    again = run_workflow(work, "-n", *targets)
    assert again.returncode == 0 and "reference_download" not in again.stdout  # cached once

    with_prebuilt = json.loads((work / counts).read_text())
    assert sum(with_prebuilt["mature"].values()) > 1000
    config["smallrna"]["bowtie_index"] = {}  # now the workflow builds the mature index itself
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run = run_workflow(work, "-c2", counts)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (work / "results/smallrna/reference/bowtie/mature.1.ebwt").exists()
    assert json.loads((work / counts).read_text()) == with_prebuilt

    # the hairpin index given for the mature step: refused before the step aligns anything
    bam = work / "results/smallrna/bowtie/mature/exo_ctrl_1.bam"
    before = bam.stat().st_mtime_ns
    config["smallrna"]["bowtie_index"] = {"mature": str(index["hairpin"])}
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run = run_workflow(work, "-c2", counts)
    assert run.returncode != 0
    log = (work / "results/logs/smallrna/check_index_mature.log").read_text()
    assert f"'{index['hairpin']}' (bowtie) does not match the FASTA" in log
    assert "results/smallrna/reference/mature.fa" in log
    assert bam.stat().st_mtime_ns == before
