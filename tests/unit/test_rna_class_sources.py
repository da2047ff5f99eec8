"""RNA-class references by name (smallrna.rna_classes[].source): the providers' documented
addresses, the download into the cache with the provider's checksum, the class prepared from the
cached file, provenance rows, and bad sources refused naming the config key."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from esccrt.config_check import check_config
from esccrt.errors import InputError
from esccrt.reference_table import reference_table, reference_uses
from esccrt.references import bsd_sum, download_verified
from esccrt.rna_class_sources import resolve_classes, resolve_source, use_cached_files
from esccrt.smallrna.reference import read_fasta
from esccrt.smallrna.settings import ReferenceSettings
from esccrt.smallrna.stage import ReferenceOutputs, reference

ENSEMBL_112 = "https://ftp.ensembl.org/pub/release-112/fasta/homo_sapiens/ncrna"
ENSEMBL_SOURCE = "ensembl 112 homo_sapiens GRCh38"
#: Entries of an Ensembl ncRNA FASTA (its README's header layout), one per biotype.
NCRNA = {
    "ENST00000364451.1": ("rRNA", "GTCTACGGCCATACCACCCTGAACGCGCCCGATCTCGTCTGATCTCGGAAGCTAAGCA"),
    "ENST00000389680.2": ("Mt_rRNA", "AATAGGTTTGGTCCTAGCCTTTCTATTAGCTCTTAGTAAGATTACACATGCAAGCA"),
    "ENST00000387314.1": ("Mt_tRNA", "GTTAATGTAGCTTAATAACAAAGCAAAGCACTGAAAATGCTTAGATGGATAATTGTA"),
    "ENST00000384502.1": ("snoRNA", "TGCAATGATGTCGTAATTTGCGTCTTACTCTGTTCTCAGCGACAGTTGCCTGCTGTCA"),
    "ENST00000365328.1": ("misc_RNA", "GGCTGGTCCGAAGGTAGTGAGTTATCTCAATTGATTGTTCACAGTCAGTTACAGAT"),
}


def ncrna_fasta() -> bytes:
    """An Ensembl-style ncRNA FASTA (``transcript_biotype:<b>`` in each header), gzipped."""
    lines = []
    for number, (name, (biotype, sequence)) in enumerate(NCRNA.items()):
        lines += [
            f">{name} ncrna chromosome:GRCh38:MT:{number + 1}:{len(sequence)}:1 "
            f"gene:ENSG0000021{number}.1 gene_biotype:{biotype} transcript_biotype:{biotype}",
            sequence,
        ]
    return gzip.compress(("\n".join(lines) + "\n").encode())


def ensembl_mirror(root: Path) -> dict[str, str]:
    """Ensembl release 112's ncrna folder (FASTA and CHECKSUMS) under ``root``."""
    folder = root / "release-112" / "fasta" / "homo_sapiens" / "ncrna"
    folder.mkdir(parents=True)
    name = "Homo_sapiens.GRCh38.ncrna.fa.gz"
    (folder / name).write_bytes(ncrna_fasta())
    (folder / "CHECKSUMS").write_text(f"{bsd_sum(folder / name)} {name}\n")
    return {"ensembl": root.as_uri()}


def gtrnadb_mirror(root: Path) -> dict[str, str]:
    """GtRNAdb's hg38 folder with a two-tRNA mature FASTA under ``root``."""
    folder = root / "eukaryota" / "Hsapi38"
    folder.mkdir(parents=True)
    (folder / "hg38-mature-tRNAs.fa").write_text(
        ">Homo_sapiens_tRNA-Gly-GCC-1-1 (tRNAscan-SE ID: chr1.trna10) Gly (GCC) 71 bp\n"
        "GCATTGGTGGTTCAGTGGTAGAATTCTCGCCTGCCACGCGGGAGGCCCGGGTTCGATTCCCGGCCAATGCACCA\n"
        ">Homo_sapiens_tRNA-Glu-CTC-1-1 (tRNAscan-SE ID: chr1.trna4) Glu (CTC) 72 bp\n"
        "TCCCTGGTGGTCTAGTGGTTAGGATTCGGCGCTCTCACCGCCGCGGCCCGGGTTCGATTCCCGGTCAGGGAACCA\n"
    )
    return {"gtrnadb": root.as_uri()}


def test_sources_resolve_to_the_documented_addresses():
    ensembl = resolve_source("Ensembl  112 homo_sapiens GRCh38", "k")
    assert ensembl.role == ENSEMBL_SOURCE  # one spelling: classes naming it share the download
    assert ensembl.url == f"{ENSEMBL_112}/Homo_sapiens.GRCh38.ncrna.fa.gz"
    assert (ensembl.checksum_url, ensembl.checksum_kind) == (f"{ENSEMBL_112}/CHECKSUMS", "sum")
    assert ensembl.cache_name == (
        "ensembl/homo_sapiens/GRCh38/release-112/Homo_sapiens.GRCh38.ncrna.fa.gz"
    )
    trna = resolve_source("gtrnadb 21 hg38", "k")
    assert trna.url == "https://gtrnadb.ucsc.edu/genomes/eukaryota/Hsapi38/hg38-mature-tRNAs.fa"
    assert (trna.provider, trna.release, trna.checksum_url) == ("gtrnadb", "21", "")
    assert resolve_source("gtrnadb 21 mm10", "k").url.endswith("Mmusc10/mm10-mature-tRNAs.fa")
    rdna = resolve_source("ncbi U13369.1", "k")
    assert rdna.url == (
        "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi"
        "?db=nuccore&id=U13369.1&rettype=fasta&retmode=text"
    )
    assert (rdna.cache_name, rdna.checksum_kind) == ("ncbi/nuccore/U13369.1.fa", "")
    mirrored = resolve_source(ENSEMBL_SOURCE, "k", {"ensembl": "https://mirror.example/ens/"})
    assert mirrored.url.startswith("https://mirror.example/ens/release-112/fasta/homo_sapiens/")


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("rnacentral 25 9606 rRNA", "names no known provider"),
        ("ensembl 112 homo_sapiens", "does not have the words ensembl needs"),
        ("gtrnadb 21 hg99", "names a genome GtRNAdb is not known here for"),
        ("ncbi U13369", "does not have the words ncbi needs"),  # an unversioned accession
        ("ncbi U13369.1&id=X", "has characters"),
    ],
)
def test_a_bad_source_is_refused_naming_the_key(source, why):
    section = {"rna_classes": [{"name": "rRNA", "fasta": "r.fa"}, {"name": "x", "source": source}]}
    with pytest.raises(InputError) as error:
        resolve_classes(section)
    message = str(error.value)
    assert message.startswith(f"config key smallrna.rna_classes[1].source: source '{source}'")
    assert why in message and "'ncbi U13369.1'" in message  # the vocabulary, with examples


def test_a_class_gives_fasta_or_source_not_both():
    base = {"mature": "m.fa", "hairpin": "h.fa"}
    both = {"name": "rRNA", "fasta": "r.fa", "source": ENSEMBL_SOURCE}
    for entry, given in ((both, "['fasta', 'source']"), ({"name": "rRNA"}, "none")):
        with pytest.raises(InputError) as error:
            check_config({**base, "rna_classes": [entry]}, "smallrna.schema.yaml", "smallrna")
        assert str(error.value).startswith(
            "config key smallrna.rna_classes[0]: give exactly one of ['fasta', 'source'] "
            f"(given: {given}); One RNA class"
        )
    checked = check_config(
        {**base, "rna_classes": [{"name": "rRNA", "source": ENSEMBL_SOURCE}]},
        "smallrna.schema.yaml",
        "smallrna",
    )
    assert checked["rna_classes"][0]["biotypes"] == []


def _download(remotes, cache: Path) -> list[dict]:
    """What rule reference_download does for each provider file (scripts/reference_download.py)."""
    return [download_verified(r.record(), cache / r.cache_name) for r in remotes.values()]


def _prepare(section: dict, ref: str, out: Path) -> dict[str, str]:
    """What rule smallrna_reference does for class ``ref``; the prepared entries by name."""
    fasta = out / f"{ref}.fa"
    reference(ReferenceSettings.from_config(section, ref), ReferenceOutputs(fasta))
    return {record.name: record.sequence for record in read_fasta(fasta)}


def test_classes_from_one_ensembl_file_are_downloaded_once_checked_and_kept_by_biotype(tmp_path):
    mirrors = ensembl_mirror(tmp_path / "mirror")
    section = {
        "rna_classes": [
            {"name": "rRNA", "source": ENSEMBL_SOURCE, "biotypes": ["rRNA", "Mt_rRNA"]},
            {"name": "snoRNA", "source": ENSEMBL_SOURCE, "biotypes": ["snoRNA"]},
            {"name": "YRNA", "fasta": "own/YRNA.fa"},
        ]
    }
    remotes = resolve_classes(section, mirrors)
    assert list(remotes) == [ENSEMBL_SOURCE]  # one download for both classes
    cache = tmp_path / "cache"
    (record,) = _download(remotes, cache)
    published = Path(remotes[ENSEMBL_SOURCE].url.removeprefix("file://"))
    assert record["provider_checksum"] == bsd_sum(published)
    assert record["sha256"] == hashlib.sha256(published.read_bytes()).hexdigest()

    use_cached_files(section, str(cache))
    cached = f"{cache}/ensembl/homo_sapiens/GRCh38/release-112/Homo_sapiens.GRCh38.ncrna.fa.gz"
    assert [entry["fasta"] for entry in section["rna_classes"]] == [cached, cached, "own/YRNA.fa"]
    assert _prepare(section, "rRNA", tmp_path) == {
        name: seq for name, (biotype, seq) in NCRNA.items() if biotype in ("rRNA", "Mt_rRNA")
    }
    assert list(_prepare(section, "snoRNA", tmp_path)) == ["ENST00000384502.1"]

    # results/references.tsv: the class's row names the provider, release, address and checksum
    uses = reference_uses({"smallrna": section}, smallrna_refs=["rRNA", "YRNA"])
    assert [(u.config_key, u.named_role) for u in uses] == [
        ("smallrna.rna_classes[0].source", ENSEMBL_SOURCE),
        ("smallrna.rna_classes[2]", ""),
    ]
    table = reference_table(uses[:1], [record], lambda path: {"bytes": 1, "sha256": "x"})
    row = table.iloc[0]
    assert (row["path"], row["provider"], row["release"]) == (cached, "ensembl", "112")
    assert row["source"] == remotes[ENSEMBL_SOURCE].url
    assert row["published_checksum"] == f"sum {bsd_sum(published)}"


def test_a_download_that_does_not_match_the_published_checksum_is_refused(tmp_path):
    mirrors = ensembl_mirror(tmp_path / "mirror")
    remotes = resolve_classes({"rna_classes": [{"name": "r", "source": ENSEMBL_SOURCE}]}, mirrors)
    published = Path(remotes[ENSEMBL_SOURCE].url.removeprefix("file://"))
    published.write_bytes(gzip.compress(b">ENST1 transcript_biotype:rRNA\nACGT\n"))
    with pytest.raises(
        InputError, match=r"reference ensembl 112 homo_sapiens GRCh38: .* publishes"
    ):
        _download(remotes, tmp_path / "cache")
    assert not any(path.is_file() for path in (tmp_path / "cache").rglob("*"))


def test_gtrnadb_has_no_published_checksum_so_the_class_sha256_pins_it(tmp_path):
    mirrors = gtrnadb_mirror(tmp_path / "mirror")
    entry = {"name": "tRNA", "source": "gtrnadb 21 hg38", "sha256": "0" * 64}
    section = {"rna_classes": [entry]}
    (record,) = _download(resolve_classes(section, mirrors), tmp_path / "cache")
    assert record["provider_checksum"] == "" and record["release"] == "21"
    use_cached_files(section, str(tmp_path / "cache"))
    assert entry["fasta"] == f"{tmp_path}/cache/gtrnadb/21/hg38-mature-tRNAs.fa"
    with pytest.raises(
        InputError, match=r"config smallrna\.rna_classes \(entry 1, tRNA\): .*SHA-256"
    ):
        _prepare(section, "tRNA", tmp_path)
    entry["sha256"] = record["sha256"]
    assert list(_prepare(section, "tRNA", tmp_path)) == [
        "Homo_sapiens_tRNA-Gly-GCC-1-1",
        "Homo_sapiens_tRNA-Glu-CTC-1-1",
    ]


def test_biotypes_that_keep_nothing_are_named(tmp_path):
    mirrors = ensembl_mirror(tmp_path / "mirror")
    section = {"rna_classes": [{"name": "r", "source": ENSEMBL_SOURCE, "biotypes": ["rRNa"]}]}
    _download(resolve_classes(section, mirrors), tmp_path / "cache")
    use_cached_files(section, str(tmp_path / "cache"))
    with pytest.raises(
        InputError, match=r"no entry whose header names transcript_biotype \['rRNa'\]"
    ):
        _prepare(section, "r", tmp_path)
