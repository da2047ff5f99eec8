"""What the report reads: the paths of every stage's outputs, the provenance record, the archive."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd


@dataclass
class ReportInputs:
    """Paths of everything the report shows; empty when the stage did not run."""

    samples: str = ""
    de_tables: list[str] = field(default_factory=list)
    #: What qualifies each contrast's result (results/diffexp/{arm}/caveats/{contrast}.tsv).
    de_caveats: list[str] = field(default_factory=list)
    de_plots: list[str] = field(default_factory=list)
    read_fate: str = ""
    mirtop_stats: str = ""
    rna_classes: str = ""
    smallrna_gate: str = ""
    #: Per-sample QC verdicts of the small-RNA libraries (results/qc/sample_qc.tsv).
    smallrna_sample_qc: str = ""
    #: isomiR level (smallrna.isomirs): each small-RNA contrast's isomiR table and caveats
    #: (results/diffexp/smallrna/isomirs/), and the isomiR filter's decision.
    isomir_de: list[str] = field(default_factory=list)
    isomir_caveats: list[str] = field(default_factory=list)
    isomir_filter: str = ""
    count_summary: str = ""
    qc_rates: str = ""
    mrna_gate: str = ""
    strandedness: str = ""
    excluded: list[str] = field(default_factory=list)
    insert_sizes: str = ""
    insert_sizes_plot: str = ""
    qc_plots: list[str] = field(default_factory=list)
    multiqc: str = ""
    table1: str = ""
    cox: str = ""
    auc: str = ""
    maxstat: str = ""
    #: The cut-off applied per factor (results/survival/cutoffs.tsv).
    cutoffs: str = ""
    #: The markers' continuous Cox models and Riley et al.'s sample size
    #: (results/survival/continuous_markers.tsv, sample_size.tsv).
    continuous_markers: str = ""
    sample_size: str = ""
    #: The marker Cox model's accuracy at the landmarks and its decision curves.
    time_accuracy: str = ""
    decision_curves: str = ""
    #: The locked model's external validation (results/survival/external_validation.tsv).
    external_validation: str = ""
    #: The marker Cox model's bootstrap-corrected calibration at the landmarks.
    calibration: str = ""
    #: Missing values per variable; the markers' Cox models pooled over imputed data sets.
    missingness: str = ""
    mice_pooled: str = ""
    #: The sequencing markers' fold changes (results/survival/sequencing_fold_changes.tsv).
    sequencing_fold_changes: str = ""
    #: Competing risks: Fine-Gray models and the cumulative incidence at the landmarks.
    competing_risks: str = ""
    cumulative_incidence: str = ""
    survival_plots: list[str] = field(default_factory=list)
    reference_stability: str = ""
    stability_plot: str = ""
    haemolysis: str = ""
    #: The qPCR references used and why (results/qpcr/references.tsv).
    qpcr_references: str = ""
    #: Fold changes and per-sample relative quantities with SE and interval, the efficiency SEs
    #: they propagated, the interval figure (results/qpcr/; esccrt.qpcr.uncertainty).
    qpcr_fold_changes: str = ""
    qpcr_relative_quantities: str = ""
    qpcr_efficiency_uncertainty: str = ""
    qpcr_fold_change_plot: str = ""
    #: qPCR cohort and design (results/qpcr/): fold changes, patients missing a timepoint,
    #: samples the sample map excluded, the unpaired groups' or time course's comparisons.
    qpcr_unpaired_samples: str = ""
    qpcr_excluded_samples: str = ""
    qpcr_group_comparison: str = ""
    qpcr_timepoint_comparisons: str = ""
    #: The inter-run calibration factors and the patients with pre and post on different plates
    #: (results/qpcr/interrun_factors.tsv, plate_split_pairs.tsv).
    interrun_factors: str = ""
    plate_split_pairs: str = ""
    #: The qPCR QC tables per sample and per well (results/qpcr/sample_qc.tsv, well_qc.tsv).
    sample_qc: str = ""
    well_qc: str = ""
    mirna_evidence: str = ""
    candidate_targets: str = ""
    m2_markers: str = ""
    m2_plots: list[str] = field(default_factory=list)
    #: The target-set shift test and its tables (rules mirna_targets, target_shift).
    target_shift: str = ""
    target_candidates: str = ""
    target_sources: str = ""
    targets_unmapped: str = ""
    target_plots: str = ""
    provenance: str = ""
    #: Every reference file the run used (results/references.tsv, rule provenance).
    references_used: str = ""
    #: Per-patient tables not shown but exported to results/share/ with the report's tables
    #: when report.pseudonymise is on (groups, predicted risks; esccrt.report.pseudonyms).
    shared: list[str] = field(default_factory=list)

    @classmethod
    def from_named(cls, given: Mapping[str, object]) -> ReportInputs:
        """The inputs a rule passed by name (lists stay lists); unknown names are ignored."""
        return cls(
            **{
                f.name: (
                    list(given[f.name]) if isinstance(given[f.name], list) else str(given[f.name])
                )
                for f in fields(cls)
                if f.name in given
            }
        )

    def stages(self) -> set[str]:
        """The stages that ran (smallrna, mrna, diffexp, qpcr), seen from the inputs."""
        ran = {
            "smallrna": self.read_fate,
            "mrna": self.count_summary,
            "diffexp": self.de_tables,
            "qpcr": self.qpcr_fold_changes or self.table1,
        }
        return {stage for stage, path in ran.items() if path}

    def survival_ran(self) -> bool:
        """The survival analysis ran (a qPCR experiment without survival data has none)."""
        return bool(self.table1)

    def de_arms(self) -> set[str]:
        """The sequencing arms whose differential expression ran, seen from the DE tables."""
        return {arm_of(path) for path in self.de_tables}

    def qc_only_arms(self) -> list[str]:
        """The sequencing arms that ran without differential expression (no contrast: QC only),
        in the arms' order."""
        ran = self.stages()
        return [arm for arm in ("smallrna", "mrna") if arm in ran and arm not in self.de_arms()]


def arm_of(path: str) -> str:
    """The sequencing arm of a results/diffexp/{arm}/... path ('' for another path)."""
    match = re.search(r"/diffexp/([^/]+)/", str(path))
    return match.group(1) if match else ""


def input_checksums(record: Mapping) -> pd.DataFrame:
    """One row per file the run read: its role, path, size and SHA-256."""
    rows = [("config", f["path"], f["bytes"], f["sha256"]) for f in record["config"]["files"]]
    rows += [(role, f["path"], f["bytes"], f["sha256"]) for role, f in record["sheets"].items()]
    for role, files in record["inputs"].items():
        rows += [(role, f["path"], f["bytes"], f["sha256"]) for f in files]
    return pd.DataFrame(rows, columns=["role", "path", "bytes", "sha256"])


def archive_copy(
    report_html: str | os.PathLike[str], provenance: str | os.PathLike[str], stamp: str
) -> list[Path]:
    """Keep a dated copy of this run's report and provenance in ``archive/`` beside the report.

    A rerun (new batch, new parameters) rewrites report.html; the copies are never declared as
    outputs, so Snakemake never deletes them, and every earlier report stays with its provenance.
    """
    folder = Path(report_html).parent / "archive"
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^0-9A-Za-z]", "", stamp)
    copies = [folder / f"report-{safe}.html"]
    shutil.copyfile(report_html, copies[0])
    if provenance:
        copies.append(folder / f"provenance-{safe}.json")
        shutil.copyfile(provenance, copies[1])
    return copies
