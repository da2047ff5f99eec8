"""results/provenance.json: checksums against hashlib/sha256sum, versions, the rule on the demo."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO_ROOT
from esccrt import provenance
from esccrt.report import package_versions, tool_versions, used_tools


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_file_record_matches_sha256sum(tmp_path: Path) -> None:
    """Streamed checksum equals hashlib on the whole file and coreutils' sha256sum."""
    data = tmp_path / "reads.fastq.gz"
    data.write_bytes(os.urandom(3 * (1 << 20) + 17))  # several read blocks, ragged end
    record = provenance.file_record(data)
    assert record == {"path": str(data), "bytes": data.stat().st_size, "sha256": _sha256(data)}
    if shutil.which("sha256sum"):
        out = subprocess.run(["sha256sum", str(data)], capture_output=True, text=True, check=True)
        assert out.stdout.split()[0] == record["sha256"]


def test_file_records_are_distinct_in_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("a")
    b.write_text("b")
    assert [r["path"] for r in provenance.file_records([b, a, b])] == [str(b), str(a)]


def test_config_checksum_ignores_key_order_not_values() -> None:
    one = {"diffexp": {"design": "auto", "lfc_threshold": 1.0}, "demo": True}
    same = {"demo": True, "diffexp": {"lfc_threshold": 1.0, "design": "auto"}}
    other = {"demo": True, "diffexp": {"lfc_threshold": 0.5, "design": "auto"}}
    assert provenance.config_sha256(one) == provenance.config_sha256(same)
    assert provenance.config_sha256(one) != provenance.config_sha256(other)


def test_build_write_read_compare(tmp_path: Path) -> None:
    sheet, fastq, conf = tmp_path / "samples.tsv", tmp_path / "s1.fastq", tmp_path / "c.yaml"
    sheet.write_text("sample\ns1\n")
    fastq.write_text("@r\nACGT\n+\nIIII\n")
    conf.write_text("demo: true\n")
    when = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    kwargs = {
        "workflow_version": "v1.0-3-gabc",
        "config": {"demo": True},
        "config_files": [conf],
        "sheets": {"samples": sheet},
        "inputs": {"fastq": [fastq]},
        "packages": {"pandas": "2.3.3"},
        "tools": {"samtools": "1.16.1"},
        "now": when,
    }
    record = provenance.build(**kwargs)
    assert record["created"] == "2026-01-02T03:04:05+00:00"
    assert record["sheets"]["samples"]["sha256"] == _sha256(sheet)
    assert record["inputs"]["fastq"][0]["sha256"] == _sha256(fastq)
    out = tmp_path / "results" / "provenance.json"
    provenance.write(record, out)
    assert provenance.read(out) == json.loads(json.dumps(record))
    # A changed FASTQ and a new tool version are reported, nothing else.
    fastq.write_text("@r\nACGA\n+\nIIII\n")
    later = provenance.build(**{**kwargs, "tools": {"samtools": "1.17"}})
    diff = provenance.compare(record, later)
    assert diff["changed"] == [str(fastq)]
    assert diff["added"] == diff["removed"] == diff["config"] == []
    assert diff["versions"] == ["tools.samtools: 1.16.1 -> 1.17"]


@pytest.mark.slow
def test_provenance_of_the_demo(demo_results: Path) -> None:
    """The rule on the demo: every FASTQ of the units sheet and every reference, checksummed."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [str(bin_dir / "snakemake"), "--cores", "1", "results/provenance.json"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    record = provenance.read(demo_results / "provenance.json")

    units = pd.read_csv(REPO_ROOT / "config" / "units.tsv", sep="\t", dtype=str).fillna("")
    fastqs = [p for col in ("fq1", "fq2") for p in units[col] if p]
    recorded = {r["path"]: r["sha256"] for r in record["inputs"]["fastq"]}
    assert sorted(recorded) == sorted(set(fastqs))
    for path in fastqs[:3] + fastqs[-2:]:  # a few, independently (hashlib on the whole file)
        assert recorded[path] == _sha256(REPO_ROOT / path)
    references = {r["path"] for r in record["inputs"]["references"]}
    assert {
        "resources/demo/smallrna/mature.fa",
        "resources/demo/smallrna/hairpin.fa",
        "resources/demo/mrna/genome.fa",
        "resources/demo/mrna/genes.gtf",
    } <= references
    assert record["sheets"]["units"]["sha256"] == _sha256(REPO_ROOT / "config" / "units.tsv")
    config_files = {Path(r["path"]).name: r["sha256"] for r in record["config"]["files"]}
    assert config_files["config.yaml"] == _sha256(REPO_ROOT / "config" / "config.yaml")
    # Versions are the report's own lists (same functions), here and now.
    assert record["python_packages"] == package_versions()
    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    assert record["tools"] == tool_versions(used_tools(config))
    assert record["tools"]["samtools"].startswith("1.")
    assert record["workflow_version"] not in ("", "unknown")
