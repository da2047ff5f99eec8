"""miRBase-style reference FASTA files: fetching, checking and preparing them for bowtie.

References move, get renamed or come back as an HTML error page (nf-core/smrnaseq #118, #264,
#279, #497), so everything is checked before an index is built: the file must look like FASTA,
names must be unique, the configured species must be present, and a configured SHA-256 must match.
Prepared references are written in the DNA alphabet (U -> T) with the first header word only as
the sequence name, so that BAM reference names are the miRNA names the count matrix uses.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from esccrt.errors import InputError
from esccrt.io import atomic_write
from esccrt.references import fetch

#: Bases a prepared reference may contain (IUPAC codes are rare in miRBase but legal).
_ALPHABET = set("ACGTUNRYKMSWBDHV")
#: Alignment gap characters, removed from sequences: tRNAdb exports (e.g. miRTrace's tRNA
#: reference) keep the gaps of their structural alignment.
_GAPS = str.maketrans("", "", "-._")


@dataclass(frozen=True)
class FastaRecord:
    """One FASTA entry: ``name`` (first header word), full ``header`` line and ``sequence``."""

    name: str
    header: str
    sequence: str


def _open_text(path: str | os.PathLike[str]) -> TextIO:
    """Open a plain or gzip-compressed text file (detected from its first bytes)."""
    with open(path, "rb") as handle:
        magic = handle.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


def read_fasta(path: str | os.PathLike[str], label: object = None) -> Iterator[FastaRecord]:
    """Read FASTA entries, rejecting what is not FASTA (HTML pages, empty files, bad letters).

    Sequences may span several lines; they are upper-cased, whitespace and alignment gaps
    (``-``, ``.``, ``_``) removed. ``label`` names
    the file in error messages (e.g. the URL it came from); default: ``path``.
    """
    where = path if label is None else label
    name = header = None
    chunks: list[str] = []
    seen_any = False
    with _open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line:
                continue
            if not seen_any:
                seen_any = True
                if not line.startswith(">"):
                    looks_html = line.lower().startswith(("<!doctype", "<html", "<?xml", "<"))
                    hint = (
                        " It looks like an HTML page (a moved download or an error page): "
                        "download the FASTA again from miRBase and check the address."
                        if looks_html
                        else " A FASTA file starts with a '>' header line."
                    )
                    raise InputError(f"{where}, line {number}: this is not a FASTA file.{hint}")
            if line.startswith(">"):
                if name is not None:
                    yield FastaRecord(name, header, "".join(chunks).upper())
                header = line[1:].strip()
                if not header:
                    raise InputError(f"{where}, line {number}: FASTA header without a name.")
                name = header.split()[0]
                chunks = []
            else:
                line = line.translate(_GAPS)
                bad = set(line.upper()) - _ALPHABET
                if bad:
                    raise InputError(
                        f"{where}, line {number}: unexpected character(s) {sorted(bad)} in the "
                        f"sequence of '{name}'. Is this really a nucleotide FASTA file?"
                    )
                chunks.append(line)
    if not seen_any:
        raise InputError(f"{where}: the file is empty; a FASTA reference is required.")
    if name is not None:
        yield FastaRecord(name, header, "".join(chunks).upper())


def has_biotype(record: FastaRecord, biotypes: Collection[str]) -> bool:
    """True when the header names one of ``biotypes`` as Ensembl's FASTA headers do
    (``transcript_biotype:<biotype>``)."""
    words = set(record.header.split())
    return any(f"transcript_biotype:{biotype}" in words for biotype in biotypes)


def prepare_records(
    records: list[FastaRecord],
    path: object,
    species: str | None,
    name_prefix: str = "",
    biotypes: Collection[str] = (),
) -> list[FastaRecord]:
    """Keep one species (name prefix ``<species>-``), convert U -> T and check names are unique.

    ``species=None`` keeps every entry (RNA class references), or those whose name starts with
    ``name_prefix`` and (when given) whose header names one of ``biotypes``. Raises
    :class:`InputError` naming ``path`` when no entry is left, a name occurs twice or a
    sequence is empty.
    """
    prefix = f"{species}-" if species else name_prefix
    # Case-insensitive: MirGeneDB writes 'Hsa-Let-7-P1_5p' where miRBase writes 'hsa-let-7a-5p'.
    kept = [r for r in records if r.name.lower().startswith(prefix.lower())]
    if biotypes:
        kept = [r for r in kept if has_biotype(r, biotypes)]
        if not kept:
            raise InputError(
                f"{path}: no entry whose header names transcript_biotype {list(biotypes)} "
                "(e.g. 'transcript_biotype:rRNA' in Ensembl's ncRNA FASTA). Check `biotypes` "
                "of the RNA class in the config, or the file."
            )
    if not kept:
        examples = ", ".join(r.name for r in records[:3])
        what, setting = (
            (f"for species '{species}'", "smallrna: species")
            if species
            else ("to keep", "names_starting_with of the RNA class")
        )
        raise InputError(
            f"{path}: no entry {what} (names must start with '{prefix}'; the file has e.g. "
            f"{examples}). Check `{setting}` in the config or the file."
        )
    seen: set[str] = set()
    prepared = []
    for record in kept:
        if record.name in seen:
            raise InputError(
                f"{path}: the name '{record.name}' occurs more than once. Names must be unique "
                "for counting; remove or rename the duplicate entry."
            )
        seen.add(record.name)
        if not record.sequence:
            raise InputError(f"{path}: entry '{record.name}' has an empty sequence.")
        prepared.append(FastaRecord(record.name, record.header, record.sequence.replace("U", "T")))
    return prepared


def write_fasta(records: list[FastaRecord], path: str | os.PathLike[str]) -> None:
    """Write records atomically, one line per sequence, header = name only."""
    with atomic_write(path) as handle:
        for record in records:
            handle.write(f">{record.name}\n{record.sequence}\n")


def prepare_reference(
    source: str,
    dest: str | os.PathLike[str],
    species: str | None,
    sha256: str = "",
    key: str = "smallrna",
    name_prefix: str = "",
    biotypes: Collection[str] = (),
) -> int:
    """Fetch (path or URL), check and write one reference; return the number of entries kept.

    ``key`` is the config key of ``source``, named in error messages; ``name_prefix`` keeps
    the entries of a reference without species (an RNA class) whose name starts with it,
    ``biotypes`` those whose header names one of these transcript biotypes.
    """
    target = Path(dest)
    download = target.with_name(f".{target.name}.source")
    fetch(source, download, sha256, key=key)
    try:
        records = prepare_records(
            list(read_fasta(download, label=source)), source, species, name_prefix, biotypes
        )
    finally:
        download.unlink(missing_ok=True)
    write_fasta(records, target)
    return len(records)
