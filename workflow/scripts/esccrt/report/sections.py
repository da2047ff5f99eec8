"""The report's sections, each rendered from tables and figures the stages wrote.

A section builder reads files and returns HTML; it never writes a file (figures are outputs of
the stages' own rules, e.g. ``integrate`` and ``mrna_insert_sizes``).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import yaml

from esccrt.de.caveats import CAVEAT_COLUMNS
from esccrt.de.settings import qc_only_note
from esccrt.integrate import candidate_mirnas, significant
from esccrt.io import read_tsv
from esccrt.reference_table import COLUMNS as REFERENCE_COLUMNS
from esccrt.report.html import figures, image, table
from esccrt.report.inputs import ReportInputs, arm_of
from esccrt.report.qc_page import gate_part
from esccrt.report.smallrna_qc import smallrna_qc_parts

#: Identity columns of the integration and insert-size tables, read as text (a numeric-looking
#: feature id or unit name is shown as written, never as a number).
TEXT_COLUMNS = ("contrast", "gene", "feature", "miRNA", "note", "unit")
#: Columns of results/references.tsv read as text (a release such as "112" or "22.1" is shown
#: as written; its size in bytes is the one number).
REFERENCE_TEXT_COLUMNS = tuple(column for column in REFERENCE_COLUMNS if column != "bytes")


def run_summary_section(
    config: Mapping,
    samples: pd.DataFrame | None,
    versions: Mapping[str, str],
    version: str,
    checksums: pd.DataFrame | None = None,
    references: pd.DataFrame | None = None,
) -> str:
    """Date, workflow version, every tool and package version, sample sheet, references used,
    config, inputs.

    ``samples`` is None for a study without sequencing (no sample sheet to show);
    ``references`` is results/references.tsv as the provenance rule wrote it (None: not run).
    """
    rows = [
        ("workflow (git describe)", version),
        *sorted(versions.items(), key=lambda item: item[0].lower()),
    ]
    frame = pd.DataFrame(rows, columns=["software", "version"])
    config_text = html.escape(yaml.safe_dump(dict(config), sort_keys=False))
    return (
        "<h3>Versions</h3>"
        + table(frame, "versions", searchable=False)
        + (
            ""
            if samples is None
            else f"<h3>Samples ({len(samples)})</h3>" + table(samples, "samples")
        )
        + (
            ""
            if references is None
            else "<h3>References used (results/references.tsv)</h3>"
            + table(references, "references-used", searchable=False)
        )
        + "<details><summary>Configuration used</summary>"
        + f"<pre>{config_text}</pre></details>"
        + (
            ""
            if checksums is None
            else "<details><summary>Input files and their SHA-256 (results/provenance.json)"
            "</summary>" + table(checksums, "checksums") + "</details>"
        )
    )


def _mrna_qc(inputs: ReportInputs, plots: Mapping[str, str]) -> list[str]:
    """Mapping/assignment rates and, for read pairs, the insert sizes of the mRNA arm."""
    parts = ["<h3>mRNA: mapping and gene assignment</h3>"]
    source = inputs.qc_rates or inputs.count_summary
    parts.append(table(read_tsv(source), "mrna-rates"))
    if "qc_rates" in plots:
        parts.append(image(plots["qc_rates"], "mRNA: mapping and assignment rates"))
    # Single-end units have no insert sizes (every unit 0 pairs): the part is then left out.
    sizes = read_tsv(inputs.insert_sizes, TEXT_COLUMNS) if inputs.insert_sizes else None
    if sizes is not None and sizes["pairs"].sum() > 0:
        parts.append("<h3>mRNA: insert sizes</h3>")
        parts.append(table(sizes, "insert-sizes"))
        if inputs.insert_sizes_plot:
            parts.append(
                image(
                    inputs.insert_sizes_plot, "mRNA: insert size distribution of the aligned pairs"
                )
            )
    return parts


#: What the MultiQC report holds for each sequencing arm (rule multiqc's inputs, common.smk).
MULTIQC_CONTENTS = {
    "small RNA": "cutadapt, miRNA alignment rates of reads, RNA classes, sample QC verdicts",
    "mRNA": "cutadapt, HISAT2/STAR, samtools, HTSeq",
}


def _multiqc_contents(inputs: ReportInputs) -> str:
    """What the MultiQC report shows, per arm that ran (its read fate or count summary)."""
    arms = {"small RNA": bool(inputs.read_fate), "mRNA": bool(inputs.count_summary)}
    return "; ".join(f"{arm}: {MULTIQC_CONTENTS[arm]}" for arm, ran in arms.items() if ran)


def qc_section(inputs: ReportInputs, multiqc_link: str) -> str:
    """Read fate, insert lengths, mapping/assignment rates, strandedness and QC exclusions."""
    parts = []
    if inputs.multiqc:
        parts.append(
            f'<p>Per-tool QC of every sample: <a href="{html.escape(multiqc_link)}">MultiQC '
            f"report</a> ({_multiqc_contents(inputs)}).</p>"
        )
    plots = {Path(p).stem: p for p in inputs.qc_plots}
    if inputs.read_fate:
        parts += smallrna_qc_parts(inputs, plots)
    if inputs.count_summary:
        parts += _mrna_qc(inputs, plots)
    if inputs.strandedness:
        parts.append("<h3>mRNA: strandedness (sheet vs inferred)</h3>")
        parts.append(table(read_tsv(inputs.strandedness), "strandedness"))
    for arm in inputs.qc_only_arms():  # no contrast: the gate excludes from no DE
        gate = getattr(inputs, f"{arm}_gate")
        parts += (
            gate_part(arm, gate, qc_only=True)
            if gate
            else [f"<p>{html.escape(qc_only_note(arm))}</p>"]
        )
    if not inputs.de_arms():
        return "".join(parts)
    parts.append("<h3>QC gate: samples left out of differential expression</h3>")
    excluded = [read_tsv(p).assign(arm=arm_of(p)) for p in inputs.excluded]
    excluded = pd.concat(excluded) if excluded else pd.DataFrame(columns=["arm", "sample"])
    if excluded.empty:
        parts.append("<p>No sample was excluded: every sample passed its arm's QC gate.</p>")
    else:
        columns = ["arm", *[c for c in excluded.columns if c != "arm"]]
        parts.append(table(excluded[columns], "excluded"))
    return "".join(parts)


def marker_panels(
    markers: pd.DataFrame, plots: Sequence[str]
) -> dict[str, tuple[pd.DataFrame, str]]:
    """Per contrast: its rows of results/integrate/m2_markers.tsv and its plot ('' if none).

    Plots are named ``m2_markers.{contrast}.png``.
    """
    by_contrast = {Path(p).stem.partition(".")[2]: str(p) for p in plots}
    return {
        contrast: (
            rows.drop(columns="contrast").reset_index(drop=True),
            by_contrast.get(contrast, ""),
        )
        for contrast, rows in markers.groupby("contrast", sort=False)
    }


def _marker_part(contrast: str, panel: pd.DataFrame, plot: str) -> str:
    """The M2 marker table of one contrast and its bar chart."""
    parts = [
        f"<h3>M2 macrophage markers ({html.escape(contrast)})</h3>",
        table(panel, f"m2-{contrast}", searchable=False, highlight="significant"),
    ]
    if plot:
        parts.append(image(plot, f"M2 marker fold changes, {contrast}"))
    return "".join(parts)


def de_section(
    arm: str,
    tables: Sequence[str],
    plots: Sequence[str],
    markers: Mapping[str, tuple[pd.DataFrame, str]] | None = None,
    caveats: Sequence[str] = (),
) -> str:
    """Per contrast: its caveats, significant features (searchable table), volcano; then PCA
    and markers.

    ``markers`` maps a contrast to its M2 marker panel and plot (see :func:`marker_panels`);
    ``caveats`` are the contrasts' caveat tables (results/diffexp/{arm}/caveats/{contrast}.tsv).
    """
    plots_by_stem = {Path(p).stem: p for p in plots}
    caveats_by_contrast = {Path(p).stem: p for p in caveats}
    markers = markers or {}
    parts = []
    for path in tables:
        contrast = Path(path).stem
        results = read_tsv(path)
        hits = significant(results)
        up = int((hits["log2FoldChange"] > 0).sum())
        parts.append(
            f"<h3>{html.escape(contrast)}: {len(hits)} significant of {len(results)} tested "
            f"({up} up, {len(hits) - up} down)</h3>"
        )
        if contrast in caveats_by_contrast:
            parts.append(caveat_note(read_tsv(caveats_by_contrast[contrast], CAVEAT_COLUMNS)))
        parts.append(table(hits, f"de-{arm}-{contrast}"))
        parts.append(
            "".join(
                image(plots_by_stem[f"{contrast}.{kind}"], f"{contrast}: {label}")
                for kind, label in (
                    ("volcano", "volcano plot"),
                    ("ma", "MA plot"),
                    ("top_features", "heatmap of the features with the smallest padj"),
                )
                if f"{contrast}.{kind}" in plots_by_stem
            )
        )
        # No configured marker (report.m2_markers empty): no marker part.
        if contrast in markers and not markers[contrast][0].empty:
            parts.append(_marker_part(contrast, *markers[contrast]))
    parts.append("<h3>Samples</h3>")
    parts.append(
        "".join(
            image(plots_by_stem[stem], caption)
            for stem, caption in (
                ("pca", f"{arm}: PCA of variance-stabilised counts"),
                ("sample_distances", f"{arm}: sample distances"),
            )
            if stem in plots_by_stem
        )
    )
    return "".join(parts)


def caveat_note(caveats: pd.DataFrame) -> str:
    """The caveats the DE stage wrote for one contrast, one line each ('' when there is none)."""
    if caveats.empty:
        return ""
    lines = "".join(
        f"<li>{html.escape(row.caveat.replace('_', ' '))}: {html.escape(row.detail)}</li>"
        for row in caveats.itertuples()
    )
    return (
        '<div class="caveat"><b>Read this result with care</b> (decided by the DE stage):'
        f"<ul>{lines}</ul></div>"
    )


def join_section(evidence: pd.DataFrame, endpoint: str, targets: pd.DataFrame | None) -> str:
    """The candidates sentence, the evidence table and (optionally) the candidates' targets."""
    candidates = candidate_mirnas(evidence)
    parts = [
        f'<p class="answer"><b>Candidates</b> (up in sequencing and prognostic for '
        f"{html.escape(endpoint.upper())} by qPCR): {html.escape(', '.join(candidates) or 'none')}"
        "</p>",
        table(evidence, "join", searchable=False, highlight="candidate"),
    ]
    if targets is not None:
        parts.append("<h3>Targets of the candidates among the significant mRNA DE genes</h3>")
        parts.append(table(targets, "targets"))
    return "".join(parts)


def _km_caption(path: str | os.PathLike[str]) -> str:
    """Caption of a Kaplan-Meier figure named ``km/{endpoint}_{factor}.png``."""
    endpoint, _, factor = Path(path).stem.partition("_")
    return f"Kaplan-Meier, {endpoint.upper()}: {factor} (numbers at risk below the curves)"


#: Columns of continuous_markers.tsv the report shows (the knots and spline coefficients stay
#: in the table).
CONTINUOUS_SHOWN = [
    "endpoint",
    "marker",
    "n",
    "events",
    "hr_per_doubling",
    "ci_low",
    "ci_high",
    "wald_p",
    "lr_p",
    "nonlinear_chisq",
    "nonlinear_df",
    "nonlinear_p",
    "note",
]
SAMPLE_SIZE_SHOWN = [
    "criterion",
    "required_n",
    "required_events",
    "events_per_parameter",
    "cohort_n",
    "cohort_events",
    "verdict",
    "detail",
]


def continuous_part(continuous: pd.DataFrame) -> str:
    """The markers as continuous log2 fold changes: the primary marker analysis."""
    return (
        "<h3>Markers as continuous log2 fold changes (primary analysis)</h3>"
        "<p>Cox models of each marker's log2 fold change: hazard ratio per doubling of the fold "
        "change with its 95 % CI, Wald and likelihood-ratio p (Efron ties); a restricted cubic "
        "spline of the log2 fold change (knots placed as rms::rcs places them) with the Wald "
        "test of its non-linear terms. The fold-change groups of Table 1 below are the "
        "secondary, dichotomised analysis.</p>"
        + table(continuous[CONTINUOUS_SHOWN], "continuous_markers", searchable=False, digits=3)
    )


def sample_size_part(sample_size: pd.DataFrame) -> str:
    """Whether the cohort can support the markers' model (Riley et al.), and the criteria."""
    final = sample_size.iloc[-1]
    first = sample_size.iloc[0]
    cohort = f"{int(final['cohort_n'])} patients, {int(final['cohort_events'])} events"
    if pd.isna(final["required_n"]):
        verdict = (
            f"The minimum sample size could not be computed ({final['detail']}); with {cohort} "
            "the model is <strong>exploratory</strong>."
        )
    elif final["verdict"] == "adequate":
        verdict = (
            f"The cohort ({cohort}) reaches the minimum of {int(final['required_n'])} patients: "
            "<strong>large enough</strong> to develop the model."
        )
    else:
        verdict = (
            f"The cohort ({cohort}) is below the minimum of {int(final['required_n'])} patients "
            f"(about {final['required_events']:.0f} events; criterion {final['detail']}): the "
            "model is <strong>exploratory</strong>."
        )
    inputs = (
        f"Endpoint {first['endpoint']}, {int(first['parameters'])} candidate predictor "
        f"parameter(s), anticipated Cox-Snell R² {first['r2_cs']:.4f} ({first['r2_cs_source']}), "
        f"event rate {first['rate']:.4g} per time unit, mean follow-up "
        f"{first['mean_followup']:.4g}, time point {first['timepoint']:g}."
    )
    return (
        "<h3>Sample size of the prediction model (Riley et al., BMJ 2020;368:m441)</h3>"
        f"<p>{verdict} {inputs}</p>"
        + table(sample_size[SAMPLE_SIZE_SHOWN], "sample_size", searchable=False, digits=4)
    )


def survival_section(
    table1: pd.DataFrame,
    cox: pd.DataFrame,
    auc: pd.DataFrame | None,
    plots: Sequence[str],
    fold_change_factors: Sequence[str],
    maxstat: pd.DataFrame | None = None,
    design: str = "",
    continuous: pd.DataFrame | None = None,
    sample_size: pd.DataFrame | None = None,
) -> str:
    """The design statement (pre-specified / explored, ``design`` HTML), the markers as
    continuous covariates and the sample size (when given), Table 1, Cox models, KM curves
    (fold-change factors first), forest plot, ROC and the cut-off scan."""
    by_stem = {Path(p).stem: p for p in plots}
    km = [p for p in plots if Path(p).parent.name == "km"]
    main = [p for p in km if any(Path(p).stem.endswith(f"_{f}") for f in fold_change_factors)]
    other = [p for p in km if p not in main]
    parts = [f"<h3>Design: pre-specified and explored (REMARK)</h3>{design}"] if design else []
    if continuous is not None:
        parts.append(continuous_part(continuous))
    if sample_size is not None and not sample_size.empty:
        parts.append(sample_size_part(sample_size))
    secondary = " (fold-change groups: secondary analysis)" if continuous is not None else ""
    parts += [
        f"<h3>Table 1: patients and log-rank tests{secondary}</h3>",
        "<p>p: unadjusted log-rank p; q: Benjamini-Hochberg q-value within the endpoint.</p>",
        table(table1, "table1", searchable=False, digits=3),
        "<h3>Kaplan-Meier curves of the miRNA fold-change groups</h3>",
        figures(main, {Path(p).stem: _km_caption(p) for p in main}),
    ]
    if other:
        parts.append(
            f"<details><summary>Kaplan-Meier curves of the clinical factors ({len(other)})"
            f"</summary>{figures(other, {Path(p).stem: _km_caption(p) for p in other})}</details>"
        )
    parts.append("<h3>Cox proportional-hazards models</h3>")
    parts.append(table(cox, "cox"))
    parts.append(
        "".join(
            image(by_stem[stem], caption, wide)
            for stem, caption, wide in (
                (
                    "forest",
                    "Cox models: hazard ratios with 95 % CI and each model's Harrell C (SE)",
                    True,
                ),
                (
                    "roc",
                    "ROC curve of the diagnostic model: apparent, optimism-corrected and "
                    "cross-validated AUC",
                    False,
                ),
            )
            if stem in by_stem
        )
    )
    if auc is not None:
        parts.append("<h3>Diagnostic model</h3>")
        parts.append(table(auc, "auc", searchable=False, digits=3))
    if maxstat is not None:
        parts.append("<h3>Fold-change cut-off: maximally selected log-rank (exploratory)</h3>")
        parts.append(table(maxstat, "maxstat", searchable=False, digits=3))
        if "cutoff_scan" in by_stem:
            caption = "Log-rank p against the fold-change cut-off (dotted: configured cut-off)"
            parts.append(image(by_stem["cutoff_scan"], caption, True))
    return "".join(parts)
