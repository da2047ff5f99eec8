"""Config sections as the workflow sees them: validated by their stage's schema, which fills in
the defaults (the only place defaults live), exactly as Snakemake's ``validate`` does."""

from __future__ import annotations

from pathlib import Path

from snakemake.utils import validate

SCHEMAS = Path(__file__).resolve().parents[1] / "workflow" / "schemas"


def validated(stage: str, section: dict) -> dict:
    """``section`` checked against ``workflow/schemas/<stage>.schema.yaml``, defaults filled in."""
    validate(section, str(SCHEMAS / f"{stage}.schema.yaml"))
    return section


def smallrna_section(**keys: object) -> dict:
    """A validated ``smallrna`` section (the schema's defaults) with these keys."""
    return validated("smallrna", {"mature": "mature.fa", "hairpin": "hairpin.fa", **keys})


def qpcr_settings(targets: list[str], references: list[str], **keys: object):
    """:class:`QpcrSettings` of a ``qpcr`` section with these targets, references and keys."""
    from esccrt.qpcr.settings import QpcrSettings

    section = {"ct_table": "ct.tsv", "targets": targets, "reference_targets": references, **keys}
    return QpcrSettings.from_config(validated("qpcr", section))
