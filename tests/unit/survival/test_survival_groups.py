"""Patient groups from clinical columns and fold changes: labels, order, empty levels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from esccrt.errors import InputError
from esccrt.survival.clinical import read_clinical
from esccrt.survival.groups import derive_groups
from esccrt.survival.settings import Endpoint, Factor

OS = Endpoint("os", "time", "event", "Overall survival")


def test_groups_and_labels(tmp_path: Path, make_cohort: Callable, factors: list[Factor]) -> None:
    path, fc = make_cohort(tmp_path, age=[64, 65, 70, 30] * 3)
    clinical = read_clinical(path, [OS], factors)
    groups = derive_groups(clinical, fc, factors)
    assert list(groups["age"].cat.categories) == ["<65", ">=65"]
    assert groups["age"].tolist()[:4] == ["<65", ">=65", ">=65", "<65"]
    assert groups["stage"].tolist()[:4] == ["I-II", "I-II", "III-IV", "III-IV"]
    any_high = (fc > 1.5).any(axis=1)
    assert (groups["pair"] == "any >1.5").tolist() == any_high.tolist()
    assert factors[2].label == "miR-A and miR-B"


def test_configured_level_without_patient(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    path, fc = make_cohort(tmp_path, stage=["III"] * 12)
    clinical = read_clinical(path, [OS], factors)
    with pytest.raises(InputError, match=r"stage.*\['I-II'\] have no patient"):
        derive_groups(clinical, fc, factors)
