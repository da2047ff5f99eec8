"""Settings of the small-RNA steps, each built from the validated ``smallrna`` section.

Each step reads only its own keys (:data:`STEP_KEYS`): the rule passes exactly those as
``params`` (:func:`step_section`), so that changing a key reruns only the steps that use it. The
defaults live in workflow/schemas/smallrna.schema.yaml; none here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from esccrt.cohort_plots import CohortPlotSettings
from esccrt.smallrna.arms import ArmRule
from esccrt.smallrna.layout import (
    MIRNA_STEPS,
    reference_biotypes,
    reference_config_key,
    reference_name_prefix,
    reference_source,
    reference_species,
)
from esccrt.smallrna.presets import TrimSettings

#: The keys of the ``smallrna`` section each step reads (dotted: a key of a block).
STEP_KEYS: dict[str, tuple[str, ...]] = {
    "trim": ("min_length", "max_length", "error_rate", "min_overlap", "quality_cutoff",
             "discard_untrimmed"),
    "collapse": ("min_length", "max_length"),
    "screen": ("bowtie.rna_classes",),
    "mature": ("bowtie.mature",),
    "hairpin": ("bowtie.hairpin",),
    "count": ("non_templated_3p", "hairpin_to_mature", "mirgff3_source"),
    "summary": ("min_length", "max_length", "min_adapter_fraction", "mirgff3_source",
                "cohort_plot_samples", "plot_outlier_robust_z", "plot_outliers_named"),
    "isomirs": ("isomirs",),
}  # fmt: skip


def step_section(section: Mapping[str, Any], step: str) -> dict[str, Any]:
    """The part of the validated ``smallrna`` section that ``step`` reads (the rule's params)."""
    part: dict[str, Any] = {}
    for key in STEP_KEYS[step]:
        block, _, inner = key.partition(".")
        if inner:
            part.setdefault(block, {})[inner] = section[block][inner]
        else:
            part[block] = section[block]
    return part


def _window(section: Mapping[str, Any]) -> tuple[int, int]:
    """The insert length window (``min_length``, ``max_length``)."""
    return int(section["min_length"]), int(section["max_length"])


@dataclass(frozen=True)
class ReferenceSettings:
    """Where one reference (mature, hairpin or an RNA class) comes from and what is kept."""

    name: str
    source: str
    sha256: str
    species: str
    name_prefix: str
    key: str
    #: Transcript biotypes kept by header (an RNA class's ``biotypes``); empty = every entry.
    biotypes: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, section: Mapping[str, Any], ref: str) -> ReferenceSettings:
        """Reference ``ref`` of the validated section."""
        source, sha256 = reference_source(section, ref)
        return cls(
            name=ref,
            source=source,
            sha256=sha256,
            species=reference_species(section, ref),
            name_prefix=reference_name_prefix(section, ref),
            key=reference_config_key(section, ref),
            biotypes=reference_biotypes(section, ref),
        )


@dataclass(frozen=True)
class TrimStepSettings:
    """Trimming of one unit: cutadapt's settings and the insert length window."""

    trimming: TrimSettings
    window: tuple[int, int]

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> TrimStepSettings:
        """From the validated section (or :func:`step_section` ``(section, "trim")``)."""
        return cls(TrimSettings.from_config(section), _window(section))


@dataclass(frozen=True)
class CollapseSettings:
    """Collapsing a sample's units: the window the units were trimmed with (for the log)."""

    window: tuple[int, int]

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> CollapseSettings:
        """From the validated section (or :func:`step_section` ``(section, "collapse")``)."""
        return cls(_window(section))


@dataclass(frozen=True)
class BowtieSettings:
    """bowtie's alignment options of one step: ``rna_classes`` (the screen), mature or hairpin."""

    step: str
    args: tuple[str, ...]

    @classmethod
    def from_config(cls, section: Mapping[str, Any], step: str) -> BowtieSettings:
        """Step ``step``'s options (``smallrna.bowtie.<step>``) of the validated section."""
        if step not in (*MIRNA_STEPS, "rna_classes"):
            raise ValueError(f"no bowtie step {step!r}")
        return cls(step, tuple(str(arg) for arg in section["bowtie"][step]))


@dataclass(frozen=True)
class CountSettings:
    """Counting one sample's alignments: 3' tails, hairpin-to-mature crediting, mirGFF3 source."""

    max_non_templated: int
    credit_arms: bool
    arm_rule: ArmRule
    mirgff3_source: str

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> CountSettings:
        """From the validated section (or :func:`step_section` ``(section, "count")``)."""
        return cls(
            max_non_templated=int(section["non_templated_3p"]["max_length"]),
            credit_arms=bool(section["hairpin_to_mature"]["enabled"]),
            arm_rule=ArmRule.from_config(section["hairpin_to_mature"]),
            mirgff3_source=str(section["mirgff3_source"]),
        )


@dataclass(frozen=True)
class SummarySettings:
    """The arm's tables: the window (plotted), the adapter warning, the mirGFF3 source; its
    QC figures: per sample up to ``plots.cohort_plot_samples`` samples, the cohort's
    distributions above (:class:`esccrt.cohort_plots.CohortPlotSettings`)."""

    window: tuple[int, int]
    min_adapter_fraction: float
    mirgff3_source: str
    plots: CohortPlotSettings

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> SummarySettings:
        """From the validated section (or :func:`step_section` ``(section, "summary")``)."""
        return cls(
            window=_window(section),
            min_adapter_fraction=float(section["min_adapter_fraction"]),
            mirgff3_source=str(section["mirgff3_source"]),
            plots=CohortPlotSettings.from_config(section),
        )


@dataclass(frozen=True)
class IsomirSettings:
    """isomiR-level results: on or off, and the filter of the isomiR count matrix (an isomiR is
    kept with at least ``min_reads`` reads in at least ``min_samples`` samples)."""

    enabled: bool
    min_reads: int
    min_samples: int

    @classmethod
    def from_config(cls, section: Mapping[str, Any]) -> IsomirSettings:
        """From the validated section (or :func:`step_section` ``(section, "isomirs")``)."""
        isomirs = section["isomirs"]
        return cls(
            enabled=bool(isomirs["enabled"]),
            min_reads=int(isomirs["min_reads"]),
            min_samples=int(isomirs["min_samples"]),
        )
