"""Defaults live only in workflow/schemas/: every value config/config.yaml restates equals its
schema default, and the few the demo sets otherwise are listed here on purpose."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import yaml

SCHEMAS = Path(__file__).resolve().parents[2] / "workflow" / "schemas"

#: Keys whose demo value differs from the schema default on purpose, and why.
DEMO_CHOICES = {
    "demo": "the shipped config runs the simulated demo (the report says so)",
    "smallrna.rna_classes": "the demo's simulated RNA-class FASTAs (default: no screening)",
    "qpcr.reference_candidates": "candidate references of serum qPCR (default: the references)",
    "survival.cox.multivariate": "the study's multivariate model (default: auto)",
    "survival.diagnostic.seed": "the seed the demo's published figures were made with",
    "integrate.mirna_targets.sources": "the demo's simulated target table (default: no source)",
    "integrate.mirna_targets.utr_lengths": "the demo's simulated 3'UTR lengths (default: GTF)",
    "integrate.mirna_targets.pairing_column": "the demo pairs exo_<x> with mac_<x> (default: none)",
}


def _load(name: str) -> dict:
    return yaml.safe_load((SCHEMAS / name).read_text())


def _resolve(schema: Mapping, root: Mapping) -> tuple[Mapping, Mapping]:
    """``schema`` with its ``$ref`` (a sibling file or ``#/$defs/...``) merged in."""
    ref = schema.get("$ref")
    if not ref:
        return schema, root
    if ref.startswith("#/$defs/"):
        target = root["$defs"][ref.rsplit("/", 1)[-1]]
    else:
        root = target = _load(ref)
    properties = {**target.get("properties", {}), **schema.get("properties", {})}
    return {**target, **schema, "properties": properties}, root


def leaf_defaults(
    value: object, schema: Mapping, root: Mapping, path: str = ""
) -> Iterator[tuple[str, object, object]]:
    """(key path, config value, schema default) of every config value whose key has a default
    and is not itself a section of keys with their own defaults."""
    schema, root = _resolve(schema, root)
    properties = schema.get("properties", {})
    if isinstance(value, dict) and properties:
        for key, item in value.items():
            if key in properties:
                child = f"{path}.{key}" if path else key
                yield from leaf_defaults(item, properties[key], root, child)
    elif "default" in schema:
        yield path, value, schema["default"]


@pytest.fixture(scope="module")
def restated(repo_root: Path) -> dict[str, tuple[object, object]]:
    config = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    root = _load("config.schema.yaml")
    return {path: (value, default) for path, value, default in leaf_defaults(config, root, root)}


def test_restated_values_equal_the_schema_defaults(restated: dict) -> None:
    differing = {
        path: pair
        for path, pair in restated.items()
        if pair[0] != pair[1] and path not in DEMO_CHOICES
    }
    assert not differing, (
        "config/config.yaml restates these keys with another value than the schema's default; "
        "change one of them, or list a deliberate demo choice in DEMO_CHOICES: "
        f"{differing}"
    )
    # the walk reaches every section, down to nested keys
    assert len(restated) > 80
    assert {"smallrna.non_templated_3p.max_length", "diffexp.arms.mrna.size_factors"} <= set(
        restated
    )


def test_demo_choices_are_real_differences(restated: dict) -> None:
    """Each listed demo choice is in config.yaml and differs from its default."""
    for path in DEMO_CHOICES:
        value, default = restated[path]
        assert value != default, path
