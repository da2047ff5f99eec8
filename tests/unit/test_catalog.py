"""References by name: the providers' documented addresses, checksums, download into the cache."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
from pathlib import Path

import pytest
from esccrt.catalog import apply_to_config, resolve
from esccrt.errors import InputError
from esccrt.references import bsd_sum, download_verified, published_checksum

ENSEMBL_112 = "https://ftp.ensembl.org/pub/release-112"
GENCODE_46 = "https://ftp.ebi.ac.uk/pub/databases/gencode/Gencode_human/release_46"


def test_ensembl_grch38_112_resolves_to_the_documented_layout():
    files = resolve({"source": "ensembl", "species": "homo_sapiens", "build": "GRCh38",
                     "release": 112})  # fmt: skip
    genome, gtf = files["genome"], files["annotation"]
    assert genome.url == (
        f"{ENSEMBL_112}/fasta/homo_sapiens/dna/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz"
    )
    assert genome.checksum_url == f"{ENSEMBL_112}/fasta/homo_sapiens/dna/CHECKSUMS"
    assert gtf.url == f"{ENSEMBL_112}/gtf/homo_sapiens/Homo_sapiens.GRCh38.112.gtf.gz"
    assert gtf.checksum_url == f"{ENSEMBL_112}/gtf/homo_sapiens/CHECKSUMS"
    assert genome.checksum_kind == gtf.checksum_kind == "sum"
    assert genome.cache_name == (
        "ensembl/homo_sapiens/GRCh38/release-112/Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz"
    )


def test_gencode_46_and_mouse_resolve_to_the_documented_layout():
    files = resolve({"source": "gencode", "species": "human", "build": "GRCh38", "release": "46"})
    assert files["genome"].url == f"{GENCODE_46}/GRCh38.primary_assembly.genome.fa.gz"
    assert files["annotation"].url == (
        f"{GENCODE_46}/gencode.v46.primary_assembly.annotation.gtf.gz"
    )
    assert files["genome"].checksum_url == f"{GENCODE_46}/MD5SUMS"
    assert files["genome"].checksum_kind == "md5"
    mouse = resolve({"source": "gencode", "species": "mus_musculus", "build": "GRCm39",
                     "release": 35})  # fmt: skip
    assert mouse["annotation"].url.endswith(
        "Gencode_mouse/release_M35/gencode.vM35.primary_assembly.annotation.gtf.gz"
    )
    with pytest.raises(InputError, match=r"reference\.species: GENCODE publishes human and mouse"):
        resolve({"source": "gencode", "species": "danio_rerio", "build": "x", "release": 1})
    with pytest.raises(InputError, match=r"also needs \['build'\]"):
        resolve({"source": "ensembl", "species": "homo_sapiens", "release": 112})


def test_mirbase_and_mirgenedb_resolve():
    files = resolve({"mirna": "mirbase 22.1"})
    assert files["mature"].url == "https://mirbase.org/download_version_files/22.1/mature.fa"
    assert files["hairpin"].url == "https://mirbase.org/download_version_files/22.1/hairpin.fa"
    assert files["mature"].checksum_url == ""  # miRBase publishes no checksums
    assert resolve({"mirna": "mirbase 21"})["hairpin"].cache_name == "mirbase/21/hairpin.fa"
    mgdb = resolve({"mirna": "mirgenedb 3.0", "mirna_species": "mmu"})
    assert mgdb["mature"].url == "https://mirgenedb.org/fasta/mmu?mat=1"
    assert mgdb["hairpin"].url == "https://mirgenedb.org/fasta/mmu?pre=1"
    with pytest.raises(InputError, match=r"reference\.mirna: 'mirbase' is not understood"):
        resolve({"mirna": "mirbase"})


def test_named_references_fill_only_what_the_config_leaves_out():
    block = {"source": "ensembl", "species": "homo_sapiens", "build": "GRCh38", "release": 112,
             "mirna": "mirbase 22.1", "mirna_species": "mmu"}  # fmt: skip
    config = {"reference": block, "mrna": {"annotation": {"source": "my.gtf"}}}
    used = apply_to_config(config, resolve(block), "cache/")
    assert used == ["genome", "mature", "hairpin"]
    assert config["mrna"]["genome"]["source"].startswith("cache/ensembl/homo_sapiens/GRCh38/")
    assert config["mrna"]["annotation"] == {"source": "my.gtf"}  # explicit wins
    assert config["smallrna"] == {
        "mature": "cache/mirbase/22.1/mature.fa",
        "hairpin": "cache/mirbase/22.1/hairpin.fa",
        "species": "mmu",
    }


def reference_bsd_sum(data: bytes) -> str:
    """BSD sum as its manual defines it: 16-bit rotate right, add the byte; 1024-byte blocks."""
    checksum = 0
    for byte in data:
        checksum = ((checksum >> 1) + ((checksum & 1) << 15) + byte) & 0xFFFF
    return f"{checksum} {(len(data) + 1023) // 1024}"


def ensembl_mirror(root: Path, genome: bytes) -> dict:
    """A file:// folder laid out like Ensembl's FTP release 112, with its CHECKSUMS files."""
    dna = root / "release-112" / "fasta" / "homo_sapiens" / "dna"
    gtf = root / "release-112" / "gtf" / "homo_sapiens"
    for folder, name, data in (
        (dna, "Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz", gzip.compress(genome)),
        (gtf, "Homo_sapiens.GRCh38.112.gtf.gz", gzip.compress(b"chr1\tx\texon\t1\t4\t.\t+\t.\n")),
    ):
        folder.mkdir(parents=True)
        (folder / name).write_bytes(data)
        checksum, blocks = reference_bsd_sum(data).split()
        (folder / "CHECKSUMS").write_text(f"{int(checksum):05d} {int(blocks):5d} {name}\n")
    return {"source": "ensembl", "species": "homo_sapiens", "build": "GRCh38", "release": 112,
            "mirrors": {"ensembl": root.as_uri()}}  # fmt: skip


def test_bsd_sum_matches_its_definition(tmp_path):
    data = bytes(range(256)) * 9 + b"tail"
    (tmp_path / "f").write_bytes(data)
    assert bsd_sum(tmp_path / "f") == reference_bsd_sum(data)
    listing = "01234     5 a.gz\n54321  2048 Homo.fa.gz\n"
    assert published_checksum(listing, "Homo.fa.gz", "sum", "CHECKSUMS") == "54321 2048"
    with pytest.raises(InputError, match=r"CHECKSUMS lists no checksum for 'b\.gz'"):
        published_checksum(listing, "b.gz", "sum", "CHECKSUMS")


def test_download_checks_ensembl_checksums_and_refuses_a_corrupt_file(tmp_path):
    files = resolve(ensembl_mirror(tmp_path / "mirror", b">chr1\nACGT\n"))
    genome = files["genome"].record()
    assert genome["url"].startswith("file://")
    record = download_verified(genome, tmp_path / "cache" / "genome.fa.gz")
    assert gzip.decompress((tmp_path / "cache" / "genome.fa.gz").read_bytes()) == b">chr1\nACGT\n"
    assert record["provider_checksum"] == reference_bsd_sum(
        Path(genome["url"][len("file://") :]).read_bytes()
    )
    assert (
        record["sha256"]
        == hashlib.sha256((tmp_path / "cache" / "genome.fa.gz").read_bytes()).hexdigest()
    )
    # corrupt the published file after its checksum was published
    published = Path(genome["url"][len("file://") :])
    data = bytearray(published.read_bytes())
    data[len(data) // 2] ^= 0xFF
    published.write_bytes(bytes(data))
    with pytest.raises(InputError) as error:
        download_verified(genome, tmp_path / "cache2" / "genome.fa.gz")
    expected = record["provider_checksum"]
    found = reference_bsd_sum(published.read_bytes())
    assert f"checksum '{found}'" in str(error.value) and f"publishes '{expected}'" in str(
        error.value
    )
    assert not list((tmp_path / "cache2").iterdir())


def test_download_checks_gencode_md5sums(tmp_path):
    folder = tmp_path / "Gencode_human" / "release_46"
    folder.mkdir(parents=True)
    name = "gencode.v46.primary_assembly.annotation.gtf.gz"
    (folder / name).write_bytes(gzip.compress(b"chr1\tx\texon\t1\t4\t.\t+\t.\n"))
    md5 = subprocess.run(["md5sum", name], cwd=folder, capture_output=True, text=True, check=True)
    (folder / "MD5SUMS").write_text(md5.stdout)
    block = {"source": "gencode", "species": "human", "build": "GRCh38", "release": 46,
             "mirrors": {"gencode": tmp_path.as_uri()}}  # fmt: skip
    annotation = resolve(block)["annotation"].record()
    record = download_verified(annotation, tmp_path / "cache" / name)
    assert record["provider_checksum"] == md5.stdout.split()[0]
    (folder / "MD5SUMS").write_text(f"{'0' * 32}  {name}\n")
    with pytest.raises(InputError, match=rf"md5 checksum '{md5.stdout.split()[0]}'.*'{'0' * 32}'"):
        download_verified(annotation, tmp_path / "cache" / "again.gtf.gz")
