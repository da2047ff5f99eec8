"""The integration rules' settings from the validated config (workflow/rules/integrate.smk).

The Snakefile imports this module while it reads the workflow, so it holds only configuration
code: the statistics and plots (esccrt.integrate, esccrt.target_shift, esccrt.targets_stage)
import scipy and matplotlib, which would add seconds to every Snakemake start (each SLURM job
starts Snakemake twice). Each ``*_params`` function returns exactly the config values one rule
reads, as plain data (the rule's ``params``), so that changing one reruns only that rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from esccrt import paths


@dataclass(frozen=True)
class JoinSettings:
    """The study choices of the join, from the validated config (defaults: the schemas)."""

    #: miRNAs measured by qPCR (``qpcr.targets``), in table order.
    mirnas: tuple[str, ...]
    #: Names of the survival endpoints (``survival.endpoints``), e.g. os, pfs.
    endpoints: tuple[str, ...]
    #: Endpoint on which a miRNA is called prognostic (``report.prognostic_endpoint``).
    prognostic_endpoint: str
    #: DE significance thresholds (``diffexp.padj_threshold``, ``diffexp.lfc_threshold``).
    padj_threshold: float
    lfc_threshold: float
    #: Survival p-value below which a miRNA is prognostic (``report.survival_p_threshold``).
    survival_p_threshold: float

    @classmethod
    def from_config(cls, config: Mapping) -> JoinSettings:
        """Settings of a run with the qPCR/survival arm (its sections must be present)."""
        return cls(
            mirnas=tuple(config["qpcr"]["targets"]),
            endpoints=tuple(str(endpoint["name"]) for endpoint in config["survival"]["endpoints"]),
            prognostic_endpoint=str(config["report"]["prognostic_endpoint"]),
            padj_threshold=config["diffexp"]["padj_threshold"],
            lfc_threshold=config["diffexp"]["lfc_threshold"],
            survival_p_threshold=config["report"]["survival_p_threshold"],
        )


def join_params(config: Mapping, evidence: bool) -> dict[str, object]:
    """Exactly the config values rule integrate reads, as plain data: the rule's ``params``, so
    that changing one of them (and no other) reruns it. ``join`` (the :class:`JoinSettings`) is
    there only when the evidence table is made (``evidence``: small-RNA and qPCR arms run)."""
    params: dict[str, object] = {"m2_markers": list(config["report"]["m2_markers"])}
    if evidence:
        params["join"] = asdict(JoinSettings.from_config(config))
    return params


@dataclass(frozen=True)
class ShiftSettings:
    """The test's choices (``integrate.mirna_targets``; defaults in the schema)."""

    min_base_mean: float
    utr_bins: int
    expression_bins: int
    background_per_target: int
    min_targets: int
    bootstrap: int
    seed: int
    q_threshold: float
    top_targets: int
    #: DE thresholds deciding which miRNAs are tested (``diffexp``).
    padj_threshold: float
    lfc_threshold: float


def source_settings(section: Mapping) -> list[dict[str, object]]:
    """Each configured source as plain data (a rule's params): name, kind, origin, pinned
    SHA-256, release, and the TargetScan tier score and taxon."""
    return [
        {
            "name": str(source["name"]),
            "kind": str(source["kind"]),
            "source": str(source["source"]),
            "sha256": str(source.get("sha256", "")),
            "release": str(source.get("release", "")),
            "strong_score": float(section["targetscan_strong_score"]),
            "taxon": int(section["taxon"]),
        }
        for source in section["sources"]
    ]


def shift_params(config: Mapping) -> dict[str, object]:
    """Exactly the config values rule target_shift reads (its params)."""
    section = config["integrate"]["mirna_targets"]
    settings = ShiftSettings(
        min_base_mean=float(section["min_base_mean"]),
        utr_bins=int(section["utr_bins"]),
        expression_bins=int(section["expression_bins"]),
        background_per_target=int(section["background_per_target"]),
        min_targets=int(section["min_targets"]),
        bootstrap=int(section["bootstrap"]),
        seed=int(section["seed"]),
        q_threshold=float(section["q_threshold"]),
        top_targets=int(section["top_targets"]),
        padj_threshold=float(config["diffexp"]["padj_threshold"]),
        lfc_threshold=float(config["diffexp"]["lfc_threshold"]),
    )
    return {"shift": asdict(settings), "pairing_column": section["pairing_column"] or ""}


def shift_inputs(config: Mapping, **given: str) -> dict[str, str]:
    """Named inputs of rule target_shift: the ``given`` stage tables (an empty one left out),
    the mapped targets, the 3'UTR table when configured, and with a pairing column the sample
    sheet and both arms' normalised counts."""
    section = config["integrate"]["mirna_targets"]
    inputs = {name: path for name, path in given.items() if path}
    inputs["targets"] = paths.INTEGRATE_MIRNA_TARGETS
    if section["utr_lengths"]:
        inputs["utr_lengths"] = section["utr_lengths"]
    if section["pairing_column"]:
        inputs["samples"] = config["samples"]
        inputs["smallrna_counts"] = paths.fill(paths.DIFFEXP_NORMALIZED, arm="smallrna")
        inputs["mrna_counts"] = paths.fill(paths.DIFFEXP_NORMALIZED, arm="mrna")
    return inputs
