"""mRNA reference: fetching (checked, decompressed) and where the workflow reads it from."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from esccrt import references
from esccrt.errors import InputError
from esccrt.mrna.reference import fetch_reference, reference_path


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fetch_reference_checks_and_decompresses(tmp_path):
    plain = write(tmp_path / "g.fa", [">chr1", "ACGT"])
    packed = tmp_path / "g.fa.gz"
    with gzip.open(packed, "wt") as handle:
        handle.write(">chr1\nACGT\n")
    digest = references.sha256sum(packed)
    fetch_reference(str(packed), digest, tmp_path / "cache" / "genome.fa", "mrna.genome")
    assert (tmp_path / "cache" / "genome.fa").read_text() == plain.read_text()
    with pytest.raises(InputError, match=r"mrna\.genome: .* has SHA-256 .*expects 0{64}"):
        fetch_reference(str(plain), "0" * 64, tmp_path / "x.fa", "mrna.genome")
    assert not (tmp_path / "x.fa").exists()
    with pytest.raises(InputError, match="does not exist"):
        fetch_reference(str(tmp_path / "nope.fa"), "", tmp_path / "y.fa", "mrna.genome")
    config = {"genome": {"source": "https://x.org/g.fa.gz"}, "annotation": {"source": "a.gtf"}}
    assert reference_path(config, "genome.fa") == "resources/cache/mrna/genome.fa"
    assert reference_path(config, "genes.gtf") == "a.gtf"
    config["annotation"]["source"] = "local/a.gtf.gz"
    assert reference_path(config, "genes.gtf") == "resources/cache/mrna/genes.gtf"
