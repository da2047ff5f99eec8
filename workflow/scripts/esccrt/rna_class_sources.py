"""RNA-class references by name: ``smallrna.rna_classes[].source`` -> the provider's file.

A class names its FASTA by provider and release instead of a path (``source``, exclusive with
``fasta``); the file is downloaded once into the reference cache (``reference.cache``, rule
reference_download), checked against the provider's published checksum where there is one,
and recorded in results/provenance.json and results/references.tsv. The words of a source:

- ``ensembl <release> <species> <build>``: Ensembl's ncRNA FASTA of that release,
  ``https://ftp.ensembl.org/pub/release-<r>/fasta/<species>/ncrna/<Species>.<build>.ncrna.fa.gz``
  (its folder's ``CHECKSUMS``: BSD ``sum``). Every header names the transcript's biotype
  (``transcript_biotype:rRNA``, Ensembl's ncrna README); the class's ``biotypes`` keeps some,
  e.g. ``[rRNA, Mt_rRNA]`` (5S, 5.8S and the mitochondrial 12S/16S rRNA), ``[Mt_tRNA]``,
  ``[snoRNA, snRNA, scaRNA]``, ``[misc_RNA]`` (Y RNA, 7SK, 7SL, vault RNA).
- ``gtrnadb <release> <genome>``: GtRNAdb's mature tRNAs (introns removed, CCA added),
  ``https://gtrnadb.ucsc.edu/genomes/<kingdom>/<folder>/<genome>-mature-tRNAs.fa`` for the
  genomes of :data:`GTRNADB_GENOMES`. GtRNAdb serves only its current release and publishes no
  checksums: the release word is recorded, and the class's ``sha256`` pins the file.
- ``ncbi <accession.version>``: one nucleotide record as FASTA from NCBI E-utilities,
  ``https://eutils.ncbi.nlm.nih.gov/entrez/eutils/efetch.fcgi?db=nuccore&id=<acc>&rettype=fasta
  &retmode=text``, e.g. ``ncbi U13369.1``, the human rDNA complete repeating unit (45S pre-rRNA:
  18S, 5.8S, 28S and spacers). A versioned accession's sequence never changes; NCBI publishes
  no file checksum.

``reference.mirrors`` replaces a provider's base address (``ensembl``, ``gtrnadb``, ``ncbi``),
e.g. an institutional mirror or a ``file://`` folder of the same layout in tests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping

from esccrt.catalog import RemoteFile, base_url, ensembl_fasta_folder
from esccrt.errors import InputError

#: GtRNAdb's folder per genome name (its download pages' layout).
GTRNADB_GENOMES = {
    "hg38": "eukaryota/Hsapi38",
    "hg19": "eukaryota/Hsapi19",
    "mm10": "eukaryota/Mmusc10",
}
#: What each provider's source says after its name, for error messages.
USAGE = {
    "ensembl": "ensembl <release> <species> <build>, e.g. 'ensembl 112 homo_sapiens GRCh38'",
    "gtrnadb": f"gtrnadb <release> <genome>, e.g. 'gtrnadb 21 hg38' ({', '.join(GTRNADB_GENOMES)})",
    "ncbi": "ncbi <accession.version>, e.g. 'ncbi U13369.1'",
}
_ACCESSION = re.compile(r"^[A-Z]{1,6}_?[0-9]+\.[0-9]+$")
_WORD = re.compile(r"^[A-Za-z0-9._-]+$")


def _refuse(key: str, source: str, why: str) -> InputError:
    """The error for a source that cannot be resolved: the key, why, and the vocabulary."""
    usage = "; ".join(USAGE.values())
    return InputError(f"config key {key}: source '{source}' {why}. Write one of: {usage}.")


def ensembl_ncrna(
    release: str, species: str, build: str, mirrors: Mapping[str, str]
) -> tuple[str, str, str]:
    """(address, checksum address, cache name) of Ensembl's ncRNA FASTA of one release."""
    species = species.lower()
    name = f"{species.capitalize()}.{build}.ncrna.fa.gz"
    folder = ensembl_fasta_folder(release, species, "ncrna", mirrors)
    cache = f"ensembl/{species}/{build}/release-{release}/{name}"
    return f"{folder}/{name}", f"{folder}/CHECKSUMS", cache


def gtrnadb_mature(genome: str, release: str, mirrors: Mapping[str, str]) -> tuple[str, str]:
    """(address, cache name) of GtRNAdb's mature tRNAs of one genome."""
    name = f"{genome}-mature-tRNAs.fa"
    url = f"{base_url('gtrnadb', mirrors)}/{GTRNADB_GENOMES[genome]}/{name}"
    return url, f"gtrnadb/{release}/{name}"


def ncbi_fasta(accession: str, mirrors: Mapping[str, str]) -> str:
    """E-utilities efetch address of one nucleotide record as FASTA."""
    query = f"db=nuccore&id={accession}&rettype=fasta&retmode=text"
    return f"{base_url('ncbi', mirrors)}/efetch.fcgi?{query}"


def resolve_source(source: str, key: str, mirrors: Mapping[str, str] = {}) -> RemoteFile:
    """The provider file an RNA class's ``source`` names; ``key`` is named in errors.

    The file's role is the source itself (its words joined by one space): classes naming the
    same source share one download.
    """
    words = str(source).split()
    provider, args = (words[0].lower(), words[1:]) if words else ("", [])
    if provider not in USAGE:
        raise _refuse(key, source, f"names no known provider ('{provider}')")
    if not all(_WORD.match(word) for word in args):
        raise _refuse(key, source, "has characters that are not part of a release or name")
    role = " ".join([provider, *args])
    if provider == "ensembl" and len(args) == 3:
        release, species, build = args
        url, checksums, cache = ensembl_ncrna(release, species, build, mirrors)
        return RemoteFile(role, provider, release, url, checksums, "sum", cache)
    if provider == "gtrnadb" and len(args) == 2:
        release, genome = args
        if genome not in GTRNADB_GENOMES:
            raise _refuse(key, source, f"names a genome GtRNAdb is not known here for ('{genome}')")
        url, cache = gtrnadb_mature(genome, release, mirrors)
        return RemoteFile(role, provider, release, url, "", "", cache)
    if provider == "ncbi" and len(args) == 1 and _ACCESSION.match(args[0]):
        accession = args[0]
        cache = f"ncbi/nuccore/{accession}.fa"
        return RemoteFile(role, provider, accession, ncbi_fasta(accession, mirrors), "", "", cache)
    raise _refuse(key, source, f"does not have the words {provider} needs ({USAGE[provider]})")


def names_sources(section: Mapping | None) -> bool:
    """True when an RNA class of the ``smallrna`` section names its FASTA by ``source``."""
    return any("source" in entry for entry in (section or {}).get("rna_classes", []))


def resolve_classes(section: Mapping, mirrors: Mapping[str, str] = {}) -> dict[str, RemoteFile]:
    """Source (role) -> provider file, for the RNA classes given by ``source``, in order."""
    files: dict[str, RemoteFile] = {}
    for number, entry in enumerate(section.get("rna_classes", [])):
        if "source" in entry:
            remote = resolve_source(
                entry["source"], f"smallrna.rna_classes[{number}].source", mirrors
            )
            files.setdefault(remote.role, remote)
    return files


def use_cached_files(section: MutableMapping, cache: str) -> None:
    """Point each class given by ``source`` at its cached download (after validation).

    The class then reads the cached file like a local ``fasta``: rule reference_download makes
    it, and the class's ``sha256`` (when given) is checked on it as on any reference.
    """
    for number, entry in enumerate(section.get("rna_classes", [])):
        if "source" in entry:
            key = f"smallrna.rna_classes[{number}].source"
            remote = resolve_source(entry["source"], key)
            entry["fasta"] = f"{cache.rstrip('/')}/{remote.cache_name}"
