"""The config checked against workflow/schemas/ before any job, each problem in one line.

Snakemake's ``validate`` answers a bad key with the whole schema (hundreds of lines). Here the
config is validated with the same JSON-schema rules and the same filling-in of defaults, and the
first problem becomes an :class:`InputError` of one line that names the key path, the problem
and the fix: an unknown key is matched to where it belongs (a column of a sheet, a key of
another section, or a key renamed in a newer version, :data:`RENAMED`) or to the closest
allowed key.

Standard library, jsonschema and PyYAML only: common.smk runs it while Snakemake builds the plan.
"""

from __future__ import annotations

import copy
import difflib
import itertools
import os
from collections.abc import Collection, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from esccrt.errors import InputError

#: workflow/schemas (this module is workflow/scripts/esccrt/config_check.py).
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
#: The sheets whose columns a user may misplace in the config: schema file -> what to call it.
SHEETS = {
    "units.schema.yaml": "the unit sheet (the TSV named by config key 'units')",
    "samples.schema.yaml": "the sample sheet (the TSV named by config key 'samples')",
}
#: Keys of earlier versions -> how to write them now (CHANGELOG.md lists the same changes).
RENAMED = {
    "diffexp.size_factors": (
        "diffexp.arms.<arm>.size_factors, e.g. 'arms: {smallrna: {size_factors: poscounts}, "
        "mrna: {size_factors: ratio}}' (the defaults; leave them out to keep them)"
    ),
    "report.mirna_targets": (
        "integrate.mirna_targets.sources, e.g. 'integrate: {mirna_targets: {sources: [{name: "
        "mine, kind: tsv, source: <your TSV>}]}}' (kinds: mirtarbase, targetscan, tsv)"
    ),
}
#: Longest message part quoting a config value.
_VALUE_CHARS = 60


@cache
def _load(name: str) -> dict:
    """A schema file of workflow/schemas, parsed (cached: the files do not change in a run)."""
    # libyaml's loader when PyYAML has it: the same documents, several times faster (each
    # Snakemake start reads the schemas; each SLURM job starts Snakemake twice)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load((SCHEMAS / name).read_text(), Loader=loader)


def _registry() -> Registry:
    """Resolves each ``$ref`` to a sibling schema file.

    The file's ``$schema`` is left out: with it, jsonschema checks the referenced section with
    a plain validator of that dialect, which fills in no default (so Snakemake's ``validate``
    of the whole config leaves the sections' defaults out; common.smk once validated each
    section again for that).
    """

    def retrieve(uri: str) -> Resource:
        contents = _load(Path(uri.removeprefix("file://")).name)
        contents = {key: value for key, value in contents.items() if key != "$schema"}
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    return Registry(retrieve=retrieve)


def _with_defaults(validator_class: type) -> type:
    """A validator class that fills in each property's default first, as Snakemake's does."""
    check_properties = validator_class.VALIDATORS["properties"]

    def properties(validator, schema_properties, instance, schema) -> Iterator[ValidationError]:
        if isinstance(instance, dict):
            for key, subschema in schema_properties.items():
                if "default" in subschema:
                    # a copy: the cached schema's default must not become part of a config
                    instance.setdefault(key, copy.deepcopy(subschema["default"]))
        yield from check_properties(validator, schema_properties, instance, schema)

    return validators.extend(validator_class, {"properties": properties})


_DefaultsValidator = _with_defaults(Draft202012Validator)


def check_config(section: dict, schema: str = "config.schema.yaml", prefix: str = "") -> dict:
    """Validate ``section`` against ``workflow/schemas/<schema>``, filling in defaults in place.

    ``prefix`` is the config key of ``section`` (``""`` for the whole config). Returns the
    section; raises :class:`InputError` with a one-line message for the first problem.
    """
    contents = {**_load(schema), "$id": (SCHEMAS / schema).as_uri()}
    validator = _DefaultsValidator(contents, registry=_registry())
    error = best_match(validator.iter_errors(section))
    if error is not None:
        raise InputError(describe(error, prefix))
    return section


def key_path(parts: Iterator[Any] | list[Any], prefix: str = "") -> str:
    """``survival.factors[2].cutoff`` from the path parts of a config value."""
    text = prefix
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _short(value: object) -> str:
    """A config value for a message, cut to one short line."""
    text = repr(value).replace("\n", " ")
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 3] + "..."


def describe(error: ValidationError, prefix: str = "") -> str:
    """One line: the config key, what is wrong with it and how to fix it."""
    path = key_path(list(error.absolute_path), prefix)
    where = f"config key {path}" if path else "config"
    kind, expected = error.validator, error.validator_value
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        unknown = [key for key in error.instance if key not in allowed]
        return unknown_key(path, str(unknown[0]), allowed)
    if kind == "required":
        missing = next(key for key in expected if key not in error.instance)
        described = error.schema.get("properties", {}).get(missing, {})
        return f"{where}: required key '{missing}' is missing; add it ({_help(described)})."
    if kind == "oneOf" and all(set(choice) == {"required"} for choice in expected):
        # keys that exclude each other (an RNA class's fasta or source)
        keys = [key for choice in expected for key in choice["required"]]
        given = [key for key in keys if key in error.instance] or "none"
        return f"{where}: give exactly one of {keys} (given: {given}); {_help(error)}."
    if kind == "enum":
        return f"{where}: {_short(error.instance)} is not one of {list(expected)}."
    if kind == "type":
        return f"{where}: {_short(error.instance)} is not of type {expected}; {_help(error)}."
    if kind == "pattern":
        return f"{where}: {_short(error.instance)} does not match the pattern {expected!r}."
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        relation = {
            "minimum": ">=",
            "maximum": "<=",
            "exclusiveMinimum": ">",
            "exclusiveMaximum": "<",
        }[kind]
        return f"{where}: {_short(error.instance)} must be {relation} {expected}."
    return f"{where}: {_short(error.instance)} is not valid ({kind} {_short(expected)}); " + (
        f"{_help(error)}."
    )


def _help(error: ValidationError | Mapping) -> str:
    """The schema's description of the key (of an error, or a schema), cut to one clause."""
    schema = error if isinstance(error, Mapping) else error.schema
    description = " ".join(str(schema.get("description", "")).split())
    if not description:
        return "see workflow/schemas/"
    return description if len(description) <= 120 else description[:117] + "..."


def unknown_key(path: str, key: str, allowed: list[str]) -> str:
    """The message for ``key``, unknown under ``path``: where it belongs, else what is close."""
    full = f"{path}.{key}" if path else key
    where = f"under {path}" if path else "at the top level of the config"
    if full in RENAMED:
        return f"config key {full} was renamed: write {RENAMED[full]}."
    for sheet, name in SHEETS.items():
        if key in _load(sheet)["properties"]:
            return (
                f"config key {full}: unknown {where}; '{key}' belongs in {name}, column "
                f"'{key}', one value per row."
            )
    homes = [other for other in config_keys() if other.rsplit(".", 1)[-1] == key]
    homes = [home for home in homes if home != full]
    if homes:
        return f"config key {full}: unknown {where}; '{key}' belongs under {' or '.join(homes)}."
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"config key {full}: unknown {where}; did you mean '{close[0]}'?"
    return (
        f"config key {full}: unknown {where}; the keys here are {sorted(allowed)} "
        "(workflow/schemas/)."
    )


@cache
def config_keys() -> tuple[str, ...]:
    """Every key path the config schema describes (list entries as ``[]``)."""
    return tuple(_keys(_load("config.schema.yaml"), _load("config.schema.yaml"), "", 0))


def _keys(schema: Mapping, root: Mapping, path: str, depth: int) -> Iterator[str]:
    """Key paths under ``schema`` (``root`` holds its ``$defs``)."""
    if depth > 12:  # the schemas are not recursive; a guard all the same
        return
    ref = schema.get("$ref")
    if ref:
        if ref.startswith("#/$defs/"):
            yield from _keys(root["$defs"][ref.split("/")[-1]], root, path, depth + 1)
        else:
            target = _load(ref)
            yield from _keys(target, target, path, depth + 1)
    for key, subschema in schema.get("properties", {}).items():
        child = f"{path}.{key}" if path else key
        yield child
        yield from _keys(subschema, root, child, depth + 1)
    if isinstance(schema.get("items"), Mapping):
        yield from _keys(schema["items"], root, f"{path}[]", depth + 1)


# ---------------------------------------------- the simulated demo's references in a real study

#: Where the simulated demo's inputs live (written by workflow/scripts/simulate_demo.py).
DEMO_FOLDER = Path("resources") / "demo"
#: The config sections that name reference files (:func:`reference_files`).
REFERENCE_SECTIONS = ("smallrna", "mrna", "integrate")


def reference_files(
    config: Mapping, sections: Collection[str] = REFERENCE_SECTIONS
) -> Iterator[tuple[str, str]]:
    """(config key, path or address) of every reference the config's ``sections`` name by
    file: the miRNA FASTAs and RNA classes (smallrna), the genome and annotation (mrna), the
    miRNA-target sources (integrate)."""
    if "smallrna" in sections:
        small = config.get("smallrna") or {}
        for key in ("mature", "hairpin"):
            yield f"smallrna.{key}", small.get(key, "")
        for number, entry in enumerate(small.get("rna_classes") or []):
            yield f"smallrna.rna_classes[{number}].fasta", entry.get("fasta", "")
    if "mrna" in sections:
        mrna = config.get("mrna") or {}
        for key in ("genome", "annotation"):
            yield f"mrna.{key}.source", (mrna.get(key) or {}).get("source", "")
    if "integrate" in sections:
        targets = (config.get("integrate") or {}).get("mirna_targets") or {}
        for number, entry in enumerate(targets.get("sources") or []):
            yield f"integrate.mirna_targets.sources[{number}].source", entry.get("source", "")
        yield "integrate.mirna_targets.utr_lengths", targets.get("utr_lengths", "")


def is_demo_file(path: str) -> bool:
    """True when ``path`` lies in the demo's folder (as written, or after resolving links)."""
    parts = Path(os.path.normpath(path)).parts
    if DEMO_FOLDER.parts in itertools.pairwise(parts):
        return True
    demo = DEMO_FOLDER.resolve()
    return demo.is_dir() and Path(path).resolve().is_relative_to(demo)


def refuse_demo_references(config: Mapping, sections: Collection[str] = REFERENCE_SECTIONS) -> None:
    """With ``demo: false``, refuse a reference of the simulated demo that the run reads (that
    its ``sections`` name), naming key and file.

    The demo's references hold a few hundred simulated sequences: in a real study its RNA
    classes take no reads and look like "no rRNA in my samples", its miRNAs are not the
    species' (issue 28). Refusing is clearer than a warning lost in the log.
    """
    if config.get("demo"):
        return
    for key, path in reference_files(config, sections):
        if path and "://" not in path and is_demo_file(path):
            raise InputError(
                f"config key {key}: '{path}' is a file of the simulated demo ({DEMO_FOLDER}/), "
                "but the config says demo: false. The demo's references are simulated and "
                "match nothing in real reads: name your own (README, 'RNA classes' and "
                "'References by name'), or set demo: true to run the demo."
            )
