"""The settings of the differential-expression stage, read once from the validated config.

:class:`DESettings` is config section ``diffexp`` as typed fields. Its defaults live only in
``workflow/schemas/diffexp.schema.yaml``: Snakemake's validation fills them in (and the schema
requires every key), so :meth:`DESettings.from_config` reads each key without a fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DESettings:
    """Config section ``diffexp`` (see the schema for what each field means).

    Values are kept as the config gives them (a YAML ``1`` stays ``1``, not ``1.0``), because
    figure titles print them.
    """

    design: str
    #: name -> [variable, tested level, reference level] or [variable], as strings
    contrasts: dict[str, list[str]]
    min_total_count: int
    #: arm (smallrna, mrna) -> size-factor method
    size_factors: dict[str, str]
    padj_threshold: float
    lfc_threshold: float
    lfc_shrink: bool
    top_features_heatmap: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> DESettings:
        """Settings from ``config["diffexp"]`` after schema validation."""
        return cls(
            design=section["design"],
            contrasts={str(k): [str(x) for x in v] for k, v in section["contrasts"].items()},
            min_total_count=section["min_total_count"],
            size_factors=dict(section["size_factors"]),
            padj_threshold=section["padj_threshold"],
            lfc_threshold=section["lfc_threshold"],
            lfc_shrink=section["lfc_shrink"],
            top_features_heatmap=section["top_features_heatmap"],
        )
