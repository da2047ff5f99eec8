"""The whole report page: every section that has inputs, in page order."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from esccrt.io import read_tsv
from esccrt.report.checklists import render_checklists
from esccrt.report.html import page, section_titles
from esccrt.report.inputs import ReportInputs, arm_of, input_checksums
from esccrt.report.isomirs import isomir_section
from esccrt.report.methods import QpcrDecisions, methods_text
from esccrt.report.qpcr_cohort import excluded_names, qpcr_cohort_section, unpaired_names
from esccrt.report.qpcr_interrun import interrun_part
from esccrt.report.qpcr_qc import qpcr_qc_part
from esccrt.report.qpcr_quality import qpcr_quality_section, read_references, used_references
from esccrt.report.qpcr_uncertainty import efficiency_se_used, qpcr_uncertainty_section
from esccrt.report.remark import fold_change_cutoffs, remark_statement
from esccrt.report.sections import (
    REFERENCE_TEXT_COLUMNS,
    TEXT_COLUMNS,
    de_section,
    join_section,
    marker_panels,
    qc_section,
    run_summary_section,
    survival_section,
)
from esccrt.report.survival_accuracy import survival_accuracy_part
from esccrt.report.survival_calibration import survival_calibration_part
from esccrt.report.survival_competing import survival_competing_part
from esccrt.report.survival_missing import survival_missing_part
from esccrt.report.survival_sequencing import sequencing_markers_part
from esccrt.report.survival_validation import external_validation_part
from esccrt.report.targets import targets_part


def _de_sections(inputs: ReportInputs) -> list[tuple[str, str]]:
    """One differential-expression section per sequencing arm that ran (M2 markers: mRNA), the
    small-RNA one followed by its isomiRs' (when smallrna.isomirs is on)."""
    markers = (
        marker_panels(read_tsv(inputs.m2_markers, TEXT_COLUMNS), inputs.m2_plots)
        if inputs.m2_markers
        else {}
    )
    sections = []
    for arm in ("smallrna", "mrna"):
        tables = [p for p in inputs.de_tables if arm_of(p) == arm]
        if tables:
            plots = [p for p in inputs.de_plots if arm_of(p) == arm]
            caveats = [p for p in inputs.de_caveats if arm_of(p) == arm]
            content = de_section(arm, tables, plots, markers if arm == "mrna" else None, caveats)
            sections.append((f"{arm}-differential-expression", content))
        if arm == "smallrna" and inputs.isomir_de:
            content = isomir_section(inputs.isomir_de, inputs.isomir_caveats, inputs.isomir_filter)
            sections.append(("smallrna-isomirs", content))
    return sections


def _survival_sections(inputs: ReportInputs, config: Mapping) -> list[tuple[str, str]]:
    """The join of sequencing with survival (written by rule integrate) and the survival results."""
    sections = []
    if inputs.mirna_evidence:
        targets = (
            read_tsv(inputs.candidate_targets, TEXT_COLUMNS) if inputs.candidate_targets else None
        )
        content = join_section(
            read_tsv(inputs.mirna_evidence, TEXT_COLUMNS),
            config["report"]["prognostic_endpoint"],
            targets,
        )
        sections.append(("sequencing-meets-survival", content))
    if inputs.target_shift:  # the join of the two sequencing arms, with or without qPCR
        sections.append(("mirna-targets", targets_part(inputs)))
    if inputs.reference_stability and inputs.haemolysis:
        content = qpcr_quality_section(
            inputs.reference_stability,
            inputs.stability_plot,
            inputs.haemolysis,
            inputs.qpcr_references,
            config["qpcr"],
        )
        if inputs.interrun_factors:
            content += interrun_part(inputs.interrun_factors, inputs.plate_split_pairs)
        if inputs.sample_qc and inputs.well_qc:
            content += qpcr_qc_part(inputs.sample_qc, inputs.well_qc)
        sections.append(("qpcr-quality", content))
    if inputs.qpcr_fold_changes and inputs.qpcr_relative_quantities:
        content = qpcr_uncertainty_section(
            inputs.qpcr_fold_changes,
            inputs.qpcr_relative_quantities,
            inputs.qpcr_efficiency_uncertainty,
            inputs.qpcr_fold_change_plot,
        )
        sections.append(("qpcr-fold-changes", content))
    cohort = qpcr_cohort_section(inputs, config["qpcr"]) if "qpcr" in inputs.stages() else ""
    if cohort:
        sections.append(("qpcr-cohort", cohort))
    if inputs.table1:
        cutoffs = read_tsv(inputs.cutoffs)  # the cut-off applied per factor, and its source
        fold_change_factors = cutoffs.loc[cutoffs["type"] == "fold_change", "factor"].tolist()
        auc = read_tsv(inputs.auc) if inputs.auc else None
        maxstat = read_tsv(inputs.maxstat) if inputs.maxstat else None
        continuous = (
            read_tsv(inputs.continuous_markers, ["endpoint", "marker", "knots", "note"])
            if inputs.continuous_markers
            else None
        )
        sample_size = read_tsv(inputs.sample_size) if inputs.sample_size else None
        content = survival_section(
            read_tsv(inputs.table1),
            read_tsv(inputs.cox),
            auc,
            inputs.survival_plots,
            fold_change_factors,
            maxstat,
            remark_statement(config["survival"], fold_change_cutoffs(cutoffs)),
            continuous,
            sample_size,
        )
        content += survival_accuracy_part(
            inputs.time_accuracy, inputs.decision_curves, inputs.survival_plots
        )
        content += external_validation_part(inputs.external_validation)
        content += survival_calibration_part(inputs.calibration, inputs.survival_plots)
        content += survival_missing_part(inputs.missingness, inputs.mice_pooled)
        content += sequencing_markers_part(inputs.sequencing_fold_changes)
        content += survival_competing_part(
            inputs.competing_risks, inputs.cumulative_incidence, inputs.survival_plots
        )
        sections.append(("survival", content))
    return sections


def _qpcr_decisions(inputs: ReportInputs) -> QpcrDecisions | None:
    """The references and cut-offs the qPCR and survival stages used, from their tables (None
    when the qPCR arm did not run)."""
    if "qpcr" not in inputs.stages():
        return None
    efficiency_se, sources = (
        efficiency_se_used(inputs.qpcr_efficiency_uncertainty)
        if inputs.qpcr_efficiency_uncertainty
        else ({}, [])
    )
    return QpcrDecisions(
        references=used_references(read_references(inputs.qpcr_references)),
        efficiency_se=efficiency_se,
        efficiency_se_sources=sources,
        fold_change_cutoffs=fold_change_cutoffs(read_tsv(inputs.cutoffs)) if inputs.cutoffs else (),
        unpaired=unpaired_names(inputs),
        excluded=excluded_names(inputs),
    )


def report_sections(
    inputs: ReportInputs,
    config: Mapping,
    versions: Mapping[str, str],
    version: str,
    output: str | os.PathLike[str],
) -> list[tuple[str, str]]:
    """Every section of the page but the checklists, (anchor, HTML) in page order, for
    ``output`` (links are made relative to its folder)."""
    output = Path(output)
    checksums = (
        input_checksums(json.loads(Path(inputs.provenance).read_text()))
        if inputs.provenance
        else None
    )
    samples = read_tsv(inputs.samples) if inputs.samples else None
    # As the provenance rule wrote it: paths, roles and checksums are shown, never recomputed.
    references = (
        read_tsv(inputs.references_used, REFERENCE_TEXT_COLUMNS) if inputs.references_used else None
    )
    summary = run_summary_section(config, samples, versions, version, checksums, references)
    multiqc_link = os.path.relpath(inputs.multiqc or ".", output.parent)
    methods = methods_text(
        config, versions, inputs.stages(), qpcr=_qpcr_decisions(inputs), de_arms=inputs.de_arms()
    )
    return [
        ("run-summary", summary),
        *([("quality-control", qc_section(inputs, multiqc_link))] if samples is not None else []),
        *_de_sections(inputs),
        *_survival_sections(inputs, config),
        ("methods", f'<p class="methods">{html.escape(methods)}</p>'),
    ]


def render_page(
    config: Mapping, sections: list[tuple[str, str]], stamp: str = ""
) -> tuple[str, pd.DataFrame]:
    """(the page, the checklists' status): ``sections`` and the reporting checklists, whose
    items point to the parts of these sections that answer them."""
    titles = section_titles(config["report"]["section_titles"])
    status, checklists = render_checklists(sections, titles)
    sections = [*sections, ("reporting-checklists", checklists)]
    document = page(
        config["report"]["title"],
        sections,
        bool(config["demo"]),
        titles,
        config["report"]["table_page_rows"],
        stamp,
    )
    return document, status


def build_report(
    inputs: ReportInputs,
    config: Mapping,
    versions: Mapping[str, str],
    version: str,
    output: str | os.PathLike[str],
    stamp: str = "",
) -> str:
    """The whole report page for ``output`` (links are made relative to its folder)."""
    sections = report_sections(inputs, config, versions, version, output)
    return render_page(config, sections, stamp)[0]
