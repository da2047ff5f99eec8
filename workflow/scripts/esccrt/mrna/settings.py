"""Settings of the mRNA steps, each built from its block of the validated ``mrna`` section.

The rules pass each step only its block (``mrna.trimming``, ``mrna.strandedness``,
``mrna.counting``, ``mrna.qc``) as ``params``; the defaults live in
workflow/schemas/mrna.schema.yaml, none here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esccrt.cohort_plots import CohortPlotSettings


@dataclass(frozen=True)
class TrimmingSettings:
    """cutadapt's settings of every unit (``mrna.trimming``)."""

    adapters: Mapping[str, Any]
    min_length: int
    quality_cutoff: int
    extra: str

    @classmethod
    def from_config(cls, block: Mapping[str, Any]) -> TrimmingSettings:
        """From the validated ``mrna.trimming`` block."""
        return cls(
            adapters=block["adapters"],
            min_length=int(block["min_length"]),
            quality_cutoff=int(block["quality_cutoff"]),
            extra=str(block["extra"]),
        )


@dataclass(frozen=True)
class StrandednessSettings:
    """How a unit's strandedness is inferred and reconciled with the sheet
    (``mrna.strandedness``)."""

    sample_reads: int
    min_mapq: int
    threshold: float
    min_reads: int
    mismatch: str

    @classmethod
    def from_config(cls, block: Mapping[str, Any]) -> StrandednessSettings:
        """From the validated ``mrna.strandedness`` block."""
        return cls(
            sample_reads=int(block["sample_reads"]),
            min_mapq=int(block["min_mapq"]),
            threshold=float(block["threshold"]),
            min_reads=int(block["min_reads"]),
            mismatch=str(block["mismatch"]),
        )


@dataclass(frozen=True)
class CountingSettings:
    """Counting reads in genes as htseq-count does (``mrna.counting``)."""

    feature_type: str
    id_attribute: str
    name_attribute: str
    minaqual: int
    mode: str
    nonunique: str

    @classmethod
    def from_config(cls, block: Mapping[str, Any]) -> CountingSettings:
        """From the validated ``mrna.counting`` block."""
        return cls(
            feature_type=str(block["feature_type"]),
            id_attribute=str(block["id_attribute"]),
            name_attribute=str(block["name_attribute"]),
            minaqual=int(block["minaqual"]),
            mode=str(block["mode"]),
            nonunique=str(block["nonunique"]),
        )


@dataclass(frozen=True)
class QcSettings:
    """The mRNA QC gate (``mrna.qc``) and when its figures become cohort views."""

    min_assigned_reads: int
    min_assignment_rate: float
    plots: CohortPlotSettings

    @classmethod
    def from_config(cls, block: Mapping[str, Any]) -> QcSettings:
        """From the validated ``mrna.qc`` block."""
        return cls(
            int(block["min_assigned_reads"]),
            float(block["min_assignment_rate"]),
            CohortPlotSettings.from_config(block),
        )
