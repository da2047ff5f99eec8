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
import subprocess
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from esccrt.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def is_url(source: str) -> bool:
    """True when ``source`` is an http(s), ftp or file:// address rather than a local path."""
    return urllib.parse.urlparse(str(source)).scheme in ("http", "https", "ftp", "file")


def local_inputs(source: str) -> list[str]:
    """A local reference file as a rule's input; nothing for a URL (the rule downloads it)."""
    return [] if is_url(source) else [source]


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


# ------------------------------------------------ providers' published checksums, the cache


def bsd_sum(path: str | os.PathLike[str]) -> str:
    """BSD ``sum`` of a file as Ensembl's CHECKSUMS files give it: "<checksum> <1 KB blocks>".

    Computed by coreutils ``sum -r`` (a byte-serial 16-bit rotation, far too slow in Python
    for a 1 GB genome).
    """
    run = subprocess.run(["sum", "-r", str(path)], capture_output=True, text=True, check=True)
    checksum, blocks = run.stdout.split()[:2]
    return f"{int(checksum)} {int(blocks)}"


def md5sum(path: str | os.PathLike[str]) -> str:
    """Hex MD5 of a file (GENCODE's MD5SUMS), read in blocks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


CHECKSUM_FUNCTIONS = {"sum": bsd_sum, "md5": md5sum}


def published_checksum(listing: str, file_name: str, kind: str, where: str) -> str:
    """The checksum a provider's CHECKSUMS/MD5SUMS text gives for ``file_name``.

    Ensembl lines are ``<sum> <blocks> <file>``, GENCODE lines ``<md5>  <file>``; ``where``
    (the listing's address) is named when the file is not listed.
    """
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[-1].lstrip("*./") == file_name:
            if kind == "sum":
                return f"{int(fields[0])} {int(fields[1])}"
            return fields[0].lower()
    raise InputError(
        f"{where} lists no checksum for '{file_name}': the release, species or build may not "
        "exist under this name at the provider. Check the reference block of the config."
    )


def read_url_text(url: str, timeout: int = 120) -> str:
    """A small text file (a checksum listing) from a URL."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read().decode("utf-8", errors="replace")
    except OSError as error:
        raise InputError(f"could not download the checksum list '{url}': {error}") from None


def download_verified(remote: Mapping[str, str], dest: str | os.PathLike[str]) -> dict[str, object]:
    """Download one provider file (a :class:`esccrt.catalog.RemoteFile` record) into the cache.

    Where the provider publishes checksums, the file must match them: a mismatch raises
    :class:`InputError` naming the address, the expected and the found checksum, and leaves
    nothing in the cache. Returns the provenance record (address, checksums, size, SHA-256).
    """
    target = Path(dest)
    name = urllib.parse.urlparse(remote["url"]).path.rsplit("/", 1)[-1]
    expected = ""
    if remote["checksum_url"]:
        listing = read_url_text(remote["checksum_url"])
        expected = published_checksum(
            listing, name, remote["checksum_kind"], remote["checksum_url"]
        )
    part = target.with_name(f".{target.name}.download")
    fetch(remote["url"], part, key=f"reference ({remote['role']})")
    try:
        found = CHECKSUM_FUNCTIONS[remote["checksum_kind"]](part) if expected else ""
        if found != expected:
            raise InputError(
                f"reference {remote['role']}: '{remote['url']}' has {remote['checksum_kind']} "
                f"checksum '{found}', but {remote['checksum_url']} publishes '{expected}'. The "
                "download is corrupt or incomplete; it was not kept. Run again to download it anew."
            )
        record = {
            **dict(remote),
            "provider_checksum": expected,
            "bytes": part.stat().st_size,
            "sha256": sha256sum(part),
        }
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return record
