"""mRNA reference: where the genome and annotation are read from, fetching them, genome length."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from esccrt.io import read_fai
from esccrt.references import fetch, is_url


def fetch_reference(source: str, sha256: str, dest: str | os.PathLike[str], key: str) -> None:
    """Copy or download ``source`` to ``dest`` (decompressing ``.gz``), checking ``sha256``."""
    fetch(source, dest, sha256=sha256, key=key, decompress=True)


REFERENCE_FILES = {"genome.fa": "genome", "genes.gtf": "annotation"}


def reference_path(mrna_config: Mapping, name: str) -> str:
    """Where the workflow reads the genome ('genome.fa') or annotation ('genes.gtf') from.

    A plain local ``source`` is used in place; a URL or a ``.gz`` file goes through
    ``resources/cache/mrna/<name>`` (downloaded, checked and decompressed once).
    """
    source = mrna_config[REFERENCE_FILES[name]]["source"]
    cached = is_url(source) or source.endswith(".gz")
    return f"resources/cache/mrna/{name}" if cached else source


def genome_length(fasta: str | os.PathLike[str]) -> int:
    """Total sequence length of a FASTA file (from its ``.fai`` when present)."""
    fai = Path(f"{fasta}.fai")
    if fai.exists():
        return sum(length for _, length in read_fai(fai))
    total = 0
    with open(fasta) as handle:
        for line in handle:
            if not line.startswith(">"):
                total += len(line.strip())
    return total
