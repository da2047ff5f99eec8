"""Which bowtie steps run, and the inputs of the screening, alignment and counting jobs.

Used by workflow/rules/smallrna.smk while it parses; the paths come from :mod:`esccrt.paths`.
RNA classes (``smallrna.rna_classes``) are screened in one job per sample before the miRNA steps;
their references share the ``{ref}`` wildcard (and files) with ``mature`` and ``hairpin``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from esccrt import paths
from esccrt.errors import InputError

#: The miRNA bowtie steps, in order, after the RNA class screening.
MIRNA_STEPS = ("mature", "hairpin")

#: Columns of results/smallrna/read_fate.tsv besides the classes, in order: the table that
#: esccrt.smallrna.qc.read_fate_table writes (test_smallrna_screen.py ties the two).
READ_FATE_COLUMNS = (
    "sample",
    "input",
    "adapter_found",
    "no_adapter_discarded",
    "too_short",
    "too_long",
    "umi_duplicate",
    "mature",
    "hairpin_only",
    "unassigned",
    "adapter_fraction",
    "adapter_warning",
)
#: Names no RNA class may take: its name is a read-fate column and shares the ``{ref}`` wildcard
#: (file names) with the miRNA steps. The smallrna schema's ``not`` enum of class names is this
#: list (test_smallrna_screen.py ties the two), so the config check refuses them first.
RESERVED_NAMES = tuple(dict.fromkeys((*READ_FATE_COLUMNS, *MIRNA_STEPS)))


def check_legacy_keys(section: Mapping) -> None:
    """Refuse the single contaminant FASTA and the single-count QC gate of older configs,
    saying how to write them now."""
    if "min_mirna_reads" in section:
        raise InputError(
            "config key smallrna.min_mirna_reads was replaced by the per-sample QC verdicts "
            "(results/qc/sample_qc.tsv): qc.exclude (fail, fail_and_warn or none; default fail) "
            "says which samples leave differential expression, and the count that fails a "
            "sample is qc.criteria.transcriptome_reads.fail (default 100000, exceRpt's), e.g.\n"
            "qc:\n  criteria:\n    transcriptome_reads: {fail: "
            f"{section['min_mirna_reads']}}}\n(a top-level section, not under smallrna)."
        )
    old = [key for key in ("contaminants", "contaminants_sha256") if key in section]
    if "contaminants" in section.get("bowtie", {}):
        old.append("bowtie.contaminants")
    if old:
        raise InputError(
            f"config keys {', '.join('smallrna.' + k for k in old)} were replaced by "
            "smallrna.rna_classes, an ordered list of classes, e.g.\n"
            "  rna_classes:\n    - {name: rRNA, fasta: rRNA.fa, sha256: ''}\n"
            "    - {name: tRNA, fasta: tRNA.fa}\n"
            "(one class named e.g. 'contaminant' keeps the old behaviour), and "
            "smallrna.bowtie.rna_classes for the bowtie options."
        )


def rna_class_names(section: Mapping) -> list[str]:
    """Names of the configured RNA classes in screening order, checked to be usable.

    The schema restricts each name's characters; here names must be unique (also ignoring
    case, for case-insensitive file systems) and must not be a read-fate column.
    """
    names = [entry["name"] for entry in section.get("rna_classes", [])]
    seen: dict[str, str] = {}
    for number, name in enumerate(names, start=1):
        if name in RESERVED_NAMES:
            raise InputError(
                f"config key smallrna.rna_classes, entry {number}: name '{name}' is taken by a "
                f"column of read_fate.tsv or a miRNA step ({', '.join(RESERVED_NAMES)}); "
                "choose another name."
            )
        if name.lower() in seen:
            raise InputError(
                f"config key smallrna.rna_classes, entry {number}: name '{name}' is already used "
                f"by class '{seen[name.lower()]}' (names must differ, also in case)."
            )
        seen[name.lower()] = name
    return names


def reference_source(section: Mapping, ref: str) -> tuple[str, str]:
    """(source, expected SHA-256) of a reference: mature, hairpin or an RNA class."""
    if ref in MIRNA_STEPS:
        return section[ref], section.get(f"{ref}_sha256", "")
    for entry in section.get("rna_classes", []):
        if entry["name"] == ref:
            return entry["fasta"], entry.get("sha256", "")
    raise KeyError(f"no small-RNA reference named {ref!r}")


def reference_species(section: Mapping, ref: str) -> str:
    """Species prefix kept from a miRBase reference; '' (every entry) for an RNA class."""
    return section["species"] if ref in MIRNA_STEPS else ""


def _class_entry(section: Mapping, ref: str) -> Mapping:
    """The config entry of RNA class ``ref``; empty for a miRNA step."""
    for entry in section.get("rna_classes", []):
        if entry["name"] == ref:
            return entry
    return {}


def reference_name_prefix(section: Mapping, ref: str) -> str:
    """An RNA class's ``names_starting_with`` (entries kept; '' = all); '' for miRBase files."""
    return _class_entry(section, ref).get("names_starting_with", "")


def reference_biotypes(section: Mapping, ref: str) -> tuple[str, ...]:
    """An RNA class's ``biotypes`` (entries kept by header; empty = all); none for miRBase."""
    return tuple(_class_entry(section, ref).get("biotypes", ()))


def reference_named_source(section: Mapping, ref: str) -> str:
    """An RNA class's ``source`` (its FASTA by provider and release); '' when given by path."""
    return _class_entry(section, ref).get("source", "")


def reference_config_key(section: Mapping, ref: str) -> str:
    """The config key that names a reference's source, for error messages."""
    if ref in MIRNA_STEPS:
        return f"smallrna.{ref}"
    number = rna_class_names(section).index(ref) + 1
    return f"smallrna.rna_classes (entry {number}, {ref})"


def reference_inputs(source: str) -> list[str]:
    """A local reference file as rule input; nothing for a URL (the rule downloads it)."""
    from esccrt.references import local_inputs

    return local_inputs(source)


def class_indexes(classes: Sequence[str]) -> list[str]:
    """bowtie index prefixes of the RNA classes, in screening order."""
    return [paths.fill(paths.SMALLRNA_BOWTIE_INDEX, ref=name) for name in classes]


def class_index_files(classes: Sequence[str], extensions: Sequence[str]) -> list[str]:
    """Every file of the RNA classes' bowtie indexes (prefix + each extension)."""
    return [prefix + ext for prefix in class_indexes(classes) for ext in extensions]


def align_input(ref: str, sample: str, screened: bool) -> str:
    """Reads of a miRNA step: what the screening (or else the collapse) left, then the previous."""
    step = MIRNA_STEPS.index(ref)
    if step:
        return paths.fill(paths.SMALLRNA_UNALIGNED, ref=MIRNA_STEPS[step - 1], sample=sample)
    if screened:
        return paths.fill(paths.SMALLRNA_SCREENED_FASTA, sample=sample)
    return paths.fill(paths.SMALLRNA_COLLAPSED_FASTA, sample=sample)


def count_inputs(sample: str, unit_names: Sequence[str], screened: bool) -> dict:
    """Inputs of a sample's counting job: trim reports, collapse stats, class counts, BAMs, arms."""
    inputs: dict[str, object] = {
        "trim_json": [
            paths.fill(paths.SMALLRNA_TRIM_REPORT, sample=sample, unit=unit) for unit in unit_names
        ],
        "stats": paths.fill(paths.SMALLRNA_COLLAPSE_STATS, sample=sample),
        "unaligned": paths.fill(paths.SMALLRNA_UNALIGNED, ref=MIRNA_STEPS[-1], sample=sample),
        "arms": paths.SMALLRNA_ARMS,
        "hairpin_fasta": paths.fill(paths.SMALLRNA_REFERENCE_FASTA, ref="hairpin"),
    }
    if screened:
        inputs["rna_classes"] = paths.fill(paths.SMALLRNA_SCREEN_COUNTS, sample=sample)
    for ref in MIRNA_STEPS:
        inputs[ref] = paths.fill(paths.SMALLRNA_BOWTIE_BAM, ref=ref, sample=sample)
    return inputs
