"""Config sections as the workflow sees them: validated by their stage's schema, which fills in
the defaults (the only place defaults live), by the workflow's own check (common.smk's
``checked``: :func:`esccrt.config_check.check_config`, which also fills the defaults of the
sections config.schema.yaml includes by ``$ref``; Snakemake's ``validate`` does not).

Library functions take the study's choices without defaults; tests pass them from here, so a
test runs with the values a user who sets nothing gets.
"""

from __future__ import annotations

import copy
from pathlib import Path

from esccrt.config_check import check_config

SCHEMAS = Path(__file__).resolve().parents[1] / "workflow" / "schemas"

#: Placeholders for the keys a section must set and the schema has no default for (files and
#: the study design); they only make the section valid, no test reads them from here.
REQUIRED = {
    "smallrna": {"mature": "mature.fa", "hairpin": "hairpin.fa"},
    "mrna": {"genome": {"source": "genome.fa"}, "annotation": {"source": "genes.gtf"}},
    "diffexp": {},
    "qpcr": {"ct_table": "ct.tsv", "targets": ["target"], "reference_targets": ["reference"]},
    "survival": {
        "clinical": "clinical.tsv",
        "endpoints": [{"name": "os", "time": "time", "event": "event"}],
        "factors": [{"name": "factor", "type": "fold_change", "targets": ["target"]}],
        "diagnostic": {"endpoint": "os", "within": 12, "predictors": ["target"]},
    },
    "qc": {},
}
#: A contrast for DE sections that set none (the schema requires one per arm, not a default).
PLACEHOLDER_CONTRASTS = {"b_vs_a": ["condition", "b", "a"]}


def validated(stage: str, section: dict) -> dict:
    """``section`` checked against ``workflow/schemas/<stage>.schema.yaml``, defaults filled in
    (``stage`` "config": the whole config, as common.smk checks it)."""
    return check_config(section, f"{stage}.schema.yaml", "" if stage == "config" else stage)


def section_defaults(stage: str, **keys: object) -> dict:
    """The validated ``stage`` section with these keys and the schema's defaults for the rest."""
    return validated(stage, {**copy.deepcopy(REQUIRED[stage]), **keys})


def qc_section(**keys: object) -> dict:
    """A validated ``qc`` section (the schema's defaults) with these keys."""
    return section_defaults("qc", **keys)


def qc_criteria(**criteria: dict) -> dict:
    """The validated ``qc.criteria`` (the schema's defaults), these criteria's keys changed."""
    return qc_section(criteria=criteria)["criteria"]


def smallrna_section(**keys: object) -> dict:
    """A validated ``smallrna`` section (the schema's defaults) with these keys."""
    return section_defaults("smallrna", **keys)


def de_settings(arm: str, **keys: object):
    """:class:`DESettings` of ``arm`` from a validated ``diffexp`` section with these keys."""
    from esccrt.de.settings import DESettings, arm_section

    section = section_defaults("diffexp", **{"contrasts": PLACEHOLDER_CONTRASTS, **keys})
    return DESettings.from_config(arm_section(section, arm))


def de_options(arm: str, **keys: object) -> dict:
    """The study's keyword arguments of :func:`esccrt.de.model.run_contrast` for ``arm``, as the
    rule passes them (``diffexp`` keys given here win over the schema's defaults)."""
    settings = de_settings(arm, **keys)
    return {
        "size_factors": settings.size_factors,
        "alpha": settings.padj_threshold,
        "lfc_threshold": settings.lfc_threshold,
        "shrink": settings.lfc_shrink,
    }


def mrna_section(**keys: object) -> dict:
    """A validated ``mrna`` section (the schema's defaults) with these keys."""
    return section_defaults("mrna", **keys)


def _counting(names: tuple[str, ...], keys: dict) -> dict:
    """These ``mrna.counting`` keys of a validated section whose counting block has ``keys``."""
    counting = mrna_section(counting=keys)["counting"]
    return {name: counting[name] for name in names}


def annotation_options(**keys: object) -> dict:
    """``feature_type`` and ``id_attribute`` (``mrna.counting``), as the annotation checks take
    them (:func:`esccrt.mrna.annotation.check_annotation`, ``gene_spans``)."""
    return _counting(("feature_type", "id_attribute"), keys)


def feature_options(**keys: object) -> dict:
    """The ``mrna.counting`` keys :func:`esccrt.mrna.features.load_features` takes."""
    return _counting(("feature_type", "id_attribute", "name_attribute"), keys)


def count_options(**keys: object) -> dict:
    """The ``mrna.counting`` keys :func:`esccrt.mrna.counting.count_bam` takes."""
    return _counting(("minaqual", "mode", "nonunique"), keys)


def strandedness_options(**keys: object) -> tuple[dict, dict]:
    """``mrna.strandedness`` as keyword arguments of ``strand_evidence`` and of
    ``call_strandedness`` (:mod:`esccrt.mrna.strandedness`)."""
    section = mrna_section(strandedness=keys)["strandedness"]
    evidence = {"n_reads": section["sample_reads"], "min_mapq": section["min_mapq"]}
    call = {"threshold": section["threshold"], "min_reads": section["min_reads"]}
    return evidence, call


def qpcr_settings(targets: list[str], references: list[str], **keys: object):
    """:class:`QpcrSettings` of a ``qpcr`` section with these targets, references and keys."""
    from esccrt.qpcr.settings import QpcrSettings

    section = {"targets": targets, "reference_targets": references, **keys}
    return QpcrSettings.from_config(section_defaults("qpcr", **section))


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
