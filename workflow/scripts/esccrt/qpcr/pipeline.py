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
from esccrt.qpcr.uncertainty import (
    efficiency_inputs,
    fold_change_se,
    read_efficiency_table,
    relative_quantities,
    with_fold_change_se,
)


@dataclass(frozen=True)
class QpcrResults:
    """Everything the qPCR rule writes, and the references the fold changes used."""

    fold_changes: pd.DataFrame
    replicate_qc: pd.DataFrame
    stability: StabilityResult
    references: list[str]
    haemolysis: pd.DataFrame
    #: NRQ per patient, timepoint and target with SE and interval (uncertainty.py).
    relative_quantities: pd.DataFrame
    #: Amplification factor and SE per assay the propagation used, and the SE's source.
    efficiency_uncertainty: pd.DataFrame
    #: log2 fold change, its SE and interval per patient and target (uncertainty.py).
    fold_change_uncertainty: pd.DataFrame

    def fold_changes_with_se(self) -> pd.DataFrame:
        """The fold-change table as the stage writes it: its columns, then the SE and interval."""
        return with_fold_change_se(self.fold_changes, self.fold_change_uncertainty)


def _uncertainty(
    summary: pd.DataFrame,
    settings: QpcrSettings,
    efficiency_table: str | Path | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(efficiency inputs, relative quantities, fold-change SEs) with ``settings``' references;
    the curve analysis' efficiency table is read when it exists."""
    table = None
    if efficiency_table is not None and Path(efficiency_table).exists():
        table = read_efficiency_table(efficiency_table)
    assays = [*settings.targets, *settings.reference_targets]
    inputs = efficiency_inputs(
        assays, settings.efficiencies, settings.efficiency_se, table, str(efficiency_table)
    )
    targets, refs, level = settings.targets, settings.reference_targets, settings.ci_level
    timepoints = (settings.pre, settings.post)
    quantities = relative_quantities(summary, targets, refs, timepoints, inputs, level)
    return inputs, quantities, fold_change_se(summary, targets, refs, timepoints, inputs, level)


def run_qpcr(
    path: str | Path, settings: QpcrSettings, efficiency_table: str | Path | None = None
) -> QpcrResults:
    """Read and check the Ct table, measure the candidates' stability, pick the references
    (configured, or automatically when ``reference_selection.auto``), check haemolysis and
    compute the fold changes with those references, with SEs and intervals (efficiency SEs
    from the config, else from ``efficiency_table`` when that file exists)."""
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
    inputs, quantities, fold_se = _uncertainty(summary, used, efficiency_table)
    return QpcrResults(
        fold_changes(summary, used),
        summary,
        stability,
        references,
        haemolysis,
        quantities,
        inputs,
        fold_se,
    )
