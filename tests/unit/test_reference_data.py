"""tests/tools/reference_data.py (`make test-data`) against a tiny local mirror: the MANIFEST's
tables are read as the real one is written, files are downloaded (file:// and a loopback HTTP
server) and checked, and a wrong or broken download leaves nothing behind."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tools.reference_data import DataError, bring, main, parse_manifest, problem

FILES = {  # path in the source repository -> content
    "data/reads.txt": b"ACGT\n" * 1000,
    "LICENSE": b"MIT\n",
    "ref/genome.fa": b">chr1\nACGT\n",
}
COMMIT = "0123456789ab"


def _row(path: str, repo: str, source: str, content: bytes, commit: str = COMMIT) -> str:
    sha = hashlib.sha256(content).hexdigest()[:16]
    return f"| {path} | {repo} | {source} | {commit} | {len(content)} | {sha} |"


def _manifest(folder: Path) -> Path:
    """A MANIFEST in the real one's layout: a section listing paths from its own folder, one
    listing them from the data folder, a fork note, a summary and a derived file."""
    header = (
        "| file | source repo | source path | commit | bytes | sha256[:16] |\n" + "|---" * 6 + "|"
    )
    text = "\n".join(
        [
            "# Real test data\n\nIntroduction | with a pipe.\n",
            "## small/set_a\n\nAbout set a.\n",
            header,
            _row("reads.txt", "owner/data", "data/reads.txt", FILES["data/reads.txt"]),
            _row(
                "LICENSE", "up/stream (branch x; via fork fork/stream)", "LICENSE", FILES["LICENSE"]
            ),
            "\n## refs\n\nPaths in this table are relative to the data folder.\n",
            header,
            _row("refs/genome.fa", "owner/data", "ref/genome.fa", FILES["ref/genome.fa"]),
            _row("refs/NOTES.md", "(summary; sources cited inside)", "-", b"notes", "-"),
            _row("refs/table.csv", "owner/data (derived)", "converted from x.RData", b"x,y\n"),
        ]
    )
    path = folder / "MANIFEST.md"
    path.write_text(text + "\n")
    return path


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    """A folder laid out as the mirror URLs expect: <repo>/raw/<commit>/<source path>."""
    root = tmp_path / "mirror"
    for repo, source in [("owner/data", "data/reads.txt"), ("fork/stream", "LICENSE"),
                         ("owner/data", "ref/genome.fa")]:  # fmt: skip
        target = root / repo / "raw" / COMMIT / source
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(FILES[source])
    return root


@pytest.fixture
def http_mirror(mirror: Path) -> Iterator[str]:
    """The mirror served by a loopback HTTP server."""
    handler = functools.partial(_QuietHandler, directory=str(mirror))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _public_only(manifest: Path) -> None:
    """Drop the derived row: it has no public source, so no mirror can bring it."""
    lines = manifest.read_text().splitlines(keepends=True)
    manifest.write_text("".join(line for line in lines if "(derived)" not in line))


def test_manifest_rows_resolve_paths_forks_and_sources(tmp_path: Path) -> None:
    entries = {e.path: e for e in parse_manifest(_manifest(tmp_path))}
    assert list(entries) == ["small/set_a/reads.txt", "small/set_a/LICENSE", "refs/genome.fa",
                             "refs/NOTES.md", "refs/table.csv"]  # fmt: skip
    assert entries["small/set_a/LICENSE"].url("https://github.com") == (
        f"https://github.com/fork/stream/raw/{COMMIT}/LICENSE"
    )
    assert entries["refs/NOTES.md"].note and entries["refs/NOTES.md"].repo is None
    assert entries["refs/table.csv"].repo is None and not entries["refs/table.csv"].note


@pytest.mark.parametrize("served", ["file", "http"])
def test_download_fills_an_empty_folder_and_checks_it(
    tmp_path: Path, mirror: Path, served: str, request: pytest.FixtureRequest
) -> None:
    url = mirror.as_uri() if served == "file" else request.getfixturevalue("http_mirror")
    manifest = _manifest(tmp_path)
    _public_only(manifest)
    data = tmp_path / "data"
    fetched = bring(data, manifest, url, fetch=True)
    assert sorted(e.path for e in fetched) == [
        "refs/genome.fa", "small/set_a/LICENSE", "small/set_a/reads.txt"
    ]  # fmt: skip
    assert (data / "small/set_a/reads.txt").read_bytes() == FILES["data/reads.txt"]
    assert (data / "MANIFEST.md").read_text() == manifest.read_text()  # the folder describes itself
    assert bring(data, data / "MANIFEST.md", url, fetch=False) == []  # all match now
    assert sorted(p.name for p in data.rglob(".*")) == []  # no temporary file left


def test_a_download_with_another_checksum_is_refused_and_not_kept(
    tmp_path: Path, mirror: Path
) -> None:
    manifest = _manifest(tmp_path)
    _public_only(manifest)
    served = mirror / "owner/data/raw" / COMMIT / "ref/genome.fa"
    served.write_bytes(b">chr2\nACGT\n")  # same size, other bytes
    data = tmp_path / "data"
    with pytest.raises(DataError, match=r"refs/genome.fa: .* the download was not kept"):
        bring(data, manifest, mirror.as_uri(), fetch=True)
    assert not (data / "refs" / "genome.fa").exists()
    assert [p.name for p in (data / "refs").iterdir()] == []  # no temporary file either


def test_a_broken_download_leaves_the_old_file_untouched(tmp_path: Path, mirror: Path) -> None:
    """A wrong file in place stays as it was when its replacement fails half-way (atomic)."""
    manifest = _manifest(tmp_path)
    _public_only(manifest)
    data = tmp_path / "data"
    bring(data, manifest, mirror.as_uri(), fetch=True)
    stale = data / "small/set_a/reads.txt"
    stale.write_bytes(b"old")
    served = mirror / "owner/data/raw" / COMMIT / "data/reads.txt"
    served.write_bytes(FILES["data/reads.txt"][:100])  # a truncated download
    with pytest.raises(DataError, match="100 bytes"):
        bring(data, manifest, mirror.as_uri(), fetch=True)
    assert stale.read_bytes() == b"old"
    assert sorted(p.name for p in stale.parent.iterdir()) == ["LICENSE", "reads.txt"]


def test_check_only_and_unreachable_sources_fail_naming_make_test_data(
    tmp_path: Path, mirror: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _manifest(tmp_path)
    data = tmp_path / "data"
    args = ["--data", str(data), "--manifest", str(manifest)]
    assert main([*args, "--check-only"]) == 1
    assert "make test-data: 4 of 5 files do not match" in capsys.readouterr().err  # not the note
    assert main([*args, "--mirror", "http://127.0.0.1:9"]) == 1  # nothing listens on port 9
    assert "make test-data: small/set_a/reads.txt: could not download" in capsys.readouterr().err
    assert main([*args, "--mirror", mirror.as_uri()]) == 1  # all public files, then the derived
    error = capsys.readouterr().err
    assert "no public source (made by the curators of ../shared/data): refs/table.csv" in error
    assert problem(parse_manifest(manifest)[0], data) is None  # the public ones were kept
