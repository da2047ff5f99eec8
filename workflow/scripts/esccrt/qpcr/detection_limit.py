"""Limit of detection per target from a dilution series of standards (MIQE, Bustin et al. 2009).

MIQE defines the LOD as the lowest concentration at which 95 % of the positive samples are
detected. :func:`detection_limits` applies it to the standard wells of each target: per
dilution level (the configured quantity of each standard sample) the share of wells with a Cq;
the LOD is the lowest quantity detected in at least ``detection_rate`` of its wells, and its Cq
limit the highest Cq observed at that level. A sample's Cq above that limit lies beyond what the
series showed to be reliably detectable (:func:`beyond_limit`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from esccrt.errors import InputError

#: Columns of results/qpcr/detection_limits.tsv.
LIMIT_COLUMNS = (
    "target",
    "lod_quantity",
    "lod_cq",
    "detection_rate",
    "levels",
    "note",
)


def _level_rates(wells: pd.DataFrame) -> pd.DataFrame:
    """Per quantity: wells, wells with a Cq, their share and highest Cq (lowest quantity first)."""
    levels = wells.groupby("quantity", sort=True).agg(
        n=("cq", "size"), detected=("cq", "count"), max_cq=("cq", "max")
    )
    levels["rate"] = levels["detected"] / levels["n"]
    return levels


def _target_limit(target: str, wells: pd.DataFrame, rate: float) -> dict:
    levels = _level_rates(wells)
    described = ", ".join(f"{q:g}: {int(r.detected)}/{int(r.n)}" for q, r in levels.iterrows())
    passing = levels[levels["rate"] >= rate]
    if passing.empty:
        return {
            "target": target,
            "lod_quantity": math.nan,
            "lod_cq": math.nan,
            "detection_rate": rate,
            "levels": described,
            "note": f"no dilution level detected in >= {rate:.0%} of its wells; no limit applied",
        }
    quantity = float(passing.index.min())
    return {
        "target": target,
        "lod_quantity": quantity,
        "lod_cq": float(passing.loc[quantity, "max_cq"]),
        "detection_rate": rate,
        "levels": described,
        "note": "",
    }


def standard_wells(wells: pd.DataFrame, standards: Mapping[str, float]) -> pd.DataFrame:
    """The wells (columns sample, target, cq, omitted) of the configured standard samples, with
    their ``quantity``; omitted wells are left out. Raises :class:`InputError` when a configured
    standard has no well."""
    missing = sorted(set(standards) - set(wells["sample"]))
    if missing:
        raise InputError(
            f"config key qpcr.qc.detection_limit.standards: no well of the sample(s) {missing} in "
            f"the instrument files (samples there: {sorted(set(wells['sample']))[:20]})."
        )
    chosen = wells[wells["sample"].isin(list(standards)) & ~wells["omitted"].astype(bool)].copy()
    chosen["quantity"] = chosen["sample"].map(lambda s: float(standards[s]))
    chosen["cq"] = pd.to_numeric(chosen["cq"], errors="coerce")
    return chosen


def detection_limits(
    wells: pd.DataFrame, standards: Mapping[str, float], detection_rate: float
) -> pd.DataFrame:
    """One row per target with standard wells: LOD quantity and Cq limit (NaN when no level
    reaches ``detection_rate``), the detection per level and a note."""
    if not standards:
        return pd.DataFrame(columns=list(LIMIT_COLUMNS))
    chosen = standard_wells(wells, standards)
    rows = [
        _target_limit(target, group, detection_rate)
        for target, group in chosen.groupby("target", sort=True)
    ]
    return pd.DataFrame(rows, columns=list(LIMIT_COLUMNS))


def beyond_limit(targets: pd.Series, cts: pd.Series, limits: pd.DataFrame) -> pd.Series:
    """True where a Ct exceeds its target's Cq limit (False without a limit or a Ct)."""
    limit = targets.map(dict(zip(limits["target"], limits["lod_cq"], strict=True)))
    return pd.Series(np.asarray(cts > limit.astype(float)), index=cts.index)
