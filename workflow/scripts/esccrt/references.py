"""Reference files from a local path or a URL, checked against a pinned SHA-256.

References move, get renamed or come back as an HTML error page (nf-core/smrnaseq #118, #264,
#279, #497): every reference goes through :func:`fetch`, which copies or downloads it to the
workflow's folder, checks the published file's checksum when the config gives one, and leaves
nothing behind on failure.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from esccrt.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def is_url(source: str) -> bool:
    """True when ``source`` is an http(s) or ftp address rather than a local path."""
    return urllib.parse.urlparse(str(source)).scheme in ("http", "https", "ftp")


def sha256sum(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes as stored (of the ``.gz`` if compressed), read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_gzipped(path: str | os.PathLike[str]) -> bool:
    """True when the file starts with the gzip magic bytes."""
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def fetch(
    source: str,
    dest: str | os.PathLike[str],
    sha256: str = "",
    key: str = "the reference",
    decompress: bool = False,
    timeout: int = 120,
) -> Path:
    """Copy or download ``source`` to ``dest``, checking ``sha256`` when given.

    The checksum is that of the file as published (compressed if it is). With ``decompress``, a
    gzip-compressed file is stored uncompressed. ``key`` names the config key in error messages.
    A failure raises :class:`InputError` and leaves nothing at ``dest``.
    """
    target = Path(dest)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, raw = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    unpacked = f"{raw}.unpacked"
    try:
        if is_url(source):
            try:
                with (
                    urllib.request.urlopen(source, timeout=timeout) as response,
                    open(raw, "wb") as out,
                ):
                    shutil.copyfileobj(response, out)
            except OSError as error:
                raise InputError(
                    f"config {key}: could not download '{source}': {error}. Check the address, "
                    "or download the file by hand and give its local path."
                ) from None
        else:
            if not Path(source).is_file():
                raise InputError(
                    f"config {key}: file '{source}' does not exist (paths are relative to the "
                    "folder Snakemake runs in)."
                )
            shutil.copyfile(source, raw)
        if sha256:
            found = sha256sum(raw)
            if found.lower() != sha256.strip().lower():
                raise InputError(
                    f"config {key}: '{source}' has SHA-256 {found}, but the config expects "
                    f"{sha256}. The file changed upstream or is not the version you pinned: "
                    "check it, then update the checksum in the config."
                )
        if decompress and is_gzipped(raw):
            with gzip.open(raw, "rb") as packed, open(unpacked, "wb") as out:
                shutil.copyfileobj(packed, out)
            os.replace(unpacked, raw)
        os.chmod(raw, 0o644)
        os.replace(raw, target)
    finally:
        Path(raw).unlink(missing_ok=True)
        Path(unpacked).unlink(missing_ok=True)
    return target
