"""The report's qPCR cohort section: samples the sample map excluded, patients missing a
timepoint of a compared pair, the design's comparison (unpaired groups, time course) and, for a
qPCR experiment without survival data, that the survival analysis did not run. Every part is a
table the qPCR stages wrote; nothing is recomputed here."""

from __future__ import annotations

import html
from collections.abc import Mapping

import pandas as pd

from esccrt.io import read_tsv
from esccrt.report.html import table
from esccrt.report.inputs import ReportInputs

#: Text columns of the qPCR cohort tables (patient and sample ids stay text).
TEXT_COLUMNS = ("patient", "sample", "timepoint", "target", "comparison", "group")


def _read(path: str) -> pd.DataFrame:
    """A qPCR table (empty when the run did not write it)."""
    return read_tsv(path, TEXT_COLUMNS) if path else pd.DataFrame()


def unpaired_names(inputs: ReportInputs) -> list[str]:
    """Patients left out of a paired comparison, as "patient (missing timepoint)"."""
    unpaired = _read(inputs.qpcr_unpaired_samples)
    names = [f"{r.patient} (no {r.timepoint_missing})" for r in unpaired.itertuples()]
    return list(dict.fromkeys(names))  # a patient missing a timepoint of two comparisons: once


def excluded_names(inputs: ReportInputs) -> list[str]:
    """Samples the sample map excluded, as "sample: reason"."""
    excluded = _read(inputs.qpcr_excluded_samples)
    return [f"{r.sample}: {r.reason}" for r in excluded.itertuples()]


def _exclusions_part(inputs: ReportInputs) -> list[str]:
    """The excluded samples and the patients left out of the pairs, with a sentence each."""
    parts = []
    excluded = _read(inputs.qpcr_excluded_samples)
    if len(excluded):
        parts += [
            f"<p>{len(excluded)} sample(s) excluded in the sample map (column exclude): their "
            "wells are used nowhere.</p>",
            table(excluded, "qpcr-excluded-samples", searchable=False),
        ]
    elif inputs.qpcr_excluded_samples:  # imported through a sample map that excludes nothing
        parts.append("<p>The sample map excluded no sample.</p>")
    unpaired = _read(inputs.qpcr_unpaired_samples)
    if len(unpaired):
        names = ", ".join(unpaired_names(inputs))
        parts += [
            f"<p>{unpaired['patient'].nunique()} patient(s) without both timepoints of a "
            f"comparison, left out of its fold changes only: {html.escape(names)}.</p>",
            table(unpaired, "qpcr-unpaired-samples", searchable=False),
        ]
    elif inputs.qpcr_unpaired_samples:  # the paired comparisons' table, with no row
        parts.append("<p>Every patient has both timepoints of each comparison.</p>")
    return parts


def _design_part(inputs: ReportInputs, qpcr: Mapping) -> list[str]:
    """The comparison of the unpaired or time-course design."""
    if inputs.qpcr_group_comparison:
        groups = qpcr["groups"]
        return [
            f"<h3>Groups: {html.escape(groups['case'])} vs {html.escape(groups['control'])}</h3>"
            "<p>Fold change 2^-(mean dCt case - mean dCt control); Welch's t-test and the "
            "Mann-Whitney test on dCt with Benjamini-Hochberg q over the targets; diagnostic "
            "AUC with DeLong's 95 % interval, the marker read in the direction of the "
            "difference.</p>",
            table(_read(inputs.qpcr_group_comparison), "qpcr-group-comparison", digits=4),
        ]
    if inputs.qpcr_timepoint_comparisons:
        return [
            "<h3>Changes between timepoints (qpcr.comparisons)</h3>",
            table(_read(inputs.qpcr_timepoint_comparisons), "qpcr-timepoint-comparisons"),
        ]
    return []


def qpcr_cohort_section(inputs: ReportInputs, qpcr: Mapping) -> str:
    """The section's HTML: the exclusions and unpaired patients (or that there are none), the
    design's comparison, and whether survival was analysed ('' when the qPCR stage wrote none
    of these tables)."""
    parts = [*_exclusions_part(inputs), *_design_part(inputs, qpcr)]
    if "qpcr" in inputs.stages() and not inputs.survival_ran():
        parts.append(
            '<p class="answer"><b>Survival analysis</b>: not run; the configuration has no '
            "survival section (a qPCR experiment without clinical follow-up).</p>"
        )
    return "".join(parts)
