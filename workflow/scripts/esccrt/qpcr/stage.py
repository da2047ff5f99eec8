"""The qPCR stage (rule ``qpcr_fold_changes``): Ct table -> fold changes, replicate QC,
reference stability (table, geNorm steps, figure), the references used and why, the
haemolysis check, the relative quantities and fold changes with SEs and confidence intervals,
and the QC tables per well and per sample (:mod:`esccrt.qpcr.qc_tables`).

:func:`run` is the stage's one entry point: it calls :func:`esccrt.qpcr.pipeline.run_qpcr` (the
computation, which the parity tests call too), logs a summary and writes every table before the
figure, so that a failing figure never takes a table down (:mod:`esccrt.plot_guard`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from esccrt.io import write_tsv_atomic
from esccrt.plot_guard import guarded_plot
from esccrt.qpcr.pipeline import QpcrResults, run_qpcr
from esccrt.qpcr.plots import stability_plot
from esccrt.qpcr.qc_tables import quality_tables
from esccrt.qpcr.settings import QpcrSettings
from esccrt.qpcr.uncertainty_plot import fold_change_interval_plot

#: How the selection methods of ``qpcr.reference_selection.method`` are named.
METHOD_NAMES = {"genorm": "geNorm", "normfinder": "NormFinder"}
#: Columns of results/qpcr/references.tsv: one row per reference used, in order.
REFERENCE_COLUMNS = ["reference", "position", "selection", "config_key", "reason"]


@dataclass(frozen=True)
class QpcrInputs:
    """The long Ct table (given, or imported from instrument files); the curve analysis'
    per-target efficiencies with their SEs when that ran; with instrument files also their
    control wells (standards for the limit of detection) and, for RDML, the melt peaks."""

    ct: Path
    efficiencies: Path | None = None
    control_wells: Path | None = None
    melt_peaks: Path | None = None


@dataclass(frozen=True)
class QpcrOutputs:
    """The files the stage writes."""

    fold_changes: Path
    replicate_qc: Path
    reference_stability: Path
    genorm_steps: Path
    stability_plot: Path
    haemolysis: Path
    references: Path
    relative_quantities: Path
    efficiency_uncertainty: Path
    fold_change_plot: Path
    well_qc: Path
    sample_qc: Path
    detection_limits: Path
    #: Patients missing a timepoint of a compared pair (designs paired, timecourse).
    unpaired_samples: Path = Path()
    #: design unpaired: the two groups compared per target.
    group_comparison: Path = Path()
    #: design timecourse: the fold changes of qpcr.comparisons.
    timepoint_comparisons: Path = Path()


def reference_table(references: Sequence[str], settings: QpcrSettings) -> pd.DataFrame:
    """The references the fold changes were normalised to, in order, and why each was used."""
    selection = settings.reference_selection
    if selection["auto"]:
        method = METHOD_NAMES[selection["method"]]
        key = "qpcr.reference_selection"
        reason = (
            f"picked automatically: the {selection['n']} most stable of the candidates "
            f"{', '.join(settings.candidates)} by {method}"
        )
    else:
        method, key = "configured", "qpcr.reference_targets"
        reason = "configured; automatic selection (qpcr.reference_selection.auto) is off"
    rows = [[name, i, method, key, reason] for i, name in enumerate(references, start=1)]
    return pd.DataFrame(rows, columns=REFERENCE_COLUMNS)


def _log_summary(results: QpcrResults, settings: QpcrSettings) -> None:
    """What the stage found: patients, flagged replicate groups, references, haemolysis."""
    qc = results.replicate_qc
    flagged = qc[qc["flags"].fillna("") != ""]
    haemolysed = results.haemolysis[results.haemolysis["status"] == "haemolysed"]
    how = "picked by " + settings.reference_selection["method"]
    print(
        f"{results.fold_changes['patient'].nunique()} patients x {len(settings.targets)} targets; "
        f"{len(flagged)} of {len(qc)} replicate groups flagged "
        f"(undetermined rule: {settings.undetermined}, SD threshold {settings.sd_threshold}); "
        f"references {results.references} "
        f"({how if settings.reference_selection['auto'] else 'configured'}); "
        f"{len(haemolysed)} haemolysed sample(s): "
        f"{[f'{r.patient} ({r.timepoint})' for r in haemolysed.itertuples()]}",
        file=sys.stderr,
    )
    if len(results.unpaired):
        print(
            f"left out of the paired fold changes (a timepoint missing): "
            f"{[f'{r.patient} ({r.timepoint_missing})' for r in results.unpaired.itertuples()]}",
            file=sys.stderr,
        )
    for note in results.stability.notes:
        print(f"reference stability: {note}", file=sys.stderr)


def _log_qc(wells: pd.DataFrame, samples: pd.DataFrame) -> None:
    """How many wells carry a flag and how the samples were graded."""
    flagged = wells[wells["flags"] != ""]
    counts = flagged["flags"].str.split(";").explode().value_counts().to_dict()
    grades = samples["overall"].value_counts().to_dict()
    print(
        f"well QC: {len(flagged)} of {len(wells)} wells flagged {counts}; sample QC: {grades}",
        file=sys.stderr,
    )


def run(settings: QpcrSettings, inputs: QpcrInputs, outputs: QpcrOutputs) -> QpcrResults:
    """The whole qPCR stage; returns what :func:`run_qpcr` computed."""
    results = run_qpcr(inputs.ct, settings, inputs.efficiencies)
    _log_summary(results, settings)
    write_tsv_atomic(results.replicate_qc, outputs.replicate_qc)
    write_tsv_atomic(results.stability.table, outputs.reference_stability)
    write_tsv_atomic(results.stability.steps, outputs.genorm_steps)
    write_tsv_atomic(reference_table(results.references, settings), outputs.references)
    write_tsv_atomic(results.haemolysis, outputs.haemolysis)
    fold_changes = results.fold_changes_with_se()
    write_tsv_atomic(fold_changes, outputs.fold_changes)
    write_tsv_atomic(results.relative_quantities, outputs.relative_quantities)
    write_tsv_atomic(results.efficiency_uncertainty, outputs.efficiency_uncertainty)
    for table, path in (
        (results.unpaired, outputs.unpaired_samples),
        (results.group_comparison, outputs.group_comparison),
        (results.timepoint_comparisons, outputs.timepoint_comparisons),
    ):
        if path != Path():  # the rule declares the tables of its design only
            write_tsv_atomic(table, path)
    wells, samples, limits = quality_tables(
        inputs.ct,
        results.replicate_qc,
        results.haemolysis,
        settings,
        inputs.melt_peaks,
        inputs.control_wells,
    )
    write_tsv_atomic(limits, outputs.detection_limits)
    write_tsv_atomic(wells, outputs.well_qc)
    write_tsv_atomic(samples, outputs.sample_qc)
    _log_qc(wells, samples)
    guarded_plot(
        "fold changes with confidence intervals",
        outputs.fold_change_plot,
        lambda: fold_change_interval_plot(fold_changes, settings.targets, outputs.fold_change_plot),
    )
    guarded_plot(
        "reference stability plot",
        outputs.stability_plot,
        lambda: stability_plot(results.stability, outputs.stability_plot),
    )
    return results
