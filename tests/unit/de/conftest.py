"""Fixtures shared by the differential-expression unit tests."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def demo_sheet() -> pd.DataFrame:
    """Six samples as common.smk gives them (strings, indexed by sample): two conditions over
    batches b1 and b2. A fresh copy per test, which may change it."""
    rows = {
        "s_c1": ("control", "b1"),
        "s_c2": ("control", "b1"),
        "s_c3": ("control", "b2"),
        "s_i1": ("irradiated", "b1"),
        "s_i2": ("irradiated", "b1"),
        "s_i3": ("irradiated", "b2"),
    }
    sheet = pd.DataFrame.from_dict(rows, orient="index", columns=["condition", "batch"])
    sheet = sheet.astype(str)
    sheet.index = sheet.index.astype(str)
    sheet.index.name = "sample"
    sheet.insert(0, "sample", sheet.index)
    return sheet
