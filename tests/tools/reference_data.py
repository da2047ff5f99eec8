"""The tests' reference data (``../shared/data``): checked against its MANIFEST, fetched if absent.

``make test-data`` runs this script. Every file the MANIFEST lists (the tables of each section:
path, source repository, source path, commit, size, first 16 hex digits of the SHA-256) is
checked by size and checksum; a file that is absent or differs is downloaded from the public
repository the MANIFEST names (``https://github.com/<repo>/raw/<commit>/<source path>``), checked
the same way and only then renamed into place. The first failure stops the script with a message
naming the file, the address and what to do.

The data folder is ``$ESCCRT_TEST_DATA`` when set, else ``../shared/data`` beside the repository
(the tests read the same place: ``tests/conftest.py``). The MANIFEST is read in place: from the
data folder, else from ``../shared/data/MANIFEST.md``; ``--manifest`` names another.
``$ESCCRT_TEST_DATA_MIRROR`` (or ``--mirror``) replaces ``https://github.com`` by a mirror with
the same layout (``<mirror>/<repo>/raw/<commit>/<source path>``; ``file://`` works too).
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt.io import atomic_write

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DATA_ENV = "ESCCRT_TEST_DATA"
MIRROR_ENV = "ESCCRT_TEST_DATA_MIRROR"
DEFAULT_MIRROR = "https://github.com"
MANIFEST_NAME = "MANIFEST.md"
#: The command that brings the data; every message about missing data names it.
COMMAND = "make test-data"

#: A MANIFEST table row: six cells between pipes.
_ROW = re.compile(r"^\|(?P<cells>.*)\|\s*$")
#: ``owner/name``, optionally followed by a note in brackets, e.g.
#: ``nf-core/test-datasets (branch smrnaseq; via fork kingzhuky/test-datasets)``.
_REPO_CELL = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?:\s+\((?P<note>[^)]*)\))?$")
_FORK = re.compile(r"via fork (?P<fork>[\w.-]+/[\w.-]+)")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")
_CHUNK = 1 << 20


class DataError(Exception):
    """The reference data cannot be checked or brought: the message says which file and why."""


@dataclass(frozen=True)
class Entry:
    """One file of the MANIFEST."""

    path: str  #: relative to the data folder
    repo: str | None  #: where it can be downloaded from; None: no public source (made locally)
    note: bool  #: a summary the curators wrote for people (no test reads it): never required
    source: str  #: the MANIFEST's source cells, as written (for messages)
    source_path: str
    commit: str
    size: int
    sha256_prefix: str
    line: int  #: line of the MANIFEST

    def url(self, mirror: str) -> str | None:
        """Download address of the file, or None when the MANIFEST names no public source."""
        if self.repo is None:
            return None
        quoted = urllib.parse.quote(self.source_path)
        return f"{mirror.rstrip('/')}/{self.repo}/raw/{self.commit}/{quoted}"


def data_folder() -> Path:
    """Where the tests read the reference data: ``$ESCCRT_TEST_DATA``, else ``../shared/data``."""
    return Path(os.environ.get(DATA_ENV) or DEFAULT_DATA)


def manifest_path(data: Path) -> Path:
    """The MANIFEST of ``data``: its own if it has one, else the one of ``../shared/data``."""
    own = data / MANIFEST_NAME
    return own if own.is_file() else DEFAULT_DATA / MANIFEST_NAME


def _download_repo(cell: str, commit: str) -> str | None:
    """The repository a file downloads from, or None for a file made locally (no public source).

    Summaries and outputs generated for the data set are named in brackets; "derived" files were
    converted from a repository's file; "via fork X" names the fork that holds the commit.
    """
    match = _REPO_CELL.match(cell)
    if not match or not _COMMIT.match(commit):
        return None
    note = match["note"] or ""
    if "derived" in note:
        return None
    fork = _FORK.search(note)
    return fork["fork"] if fork else match["repo"]


def _resolve(section: str, path: str) -> str:
    """A MANIFEST path relative to the data folder.

    Some sections list paths from the data folder (``qpcr_real/...``), others from their own
    folder (``LICENSE`` under ``## mirbase``): a path that starts with the section's first
    folder is taken as given.
    """
    top = section.split("/", 1)[0]
    return path if path.startswith(f"{top}/") else f"{section}/{path}"


def parse_manifest(path: Path) -> list[Entry]:
    """Every file listed in the tables of the MANIFEST at ``path``, in order."""
    entries: list[Entry] = []
    section = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        row = _ROW.match(line)
        if not row:
            continue
        cells = [cell.strip() for cell in row["cells"].split("|")]
        if cells[0] == "file" or set("".join(cells)) <= {"-"}:
            continue  # a table's header and its separator
        if len(cells) != 6 or section is None:
            raise DataError(f"{path}, line {number}: expected 6 cells in a section, got {cells}")
        name, repo_cell, source_path, commit, size, sha = cells
        if not size.isdigit() or not re.fullmatch(r"[0-9a-f]{16}", sha):
            raise DataError(f"{path}, line {number}: size {size!r} or sha256 {sha!r} is malformed")
        entries.append(
            Entry(
                path=_resolve(section, name),
                repo=_download_repo(repo_cell, commit),
                note=repo_cell.startswith("(summary"),
                source=f"{repo_cell}: {source_path}",
                source_path=source_path,
                commit=commit,
                size=int(size),
                sha256_prefix=sha,
                line=number,
            )
        )
    if not entries:
        raise DataError(f"{path}: no file table found; is this the data's MANIFEST.md?")
    return entries


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def problem(entry: Entry, data: Path, checksum: bool = True) -> str | None:
    """What is wrong with ``entry``'s file in ``data`` (absent, size, checksum), or None."""
    target = data / entry.path
    if not target.is_file():
        return "absent"
    size = target.stat().st_size
    if size != entry.size:
        return f"{size} bytes where the MANIFEST says {entry.size}"
    if checksum and not sha256_of(target).startswith(entry.sha256_prefix):
        return f"SHA-256 does not start with {entry.sha256_prefix} as the MANIFEST says"
    return None


def missing_files(data: Path) -> list[str]:
    """Files of the MANIFEST that ``data`` lacks or holds with another size (fast: no checksum).

    A folder without a MANIFEST (its own or ``../shared/data``'s) lacks everything: ``["*"]``.
    """
    manifest = manifest_path(data)
    if not manifest.is_file():
        return ["*"]
    entries = parse_manifest(manifest)
    return [e.path for e in entries if not e.note and problem(e, data, checksum=False)]


def download(entry: Entry, data: Path, mirror: str) -> None:
    """Fetch ``entry`` into ``data``: checked by size and SHA-256 before it gets its name.

    The file is written under a temporary name beside its place and renamed only when both
    agree with the MANIFEST, so a failed or corrupt download leaves nothing behind.
    """
    url = entry.url(mirror)
    assert url is not None, entry  # callers download public files only
    target = data / entry.path
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_write(target, "wb") as out:
            digest, size = hashlib.sha256(), 0
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            found = digest.hexdigest()
            if size != entry.size or not found.startswith(entry.sha256_prefix):
                raise DataError(
                    f"{entry.path}: {url} gave {size} bytes with SHA-256 {found[:16]}..., but the "
                    f"MANIFEST (line {entry.line}) says {entry.size} bytes, {entry.sha256_prefix}"
                    "...; the download was not kept."
                )
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise DataError(f"{entry.path}: could not download {url}: {error}") from error


def bring(data: Path, manifest: Path, mirror: str, fetch: bool) -> list[Entry]:
    """Check every file of ``manifest`` in ``data``; download the wrong or absent ones if
    ``fetch``. Returns the entries downloaded; raises :class:`DataError` at the first failure.

    The curators' summaries (``REFERENCE_RESULTS.md``, a README) are notes for people, with no
    public source and read by no test: a difference there is printed as a warning only.
    """
    if not manifest.is_file():
        raise DataError(
            f"no {MANIFEST_NAME} in {data} nor in {DEFAULT_DATA}: the list of the reference "
            "data (with sources and checksums) comes with ../shared/data."
        )
    entries = parse_manifest(manifest)
    wrong = []
    for entry in entries:
        if why := problem(entry, data):
            if entry.note:
                print(f"{COMMAND}: warning: {entry.path} (a summary): {why}", file=sys.stderr)
            else:
                wrong.append((entry, why))
    if wrong and not fetch:
        listed = "; ".join(f"{e.path}: {why}" for e, why in wrong[:5])
        raise DataError(f"{len(wrong)} of {len(entries)} files do not match: {listed}")
    for entry, _ in wrong:
        if entry.repo is not None:
            download(entry, data, mirror)
    local = [entry for entry, _ in wrong if entry.repo is None]
    if local:
        listed = "; ".join(f"{e.path} ({e.source}; MANIFEST line {e.line})" for e in local)
        raise DataError(
            f"{len(local)} file(s) are absent or differ and have no public source (made by the "
            f"curators of ../shared/data): {listed}. Copy them from a machine that has "
            f"../shared/data, or point {DATA_ENV} to such a folder."
        )
    if wrong and manifest.resolve() != (data / MANIFEST_NAME).resolve():
        # The downloaded folder carries its MANIFEST, so that later checks read it there.
        with atomic_write(data / MANIFEST_NAME) as handle:
            handle.write(manifest.read_text(encoding="utf-8"))
    return [entry for entry, _ in wrong]


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help=f"default: ${DATA_ENV} or "
                        f"{DEFAULT_DATA}")  # fmt: skip
    parser.add_argument("--manifest", type=Path, default=None)
    parser.add_argument("--mirror", default=os.environ.get(MIRROR_ENV) or DEFAULT_MIRROR)
    parser.add_argument("--check-only", action="store_true", help="never download")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Check (and bring) the reference data; print what was done; 0 when all files match."""
    args = _arguments(argv)
    data = args.data or data_folder()
    manifest = args.manifest or manifest_path(data)
    try:
        fetched = bring(data, manifest, args.mirror, fetch=not args.check_only)
    except DataError as error:
        print(
            f"{COMMAND}: {error}\nThe tests read the reference data in {data} (${DATA_ENV}, "
            f"else ../shared/data); run `{COMMAND}` where GitHub can be reached, or set "
            f"{DATA_ENV} to a folder that holds the data.",
            file=sys.stderr,
        )
        return 1
    print(f"{COMMAND}: the files of {manifest} match in {data} ({len(fetched)} downloaded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
