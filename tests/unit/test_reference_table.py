"""results/references.tsv (esccrt.reference_table): one row per reference file the run used.

Checksums against hashlib on the whole file; the config keys and roles of a demo-like run whose
genome comes by name (config ``reference``), with a URL hairpin, RNA classes and prebuilt indexes.
The rule writing it on a small demo: tests/workflow/test_provenance_rule.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from esccrt import provenance
from esccrt.catalog import apply_to_config, resolve
from esccrt.io import read_tsv, write_tsv_atomic
from esccrt.mrna.reference import reference_path
from esccrt.reference_table import (
    COLUMNS,
    ReferenceUse,
    measured_by,
    reference_table,
    reference_uses,
)

CACHE = "resources/cache/references"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)


@pytest.fixture()
def demo_like(tmp_path: Path, monkeypatch) -> dict:
    """A config as common.smk holds it: the genome by name (Ensembl 112), the rest given."""
    monkeypatch.chdir(tmp_path)
    config = {
        "smallrna": {
            "mature": "refs/mature.fa",
            "mature_sha256": "",
            "hairpin": "https://mirbase.org/download_version_files/22.1/hairpin.fa",
            "hairpin_sha256": "cd" * 32,
            "rna_classes": [
                {"name": "rRNA", "fasta": "refs/rRNA.fa", "sha256": ""},
                {"name": "tRNA", "fasta": "refs/tRNA.fa", "sha256": ""},
            ],
        },
        "mrna": {"aligner": "hisat2", "annotation": {"source": "refs/genes.gtf", "sha256": ""}},
        "reference": {
            "source": "ensembl",
            "species": "homo_sapiens",
            "build": "GRCh38",
            "release": 112,
        },
    }
    named = resolve(config["reference"])
    used = apply_to_config(config, named, CACHE)
    files = {
        "refs/mature.fa": ">hsa-miR-1\nUGGAAUGUAAAGAAGUAUGUAU\n",
        "results/smallrna/reference/hairpin.fa": ">hsa-mir-1\nACGT\n",
        "refs/rRNA.fa": ">r\nACGTACGT\n",
        "refs/tRNA.fa": ">t\nGGGG\n",
        "resources/cache/mrna/genome.fa": ">chr1\nACGTACGTAC\n",
        "refs/genes.gtf": 'chr1\tx\texon\t1\t5\t.\t+\t.\tgene_id "G1";\n',
        "lab/bowtie/mature.1.ebwt": "b1",
        "lab/bowtie/mature.rev.1.ebwt": "b2",
        "lab/hisat2/genome.1.ht2": "h1",
    }
    for path, text in files.items():
        _write(path, text)
    download = {  # what rule reference_download recorded for the genome
        **named["genome"].record(),
        "provider_checksum": "31010 881211",
        "bytes": 123,
        "sha256": "ef" * 32,
    }
    return {"config": config, "used": used, "download": download}


def _uses(demo_like: dict) -> list[ReferenceUse]:
    config = demo_like["config"]
    return reference_uses(
        config,
        smallrna_refs=["mature", "hairpin", "rRNA", "tRNA"],
        smallrna_indexes={"mature": ["lab/bowtie/mature.1.ebwt", "lab/bowtie/mature.rev.1.ebwt"]},
        mrna_files={
            "genome": reference_path(config["mrna"], "genome.fa"),
            "annotation": reference_path(config["mrna"], "genes.gtf"),
        },
        mrna_index=["lab/hisat2/genome.1.ht2"],
        named_roles=demo_like["used"],
    )


def test_one_row_per_reference_with_its_key_checksum_and_source(demo_like: dict) -> None:
    assert demo_like["used"] == ["genome"]  # the annotation given in mrna.annotation wins
    table = reference_table(
        _uses(demo_like), [demo_like["download"]], measured_by([], provenance.file_record)
    )
    assert list(table.columns) == list(COLUMNS)
    rows = table.set_index("path")
    assert list(rows.index) == [
        "refs/mature.fa",
        "results/smallrna/reference/hairpin.fa",  # a URL: the prepared copy the run read
        "refs/rRNA.fa",
        "refs/tRNA.fa",
        "lab/bowtie/mature.1.ebwt",
        "lab/bowtie/mature.rev.1.ebwt",
        "resources/cache/mrna/genome.fa",  # the decompressed copy of the download
        "refs/genes.gtf",
        "lab/hisat2/genome.1.ht2",
    ]
    for path, row in rows.iterrows():  # independently: hashlib on the whole file
        assert row["sha256"] == _sha256(Path(path)), path
        assert row["bytes"] == Path(path).stat().st_size, path
    assert rows["arm"].tolist() == ["smallrna"] * 6 + ["mrna"] * 3
    assert rows["config_key"].tolist() == [
        "smallrna.mature",
        "smallrna.hairpin",
        "smallrna.rna_classes[0]",
        "smallrna.rna_classes[1]",
        "smallrna.bowtie_index.mature",
        "smallrna.bowtie_index.mature",
        "reference.source",
        "mrna.annotation.source",
        "mrna.hisat2.index",
    ]
    assert rows["role"].tolist() == [
        "mature",
        "hairpin",
        "RNA class rRNA",
        "RNA class tRNA",
        "prebuilt bowtie index (mature)",
        "prebuilt bowtie index (mature)",
        "genome",
        "annotation",
        "prebuilt hisat2 index",
    ]
    hairpin = rows.loc["results/smallrna/reference/hairpin.fa"]
    assert hairpin["source"] == "https://mirbase.org/download_version_files/22.1/hairpin.fa"
    assert hairpin["pinned_sha256"] == "cd" * 32 and hairpin["provider"] == ""
    genome = rows.loc["resources/cache/mrna/genome.fa"]
    assert genome["source"] == (
        "https://ftp.ensembl.org/pub/release-112/fasta/homo_sapiens/dna/"
        "Homo_sapiens.GRCh38.dna.primary_assembly.fa.gz"
    )
    assert (genome["provider"], genome["release"]) == ("ensembl", "112")
    assert genome["published_checksum"] == "sum 31010 881211"
    # given by path: the source is the path, no provider
    annotation = rows.loc["refs/genes.gtf"]
    assert annotation["source"] == "refs/genes.gtf"
    assert annotation[["provider", "release", "published_checksum"]].tolist() == ["", "", ""]


def test_files_already_checksummed_are_not_read_again(demo_like: dict) -> None:
    """The provenance record's checksums are used; only the other files are measured."""
    known = provenance.file_records(["refs/mature.fa", "refs/genes.gtf"])
    known[0] = {**known[0], "sha256": "00" * 32}  # proves the record, not the file, is used
    measured = []

    def measure(path: str) -> dict:
        measured.append(path)
        return provenance.file_record(path)

    table = reference_table(_uses(demo_like), [demo_like["download"]], measured_by(known, measure))
    assert table.loc[table["path"] == "refs/mature.fa", "sha256"].item() == "00" * 32
    assert "refs/mature.fa" not in measured and "refs/genes.gtf" not in measured
    assert len(measured) == len(table) - 2


def test_table_round_trips_as_written(demo_like: dict, tmp_path: Path) -> None:
    """Written atomically and read back as text: checksums, keys and releases as they were."""
    table = reference_table(
        _uses(demo_like), [demo_like["download"]], measured_by([], provenance.file_record)
    )
    out = tmp_path / "results" / "references.tsv"
    write_tsv_atomic(table, out)
    back = read_tsv(out, [c for c in COLUMNS if c != "bytes"]).fillna("")
    pd.testing.assert_frame_equal(back, table.astype({"release": str}), check_dtype=False)


def test_no_arm_no_reference() -> None:
    """A qPCR-only study reads no reference: an empty table with the columns."""
    table = reference_table(reference_uses({}), [], measured_by([], provenance.file_record))
    assert table.empty and list(table.columns) == list(COLUMNS)
