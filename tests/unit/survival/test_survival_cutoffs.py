"""The survival stage's decision table: the cut-off applied per factor and where it came from."""

from __future__ import annotations

import pandas as pd
from esccrt.survival.settings import factors_from_config
from esccrt.survival.stage import CUTOFF_COLUMNS, cutoff_table
from schema_sections import validated


def _section(factors: list[dict]) -> dict:
    """A validated ``survival`` section with these factors."""
    section = {
        "clinical": "clinical.tsv",
        "endpoints": [{"name": "os", "time": "os_months", "event": "os_event"}],
        "fold_change_cutoff": 1.5,
        "factors": factors,
        "diagnostic": {"endpoint": "os", "within": 12, "predictors": ["miR-A"]},
    }
    return validated("survival", section)


def test_each_factor_states_its_cutoff_and_source() -> None:
    factors = [
        {"name": "age", "type": "numeric", "column": "age", "cutoff": 65},
        {
            "name": "sex",
            "type": "categorical",
            "column": "sex",
            "levels": [{"label": "M"}, {"label": "F"}],
        },
        {"name": "fc_a", "type": "fold_change", "targets": ["miR-A"]},
        {"name": "fc_ab", "type": "fold_change", "targets": ["miR-A", "miR-B"], "cutoff": 2},
    ]
    table = cutoff_table(factors_from_config(_section(factors))).set_index("factor")
    assert list(table.reset_index().columns) == CUTOFF_COLUMNS
    assert table.loc["age", ["cutoff", "low", "high", "source", "config_key"]].tolist() == [
        65.0,
        "<65",
        ">=65",
        "config",
        "survival.factors (age).cutoff",
    ]
    assert pd.isna(table.loc["sex", "cutoff"])
    assert table.loc["sex", "config_key"] == "survival.factors (sex).levels"
    assert table.loc["fc_a", ["cutoff", "source", "config_key"]].tolist() == [
        1.5,
        "default",
        "survival.fold_change_cutoff",
    ]
    assert table.loc["fc_ab", ["variable", "cutoff", "high", "source"]].tolist() == [
        "miR-A + miR-B",
        2.0,
        "any >2",
        "config",
    ]
