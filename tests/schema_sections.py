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


def qpcr_settings(targets: list[str], references: list[str], **keys: object):
    """:class:`QpcrSettings` of a ``qpcr`` section with these targets, references and keys."""
    from esccrt.qpcr.settings import QpcrSettings

    section = {"ct_table": "ct.tsv", "targets": targets, "reference_targets": references, **keys}
    return QpcrSettings.from_config(validated("qpcr", section))


def fold_change_cutoffs(survival: dict) -> list[float]:
    """The cut-offs the survival stage applies to the fold-change factors of ``survival`` (a
    ``survival`` config section), read back from its cut-off table as the report reads them."""
    import copy

    from esccrt.report.remark import fold_change_cutoffs as applied
    from esccrt.survival.settings import factors_from_config
    from esccrt.survival.stage import cutoff_table

    section = validated("survival", copy.deepcopy(survival))
    return applied(cutoff_table(factors_from_config(section)))


def qpcr_decisions(config: dict, references: list[str] | None = None):
    """What the qPCR and survival stages of ``config`` decide, as the report reads it from their
    tables: the survival stage's cut-offs, and ``references`` (default: the configured
    ``qpcr.reference_targets``, which the qPCR stage uses when auto-selection is off)."""
    from esccrt.report.methods import QpcrDecisions

    references = list(references or config["qpcr"]["reference_targets"])
    return QpcrDecisions(references, fold_change_cutoffs(config["survival"]))
