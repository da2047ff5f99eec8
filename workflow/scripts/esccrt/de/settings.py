"""The settings of the differential-expression stage, read once from the validated config.

Config section ``diffexp`` holds keys shared by every arm and, under ``arms.<arm>``, an arm's own
``design``, ``contrasts`` and ``size_factors``; the shared ``design`` and ``contrasts`` are a
shorthand for every arm without its own. :func:`arm_section` resolves the section for one arm
(what the arm's rules receive as ``params``); :class:`DESettings` is that as typed fields.

An arm without any contrast is *QC only* (as nf-core/smrnaseq, which runs no DE): its reads are
trimmed, aligned, counted and QC'd, and no differential expression is run or reported
(:func:`qc_only_arms`; :data:`QC_ONLY` is how the QC page and the report say so).

Defaults live only in ``workflow/schemas/diffexp.schema.yaml``: Snakemake's validation fills
them in, so nothing here reads a key with a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from esccrt.errors import InputError

#: Keys an arm may set for itself under ``diffexp.arms.<arm>``.
ARM_KEYS = ("design", "contrasts", "size_factors")
#: Where :func:`arm_section` records the config key each per-arm value came from.
SOURCES = "sources"
#: What the QC page and the report say of an arm without a contrast.
QC_ONLY = "no contrast: QC only"


def arm_section(section: Mapping[str, Any], arm: str) -> dict[str, Any]:
    """The ``diffexp`` settings of one arm, from the validated section.

    The arm's own keys (``arms.<arm>``) win over the shared ones. The result is flat (no
    ``arms``) and records under :data:`SOURCES` the config key of ``design`` and ``contrasts``,
    for messages. An arm without any contrast (neither shared nor its own) gets ``contrasts``
    ``{}``: it is QC only (:func:`qc_only_arms`).
    """
    own = section["arms"][arm]
    resolved = {key: value for key, value in section.items() if key != "arms"}
    sources = {}
    for key in ARM_KEYS:
        if key in own:
            resolved[key] = own[key]
            sources[key] = f"diffexp.arms.{arm}.{key}"
        else:
            sources[key] = f"diffexp.{key}"
    resolved.setdefault("contrasts", {})
    resolved[SOURCES] = sources
    return resolved


def qc_only_arms(sections: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The arms (of ``sections``: arm -> :func:`arm_section`) without a contrast, in order."""
    return [arm for arm, resolved in sections.items() if not resolved["contrasts"]]


def qc_only_note(arm: str) -> str:
    """The sentence that says an arm is QC only, naming the config keys that would add DE."""
    return (
        f"{arm}: {QC_ONLY}. The config gives this arm no contrast (diffexp.contrasts, "
        f"diffexp.arms.{arm}.contrasts), so no differential expression was run: its samples are "
        "trimmed, aligned, counted and QC'd; the QC verdicts say which samples a DE would exclude."
    )


def check_qc_only(qc_only: Sequence[str], survival_markers: bool) -> None:
    """Refuse what needs a QC-only arm's DE: sequencing markers in survival read the small-RNA
    arm's normalised counts, which its DE writes."""
    if survival_markers and "smallrna" in qc_only:
        raise InputError(
            "config key survival.sequencing_markers is set, but the small-RNA arm has no contrast "
            f"({QC_ONLY}): the markers read its normalised counts, written by its DE. Set "
            "diffexp.contrasts or diffexp.arms.smallrna.contrasts, or empty the key."
        )


@dataclass(frozen=True)
class DESettings:
    """The ``diffexp`` settings of one arm (see the schema for what each field means).

    Values are kept as the config gives them (a YAML ``1`` stays ``1``, not ``1.0``), because
    figure titles print them.
    """

    design: str
    #: name -> [variable, tested level, reference level] or [variable], as strings
    contrasts: dict[str, list[str]]
    min_total_count: int
    #: size-factor method of the arm (ratio, poscounts, iterative)
    size_factors: str
    padj_threshold: float
    lfc_threshold: float
    lfc_shrink: bool
    #: fewest samples per group of a contrast for a result without a caveat
    min_replicates: int
    top_features_heatmap: int
    #: config keys of the design and the contrasts, for messages
    design_key: str
    contrasts_key: str

    @classmethod
    def from_config(cls, resolved: Mapping[str, Any]) -> DESettings:
        """Settings from :func:`arm_section` of the validated ``config["diffexp"]``."""
        return cls(
            design=resolved["design"],
            contrasts={str(k): [str(x) for x in v] for k, v in resolved["contrasts"].items()},
            min_total_count=resolved["min_total_count"],
            size_factors=resolved["size_factors"],
            padj_threshold=resolved["padj_threshold"],
            lfc_threshold=resolved["lfc_threshold"],
            lfc_shrink=resolved["lfc_shrink"],
            min_replicates=resolved["min_replicates"],
            top_features_heatmap=resolved["top_features_heatmap"],
            design_key=resolved[SOURCES]["design"],
            contrasts_key=resolved[SOURCES]["contrasts"],
        )


#: A regular expression no contrast name matches (names start with a letter or digit): the
#: contrast wildcard's constraint when no arm has a contrast.
NO_CONTRAST = "(?!)"


def contrast_constraint(contrasts: Mapping[str, Sequence[str]]) -> str:
    """The contrast wildcard's constraint: any contrast of any arm (arm -> names). Without any
    contrast, a pattern that never matches (an empty alternation would match every string)."""
    names = sorted({name for names in contrasts.values() for name in names})
    return "|".join(names) or NO_CONTRAST
