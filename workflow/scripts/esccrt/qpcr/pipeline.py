"""The whole qPCR step of the rule: Ct table -> replicate QC, reference stability, the
references used, haemolysis check and fold changes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.cohort import UNPAIRED_COLUMNS, unpaired_samples
from esccrt.qpcr.ct_table import check_design, read_ct_table
from esccrt.qpcr.designs import group_comparison, subject_groups, timepoint_comparisons
from esccrt.qpcr.fold_changes import FOLD_CHANGE_COLUMNS, fold_changes, replicate_summary
from esccrt.qpcr.haemolysis import haemolysis_from_settings
from esccrt.qpcr.settings import QpcrSettings
from esccrt.qpcr.stability import (
    StabilityResult,
    check_candidates,
    choose_references,
    reference_stability,
)
from esccrt.qpcr.uncertainty import (
    FOLD_CHANGE_SE_COLUMNS,
    efficiency_inputs,
    fold_change_efficiencies,
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
    #: Patients missing a timepoint of a compared pair (esccrt.qpcr.cohort.unpaired_samples).
    unpaired: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: design unpaired: one row per target (esccrt.qpcr.designs.group_comparison).
    group_comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: design timecourse: the fold changes of every configured comparison.
    timepoint_comparisons: pd.DataFrame = field(default_factory=pd.DataFrame)

    def fold_changes_with_se(self) -> pd.DataFrame:
        """The fold-change table as the stage writes it: its columns, then the SE and interval."""
        return with_fold_change_se(self.fold_changes, self.fold_change_uncertainty)


def design_results(raw: pd.DataFrame, summary: pd.DataFrame, settings: QpcrSettings) -> dict:
    """What the design adds to the references' fold changes (settings with the references
    used): the paired fold changes, the unpaired patients, the group or timepoint comparisons."""
    if settings.design == "unpaired":
        return {
            "fold_changes": pd.DataFrame(columns=list(FOLD_CHANGE_COLUMNS)),
            "unpaired": pd.DataFrame(columns=list(UNPAIRED_COLUMNS)),
            "group_comparison": group_comparison(summary, subject_groups(raw, settings), settings),
        }
    pairs = [(settings.pre, settings.post)]
    pairs += [(c["from"], c["to"]) for c in settings.comparisons]
    return {
        "fold_changes": fold_changes(summary, settings),
        "unpaired": unpaired_samples(raw, list(dict.fromkeys(pairs))),
        "timepoint_comparisons": timepoint_comparisons(summary, settings),
    }


def with_curve_efficiencies(
    settings: QpcrSettings, efficiency_table: str | Path | None
) -> tuple[QpcrSettings, pd.DataFrame | None]:
    """(``settings`` with the amplification factors the fold changes use, the curve analysis'
    efficiency table or None when it was not written).

    With ``qpcr.efficiency_source: linregpcr`` the factors of the targets, references and
    candidates are the table's (LinRegPCR's), in place of ``qpcr.efficiencies``; otherwise the
    table gives the efficiency SEs only (:func:`_uncertainty`)."""
    if settings.efficiency_source != "linregpcr":
        if efficiency_table is None or not Path(efficiency_table).exists():
            return settings, None
        return settings, read_efficiency_table(efficiency_table)
    if efficiency_table is None:
        raise InputError(
            "config key qpcr.efficiency_source is 'linregpcr' but no efficiency table of the "
            "curve analysis was given (results/qpcr/efficiencies.tsv, written by the import)."
        )
    needed = list(
        dict.fromkeys([*settings.targets, *settings.reference_targets, *settings.candidates])
    )
    linregpcr = replace(settings, efficiencies=fold_change_efficiencies(efficiency_table, needed))
    linregpcr.check()
    return linregpcr, read_efficiency_table(efficiency_table)


def _uncertainty(
    summary: pd.DataFrame,
    settings: QpcrSettings,
    table: pd.DataFrame | None,
    efficiency_table: str | Path | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(efficiency inputs, relative quantities, fold-change SEs) with ``settings``' references;
    ``table`` is the curve analysis' efficiency table read from ``efficiency_table``, or None."""
    assays = [*settings.targets, *settings.reference_targets]
    inputs = efficiency_inputs(
        assays, settings.efficiencies, settings.efficiency_se, table, str(efficiency_table)
    )
    targets, refs, level = settings.targets, settings.reference_targets, settings.ci_level
    # The unpaired design names no timepoints: the samples' own, in the table's order.
    order = settings.timepoints or list(dict.fromkeys(summary["timepoint"]))
    quantities = relative_quantities(summary, targets, refs, order, inputs, level)
    if settings.design == "unpaired":  # no post-vs-pre pairs, so no paired fold changes
        return (
            inputs,
            quantities,
            pd.DataFrame(columns=["patient", "target", *FOLD_CHANGE_SE_COLUMNS]),
        )
    pairs = (settings.pre, settings.post)
    return inputs, quantities, fold_change_se(summary, targets, refs, pairs, inputs, level)


def run_qpcr(
    path: str | Path, settings: QpcrSettings, efficiency_table: str | Path | None = None
) -> QpcrResults:
    """Read and check the Ct table, measure the candidates' stability, pick the references
    (configured, or automatically when ``reference_selection.auto``), check haemolysis and
    compute the fold changes with those references, with SEs and intervals (efficiency SEs
    from the config, else from ``efficiency_table`` when that file exists; with
    ``qpcr.efficiency_source: linregpcr`` also the amplification factors,
    :func:`with_curve_efficiencies`)."""
    settings, table = with_curve_efficiencies(settings, efficiency_table)
    raw = read_ct_table(path, settings.undetermined_tokens)
    timepoints = settings.timepoints
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
    haemolysis = haemolysis_from_settings(summary, settings)
    designed = design_results(raw, summary, used)
    inputs, quantities, fold_se = _uncertainty(summary, used, table, efficiency_table)
    return QpcrResults(
        replicate_qc=summary,
        stability=stability,
        references=references,
        haemolysis=haemolysis,
        relative_quantities=quantities,
        efficiency_uncertainty=inputs,
        fold_change_uncertainty=fold_se,
        **designed,
    )
