"""Fixtures of the survival unit tests: a small clinical cohort and three Table 1 factors."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.survival.settings import Factor, factors_from_config
from schema_sections import validated


def _validated(factor_specs: list[dict]) -> list[Factor]:
    """Factors as the workflow builds them: the specs pass the schema, which fills defaults."""
    section = {
        "clinical": "clinical.tsv",
        "endpoints": [{"name": "os", "time": "time", "event": "event"}],
        "fold_change_cutoff": 1.5,
        "factors": factor_specs,
        "diagnostic": {"endpoint": "os", "within": 12, "predictors": ["miR-A"]},
    }
    validated("survival", section)
    return factors_from_config(section)


@pytest.fixture
def factor_from_spec() -> Callable[[dict], Factor]:
    """Build one factor from its (partial) config spec, as the workflow would."""
    return lambda spec: _validated([spec])[0]


def _cohort(tmp_path: Path, n: int = 12, **overrides: list) -> tuple[Path, pd.DataFrame]:
    """12 patients with age, stage, time and event (overridable), and their fold changes."""
    rng = np.random.default_rng(3)
    table = pd.DataFrame(
        {
            "patient": [f"P{i:02d}" for i in range(1, n + 1)],
            "age": rng.integers(40, 80, n),
            "stage": ["I", "II", "III", "IV"] * (n // 4),
            "time": rng.uniform(1, 40, n).round(1),
            "event": [1, 0] * (n // 2),
        }
    )
    for column, values in overrides.items():
        table[column] = values
    path = tmp_path / "clinical.tsv"
    table.to_csv(path, sep="\t", index=False)
    fc = pd.DataFrame(
        {"miR-A": rng.uniform(0.5, 3, n), "miR-B": rng.uniform(0.5, 3, n)},
        index=table["patient"],
    )
    return path, fc


@pytest.fixture
def make_cohort() -> Callable[..., tuple[Path, pd.DataFrame]]:
    """``make_cohort(tmp_path, n=12, **column_overrides)`` -> (clinical TSV, fold changes)."""
    return _cohort


SPECS = [
    {"name": "age", "type": "numeric", "column": "age", "cutoff": 65},
    {
        "name": "stage",
        "type": "categorical",
        "column": "stage",
        "levels": [
            {"label": "I-II", "values": ["I", "II"]},
            {"label": "III-IV", "values": ["III", "IV"]},
        ],
    },
    {"name": "pair", "type": "fold_change", "targets": ["miR-A", "miR-B"]},
]


@pytest.fixture
def factors() -> list[Factor]:
    """Age (numeric, 65), stage (I-II / III-IV) and the miR-A/miR-B fold-change pair."""
    return _validated(copy.deepcopy(SPECS))
