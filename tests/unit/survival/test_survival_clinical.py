"""The clinical table: bad values named with file, line and patients; patients matching the Ct
table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.survival.clinical import check_patients, read_clinical
from esccrt.survival.settings import Endpoint, Factor

OS = Endpoint("os", "time", "event", "Overall survival")


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("time", -2, r"negative.*P03"),
        ("time", "", r"missing.*P03"),
        ("event", 2, r"0 \(censored\) or 1.*P03"),
        ("stage", "V", r"'V'.*P03.*no level"),
        ("age", "old", r"numbers.*P03"),
    ],
)
def test_bad_clinical_values_list_patients(
    tmp_path: Path,
    column: str,
    value: object,
    message: str,
    make_cohort: Callable,
    factors: list[Factor],
) -> None:
    path, _ = make_cohort(tmp_path)
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.loc[2, column] = str(value)
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=message) as error:
        read_clinical(path, [OS], factors)
    assert str(path) in str(error.value) and "line 4" in str(error.value)


def test_patients_must_match_both_ways() -> None:
    with pytest.raises(InputError, match=r"only in the clinical table: \['P09'\].*\['P10'\]"):
        check_patients(["P01", "P09"], ["P01", "P10"])
