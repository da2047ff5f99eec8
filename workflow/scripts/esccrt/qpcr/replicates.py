"""Replicate wells: the undetermined rule and the per-group summary with QC flags.

:func:`apply_undetermined_rule` treats undetermined Cts and Cts above the detection limit by the
configured rule: ``set_to_limit`` (the Ct becomes the limit) or ``exclude`` (the replicate is
dropped). Every change is recorded. :func:`summarise_replicates` gives the mean and SD per
(patient, timepoint, target), flags an SD above the threshold and, if asked, drops one
replicate: the one farthest from the median when the SD is above the threshold, or the one
Grubbs' test rejects (:mod:`esccrt.qpcr.outliers`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.ct_table import GROUP_KEYS
from esccrt.qpcr.outliers import grubbs_test
from esccrt.qpcr.settings import UNDETERMINED_RULES


def apply_undetermined_rule(table: pd.DataFrame, rule: str, limit: float) -> pd.DataFrame:
    """Treat undetermined Cts and Cts above ``limit`` by ``rule``; mark them in ``censored``.

    ``set_to_limit`` replaces them with ``limit``; ``exclude`` blanks their Ct (NaN): the row
    stays so the QC counts it, but the replicate is not used. ``censored`` holds the reason
    (``undetermined`` or ``above_limit``), empty for the other wells. In an inter-run
    calibrated table (column ``cq_shift``, see :mod:`esccrt.qpcr.calibration`) the limit is a
    measured Cq: it is compared with Ct - cq_shift, and ``set_to_limit`` writes limit + cq_shift
    (the limit on the calibrated scale of the well's plate).
    """
    if rule not in UNDETERMINED_RULES:
        raise InputError(
            f"config key qpcr.undetermined: unknown rule '{rule}'; use one of "
            f"{list(UNDETERMINED_RULES)}."
        )
    table = table.copy()
    shift = table.get("cq_shift", 0.0)
    affected = table["undetermined"] | (table["ct"] - shift > limit)
    table["censored"] = np.where(
        table["undetermined"], "undetermined", np.where(affected, "above_limit", "")
    )
    limit_value = float(limit) + shift if rule == "set_to_limit" else math.nan
    table.loc[affected, "ct"] = (
        limit_value[affected] if isinstance(limit_value, pd.Series) else limit_value
    )
    return table


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample SD (ddof=1; NaN SD for a single value)."""
    if len(values) == 0:
        return math.nan, math.nan
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return float(np.mean(values)), sd


@dataclass(frozen=True)
class _Replicates:
    """The wells of one (patient, timepoint, target) as arrays, in table order."""

    ct: np.ndarray
    replicate: np.ndarray
    censored: np.ndarray


def _groups(table: pd.DataFrame) -> Iterator[tuple[tuple, _Replicates]]:
    """(key, wells) per (patient, timepoint, target), keys sorted as ``groupby(sort=True)``.

    Arrays sliced from one stable sort by group number: per-group pandas objects cost about
    a millisecond each, too much for a cohort's tens of thousands of groups.
    """
    grouped = table.groupby(GROUP_KEYS, sort=True)
    sizes = grouped.size()
    if sizes.empty:
        return
    number = grouped.ngroup().to_numpy()
    keep = number >= 0  # rows with a missing key belong to no group, as in groupby
    order = np.argsort(number[keep], kind="stable")
    rows = np.flatnonzero(keep)[order]
    bounds = np.cumsum(sizes.to_numpy())[:-1]
    ct = table["ct"].to_numpy(dtype=float)[rows]
    replicate = table["replicate"].to_numpy()[rows]
    censored = (
        table["censored"].to_numpy()[rows]
        if "censored" in table
        else np.full(len(rows), "", dtype=object)
    )
    parts = zip(
        np.split(ct, bounds), np.split(replicate, bounds), np.split(censored, bounds), strict=True
    )
    for key, (cts, reps, reasons) in zip(sizes.index, parts, strict=True):
        yield key, _Replicates(cts, reps, reasons)


def _outlier_index(
    cts: np.ndarray, sd: float, sd_threshold: float, grubbs_alpha: float | None
) -> int | None:
    """Index of the replicate to drop, or None: Grubbs' test at ``grubbs_alpha`` when given,
    else the replicate farthest from the median when the SD is above ``sd_threshold``."""
    if len(cts) < 3:
        return None
    if grubbs_alpha is not None:
        result = grubbs_test(cts, grubbs_alpha)
        return result.index if result is not None and result.is_outlier else None
    if sd > sd_threshold:
        return int(np.argmax(np.abs(cts - np.median(cts))))
    return None


def summarise_replicates(
    table: pd.DataFrame,
    sd_threshold: float,
    remove_outliers: bool,
    *,
    grubbs_alpha: float | None = None,
) -> pd.DataFrame:
    """Mean and SD of the replicates per (patient, timepoint, target), with QC flags.

    When the SD exceeds ``sd_threshold`` the group is flagged ``high_sd``. With
    ``remove_outliers`` and at least 3 replicates one replicate is dropped and mean/SD
    recomputed (recorded in ``outlier_replicate``/``outlier_ct``): the one Grubbs' test rejects
    at level ``grubbs_alpha`` when that is given, else (no ``grubbs_alpha``) the one farthest
    from the median when the SD exceeds ``sd_threshold``. Replicates whose Ct is NaN (excluded
    as undetermined) are counted but not used.
    """
    rows = []
    for (patient, timepoint, target), group in _groups(table):
        usable = ~np.isnan(group.ct)
        cts = group.ct[usable]
        reps = group.replicate[usable]
        mean, sd = _mean_sd(cts)
        sd_before = sd
        outlier_rep, outlier_ct = "", math.nan
        worst = _outlier_index(cts, sd, sd_threshold, grubbs_alpha) if remove_outliers else None
        if worst is not None:
            outlier_rep, outlier_ct = str(reps[worst]), float(cts[worst])
            cts = np.delete(cts, worst)
            mean, sd = _mean_sd(cts)
        censored = [
            f"{rep}({reason})"
            for rep, reason in zip(group.replicate, group.censored, strict=True)
            if reason != ""
        ]
        flags = []
        if sd > sd_threshold:
            flags.append("high_sd")
        if outlier_rep:
            flags.append("outlier_removed")
        if len(censored):
            flags.append("undetermined_or_above_limit")
        if not len(cts):
            flags.append("no_amplification")
        rows.append(
            {
                "patient": patient,
                "timepoint": timepoint,
                "target": target,
                "n_replicates": len(group.ct),
                "n_used": len(cts),
                "mean_ct": mean,
                "sd_ct": sd,
                "sd_before_outlier_removal": sd_before,
                "outlier_replicate": outlier_rep,
                "outlier_ct": outlier_ct,
                "n_undetermined_or_above_limit": len(censored),
                "undetermined_or_above_limit": ",".join(censored),
                "flags": ";".join(flags),
            }
        )
    return pd.DataFrame(rows)
