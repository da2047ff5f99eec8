"""The whole qPCR step of the rule: Ct table -> replicate QC, reference stability, the
references used, haemolysis check and fold changes."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from esccrt.qpcr.ct_table import check_design, read_ct_table
from esccrt.qpcr.fold_changes import fold_changes, replicate_summary
from esccrt.qpcr.haemolysis import haemolysis_table
from esccrt.qpcr.settings import QpcrSettings
from esccrt.qpcr.stability import (
    StabilityResult,
    check_candidates,
    choose_references,
    reference_stability,
)


@dataclass(frozen=True)
class QpcrResults:
    """Everything the qPCR rule writes, and the references the fold changes used."""

    fold_changes: pd.DataFrame
    replicate_qc: pd.DataFrame
    stability: StabilityResult
    references: list[str]
    haemolysis: pd.DataFrame


def run_qpcr(path: str | Path, settings: QpcrSettings) -> QpcrResults:
    """Read and check the Ct table, measure the candidates' stability, pick the references
    (configured, or automatically when ``reference_selection.auto``), check haemolysis and
    compute the fold changes with those references."""
    raw = read_ct_table(path, settings.undetermined_tokens)
    timepoints = (settings.pre, settings.post)
    check_candidates(raw, settings.candidates, timepoints)
    if not settings.reference_selection["auto"]:
        check_design(raw, settings, path)
    summary = replicate_summary(raw, settings)
    stability = reference_stability(
        summary,
        settings.candidates,
        settings.reference_targets,
        timepoints,
        settings.efficiencies,
    )
    references = choose_references(
        stability, settings.reference_selection, settings.reference_targets
    )
    used = replace(settings, reference_targets=references)
    check_design(raw, used, path)
    pair = settings.haemolysis
    haemolysis = haemolysis_table(
        summary,
        reference=pair["reference"],
        marker=pair["marker"],
        threshold=pair["threshold"],
        exclude_from_survival=pair["exclude_from_survival"],
        timepoints=timepoints,
    )
    return QpcrResults(fold_changes(summary, used), summary, stability, references, haemolysis)
