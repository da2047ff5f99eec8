"""References by name: provider, species, build and release -> the providers' download addresses.

The config block ``reference`` (``source: ensembl|gencode``, ``species``, ``build``, ``release``;
``mirna: "mirbase 22.1"|"mirbase 21"|"mirgenedb 3.0"``, ``mirna_species``) resolves here to the
files the arms read, following each provider's documented layout:

- Ensembl: ``https://ftp.ensembl.org/pub/release-<r>/fasta/<species>/dna/<Species>.<build>.dna.
  primary_assembly.fa.gz`` and ``.../gtf/<species>/<Species>.<build>.<r>.gtf.gz``; each folder
  has a ``CHECKSUMS`` file (BSD ``sum`` checksum and 1 KB block count per file).
- GENCODE: ``https://ftp.ebi.ac.uk/pub/databases/gencode/Gencode_<human|mouse>/release_<r>/``
  ``<build>.primary_assembly.genome.fa.gz`` and ``gencode.v<r>.primary_assembly.annotation.gtf.gz``,
  with ``MD5SUMS`` in the same folder.
- miRBase: ``https://mirbase.org/download_version_files/<version>/{mature,hairpin}.fa``
  (plain FASTA; miRBase publishes no checksums).
- MirGeneDB: ``https://mirgenedb.org/fasta/<species>?mat=1`` (mature) and ``?pre=1`` (precursors).
  These addresses always serve the current release and no checksums are published, so the
  version cannot be pinned by address: pin the ``*_sha256`` of the small-RNA section instead.

Every file is cached once per provider/species/release under the cache folder; ``mirrors``
replaces a provider's base address (an institutional mirror, or ``file://`` in tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from esccrt.errors import InputError

BASE_URLS = {
    "ensembl": "https://ftp.ensembl.org/pub",
    "gencode": "https://ftp.ebi.ac.uk/pub/databases/gencode",
    "mirbase": "https://mirbase.org/download_version_files",
    "mirgenedb": "https://mirgenedb.org",
    # RNA-class references by name (esccrt.rna_class_sources)
    "gtrnadb": "https://gtrnadb.ucsc.edu/genomes",
    "ncbi": "https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
}
#: GENCODE's folder per species (config ``species``: Ensembl-style name or the common name).
GENCODE_SPECIES = {
    "homo_sapiens": "human",
    "human": "human",
    "mus_musculus": "mouse",
    "mouse": "mouse",
}
MIRNA_SOURCES = ("mirbase", "mirgenedb")

#: Which config key each resolved role fills when the config does not give it explicitly.
ROLE_KEYS = {
    "genome": ("mrna", "genome"),
    "annotation": ("mrna", "annotation"),
    "mature": ("smallrna", "mature"),
    "hairpin": ("smallrna", "hairpin"),
}


@dataclass(frozen=True)
class RemoteFile:
    """One file a provider publishes, where its checksum is, and where the cache keeps it."""

    role: str
    provider: str
    release: str
    url: str
    #: The provider's checksum file ("" when it publishes none) and its kind: sum | md5 | "".
    checksum_url: str
    checksum_kind: str
    #: Path below the cache folder: provider/species/release/file name.
    cache_name: str

    def record(self) -> dict[str, str]:
        """The fields as a plain dict (for provenance.json and the rule's params)."""
        return asdict(self)


def base_url(provider: str, mirrors: Mapping[str, str]) -> str:
    """The provider's base address, or the configured mirror's (without a trailing '/')."""
    return str(mirrors.get(provider) or BASE_URLS[provider]).rstrip("/")


def ensembl_fasta_folder(
    release: str, species: str, kind: str, mirrors: Mapping[str, str] = {}
) -> str:
    """Ensembl's FASTA folder of one release and species: ``kind`` dna, ncrna, cdna, ..."""
    return f"{base_url('ensembl', mirrors)}/release-{release}/fasta/{species.lower()}/{kind}"


def ensembl_files(
    species: str, build: str, release: str, mirrors: Mapping[str, str] = {}
) -> list[RemoteFile]:
    """Ensembl's primary-assembly genome FASTA and GTF of one release (with CHECKSUMS)."""
    species = species.lower()
    stem = f"{species.capitalize()}.{build}"
    fasta_dir = ensembl_fasta_folder(release, species, "dna", mirrors)
    gtf_dir = f"{base_url('ensembl', mirrors)}/release-{release}/gtf/{species}"
    names = {
        "genome": f"{stem}.dna.primary_assembly.fa.gz",
        "annotation": f"{stem}.{release}.gtf.gz",
    }
    folders = {"genome": fasta_dir, "annotation": gtf_dir}
    return [
        RemoteFile(
            role,
            "ensembl",
            str(release),
            f"{folders[role]}/{name}",
            f"{folders[role]}/CHECKSUMS",
            "sum",
            f"ensembl/{species}/{build}/release-{release}/{name}",
        )
        for role, name in names.items()
    ]


def gencode_files(
    species: str, build: str, release: str, mirrors: Mapping[str, str] = {}
) -> list[RemoteFile]:
    """GENCODE's primary-assembly genome FASTA and comprehensive GTF of one release (MD5SUMS)."""
    folder = GENCODE_SPECIES.get(species.lower())
    if folder is None:
        raise InputError(
            f"config key reference.species: GENCODE publishes human and mouse only, not "
            f"'{species}'. Use source: ensembl for other species."
        )
    release = str(release)
    if folder == "mouse" and not release.startswith("M"):
        release = f"M{release}"
    root = f"{base_url('gencode', mirrors)}/Gencode_{folder}/release_{release}"
    names = {
        "genome": f"{build}.primary_assembly.genome.fa.gz",
        "annotation": f"gencode.v{release}.primary_assembly.annotation.gtf.gz",
    }
    return [
        RemoteFile(
            role,
            "gencode",
            release,
            f"{root}/{name}",
            f"{root}/MD5SUMS",
            "md5",
            f"gencode/{folder}/release_{release}/{name}",
        )
        for role, name in names.items()
    ]


def mirna_files(mirna: str, species: str, mirrors: Mapping[str, str] = {}) -> list[RemoteFile]:
    """Mature and hairpin FASTA of ``mirna`` = "mirbase <version>" or "mirgenedb <version>"."""
    provider, _, version = str(mirna).strip().partition(" ")
    provider, version = provider.lower(), version.strip()
    if provider not in MIRNA_SOURCES or not version:
        raise InputError(
            f"config key reference.mirna: '{mirna}' is not understood; write the database and "
            "its version, e.g. 'mirbase 22.1', 'mirbase 21' or 'mirgenedb 3.0'."
        )
    base = base_url(provider, mirrors)
    if provider == "mirbase":
        urls = {role: f"{base}/{version}/{role}.fa" for role in ("mature", "hairpin")}
        folder = f"mirbase/{version}"
    else:
        urls = {
            "mature": f"{base}/fasta/{species}?mat=1",
            "hairpin": f"{base}/fasta/{species}?pre=1",
        }
        folder = f"mirgenedb/{version}/{species}"
    return [
        RemoteFile(role, provider, version, url, "", "", f"{folder}/{role}.fa")
        for role, url in urls.items()
    ]


def resolve(block: Mapping | None) -> dict[str, RemoteFile]:
    """Role (genome, annotation, mature, hairpin) -> remote file, from the ``reference`` block."""
    if not block:
        return {}
    mirrors = block.get("mirrors") or {}
    files: list[RemoteFile] = []
    source = block.get("source")
    if source:
        missing = [key for key in ("species", "build", "release") if not block.get(key)]
        if missing:
            raise InputError(
                f"config key reference: source '{source}' also needs {missing} "
                "(e.g. species: homo_sapiens, build: GRCh38, release: 112)."
            )
        make = {"ensembl": ensembl_files, "gencode": gencode_files}[source]
        files += make(block["species"], block["build"], str(block["release"]), mirrors)
    if block.get("mirna"):
        files += mirna_files(block["mirna"], block.get("mirna_species", "hsa"), mirrors)
    return {remote.role: remote for remote in files}


def apply_to_config(config: dict, resolved: Mapping[str, RemoteFile], cache: str) -> list[str]:
    """Fill the arm keys the config leaves out with the cached copies; return the roles used.

    A genome, annotation or miRNA file given explicitly in the arm's section (path or URL) wins
    over the ``reference`` block, so existing configurations keep working unchanged.
    """
    used = []
    for role, remote in resolved.items():
        section, key = ROLE_KEYS[role]
        arm = config.setdefault(section, {})
        if arm.get(key):
            continue
        path = f"{cache.rstrip('/')}/{remote.cache_name}"
        arm[key] = {"source": path} if section == "mrna" else path
        used.append(role)
    species = (config.get("reference") or {}).get("mirna_species")
    if species and {"mature", "hairpin"} & set(used):
        config["smallrna"].setdefault("species", species)
    return used
