"""Checks that the project's output and the alternative's agree before a time ratio is printed.

A benchmark compares the speed of two programs only if they did the same work: each section
calls one of these checks on the outputs of its last runs and raises :class:`DisagreementError`
(no row, no ratio) when the two differ beyond the tolerance stated here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd


class DisagreementError(AssertionError):
    """The two sides' outputs differ beyond the stated tolerance: their times are not compared."""


def require_equal(pairs: Mapping[str, tuple[object, object]], what: str) -> None:
    """Raise :class:`DisagreementError` naming every quantity whose two values differ.

    ``pairs`` maps a quantity's name to (project's value, alternative's value).
    """
    differing = [
        f"{name}: project {ours!r}, alternative {theirs!r}"
        for name, (ours, theirs) in pairs.items()
        if ours != theirs
    ]
    if differing:
        raise DisagreementError(f"{what} disagree: " + "; ".join(differing))


def _trimmed_lengths(report: Mapping) -> list[tuple[int, list[int]]]:
    """(removed length, error counts) of the first 3' adapter of a cutadapt JSON report."""
    adapter = report["adapters_read1"][0]["three_prime_end"]
    return [(row["len"], list(row["counts"])) for row in adapter["trimmed_lengths"]]


def smallrna_trimming(
    trim: Mapping, collapse: Mapping, project_cutadapt: Mapping, cutadapt: Mapping
) -> dict[str, int]:
    """Small-RNA trimming of one unit: the project's counts equal cutadapt's, or DisagreementError.

    ``trim`` and ``collapse`` are the project's trim report and collapse statistics,
    ``project_cutadapt`` its cutadapt-style JSON report, ``cutadapt`` the JSON report of
    ``cutadapt -m MIN -M MAX`` (the insert window) on the same reads. Compared exactly: reads
    in, reads with an adapter, inserts below / above / in the window, quality-trimmed bases and
    the histogram of removed adapter lengths (by error count). Returns the compared counts.
    """
    counts = cutadapt["read_counts"]
    filtered = counts["filtered"]
    pairs = {
        "reads in": (trim["input"], counts["input"]),
        "reads with adapter": (trim["adapter_found"], counts["read1_with_adapter"]),
        "inserts shorter than the window": (trim["too_short"], filtered["too_short"] or 0),
        "inserts longer than the window": (trim["too_long"], filtered["too_long"] or 0),
        "inserts in the window": (collapse["kept"], counts["output"]),
        "quality-trimmed bases": (
            project_cutadapt["basepair_counts"]["quality_trimmed"],
            cutadapt["basepair_counts"]["quality_trimmed"],
        ),
        "removed adapter lengths": (_trimmed_lengths(project_cutadapt), _trimmed_lengths(cutadapt)),
    }
    require_equal(pairs, "small-RNA trimming (project vs cutadapt)")
    return {name: ours for name, (ours, _) in pairs.items() if isinstance(ours, int)}


def identical_counts(ours: pd.Series, theirs: pd.Series, what: str) -> None:
    """Raise :class:`DisagreementError` unless both count tables hold the same keys and values."""
    missing = sorted(set(theirs.index) ^ set(ours.index))
    if missing:
        raise DisagreementError(f"{what}: features on one side only: {missing[:5]}")
    differing = ours.sort_index() != theirs.sort_index()
    if differing.any():
        shown = [f"{key}: {ours[key]} vs {theirs[key]}" for key in differing[differing].index[:5]]
        raise DisagreementError(
            f"{what}: {int(differing.sum())} of {len(ours)} counts differ, e.g. {shown}"
        )


def counts_but_htseq_ambiguous(htseq_style: pd.Series, featurecounts: pd.Series, what: str) -> str:
    """Gene counts of an htseq-count style table against featureCounts': equal, except that
    featureCounts may assign the pairs htseq-count's union mode calls ``__ambiguous`` (it
    resolves a pair's overlaps by fragment, htseq-count by the union of its mates' blocks).
    Raise :class:`DisagreementError` unless every difference is featureCounts counting more and
    all of them add up to at most the ``__ambiguous`` pairs; return what differed (or "")."""
    genes = genes_only(htseq_style)
    missing = sorted(set(featurecounts.index) ^ set(genes.index))
    if missing:
        raise DisagreementError(f"{what}: features on one side only: {missing[:5]}")
    diff = featurecounts.reindex(genes.index) - genes
    ambiguous = int(htseq_style.get("__ambiguous", 0))
    if (diff < 0).any() or int(diff.sum()) > ambiguous:
        shown = [f"{key}: {genes[key]} vs {featurecounts[key]}" for key in diff[diff != 0].index]
        raise DisagreementError(
            f"{what}: {len(shown)} of {len(genes)} gene counts differ beyond the "
            f"{ambiguous} pair(s) htseq-count calls ambiguous, e.g. {shown[:5]}"
        )
    moved = diff[diff != 0]
    if moved.empty:
        return ""
    genes_moved = ", ".join(f"{key} +{int(value)}" for key, value in moved.items())
    return (
        f"featureCounts assigns {int(moved.sum())} of the {ambiguous} pair(s) htseq-count's union "
        f"mode (and the rule) call ambiguous: {genes_moved}"
    )


def genes_only(counts: pd.Series) -> pd.Series:
    """The genes of an htseq-count style table (its ``__`` counters left out), for comparing
    with a counter that has no such counters (featureCounts)."""
    return counts[~counts.index.astype(str).str.startswith("__")]


@dataclass(frozen=True)
class DETolerance:
    """Agreement of a DESeq2 Wald test with R's (set at about twice the measured maximum)."""

    lfc_abs: float  # max |log2FC(ours) - log2FC(R)|
    stat_rel: float  # max |stat(ours) - stat(R)| / max(|stat(R)|, 1)
    alpha: float = 0.05  # padj below this is a call; every gene's call must be equal


def de_results(ours: pd.DataFrame, theirs: pd.DataFrame, tolerance: DETolerance) -> dict:
    """The project's DE table agrees with R DESeq2's within ``tolerance``, or DisagreementError.

    Both are indexed by feature with columns log2FoldChange, stat and padj. The features must
    be the same; a value missing (NaN) on one side only is a mismatch; the significance calls
    (padj < alpha) must be equal for every feature. Returns the measured differences.
    """
    if set(ours.index) != set(theirs.index):
        only = sorted(set(ours.index) ^ set(theirs.index))
        raise DisagreementError(f"DE: features on one side only ({len(only)}), e.g. {only[:5]}")
    theirs = theirs.loc[ours.index]
    problems = []
    for column in ("log2FoldChange", "stat", "padj"):
        one_sided = ours[column].isna() != theirs[column].isna()
        if one_sided.any():
            problems.append(f"{column} NaN on one side only for {int(one_sided.sum())} features")
    lfc = (ours["log2FoldChange"] - theirs["log2FoldChange"]).abs().max()
    stat = ((ours["stat"] - theirs["stat"]).abs() / theirs["stat"].abs().clip(lower=1.0)).max()
    lfc, stat = float(np.nan_to_num(lfc)), float(np.nan_to_num(stat))
    calls_ours = ours["padj"].fillna(1.0) < tolerance.alpha
    calls_theirs = theirs["padj"].fillna(1.0) < tolerance.alpha
    mismatched = int((calls_ours != calls_theirs).sum())
    if lfc > tolerance.lfc_abs:
        problems.append(f"log2FC differs by up to {lfc:.2e} (allowed {tolerance.lfc_abs:.0e})")
    if stat > tolerance.stat_rel:
        problems.append(f"Wald stat differs by up to {stat:.2e} (allowed {tolerance.stat_rel:.0e})")
    if mismatched:
        problems.append(f"{mismatched} features called differently at padj < {tolerance.alpha}")
    if problems:
        raise DisagreementError("DE (project vs R DESeq2): " + "; ".join(problems))
    return {
        "features": len(ours),
        "max_lfc_abs": lfc,
        "max_stat_rel": stat,
        "significant": int(calls_ours.sum()),
        "call_mismatches": mismatched,
    }


#: Largest relative difference allowed per survival statistic (2x the maximum measured on
#: 2026-12-06, demo cohort, PFS by fc_mir143: chi-square 4.6e-11, p 2.2e-11, HR 4.7e-7, Wald p
#: 2.7e-6; lifelines' Newton steps stop at a looser tolerance than R's coxph).
SURVIVAL_TOLERANCE = {"logrank_chisq": 1e-10, "logrank_p": 5e-11, "cox_hr": 1e-6, "cox_p": 6e-6}


def survival_statistics(ours: Mapping[str, float], theirs: Mapping[str, float]) -> dict:
    """Log-rank and Cox results of the project and R survival, each within
    :data:`SURVIVAL_TOLERANCE` (relative), or DisagreementError. Returns the differences."""
    differences = {
        key: abs(ours[key] - theirs[key]) / max(abs(theirs[key]), 1e-300)
        for key in SURVIVAL_TOLERANCE
    }
    beyond = [
        f"{key}: project {ours[key]!r}, R {theirs[key]!r} (relative {difference:.1e} > "
        f"{SURVIVAL_TOLERANCE[key]:.0e})"
        for key, difference in differences.items()
        if not difference <= SURVIVAL_TOLERANCE[key]
    ]
    if beyond:
        raise DisagreementError("survival (project vs R survival) disagree: " + "; ".join(beyond))
    return differences
