"""The settings of the differential-expression stage, read once from the validated config.

Config section ``diffexp`` holds keys shared by every arm and, under ``arms.<arm>``, an arm's own
``design``, ``contrasts`` and ``size_factors``; the shared ``design`` and ``contrasts`` are a
shorthand for every arm without its own. :func:`arm_section` resolves the section for one arm
(what the arm's rules receive as ``params``); :class:`DESettings` is that as typed fields.

Defaults live only in ``workflow/schemas/diffexp.schema.yaml``: Snakemake's validation fills
them in, so nothing here reads a key with a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esccrt.errors import InputError

#: Keys an arm may set for itself under ``diffexp.arms.<arm>``.
ARM_KEYS = ("design", "contrasts", "size_factors")
#: Where :func:`arm_section` records the config key each per-arm value came from.
SOURCES = "sources"


def arm_section(section: Mapping[str, Any], arm: str) -> dict[str, Any]:
    """The ``diffexp`` settings of one arm, from the validated section.

    The arm's own keys (``arms.<arm>``) win over the shared ones. The result is flat (no
    ``arms``) and records under :data:`SOURCES` the config key of ``design`` and ``contrasts``,
    for messages. Raises :class:`InputError` when the arm has no contrast at all.
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
    if "contrasts" not in resolved:
        raise InputError(
            f"config key diffexp.contrasts: the {arm} arm has no contrast; set diffexp.contrasts "
            f"(every arm) or diffexp.arms.{arm}.contrasts, e.g. "
            "{irradiated_vs_control: [condition, irradiated, control]}."
        )
    resolved[SOURCES] = sources
    return resolved


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
