"""The provenance rule alone on a fresh small demo: what results/provenance.json records."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt import provenance
from esccrt.io import read_tsv
from esccrt.versions import package_versions, tool_versions, used_tools
from workflow_runs import run_workflow

#: Where the demo's miRNA-target source is cached (integrate.mirna_targets, rule
#: mirna_target_source).
TARGET_CACHE = "resources/mirna_targets/demo.tsv.txt"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_provenance_rule_on_a_small_demo(mini_demo: Path) -> None:
    """The rule alone (it needs only the run's inputs): every FASTQ and reference, checksummed,
    and results/references.tsv beside the record."""
    workdir = mini_demo
    run = run_workflow(workdir, "--cores", "1", "results/provenance.json")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    record = provenance.read(workdir / "results" / "provenance.json")

    units = pd.read_csv(workdir / "config" / "units.tsv", sep="\t", dtype=str).fillna("")
    fastqs = [p for col in ("fq1", "fq2") for p in units[col] if p]
    recorded = {r["path"]: r["sha256"] for r in record["inputs"]["fastq"]}
    assert sorted(recorded) == sorted(set(fastqs))
    for path in fastqs:  # independently: hashlib on the whole file
        assert recorded[path] == _sha256(workdir / path)
    references = {r["path"]: r["sha256"] for r in record["inputs"]["references"]}
    for path in (
        "resources/demo/smallrna/mature.fa",
        "resources/demo/smallrna/hairpin.fa",
        "resources/demo/smallrna/rna_classes/rRNA.fa",
        "resources/demo/smallrna/rna_classes/tRNA.fa",
        "resources/demo/mrna/genome.fa",
        "resources/demo/mrna/genes.gtf",
    ):
        assert references[path] == _sha256(workdir / path)
    # results/references.tsv: the same files and checksums, each with the key that chose it
    used = read_tsv(workdir / "results" / "references.tsv", ["release", "sha256"]).fillna("")
    # the miRNA-target source: its cached copy, a role of its own in the record
    targets = {r["path"]: r["sha256"] for r in record["inputs"]["mirna_targets"]}
    assert targets == {TARGET_CACHE: _sha256(workdir / TARGET_CACHE)}
    assert dict(zip(used["path"], used["sha256"], strict=True)) == {**references, **targets}
    assert dict(zip(used["path"], used["config_key"], strict=True)) == {
        "resources/demo/smallrna/mature.fa": "smallrna.mature",
        "resources/demo/smallrna/hairpin.fa": "smallrna.hairpin",
        "resources/demo/smallrna/rna_classes/rRNA.fa": "smallrna.rna_classes[0]",
        "resources/demo/smallrna/rna_classes/tRNA.fa": "smallrna.rna_classes[1]",
        "resources/demo/smallrna/rna_classes/YRNA.fa": "smallrna.rna_classes[2]",
        "resources/demo/smallrna/rna_classes/snoRNA.fa": "smallrna.rna_classes[3]",
        "resources/demo/mrna/genome.fa": "mrna.genome.source",
        "resources/demo/mrna/genes.gtf": "mrna.annotation.source",
        TARGET_CACHE: "integrate.mirna_targets.sources[0]",
    }
    assert used.groupby("arm").size().to_dict() == {"integrate": 1, "mrna": 2, "smallrna": 6}
    local = used[used["path"] != TARGET_CACHE]
    assert (local["source"] == local["path"]).all()  # all local, none by name
    # the target source is fetched into the cache from the demo's simulated table
    assert used.set_index("path").at[TARGET_CACHE, "source"] == "resources/demo/targets/targets.tsv"
    assert not used[["provider", "release", "published_checksum"]].any(axis=None)
    tables = {r["path"] for r in record["inputs"]["tables"]}
    assert tables == {"config/qpcr_ct.tsv", "config/clinical.tsv"}
    for sheet in ("samples", "units"):
        found = record["sheets"][sheet]["sha256"]
        assert found == _sha256(workdir / "config" / f"{sheet}.tsv")
    config_files = {r["path"]: r["sha256"] for r in record["config"]["files"]}
    assert config_files == {
        "config/config.yaml": _sha256(workdir / "config" / "config.yaml"),
        "config/mini.yaml": _sha256(workdir / "config" / "mini.yaml"),
    }
    # The effective configuration: config.yaml overlaid by mini.yaml.
    assert record["config"]["sha256"] != provenance.config_sha256(
        yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    )
    # Versions come from the report's own functions, here and now.
    assert record["python_packages"] == package_versions()
    config = yaml.safe_load((workdir / "config" / "config.yaml").read_text())
    assert record["tools"] == tool_versions(used_tools(config))
    assert record["tools"]["samtools"].startswith("1.")
    assert record["workflow_version"] not in ("", "unknown")
    created = dt.datetime.fromisoformat(record["created"])
    assert abs((dt.datetime.now(dt.UTC) - created).total_seconds()) < 600
