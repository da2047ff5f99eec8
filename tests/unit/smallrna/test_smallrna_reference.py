"""References: filtered, converted, checksummed; bad files and downloads named in the error."""

from __future__ import annotations

import gzip
import hashlib

import pytest
from esccrt import references
from esccrt.errors import InputError
from esccrt.smallrna.reference import prepare_reference
from smallrna_helpers import MIR21


def test_reference_is_filtered_converted_and_checksummed(tmp_path):
    source = tmp_path / "mature.fa.gz"
    with gzip.open(source, "wt") as handle:
        handle.write(
            ">hsa-miR-21-5p MIMAT0000076 Homo sapiens miR-21-5p\nUAGCUUAUCAGACUGA\nUGUUGA\n"
        )
        handle.write(">mmu-miR-21a-5p MIMAT0000530 Mus musculus\nUAGCUUAUCAGACUGAUGUUGA\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "ref" / "mature.fa"
    assert prepare_reference(str(source), out, "hsa", sha256=digest) == 1
    assert out.read_text() == f">hsa-miR-21-5p\n{MIR21}\n"
    with pytest.raises(InputError, match="SHA-256"):
        prepare_reference(str(source), tmp_path / "x.fa", "hsa", sha256="0" * 64)
    assert not (tmp_path / "x.fa").exists()
    with pytest.raises(InputError, match="no entry for species 'rno'"):
        prepare_reference(str(source), tmp_path / "x.fa", "rno")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<!DOCTYPE html><html><body>Moved</body></html>\n", "HTML page"),
        (">hsa-a\nACGU\n>hsa-a\nACGU\n", "occurs more than once"),
        (">hsa-a\nACGU{}\n", "unexpected character"),
        ("", "empty"),
    ],
)
def test_bad_reference_files_are_named_in_the_error(tmp_path, content, message):
    bad = tmp_path / "hairpin.fa"
    bad.write_text(content)
    with pytest.raises(InputError, match=message) as error:
        prepare_reference(str(bad), tmp_path / "out.fa", "hsa")
    assert "hairpin.fa" in str(error.value)


@pytest.fixture
def http_folder(tmp_path):
    """Serve ``tmp_path / 'www'`` on a local HTTP port for download tests; yields (folder, url)."""
    import functools
    import http.server
    import threading

    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_reference_download_checks_checksum_and_html(http_folder, tmp_path):
    folder, url = http_folder
    (folder / "hairpin.fa").write_text(">hsa-mir-21 MI0000077\nUGUCGGGUAGCUUAUCAGACUGAUGUUGA\n")
    (folder / "moved.html").write_text("<html><head><title>Moved</title></head></html>\n")
    digest = hashlib.sha256((folder / "hairpin.fa").read_bytes()).hexdigest()
    out = tmp_path / "hairpin.fa"
    assert prepare_reference(f"{url}/hairpin.fa", out, "hsa", sha256=digest) == 1
    assert out.read_text() == ">hsa-mir-21\nTGTCGGGTAGCTTATCAGACTGATGTTGA\n"
    with pytest.raises(InputError, match="SHA-256"):
        prepare_reference(f"{url}/hairpin.fa", tmp_path / "x.fa", "hsa", sha256="1" * 64)
    with pytest.raises(InputError, match=r"moved\.html.*HTML page"):
        prepare_reference(f"{url}/moved.html", tmp_path / "x.fa", "hsa")
    with pytest.raises(InputError, match="could not download"):
        prepare_reference(f"{url}/missing.fa", tmp_path / "x.fa", "hsa")
    assert not (tmp_path / "x.fa").exists()
    assert not list(tmp_path.glob(".*.part")) and not list(tmp_path.glob(".*.source"))


def test_missing_reference_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        references.fetch(str(tmp_path / "nope.fa"), tmp_path / "out.fa")
