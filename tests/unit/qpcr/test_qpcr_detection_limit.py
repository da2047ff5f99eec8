"""Limit of detection from a dilution series (esccrt.qpcr.detection_limit), MIQE's definition:
the lowest quantity detected in >= 95 % of its wells; the Cq limit is that level's highest Cq."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.detection_limit import beyond_limit, detection_limits

NAN = math.nan
STANDARDS = {"S1000": 1000.0, "S100": 100.0, "S10": 10.0, "S1": 1.0}
TWO_LEVELS = {"S100": 100.0, "S10": 10.0}


def _wells(cqs: dict[str, list[float]], target: str = "miR-A") -> pd.DataFrame:
    rows = [
        {"sample": sample, "target": target, "cq": cq, "omitted": False}
        for sample, values in cqs.items()
        for cq in values
    ]
    return pd.DataFrame(rows)


def test_lowest_level_detected_in_every_well_sets_the_limit() -> None:
    """20 wells per level: 10 copies 20/20 detected, 1 copy 15/20 (75 %): LOD = 10 copies."""
    wells = _wells(
        {
            "S1000": [25.0] * 20,
            "S100": [28.4] * 20,
            "S10": [31.8] * 19 + [32.6],
            "S1": [35.0] * 15 + [NAN] * 5,
        }
    )
    limit = detection_limits(wells, STANDARDS, 0.95).iloc[0]
    assert limit["lod_quantity"] == 10.0
    assert limit["lod_cq"] == 32.6
    assert limit["levels"] == "1: 15/20, 10: 20/20, 100: 20/20, 1000: 20/20"


def test_rate_is_a_threshold_not_a_strict_bound() -> None:
    """19 of 20 is exactly 95 %: the level passes."""
    wells = _wells({"S10": [31.0] * 19 + [NAN], "S100": [28.0] * 20})
    assert detection_limits(wells, TWO_LEVELS, 0.95).iloc[0]["lod_quantity"] == 10.0


def test_no_passing_level_gives_no_limit_and_a_note() -> None:
    wells = _wells({"S10": [31.0, NAN], "S100": [NAN, 28.0]})
    limit = detection_limits(wells, TWO_LEVELS, 0.95).iloc[0]
    assert math.isnan(limit["lod_cq"]) and "no limit applied" in limit["note"]


def test_omitted_wells_do_not_count() -> None:
    wells = _wells({"S10": [31.0, 31.2, NAN], "S100": [28.0] * 3})
    wells.loc[2, "omitted"] = True
    assert detection_limits(wells, TWO_LEVELS, 0.95).iloc[0]["lod_quantity"] == 10.0


def test_configured_standard_without_wells_is_refused() -> None:
    with pytest.raises(InputError, match=r"qpcr.qc.detection_limit.standards.*S1"):
        detection_limits(_wells({"S10": [31.0]}), {"S10": 10.0, "S1": 1.0}, 0.95)


def test_beyond_limit_per_target() -> None:
    limits = pd.DataFrame({"target": ["miR-A", "miR-B"], "lod_cq": [33.0, NAN]})
    targets = pd.Series(["miR-A", "miR-A", "miR-B", "miR-C", "miR-A"])
    cts = pd.Series([32.9, 33.5, 40.0, 40.0, NAN])
    assert beyond_limit(targets, cts, limits).tolist() == [False, True, False, False, False]
