"""Provenance of a run: what went in and what ran, as one JSON file (results/provenance.json).

Recorded: the workflow version (``git describe`` of the checkout), the date, the effective
configuration (its canonical SHA-256 and the config files' checksums), the sample and unit sheets,
every input FASTQ and reference/table file (path, size, SHA-256, streamed in blocks), the Python
packages and command-line tools with their versions (the same lists the report shows, from
:mod:`esccrt.report`). A later run on the same inputs can be compared with :func:`compare`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pandas as pd

from esccrt.io import atomic_write
from esccrt.reference_table import smallrna_reference_file
from esccrt.references import sha256sum

#: Version of the layout of provenance.json (raise it when keys change meaning).
SCHEMA_VERSION = 1


#: How a file's SHA-256 is had: read (:func:`esccrt.references.sha256sum`) or remembered.
Digest = Callable[[str | os.PathLike[str]], str]


def file_record(path: str | os.PathLike[str], digest: Digest = sha256sum) -> dict[str, object]:
    """Path (as given), size in bytes and SHA-256 of one file (streamed, never loaded whole)."""
    return {"path": str(path), "bytes": os.path.getsize(path), "sha256": digest(path)}


def file_records(
    paths: Iterable[str | os.PathLike[str]], digest: Digest = sha256sum
) -> list[dict[str, object]]:
    """:func:`file_record` of each distinct path, in first-seen order."""
    return [file_record(path, digest) for path in dict.fromkeys(str(p) for p in paths)]


class ChecksumCache:
    """SHA-256 of files remembered by path, size and modification time (as make and rsync trust
    a file's size and time), kept in a TSV between runs.

    Rule provenance reruns whenever the sheets change: with the cache, a new batch of 100
    samples reads those samples' FASTQ files, not every file of the study again. A cache that
    cannot be read is ignored (everything is hashed anew).
    """

    HEADER = "path\tbytes\tmtime_ns\tsha256\n"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.known: dict[str, tuple[int, int, str]] = {}
        #: Files read (hashed) by this run, as opposed to remembered.
        self.hashed = 0
        try:
            lines = self.path.read_text().splitlines()[1:] if self.path.exists() else []
            for line in lines:
                name, size, mtime, digest = line.split("\t")
                self.known[name] = (int(size), int(mtime), digest)
        except (OSError, ValueError, UnicodeDecodeError):
            self.known = {}

    def sha256(self, path: str | os.PathLike[str]) -> str:
        """The file's SHA-256: remembered while its size and modification time are unchanged."""
        stat = os.stat(path)
        remembered = self.known.get(str(path))
        if remembered and remembered[:2] == (stat.st_size, stat.st_mtime_ns):
            return remembered[2]
        digest = sha256sum(path)
        self.hashed += 1
        self.known[str(path)] = (stat.st_size, stat.st_mtime_ns, digest)
        return digest

    def save(self) -> None:
        """Write the cache atomically."""
        with atomic_write(self.path) as handle:
            handle.write(self.HEADER)
            for name, (size, mtime, digest) in sorted(self.known.items()):
                handle.write(f"{name}\t{size}\t{mtime}\t{digest}\n")


def run_inputs(
    config: Mapping,
    units: pd.DataFrame,
    smallrna_refs: Iterable[str],
    mrna_refs: Iterable[str],
    config_files: Iterable[str | os.PathLike[str]],
    qpcr: bool,
    named_records: Iterable[str] = (),
    index_files: Iterable[str] = (),
    target_files: Iterable[str] = (),
) -> dict[str, object]:
    """Named input lists of the provenance rule: every file the run reads from the user.

    ``smallrna_refs`` are the small-RNA references (mature, hairpin, RNA classes): a local
    source is recorded as given, a URL through the prepared copy the run used
    (results/smallrna/reference/<step>.fa). ``mrna_refs`` are the genome and GTF paths the mRNA
    arm reads. Config files are given relative to the working folder, each once.
    ``named_records`` are the download records of references given by name (config
    ``reference``: address, provider checksum, SHA-256), copied into provenance.json.
    ``index_files`` are the files of prebuilt indexes (config ``smallrna.bowtie_index``,
    ``mrna.<aligner>.index``), checksummed for results/references.tsv only. ``target_files``
    are the cached copies of the miRNA-target sources (config ``integrate.mirna_targets``), a
    role of their own (``mirna_targets``).
    """
    references = [smallrna_reference_file(config["smallrna"], ref) for ref in smallrna_refs]
    tables = []
    if qpcr:  # the Ct table, or the instrument files (one or a list) and their sample map
        ct = config["qpcr"]["ct_table"]
        tables = [ct] if isinstance(ct, str) else list(ct)
        if config["qpcr"].get("format", "long") != "long":
            tables.append(config["qpcr"]["sample_map"])
        if config.get("survival"):  # a qPCR experiment without survival data has no clinical table
            tables.append(config["survival"]["clinical"])
    sheets = {role: config[role] for role in ("samples", "units") if config.get(role)}
    return {
        "config_files": list(dict.fromkeys(os.path.relpath(p) for p in config_files)),
        **sheets,
        "fastq": [path for column in ("fq1", "fq2") for path in units[column] if path],
        "references": references + list(mrna_refs),
        "tables": tables,
        "named_references": list(named_records),
        "indexes": list(dict.fromkeys(index_files)),
        "mirna_targets": list(target_files),
    }


def config_sha256(config: Mapping) -> str:
    """SHA-256 of the effective configuration as canonical JSON (key order does not matter).

    Two runs with the same value here used the same settings, whichever files they came from.
    """
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def build(
    *,
    workflow_version: str,
    config: Mapping,
    config_files: Iterable[str | os.PathLike[str]],
    sheets: Mapping[str, str | os.PathLike[str]],
    inputs: Mapping[str, Iterable[str | os.PathLike[str]]],
    packages: Mapping[str, str],
    tools: Mapping[str, str],
    now: dt.datetime | None = None,
    named_references: Iterable[Mapping] = (),
    digest: Digest = sha256sum,
) -> dict[str, object]:
    """The provenance record.

    ``sheets`` maps a role (samples, units) to a file; ``inputs`` maps a role (fastq,
    references, qpcr, ...) to its files; ``packages``/``tools`` map names to versions;
    ``named_references`` are the download records of references given by name (URL, the
    provider's checksum, SHA-256); ``digest`` gives each file's SHA-256 (e.g.
    :meth:`ChecksumCache.sha256`).
    """
    now = now or dt.datetime.now(dt.UTC)
    return {
        "schema_version": SCHEMA_VERSION,
        "created": now.isoformat(timespec="seconds"),
        "workflow_version": workflow_version,
        "platform": {"python": platform.python_version(), "system": platform.platform()},
        "config": {"sha256": config_sha256(config), "files": file_records(config_files, digest)},
        "sheets": {role: file_record(path, digest) for role, path in sheets.items()},
        "inputs": {role: file_records(paths, digest) for role, paths in inputs.items()},
        "named_references": [dict(record) for record in named_references],
        "python_packages": dict(packages),
        "tools": dict(tools),
    }


def write(record: Mapping, path: str | os.PathLike[str]) -> None:
    """Write the record as indented JSON, atomically."""
    with atomic_write(path) as handle:
        json.dump(record, handle, indent=1, sort_keys=False)
        handle.write("\n")


def read(path: str | os.PathLike[str]) -> dict[str, object]:
    """Read a provenance.json written by :func:`write`."""
    return json.loads(Path(path).read_text())


def checksums(record: Mapping) -> dict[str, str]:
    """Every file's SHA-256 in a record, by path (config files, sheets, inputs)."""
    files = list(record["config"]["files"]) + list(record["sheets"].values())
    for records in record["inputs"].values():
        files += records
    return {str(item["path"]): str(item["sha256"]) for item in files}


def compare(old: Mapping, new: Mapping) -> dict[str, list[str]]:
    """What differs between two records: files added, removed or changed; config; versions."""
    before, after = checksums(old), checksums(new)
    versions = [
        f"{section}.{name}: {old[section].get(name)} -> {new[section].get(name)}"
        for section in ("python_packages", "tools")
        for name in sorted(set(old[section]) | set(new[section]))
        if old[section].get(name) != new[section].get(name)
    ]
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "changed": sorted(p for p in set(before) & set(after) if before[p] != after[p]),
        "config": (
            ["effective configuration"]
            if old["config"]["sha256"] != new["config"]["sha256"]
            else []
        ),
        "versions": versions,
    }
