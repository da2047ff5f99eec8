"""miRNA-target interactions by source, mapped onto the run's miRNA names and genes.

Sources (config ``integrate.mirna_targets.sources``, one entry each) come in three kinds:

- ``mirtarbase``: validated interactions (miRTarBase's MTI table: ``miRNA``, ``Target Gene``,
  ``Support Type``); evidence tier *strong* for "Functional MTI", *weak* for
  "Functional MTI (Weak)"; non-functional interactions are left out;
- ``targetscan``: predicted sites (columns ``miRNA`` or ``Mirbase ID``, ``Gene Symbol`` or
  ``Gene ID``, ``context++ score``); sites are summed per miRNA and gene (TargetScan's total
  context++ score); tier *strong* when the total is at or below the configured score, else *weak*;
- ``tsv``: the user's own table (columns ``miRNA``, ``gene``, optional ``tier``).

Names differ between sources and the run: miRBase renamed ``miR-143`` to ``miR-143-3p`` (v18+),
TargetScan marks isoforms ``miR-101-3p.1``, and genes are symbols in one source and Ensembl IDs
(with or without version) in another. :func:`map_mirna` and :func:`map_gene` map each name
explicitly, by a named rule, onto the small-RNA reference's mature names and the GTF's gene IDs;
what does not map is written with the reason (:func:`map_interactions`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from esccrt.errors import InputError, located

#: Kinds of source and the columns their file must have (any one of each tuple).
SOURCE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "mirtarbase": {
        "miRNA": ("miRNA",),
        "gene": ("Target Gene",),
        "support": ("Support Type",),
    },
    "targetscan": {
        "miRNA": ("miRNA", "Mirbase ID"),
        "gene": ("Gene Symbol", "Gene ID"),
        "score": ("context++ score",),
    },
    "tsv": {"miRNA": ("miRNA",), "gene": ("gene",)},
}
#: miRTarBase support types kept, and their evidence tier.
MIRTARBASE_TIERS = {"Functional MTI": "strong", "Functional MTI (Weak)": "weak"}
#: Columns of the mapped interaction table (results/integrate/mirna_targets.tsv).
MAPPED_COLUMNS = [
    "source",
    "miRNA",
    "gene",
    "tier",
    "score",
    "source_miRNA",
    "source_gene",
    "mirna_rule",
    "gene_rule",
]
#: Columns of the table of names that did not map.
UNMAPPED_COLUMNS = ["source", "kind", "name", "interactions", "reason"]

_ISOFORM = re.compile(r"\.\d+$")  # TargetScan's miR-101-3p.1
_ARM = re.compile(r"-[35]p$")
_VERSION = re.compile(r"\.\d+$")  # Ensembl's ENSG00000121410.11


@dataclass(frozen=True)
class TargetSource:
    """One configured source: its name, kind, where it was read from and its release."""

    name: str
    kind: str
    path: str
    release: str = ""
    #: TargetScan: total context++ score at or below which an interaction is tier *strong*.
    strong_score: float = -0.3
    #: Taxon ID kept from a TargetScan file (its species column); 0 = keep all rows.
    taxon: int = 0


def _column(frame: pd.DataFrame, path: str, choices: tuple[str, ...], kind: str) -> str:
    """The first of ``choices`` the file has; an :class:`InputError` naming them otherwise."""
    for choice in choices:
        if choice in frame.columns:
            return choice
    raise InputError(
        located(
            path,
            f"a {kind} file needs a column {' or '.join(repr(c) for c in choices)} (found: "
            f"{', '.join(map(repr, frame.columns))}); is this the file the source's kind names?",
        )
    )


def _read_table(path: str) -> pd.DataFrame:
    """A tab- or comma-separated text table (miRTarBase publishes both), every cell as text."""
    with open(path, "rb") as handle:
        if handle.read(4) == b"PK\x03\x04":  # a zip container: miRTarBase's .xlsx
            raise InputError(
                located(path, "this is a spreadsheet (.xlsx); save it as CSV or TSV and give that")
            )
    with open(path, encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    sep = "\t" if "\t" in header else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


def read_source(source: TargetSource) -> pd.DataFrame:
    """A source's interactions as columns miRNA, gene, tier, score (one row per pair).

    Raises :class:`InputError` naming the file, line and column of a missing column or an empty
    cell.
    """
    frame = _read_table(source.path)
    columns = {
        role: _column(frame, source.path, choices, source.kind)
        for role, choices in SOURCE_COLUMNS[source.kind].items()
    }
    for role in ("miRNA", "gene"):
        empty = frame.index[frame[columns[role]].str.strip() == ""]
        if len(empty):
            raise InputError(
                located(
                    source.path,
                    "empty cell; every interaction needs a miRNA and a gene",
                    line=int(empty[0]) + 2,
                    column=columns[role],
                )
            )
    reader = {"mirtarbase": _mirtarbase, "targetscan": _targetscan, "tsv": _user_table}
    table = reader[source.kind](frame, columns, source)
    table["miRNA"] = table["miRNA"].str.strip()
    table["gene"] = table["gene"].str.strip()
    return table.reindex(columns=["miRNA", "gene", "tier", "score"]).reset_index(drop=True)


def _mirtarbase(frame: pd.DataFrame, columns: Mapping[str, str], _: TargetSource) -> pd.DataFrame:
    """Functional interactions, one row per pair with its strongest evidence (strong > weak)."""
    tier = frame[columns["support"]].str.strip().map(MIRTARBASE_TIERS)
    kept = pd.DataFrame(
        {"miRNA": frame[columns["miRNA"]], "gene": frame[columns["gene"]], "tier": tier}
    ).dropna(subset=["tier"])
    kept = kept.assign(_rank=kept["tier"].map({"strong": 0, "weak": 1}))
    kept = kept.sort_values("_rank", kind="stable").drop_duplicates(["miRNA", "gene"])
    return kept.drop(columns="_rank").assign(score=float("nan"))


def _targetscan(
    frame: pd.DataFrame, columns: Mapping[str, str], source: TargetSource
) -> pd.DataFrame:
    """Sites summed per miRNA and gene (total context++ score); tier by the configured score."""
    if source.taxon:
        species = _column(frame, source.path, ("Gene Tax ID", "Species ID"), source.kind)
        frame = frame[frame[species].str.strip() == str(source.taxon)]
    score = pd.to_numeric(frame[columns["score"]], errors="coerce")
    bad = score.index[score.isna() & (frame[columns["score"]].str.strip() != "")]
    if len(bad):
        raise InputError(
            located(
                source.path,
                f"context++ score {frame.loc[bad[0], columns['score']]!r} is not a number",
                line=int(bad[0]) + 2,
                column=columns["score"],
            )
        )
    sites = pd.DataFrame(
        {"miRNA": frame[columns["miRNA"]], "gene": frame[columns["gene"]], "score": score}
    )
    total = sites.groupby(["miRNA", "gene"], sort=False, as_index=False)["score"].sum()
    tier = (total["score"] <= source.strong_score).map({True: "strong", False: "weak"})
    return total.assign(tier=tier)


def _user_table(frame: pd.DataFrame, columns: Mapping[str, str], _: TargetSource) -> pd.DataFrame:
    """The user's pairs; tier from an optional ``tier`` column, else 'user'."""
    tier = frame["tier"] if "tier" in frame.columns else "user"
    table = pd.DataFrame({"miRNA": frame[columns["miRNA"]], "gene": frame[columns["gene"]]})
    return table.assign(tier=tier, score=float("nan")).drop_duplicates(["miRNA", "gene"])


# ---------------------------------------------------------------------------- name mapping


def _armless(name: str) -> str:
    """A mature name without its arm suffix (``hsa-miR-143-3p`` -> ``hsa-miR-143``)."""
    return _ARM.sub("", name)


@dataclass(frozen=True)
class MirnaIndex:
    """The run's mature miRNA names, looked up by the forms other miRBase versions use."""

    names: frozenset[str]
    by_lower: Mapping[str, str]
    #: Arm-less lower-case name -> the run's names with an arm (one or both arms).
    by_armless: Mapping[str, tuple[str, ...]]
    #: Species prefix of the run's names (``hsa-``), to add to a name given without one.
    prefix: str

    @classmethod
    def of(cls, names: Iterable[str]) -> MirnaIndex:
        """Index the run's mature names (e.g. the small-RNA DE table's features)."""
        unique = sorted(set(names))
        armless: dict[str, list[str]] = {}
        for name in unique:
            if _ARM.search(name):
                armless.setdefault(_armless(name).lower(), []).append(name)
        prefixes = {name.split("-", 1)[0] for name in unique if "-" in name}
        prefix = f"{prefixes.pop()}-" if len(prefixes) == 1 else ""
        return cls(
            frozenset(unique),
            {name.lower(): name for name in unique},
            {key: tuple(value) for key, value in armless.items()},
            prefix,
        )


def map_mirna(name: str, index: MirnaIndex) -> tuple[str, str]:
    """(the run's name, rule) for a source's miRNA name, or ('', reason) when it does not map.

    Rules, tried in order: ``exact``; ``case`` (``hsa-mir-143-3p``); ``isoform`` (TargetScan's
    ``.1`` suffix dropped); ``species`` (prefix added to ``miR-143-3p``); ``arm`` (a pre-v18
    arm-less name such as ``hsa-miR-143`` onto the only arm the run has). An arm-less name whose
    both arms are in the run does not map (which arm the source meant is unknown).
    """
    if name in index.names:
        return name, "exact"
    candidates = [("case", name)]
    if _ISOFORM.search(name):
        candidates.append(("isoform", _ISOFORM.sub("", name)))
    for rule, form in list(candidates):
        if index.prefix and not form.lower().startswith(index.prefix.lower()):
            candidates.append(("species" if rule == "case" else rule, index.prefix + form))
    for rule, form in candidates:
        if form.lower() in index.by_lower:
            return index.by_lower[form.lower()], rule
    for _, form in candidates:
        arms = index.by_armless.get(form.lower(), ())
        if len(arms) == 1 and not _ARM.search(form):
            return arms[0], "arm"
        if len(arms) > 1 and not _ARM.search(form):
            return "", f"arm-less name; both arms ({', '.join(arms)}) are in the reference"
    return "", "not among the small-RNA arm's miRNAs"


@dataclass(frozen=True)
class GeneIndex:
    """The annotation's genes: ID -> ID, unversioned ID -> ID, symbol -> IDs."""

    ids: frozenset[str]
    by_unversioned: Mapping[str, str]
    by_symbol: Mapping[str, tuple[str, ...]]
    by_symbol_lower: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, genes: Mapping[str, str]) -> GeneIndex:
        """Index ``genes`` (gene ID -> symbol, e.g. from the GTF or the mRNA DE table)."""
        by_symbol: dict[str, list[str]] = {}
        by_lower: dict[str, list[str]] = {}
        for gene_id, symbol in genes.items():
            if symbol:
                by_symbol.setdefault(symbol, []).append(gene_id)
                by_lower.setdefault(symbol.lower(), []).append(gene_id)
        return cls(
            frozenset(genes),
            {_VERSION.sub("", gene_id): gene_id for gene_id in genes},
            {key: tuple(value) for key, value in by_symbol.items()},
            {key: tuple(value) for key, value in by_lower.items()},
        )


def map_gene(name: str, index: GeneIndex) -> tuple[str, str]:
    """(gene ID, rule) for a source's gene, or ('', reason): rules ``id``, ``unversioned_id``
    (Ensembl version dropped on either side), ``symbol``, ``symbol_case``. A symbol naming
    several genes of the annotation does not map."""
    if name in index.ids:
        return name, "id"
    unversioned = _VERSION.sub("", name)
    if unversioned in index.by_unversioned:
        return index.by_unversioned[unversioned], "unversioned_id"
    for rule, table, key in (
        ("symbol", index.by_symbol, name),
        ("symbol_case", index.by_symbol_lower, name.lower()),
    ):
        ids = table.get(key, ())
        if len(ids) == 1:
            return ids[0], rule
        if len(ids) > 1:
            return "", f"symbol names {len(ids)} genes of the annotation"
    return "", "not in the annotation"


def map_interactions(
    source: str, table: pd.DataFrame, mirnas: MirnaIndex, genes: GeneIndex
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mapped, unmapped) for one source's interactions (:func:`read_source`).

    Mapped rows carry the run's miRNA name and gene ID, the source's names and the rule that
    mapped each; pairs that map onto the same (miRNA, gene) keep the strongest tier. Unmapped
    names are listed once each, with how many interactions they held and why; interactions of
    another species (a miRNA prefix other than the run's, e.g. ``mmu-`` in a hsa run: miRTarBase
    holds every species) are left out first and listed as one row per species.
    """
    species = table["miRNA"].str.extract(r"^([a-z]{2,4})-", expand=False).fillna("")
    other = (species != "") & (species + "-" != mirnas.prefix) & bool(mirnas.prefix)
    foreign = [
        {
            "source": source,
            "kind": "species",
            "name": f"{prefix}-*",
            "interactions": int(count),
            "reason": "another species than the run's",
        }
        for prefix, count in species[other].value_counts().sort_index().items()
    ]
    table = table[~other]
    mirna_map = {name: map_mirna(name, mirnas) for name in table["miRNA"].unique()}
    gene_map = {name: map_gene(name, genes) for name in table["gene"].unique()}
    mapped = table.assign(
        source=source,
        source_miRNA=table["miRNA"],
        source_gene=table["gene"],
        miRNA=table["miRNA"].map(lambda n: mirna_map[n][0]),
        mirna_rule=table["miRNA"].map(lambda n: mirna_map[n][1]),
        gene=table["gene"].map(lambda n: gene_map[n][0]),
        gene_rule=table["gene"].map(lambda n: gene_map[n][1]),
    )
    ok = (mapped["miRNA"] != "") & (mapped["gene"] != "")
    kept = mapped[ok].assign(_rank=mapped.loc[ok, "tier"].map({"strong": 0}).fillna(1))
    kept = kept.sort_values("_rank", kind="stable").drop_duplicates(["miRNA", "gene"])
    unmapped = (
        foreign
        + _unmapped(source, table, mirna_map, "miRNA")
        + _unmapped(source, table, gene_map, "gene")
    )
    return (
        kept.reindex(columns=MAPPED_COLUMNS).reset_index(drop=True),
        pd.DataFrame(unmapped, columns=UNMAPPED_COLUMNS),
    )


def _unmapped(
    source: str, table: pd.DataFrame, mapping: Mapping[str, tuple[str, str]], kind: str
) -> list[dict[str, object]]:
    """One row per name of ``kind`` that did not map, with its interaction count and reason."""
    counts = table[kind].value_counts()
    return [
        {
            "source": source,
            "kind": kind,
            "name": name,
            "interactions": int(counts[name]),
            "reason": why,
        }
        for name, (hit, why) in sorted(mapping.items())
        if not hit
    ]


def gtf_genes(path: str | os.PathLike[str]) -> dict[str, str]:
    """Gene ID -> gene name (``gene_name``, '' if absent) of every gene in a GTF."""
    from esccrt.mrna.annotation import read_gtf

    genes: dict[str, str] = {}
    for record in read_gtf(path):
        gene_id = record.attributes.get("gene_id", "")
        if gene_id and (gene_id not in genes or not genes[gene_id]):
            genes[gene_id] = record.attributes.get("gene_name", "")
    return genes


def gtf_utr3_lengths(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Longest 3'UTR per gene (sum of a transcript's ``three_prime_utr`` features); empty when
    the GTF has none (GENCODE's ``UTR`` does not say which end, so it is not used)."""
    from esccrt.mrna.annotation import read_gtf

    per_transcript: dict[tuple[str, str], int] = {}
    for record in read_gtf(path):
        if record.feature == "three_prime_utr":
            key = (record.attributes.get("gene_id", ""), record.attributes.get("transcript_id", ""))
            per_transcript[key] = per_transcript.get(key, 0) + record.end - record.start + 1
    lengths: dict[str, int] = {}
    for (gene, _), length in per_transcript.items():
        lengths[gene] = max(lengths.get(gene, 0), length)
    return pd.DataFrame({"gene": list(lengths), "utr3_length": list(lengths.values())})


def source_summary(
    sources: Sequence[TargetSource],
    read: Mapping[str, pd.DataFrame],
    mapped: pd.DataFrame,
    records: Mapping[str, Mapping[str, object]],
) -> pd.DataFrame:
    """One row per source: kind, release, file, SHA-256, interactions read and mapped."""
    rows = []
    for source in sources:
        record = records.get(source.name, {})
        rows.append(
            {
                "source": source.name,
                "kind": source.kind,
                "release": source.release,
                "origin": record.get("source", ""),
                "sha256": record.get("sha256", ""),
                "interactions_read": len(read[source.name]),
                "interactions_mapped": int((mapped["source"] == source.name).sum()),
            }
        )
    return pd.DataFrame(rows)
