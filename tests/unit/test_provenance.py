"""results/provenance.json: checksums against hashlib/sha256sum, versions.

The provenance rule on a small demo run: tests/workflow/test_provenance_rule.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
from esccrt import provenance


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


def test_checksum_cache_reads_only_new_or_changed_files(tmp_path: Path) -> None:
    """A rerun (a new batch) hashes only the files that are new or whose size or time changed;
    the cache round-trips through its TSV, and a cache that cannot be read is ignored."""
    old, new = tmp_path / "old.fastq.gz", tmp_path / "new.fastq.gz"
    old.write_bytes(os.urandom(5000))
    new.write_bytes(os.urandom(7000))
    cache_path = tmp_path / "provenance_checksums.tsv"
    first = provenance.ChecksumCache(cache_path)
    assert provenance.file_records([old], first.sha256)[0]["sha256"] == _sha256(old)
    first.save()
    second = provenance.ChecksumCache(cache_path)
    records = provenance.file_records([old, new], second.sha256)
    assert [r["sha256"] for r in records] == [_sha256(old), _sha256(new)]
    assert second.hashed == 1  # the new file only
    old.write_bytes(os.urandom(5000))  # same size, new content and time
    os.utime(old, ns=(old.stat().st_atime_ns, old.stat().st_mtime_ns + 1_000_000))
    assert second.sha256(old) == _sha256(old) and second.hashed == 2
    cache_path.write_text("path\tbytes\nbroken line\n")
    assert provenance.ChecksumCache(cache_path).known == {}


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


def test_run_inputs_lists_what_the_run_reads(tmp_path: Path, monkeypatch) -> None:
    """FASTQs of both reads, URL references through their prepared copies, configs once."""
    monkeypatch.chdir(tmp_path)
    units = pd.DataFrame(
        {"fq1": ["a_R1.fq.gz", "b.fq.gz"], "fq2": ["a_R2.fq.gz", ""]},
        index=["a", "b"],
    )
    config = {
        "samples": "config/samples.tsv",
        "units": "config/units.tsv",
        "smallrna": {"mature": "https://example.org/mature.fa", "hairpin": "refs/hairpin.fa"},
        "qpcr": {"ct_table": "config/ct.tsv"},
        "survival": {"clinical": "config/clinical.tsv"},
    }
    inputs = provenance.run_inputs(
        config,
        units,
        smallrna_refs=["mature", "hairpin"],
        mrna_refs=["refs/genome.fa", "refs/genes.gtf"],
        config_files=["config/config.yaml", str(tmp_path / "config" / "config.yaml")],
        qpcr=True,
    )
    assert inputs["fastq"] == ["a_R1.fq.gz", "b.fq.gz", "a_R2.fq.gz"]
    assert inputs["references"] == [
        "results/smallrna/reference/mature.fa",
        "refs/hairpin.fa",
        "refs/genome.fa",
        "refs/genes.gtf",
    ]
    assert inputs["config_files"] == ["config/config.yaml"]
    assert inputs["tables"] == ["config/ct.tsv", "config/clinical.tsv"]
    no_qpcr = provenance.run_inputs(config, units, [], [], [], qpcr=False)
    assert no_qpcr["tables"] == [] and no_qpcr["references"] == []
    assert inputs["mirna_targets"] == no_qpcr["mirna_targets"] == []
    cached = ["resources/mirna_targets/mtb.mirtarbase.txt"]
    with_targets = provenance.run_inputs(config, units, [], [], [], qpcr=False, target_files=cached)
    assert with_targets["mirna_targets"] == cached and with_targets["tables"] == []


def test_named_references_are_recorded(tmp_path: Path) -> None:
    """References given by name: their download records (config `reference`) enter the record."""
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\ns1\n")
    download = {"role": "genome", "url": "https://ftp.ensembl.org/pub/release-112/x.fa.gz",
                "provider_checksum": "31010 881211", "sha256": "ab" * 32}  # fmt: skip
    record = provenance.build(
        workflow_version="v1", config={}, config_files=[], sheets={"samples": sheet},
        inputs={}, packages={}, tools={}, named_references=[download],
    )  # fmt: skip
    assert record["named_references"] == [download]
    units = pd.DataFrame({"fq1": ["a.fq"], "fq2": [""]}, index=["a"])
    config = {"samples": "s.tsv", "units": "u.tsv"}
    sidecar = "cache/ensembl/x.fa.gz.provenance.json"
    inputs = provenance.run_inputs(config, units, [], [], [], False, named_records=[sidecar])
    assert inputs["named_references"] == [sidecar]
