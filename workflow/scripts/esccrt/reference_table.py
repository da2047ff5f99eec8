"""The references a run used, one row per file: results/references.tsv (rule provenance).

Which file each reference is, and which config key chose it, is decided while the workflow
parses (:func:`reference_uses`, from the validated config); its size and SHA-256 are measured by
the provenance rule (:func:`reference_table`), and for a reference given by name (config
``reference``, :mod:`esccrt.catalog`) the provider, release, address and published checksum come
from its download record. The report shows this table as it is and recomputes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from esccrt import paths
from esccrt.references import is_url
from esccrt.rna_class_sources import resolve_source
from esccrt.smallrna.layout import MIRNA_STEPS, reference_named_source, reference_source

#: Columns of results/references.tsv, in order.
COLUMNS = (
    "arm",
    "role",
    "config_key",
    "path",
    "bytes",
    "sha256",
    "pinned_sha256",
    "source",
    "provider",
    "release",
    "published_checksum",
)
#: The config key of a reference by name, by role (the arm key it filled is left out).
NAMED_CONFIG_KEYS = {
    "genome": "reference.source",
    "annotation": "reference.source",
    "mature": "reference.mirna",
    "hairpin": "reference.mirna",
}


@dataclass(frozen=True)
class ReferenceUse:
    """One reference file the run reads, and the config key that chose it."""

    arm: str
    role: str
    config_key: str
    #: The file the run's jobs read (a prepared or cached copy for a URL or a ``.gz``).
    path: str
    #: What the config names: a local path or an address ('' for a prebuilt index's files).
    source: str = ""
    #: The SHA-256 the config pins the source to ('' when none).
    pinned_sha256: str = ""
    #: Role of a reference given by name (its download record), '' otherwise.
    named_role: str = ""

    def record(self) -> dict[str, str]:
        """The fields as a plain dict (a rule's params)."""
        return asdict(self)


def smallrna_reference_file(section: Mapping, ref: str) -> str:
    """The file a small-RNA reference is read from: a local source as given, a URL through the
    prepared copy the run made (results/smallrna/reference/<ref>.fa)."""
    source = reference_source(section, ref)[0]
    return paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref=ref) if is_url(source) else source


def _smallrna_uses(
    section: Mapping, refs: Sequence[str], named: Container[str]
) -> list[ReferenceUse]:
    """Mature, hairpin and each RNA class, in screening order of the classes.

    A class given by ``source`` reads its cached download, whose record (role: the source) gives
    the row its provider, release, address and published checksum.
    """
    classes = [entry["name"] for entry in section.get("rna_classes", [])]
    uses = []
    for ref in refs:
        source, pinned = reference_source(section, ref)
        named_role = ""
        if ref in MIRNA_STEPS:
            role, key = ref, f"smallrna.{ref}"
            if ref in named:
                key, named_role = NAMED_CONFIG_KEYS[ref], ref
        else:
            role, key = f"RNA class {ref}", f"smallrna.rna_classes[{classes.index(ref)}]"
            if by_name := reference_named_source(section, ref):
                key = f"{key}.source"
                named_role = resolve_source(by_name, key).role
        uses.append(
            ReferenceUse(
                "smallrna",
                role,
                key,
                smallrna_reference_file(section, ref),
                source,
                pinned,
                named_role,
            )
        )
    return uses


def _mrna_uses(
    section: Mapping, files: Mapping[str, str], named: Container[str]
) -> list[ReferenceUse]:
    """The genome and annotation (``files``: role -> the file the arm reads)."""
    return [
        ReferenceUse(
            "mrna",
            role,
            NAMED_CONFIG_KEYS[role] if role in named else f"mrna.{role}.source",
            path,
            section[role]["source"],
            section[role].get("sha256", ""),
            role if role in named else "",
        )
        for role, path in files.items()
    ]


def _index_uses(arm: str, role: str, key: str, files: Sequence[str]) -> list[ReferenceUse]:
    """Every file of one prebuilt index, chosen by config key ``key``."""
    return [ReferenceUse(arm, role, key, path) for path in files]


def _target_uses(section: Mapping, files: Sequence[str]) -> list[ReferenceUse]:
    """Each miRNA-target source (``integrate.mirna_targets.sources``) and its cached copy."""
    return [
        ReferenceUse(
            "integrate",
            f"miRNA targets: {source['name']} ({source['kind']} {source.get('release', '')})",
            f"integrate.mirna_targets.sources[{number}]",
            path,
            source["source"],
            source.get("sha256", ""),
        )
        for number, (source, path) in enumerate(zip(section["sources"], files, strict=True))
    ]


def reference_uses(
    config: Mapping,
    *,
    smallrna_refs: Sequence[str] = (),
    smallrna_indexes: Mapping[str, Sequence[str]] | None = None,
    mrna_files: Mapping[str, str] | None = None,
    mrna_index: Sequence[str] = (),
    named_roles: Iterable[str] = (),
    target_files: Sequence[str] = (),
) -> list[ReferenceUse]:
    """Every reference file the run reads, by arm, with the config key that chose it.

    ``smallrna_refs`` are the small-RNA steps and RNA classes that run, ``smallrna_indexes``
    the files of each prebuilt bowtie index by step (config ``smallrna.bowtie_index``);
    ``mrna_files`` maps ``genome``/``annotation`` to the file the mRNA arm reads (None: no mRNA
    arm), ``mrna_index`` are the files of the configured aligner's prebuilt index;
    ``named_roles`` are the roles (genome, annotation, mature, hairpin) that the config's
    ``reference`` block filled; ``target_files`` the cached copies of the miRNA-target sources
    (none when the target test does not run).
    """
    named = set(named_roles)
    uses = _smallrna_uses(config["smallrna"], smallrna_refs, named) if smallrna_refs else []
    for ref, files in (smallrna_indexes or {}).items():
        role = f"prebuilt bowtie index ({ref})"
        uses += _index_uses("smallrna", role, f"smallrna.bowtie_index.{ref}", files)
    if mrna_files:
        uses += _mrna_uses(config["mrna"], mrna_files, named)
        aligner = config["mrna"]["aligner"]
        role = f"prebuilt {aligner} index"
        uses += _index_uses("mrna", role, f"mrna.{aligner}.index", mrna_index)
    if target_files:
        uses += _target_uses(config["integrate"]["mirna_targets"], target_files)
    return uses


def _published(record: Mapping) -> str:
    """The provider's checksum with its kind (``md5 <hex>``, ``sum <sum> <blocks>``), or ''."""
    checksum = record.get("provider_checksum", "")
    return f"{record['checksum_kind']} {checksum}" if checksum else ""


def reference_table(
    uses: Iterable[ReferenceUse],
    named_records: Iterable[Mapping],
    measure: Callable[[str], Mapping[str, object]],
) -> pd.DataFrame:
    """results/references.tsv: one row per file in ``uses`` (first use of a path kept).

    ``named_records`` are the download records of references given by name (rule
    reference_download: role, provider, release, url, checksum_kind, provider_checksum);
    ``measure`` gives a file's ``bytes`` and ``sha256`` (e.g. the provenance record's, so
    that each file is read once).
    """
    by_role = {str(record["role"]): record for record in named_records}
    rows, seen = [], set()
    for use in uses:
        if use.path in seen:
            continue
        seen.add(use.path)
        named = by_role.get(use.named_role, {}) if use.named_role else {}
        measured = measure(use.path)
        rows.append(
            {
                "arm": use.arm,
                "role": use.role,
                "config_key": use.config_key,
                "path": use.path,
                "bytes": measured["bytes"],
                "sha256": measured["sha256"],
                "pinned_sha256": use.pinned_sha256,
                "source": named.get("url", use.source),
                "provider": named.get("provider", ""),
                "release": named.get("release", ""),
                "published_checksum": _published(named) if named else "",
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def measured_by(records: Iterable[Mapping], fallback: Callable[[str], Mapping]) -> Callable:
    """A ``measure`` for :func:`reference_table`: the given file records by path, else
    ``fallback`` (e.g. :func:`esccrt.provenance.file_record`) for a file not yet measured."""
    known = {str(record["path"]): record for record in records}

    def measure(path: str | os.PathLike[str]) -> Mapping[str, object]:
        return known.get(str(path)) or fallback(str(path))

    return measure
