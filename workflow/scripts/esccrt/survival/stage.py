"""The survival stage (rule ``survival_analysis``): clinical table + qPCR fold changes (and the
sequencing markers', :mod:`esccrt.survival.sequencing`, when configured) -> Table 1,
Kaplan-Meier, log-rank, Cox, ROC, the cut-off scan, the cut-off applied per factor, the markers'
continuous Cox models, Riley et al.'s minimum sample size, the marker Cox model's time-dependent
accuracy, decision curves and calibration (bootstrap-corrected) at the landmarks, the missing
values per variable (with multiple imputation of the markers when configured), competing
risks (Aalen-Johansen cumulative incidence, Fine-Gray models) and figures.

:func:`run` is the stage's one entry point; the rule script calls it with the settings built from
the validated config and the rule's input and output paths. Tables are written before figures,
and a figure that fails becomes a placeholder (:mod:`esccrt.plot_guard`), so that a plot never
takes a statistical table down with it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from esccrt import paths
from esccrt.io import atomic_write, write_tsv_atomic
from esccrt.plot_guard import guarded_plot
from esccrt.qpcr.haemolysis import drop_patients, excluded_patients
from esccrt.survival import plots
from esccrt.survival.calibration import calibration_tables
from esccrt.survival.clinical import check_patients, read_clinical
from esccrt.survival.competing import CompetingTables, competing_tables
from esccrt.survival.continuous import continuous_markers, log2_fold_changes
from esccrt.survival.cox import cox_table
from esccrt.survival.cutpoints import cutoff_scan
from esccrt.survival.decision_curve import decision_table, thresholds
from esccrt.survival.diagnostic import diagnostic_model
from esccrt.survival.external_validation import VALIDATION_COLUMNS, external_validation
from esccrt.survival.groups import derive_groups, fold_change_matrix
from esccrt.survival.locked_model import (
    ModelFile,
    develop,
    marker_cohort,
    marker_terms,
    model_json,
    package_versions,
)
from esccrt.survival.logrank import kaplan_meier, logrank_table
from esccrt.survival.missing_data import empty_pooled_table, mice_analysis, missingness_table
from esccrt.survival.prognostic import marker_cox_risks
from esccrt.survival.sample_size import cohort_sample_size
from esccrt.survival.sequencing import MARKER_KEYS
from esccrt.survival.settings import Factor, SurvivalSettings
from esccrt.survival.table1 import table1, table1_markdown
from esccrt.survival.time_accuracy import accuracy_table

#: Columns of results/survival/cutoffs.tsv: one row per factor, the cut-off Table 1 applied.
CUTOFF_COLUMNS = ["factor", "type", "variable", "cutoff", "low", "high", "source", "config_key"]


@dataclass(frozen=True)
class SurvivalInputs:
    """The files the stage reads."""

    clinical: Path
    fold_changes: Path
    haemolysis: Path
    #: Patients missing a timepoint (results/qpcr/unpaired_samples.tsv): no fold change, so
    #: left out here; without it every clinical patient needs fold changes.
    unpaired: Path = Path()
    #: Sequencing markers' fold changes (results/survival/sequencing_fold_changes.tsv, targets
    #: ``seq:<miRNA>``), used beside the qPCR's; none when survival.sequencing_markers is empty.
    sequencing_fold_changes: Path = Path()


@dataclass(frozen=True)
class SurvivalOutputs:
    """The tables the stage writes (figures: their paths in :mod:`esccrt.paths`)."""

    table1: Path
    table1_md: Path
    groups: Path
    logrank: Path
    km_medians: Path
    cox: Path
    roc: Path
    auc: Path
    maxstat: Path
    cutoff_scan: Path
    cutoffs: Path
    #: Cox models of the continuous log2 fold changes; Riley et al.'s sample size criteria.
    continuous: Path
    sample_size: Path
    predicted_risks: Path
    time_accuracy: Path
    decision_curves: Path
    #: The locked marker model (developed here, or the one validated) and its validation.
    prognostic_model: Path
    external_validation: Path
    #: The marker Cox model's calibration at the landmarks and its smoothed curves.
    calibration: Path
    calibration_curve: Path
    #: Missing values per variable used; the markers' Cox models after multiple imputation.
    missingness: Path
    mice_pooled: Path
    #: Competing risks: Fine-Gray models, cumulative incidence at the landmarks, its curves.
    competing_risks: Path
    cumulative_incidence: Path
    incidence_curves: Path


def cutoff_table(factors: Sequence[Factor]) -> pd.DataFrame:
    """The cut-off each factor's groups were made at, and where it came from.

    ``source`` is ``config`` (the factor's own ``cutoff``) or ``default`` (the section's
    ``survival.fold_change_cutoff``); a categorical factor has no cut-off (its levels are
    configured). The maximally selected log-rank scan (maxstat.tsv) never sets a cut-off here.
    """
    return pd.DataFrame([_cutoff_row(factor) for factor in factors], columns=CUTOFF_COLUMNS)


def _cutoff_row(factor: Factor) -> dict[str, object]:
    """One row of :func:`cutoff_table`."""
    key = f"survival.factors ({factor.name})"
    if factor.kind == "categorical":
        return {
            "factor": factor.name,
            "type": factor.kind,
            "variable": factor.column,
            "cutoff": None,
            "low": "",
            "high": "",
            "source": "config",
            "config_key": f"{key}.levels",
        }
    low, high = factor.low_high_labels()
    default = factor.cutoff_source == "default"
    return {
        "factor": factor.name,
        "type": factor.kind,
        "variable": factor.column or " + ".join(factor.targets),
        "cutoff": factor.cutoff,
        "low": low,
        "high": high,
        "source": factor.cutoff_source,
        "config_key": "survival.fold_change_cutoff" if default else f"{key}.cutoff",
    }


def _read_fold_changes(path: Path) -> pd.DataFrame:
    """A long fold-change table (the qPCR stage's, or the sequencing markers'), with patient and
    target as text."""
    return pd.read_csv(
        path,
        sep="\t",
        dtype={"patient": str, "target": str},
        keep_default_na=False,
        na_values=[""],
    )


def _with_sequencing_markers(fold_changes: pd.DataFrame, path: Path) -> pd.DataFrame:
    """The qPCR fold changes and, when the rule gives them, the sequencing markers' (their
    patients, targets and fold changes: the keys every analysis reads), as one long table.

    Only the patients with qPCR fold changes are analysed (the clinical table holds the same
    ones), so the sequencing rows of others (e.g. a patient the qPCR could not pair) are left
    out here; a patient without a sequencing value has none (NaN) for that marker only.
    """
    if path == Path():
        return fold_changes
    sequencing = _read_fold_changes(path)[list(MARKER_KEYS)]
    sequencing = sequencing[sequencing["patient"].isin(set(fold_changes["patient"]))]
    return pd.concat([fold_changes, sequencing], ignore_index=True)


def _unpaired_patients(path: Path) -> list[str]:
    """Patients the qPCR stage could not pair (none when the rule gives no such table)."""
    if path == Path():
        return []
    table = pd.read_csv(path, sep="\t", dtype={"patient": str}, keep_default_na=False)
    return sorted(set(table["patient"]))


def continuous_tables(
    settings: SurvivalSettings, clinical: pd.DataFrame, fold_changes: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """continuous_markers.tsv and sample_size.tsv from the patients left in (``clinical``) and
    their fold changes (patients x targets): each marker's log2 fold change as a continuous
    covariate, and Riley et al.'s minimum sample size for the markers' model."""
    log2_fc = log2_fold_changes(fold_changes, settings.continuous.markers)
    continuous = continuous_markers(
        clinical, log2_fc, settings.endpoints, settings.continuous.knots
    )
    return continuous, cohort_sample_size(clinical, log2_fc, settings.sample_size)


def analysed_markers(settings: SurvivalSettings, fold_changes: pd.DataFrame) -> list[str]:
    """The qPCR targets some analysis uses: fold-change factors' targets, the continuous
    markers and the diagnostic/prognostic model's predictors, in that order, each once."""
    continuous = settings.continuous.markers or list(fold_changes.columns)
    targets = [t for f in settings.factors if f.kind == "fold_change" for t in f.targets]
    used = [*targets, *continuous, *settings.diagnostic.predictors]
    return [t for t in dict.fromkeys(used) if t in fold_changes.columns]


def analysis_variables(
    settings: SurvivalSettings,
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    fold_changes: pd.DataFrame,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Every variable an analysis uses (patients x variables, NaN = missing) and its role: the
    endpoints' time and event columns, the clinical factors' columns (missing where the factor
    has no group: an empty cell), the markers' fold changes (none where the qPCR stage could not
    compute one)."""
    columns: dict[str, pd.Series] = {}
    roles: dict[str, str] = {}
    for endpoint in settings.endpoints:
        for column, what in ((endpoint.time, "time"), (endpoint.event, "event")):
            if column not in columns:
                columns[column] = clinical[column]
                roles[column] = f"endpoint {endpoint.name}: {what}"
    for factor in settings.factors:
        if factor.kind != "fold_change" and factor.column not in columns:
            columns[factor.column] = groups[factor.name]
            roles[factor.column] = f"factor {factor.name}"
    markers = fold_changes.reindex(index=clinical.index)[analysed_markers(settings, fold_changes)]
    roles |= dict.fromkeys(markers.columns, "marker (fold change)")
    return pd.concat([pd.DataFrame(columns, index=clinical.index), markers], axis=1), roles


def missing_data_tables(
    settings: SurvivalSettings,
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    fold_changes: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """missingness.tsv, and mice_pooled.tsv: the continuous markers' linear Cox models pooled
    over imputed data sets with survival.missing_data.method mice, else no rows."""
    variables, roles = analysis_variables(settings, clinical, groups, fold_changes)
    missingness = missingness_table(variables, roles)
    if not settings.missing_data.mice:
        return missingness, empty_pooled_table()
    log2_fc = log2_fold_changes(fold_changes, settings.continuous.markers)
    pooled = mice_analysis(clinical, log2_fc, settings.endpoints, settings.missing_data).pooled
    return missingness, pooled


def competing_risk_tables(
    settings: SurvivalSettings,
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    fold_changes: pd.DataFrame,
) -> CompetingTables:
    """competing_risks.tsv, cumulative_incidence.tsv and its curves: the fold-change groups
    and the markers' log2 fold changes (the markers of survival.continuous) of each endpoint
    naming a competing event."""
    log2_fc = log2_fold_changes(fold_changes, settings.continuous.markers)
    return competing_tables(
        clinical,
        groups,
        log2_fc,
        settings.endpoints,
        settings.factors,
        settings.landmarks,
        settings.competing_estimator,
    )


def locked_models(
    settings: SurvivalSettings,
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    unfitted: Sequence[str],
) -> ModelFile:
    """The marker Cox model of every endpoint that could be fitted (not in ``unfitted``), locked
    with the config values and cut-points of this run."""
    cohort = marker_cohort(clinical, fold_changes)
    terms = marker_terms(settings.diagnostic.predictors)
    models = tuple(
        develop(e.name, cohort, e.time, e.event, terms, settings.landmarks)
        for e in settings.endpoints
        if e.name not in unfitted
    )
    config = {
        "survival.endpoints": [
            {"name": e.name, "time": e.time, "event": e.event} for e in settings.endpoints
        ],
        "survival.diagnostic.predictors": list(settings.diagnostic.predictors),
        "survival.landmarks": list(settings.landmarks),
        "survival.time_unit": settings.time_unit,
    }
    cutpoints = cutoff_table(settings.factors).to_dict("records")
    return ModelFile(models, config, cutpoints, package_versions())


def model_record(
    settings: SurvivalSettings,
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    unfitted: Sequence[str],
) -> tuple[str, pd.DataFrame]:
    """prognostic_model.json's text and external_validation.tsv. survival.validate_model
    empty: this run's marker models locked, no validation rows. Set: that locked model applied
    unchanged to this cohort (checksum verified), its file kept byte for byte."""
    if settings.validate_model is None:
        model_file = locked_models(settings, clinical, fold_changes, unfitted)
        return model_json(model_file), pd.DataFrame(columns=VALIDATION_COLUMNS)
    grid = thresholds(settings.decision_threshold_max, settings.decision_threshold_step)
    cohort = marker_cohort(clinical, fold_changes)
    table = external_validation(settings.validate_model, cohort, settings.endpoints, grid)
    return settings.validate_model.read_text(), table


def landmark_tables(
    settings: SurvivalSettings, clinical: pd.DataFrame, fold_changes: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The marker Cox model at the landmarks, by output name: its predicted risks, their
    time-dependent accuracy, decision curves and bootstrap-corrected calibration (with curves);
    and the endpoints without a model (endpoint -> why)."""
    predictors = settings.diagnostic.predictors
    risks, unfitted = marker_cox_risks(
        clinical, fold_changes, settings.endpoints, predictors, settings.landmarks
    )
    grid = thresholds(settings.decision_threshold_max, settings.decision_threshold_step)
    calibration, calibration_curve = calibration_tables(
        clinical,
        fold_changes,
        settings.endpoints,
        predictors,
        risks,
        unfitted,
        settings.calibration,
    )
    tables = {
        "predicted_risks": risks,
        "time_accuracy": accuracy_table(risks, unfitted, settings.landmarks),
        "decision_curves": decision_table(risks, grid),
        "calibration": calibration,
        "calibration_curve": calibration_curve,
    }
    return tables, dict(unfitted)


def _landmark_figures(tables: dict[str, pd.DataFrame], time_unit: str) -> None:
    """Decision curves and calibration curves, each guarded (a failing figure becomes a
    placeholder; the tables are already written)."""
    figures = {
        "decision curves": (plots.decision_plot, "decision_curves", paths.SURVIVAL_DECISION_PLOT),
        "calibration curves": (
            plots.calibration_plot,
            "calibration_curve",
            paths.SURVIVAL_CALIBRATION_PLOT,
        ),
    }
    for what, (draw, table, path) in figures.items():
        guarded_plot(what, path, partial(draw, tables[table], path, time_unit))


def incidence_figures(settings: SurvivalSettings, curves: pd.DataFrame) -> None:
    """The cumulative incidence of each endpoint naming a competing event, guarded."""
    for endpoint in settings.endpoints:
        if endpoint.competing:
            path = paths.fill(paths.SURVIVAL_INCIDENCE_PLOT, endpoint=endpoint.name)
            title = f"{endpoint.label}: cumulative incidence ({endpoint.competing} competing)"
            rows = curves[curves["endpoint"] == endpoint.name]
            draw = partial(plots.incidence_plot, rows, title, path, settings.time_unit)
            guarded_plot(f"cumulative incidence plot {endpoint.name}", path, draw)


def run(
    settings: SurvivalSettings, inputs: SurvivalInputs, outputs: SurvivalOutputs, demo: bool
) -> None:
    """The whole survival stage; ``demo`` marks Table 1's markdown as simulated."""
    endpoints, factors = settings.endpoints, settings.factors
    clinical = read_clinical(inputs.clinical, endpoints, factors)
    fold_changes = _read_fold_changes(inputs.fold_changes)
    unpaired = _unpaired_patients(inputs.unpaired)
    check_patients(clinical.index, [*fold_changes["patient"], *unpaired], f"{inputs.clinical}: ")
    if unpaired:
        print(f"left out (a timepoint missing, no fold change): {unpaired}", file=sys.stderr)
        clinical = drop_patients(clinical, unpaired)
    fold_changes = _with_sequencing_markers(fold_changes, inputs.sequencing_fold_changes)
    # qpcr.haemolysis.exclude_from_survival: patients with a haemolysed serum sample are left out
    haemolysed = excluded_patients(pd.read_csv(inputs.haemolysis, sep="\t", dtype=str))
    if haemolysed:
        print(f"left out (haemolysed serum sample): {haemolysed}", file=sys.stderr)
        clinical = drop_patients(clinical, haemolysed)
        fold_changes = drop_patients(fold_changes, haemolysed)
    fc = fold_change_matrix(fold_changes)
    groups = derive_groups(clinical, fc, factors)

    logrank, medians = logrank_table(clinical, groups, endpoints, factors)
    table = table1(groups, logrank, factors, endpoints)
    cox = cox_table(
        clinical,
        groups,
        endpoints,
        factors,
        multivariate=settings.multivariate,
        p_threshold=settings.p_threshold,
    )
    roc, auc = diagnostic_model(clinical, fc, settings.diagnostic)
    maxstat, cutoff_curves = cutoff_scan(
        clinical, fc, endpoints, factors, settings.cutpoint_min_prop, settings.cutpoint_max_prop
    )
    continuous, sample_size = continuous_tables(settings, clinical, fc)
    missingness, mice_pooled = missing_data_tables(settings, clinical, groups, fc)
    competing = competing_risk_tables(settings, clinical, groups, fc)

    landmark, unfitted = landmark_tables(settings, clinical, fc)
    model_text, validation = model_record(settings, clinical, fc, list(unfitted))

    write_tsv_atomic(groups.reset_index(names="patient"), outputs.groups)
    write_tsv_atomic(logrank, outputs.logrank)
    write_tsv_atomic(medians, outputs.km_medians)
    write_tsv_atomic(cox, outputs.cox)
    write_tsv_atomic(roc, outputs.roc)
    write_tsv_atomic(auc, outputs.auc)
    write_tsv_atomic(maxstat, outputs.maxstat)
    write_tsv_atomic(cutoff_curves, outputs.cutoff_scan)
    write_tsv_atomic(cutoff_table(factors), outputs.cutoffs)
    write_tsv_atomic(continuous, outputs.continuous)
    write_tsv_atomic(sample_size, outputs.sample_size)
    write_tsv_atomic(missingness, outputs.missingness)
    write_tsv_atomic(mice_pooled, outputs.mice_pooled)
    write_tsv_atomic(competing.fine_gray, outputs.competing_risks)
    write_tsv_atomic(competing.incidence, outputs.cumulative_incidence)
    write_tsv_atomic(competing.curves, outputs.incidence_curves)
    for name, written in landmark.items():
        write_tsv_atomic(written, getattr(outputs, name))
    write_tsv_atomic(table, outputs.table1)
    write_tsv_atomic(validation, outputs.external_validation)
    with atomic_write(outputs.prognostic_model) as handle:
        handle.write(model_text)
    with atomic_write(outputs.table1_md) as handle:
        handle.write(table1_markdown(table, endpoints, demo, patients=len(clinical)))

    _figures(settings, clinical, groups, logrank, cox, roc, auc, maxstat, cutoff_curves)
    _landmark_figures(landmark, settings.time_unit)
    incidence_figures(settings, competing.curves)
    print(
        f"{len(clinical)} patients, {len(factors)} factors, apparent AUC {auc['auc'].iloc[0]}, "
        f"optimism-corrected {auc['auc_corrected'].iloc[0]}",
        file=sys.stderr,
    )


def _figures(
    settings: SurvivalSettings,
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    logrank: pd.DataFrame,
    cox: pd.DataFrame,
    roc: pd.DataFrame,
    auc: pd.DataFrame,
    maxstat: pd.DataFrame,
    cutoff_curves: pd.DataFrame,
) -> None:
    """Kaplan-Meier per endpoint x factor, forest, ROC and cut-off scan figures, each guarded:
    a figure that fails becomes a placeholder, the tables are already written."""
    tests = logrank.set_index(["endpoint", "factor"])
    for endpoint in settings.endpoints:
        for factor in settings.factors:
            fitters = kaplan_meier(
                clinical[endpoint.time],
                clinical[endpoint.event],
                groups[factor.name],
                factor.level_labels(),
            )
            test = tests.loc[(endpoint.name, factor.name)]
            path = paths.fill(paths.SURVIVAL_KM_PLOT, endpoint=endpoint.name, factor=factor.name)
            title = f"{endpoint.label}: {factor.label}"
            draw = partial(
                plots.km_plot,
                fitters,
                title,
                float(test["p"]),
                str(test["note"]),
                path,
                time_unit=settings.time_unit,
            )
            guarded_plot(f"Kaplan-Meier plot {title}", path, draw)
    figures = {
        "forest plot": (
            paths.SURVIVAL_FOREST_PLOT,
            lambda: plots.forest_plot(cox, paths.SURVIVAL_FOREST_PLOT),
        ),
        "ROC plot": (
            paths.SURVIVAL_ROC_PLOT,
            lambda: plots.roc_plot(roc, auc.iloc[0].to_dict(), paths.SURVIVAL_ROC_PLOT),
        ),
        "cut-off scan plot": (
            paths.SURVIVAL_CUTOFF_PLOT,
            lambda: plots.cutoff_plot(cutoff_curves, maxstat, paths.SURVIVAL_CUTOFF_PLOT),
        ),
    }
    for what, (path, draw) in figures.items():
        guarded_plot(what, path, draw)
