"""mRNA QC: read fate and rates per sample, the QC gate for DE, and the rates plot."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import pandas as pd

from esccrt.cohort_plots import CohortPlotSettings
from esccrt.io import save_figure
from esccrt.mrna.align import parse_aligner_log
from esccrt.mrna.trim import parse_cutadapt_json
from esccrt.qc_gate import PASSED, REASON, SAMPLE, gate_table


def aligner_rates_per_sample(
    unit_logs: Iterable[tuple[str, str | os.PathLike[str]]], aligner: str
) -> dict[str, float]:
    """Mean over its units of each sample's aligner rate (:func:`parse_aligner_log`).

    ``unit_logs`` are (sample, aligner log) per unit; logs without a rate are left out.
    """
    per_sample: dict[str, list[float]] = {}
    for sample, path in unit_logs:
        rate = parse_aligner_log(path, aligner)
        if rate is not None:
            per_sample.setdefault(sample, []).append(rate)
    return {s: sum(r) / len(r) for s, r in per_sample.items()}


def trimming_per_sample(
    unit_reports: Iterable[tuple[str, str | os.PathLike[str]]],
) -> dict[str, tuple[int, int]]:
    """cutadapt's (reads in, reads written) per sample, its units' JSON reports summed."""
    trimming: dict[str, tuple[int, int]] = {}
    for sample, path in unit_reports:
        n_in, n_out = parse_cutadapt_json(path)
        before = trimming.get(sample, (0, 0))
        trimming[sample] = (before[0] + n_in, before[1] + n_out)
    return trimming


def qc_rates(
    summary: pd.DataFrame,
    aligner_rates: Mapping[str, float | None],
    trimming: Mapping[str, tuple[int, int]] | None = None,
) -> pd.DataFrame:
    """Read fate and rates per sample from the count summary (each read or pair once).

    ``trimming`` (sample -> (input, written) of cutadapt, units summed) adds ``raw`` and
    ``too_short`` (removed by trimming). mapping_rate = 1 - __not_aligned/total and
    assignment_rate = assigned/total, of the reads that entered alignment (``total``).
    ``aligner_rates`` (sample -> the aligner's own overall rate, may be None) is added as
    ``aligner_mapping_rate`` for cross-checking.
    """
    trimming = trimming or {}
    rates = pd.DataFrame({"sample": summary["sample"]})
    rates["raw"] = [trimming[s][0] if s in trimming else pd.NA for s in rates["sample"]]
    rates["too_short"] = [
        trimming[s][0] - trimming[s][1] if s in trimming else pd.NA for s in rates["sample"]
    ]
    rates["total"] = summary["total"]
    rates["mapped"] = summary["total"] - summary["__not_aligned"]
    rates["assigned"] = summary["assigned"]
    total = rates["total"].where(rates["total"] > 0)
    rates["mapping_rate"] = rates["mapped"] / total
    rates["assignment_rate"] = rates["assigned"] / total
    rates["aligner_mapping_rate"] = [aligner_rates.get(s) for s in rates["sample"]]
    return rates


def qc_gate(rates: pd.DataFrame, min_assigned: int, min_assignment_rate: float) -> pd.DataFrame:
    """Pass/fail per sample for differential expression, with the reason in words."""
    rows = []
    for rec in rates.itertuples(index=False):
        reasons = []
        if rec.assigned < min_assigned:
            reasons.append(f"{rec.assigned} reads assigned to genes < {min_assigned} required")
        rate = rec.assignment_rate
        if not (rate >= min_assignment_rate):  # also catches NaN (no reads)
            shown = "n/a" if pd.isna(rate) else f"{rate:.3f}"
            reasons.append(f"assignment rate {shown} < {min_assignment_rate}")
        rows.append({SAMPLE: rec.sample, PASSED: not reasons, REASON: "; ".join(reasons) or "ok"})
    return gate_table(rows)


#: The rates of the QC figure: column of the rates table -> its label.
RATE_LABELS = {"mapping_rate": "mapped", "assignment_rate": "assigned to genes"}
#: Title and x label of the QC figure (either view).
RATES_TITLE, RATES_AXIS = "mRNA: mapping and gene assignment rate", "fraction of reads (pairs)"


def draw_qc_rates(
    rates: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    min_assignment_rate: float,
    plots: CohortPlotSettings,
) -> None:
    """The QC figure: a pair of bars per sample up to ``plots.cohort_plot_samples`` samples
    (:func:`plot_qc_rates`), above it a box plot per rate over the samples with the outliers
    named (:func:`esccrt.cohort_plots.plot_value_distributions`; a sample without reads counts
    as rate 0); dashed: the gate's minimum."""
    if len(rates) <= plots.cohort_plot_samples:
        plot_qc_rates(rates, path, min_assignment_rate=min_assignment_rate)
        return
    from esccrt.cohort_plots import plot_value_distributions

    values = rates.set_index("sample")[list(RATE_LABELS)].rename(columns=RATE_LABELS)
    plot_value_distributions(
        values.astype(float).fillna(0.0),
        path,
        RATES_TITLE,
        RATES_AXIS,
        plots.outlier_robust_z,
        plots.outliers_named,
        gate=(min_assignment_rate, "QC gate: min. assigned"),
    )


def plot_qc_rates(
    rates: pd.DataFrame, path: str | os.PathLike[str], *, min_assignment_rate: float
) -> None:
    """Bar chart of mapping and assignment rate per sample (dashed: the gate's minimum,
    ``mrna.qc.min_assignment_rate``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(max(4.5, 0.6 * len(rates) + 3.5), 3.5))
    x = range(len(rates))
    width = 0.4
    for offset, (column, label) in zip((-width / 2, width / 2), RATE_LABELS.items(), strict=True):
        ax.bar([i + offset for i in x], rates[column], width, label=label)
    if min_assignment_rate is not None:
        ax.axhline(min_assignment_rate, color="black", linestyle="--", linewidth=1,
                   label="QC gate: min. assigned")  # fmt: skip
    ax.set_xticks(list(x), rates["sample"], rotation=45, ha="right")
    ax.set_ylim(0, 1)
    ax.set_ylabel(RATES_AXIS)
    ax.set_title(RATES_TITLE)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
