"""Caveats of a contrast's result (esccrt.de.caveats): group sizes and PyDESeq2's warnings."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
from esccrt.de.caveats import (
    CAVEAT_COLUMNS,
    contrast_caveats,
    fit_caveats,
    group_size_caveats,
    recording_warnings,
)

SPEC = ["condition", "irradiated", "control"]
TREND = (
    "The dispersion trend curve fitting did not converge. "
    "Switching to a mean-based dispersion trend."
)


def _sheet(irradiated: int, control: int) -> pd.DataFrame:
    return pd.DataFrame({"condition": ["irradiated"] * irradiated + ["control"] * control})


@pytest.mark.parametrize(("irradiated", "control"), [(3, 3), (5, 4)])
def test_three_or_more_per_group_is_no_caveat(irradiated: int, control: int) -> None:
    caveats = group_size_caveats("ir", SPEC, _sheet(irradiated, control))
    assert caveats.empty and list(caveats.columns) == CAVEAT_COLUMNS


def test_a_small_group_is_named_with_its_size() -> None:
    caveats = group_size_caveats("ir", SPEC, _sheet(4, 2))
    assert caveats.values.tolist() == [
        ["ir", "few_replicates", "samples per group below 3 (condition = control: 2)"]
    ]


def test_a_coefficient_contrast_has_no_groups() -> None:
    assert group_size_caveats("dose", ["dose"], pd.DataFrame({"dose": [1.0, 2.0]})).empty


def _warned(*messages: str) -> list[warnings.WarningMessage]:
    with recording_warnings() as caught:
        for message in messages:
            warnings.warn(message, UserWarning, stacklevel=1)
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    return caught


def test_warnings_are_named_deduplicated_and_still_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    caught = _warned(TREND, TREND, "12 gene(s) had NaN/infinite values during LFC shrinkage")
    caveats = fit_caveats("ir", caught)
    assert caveats["caveat"].tolist() == ["dispersion_trend_not_converged", "pydeseq2_warning"]
    assert caveats["detail"].tolist() == [
        TREND,
        "12 gene(s) had NaN/infinite values during LFC shrinkage",
    ]
    assert capsys.readouterr().err.count(f"UserWarning: {TREND}") == 2


def test_contrast_caveats_put_group_sizes_first() -> None:
    caveats = contrast_caveats("ir", SPEC, _sheet(2, 3), _warned(TREND))
    assert caveats["caveat"].tolist() == ["few_replicates", "dispersion_trend_not_converged"]


def test_no_caveat_gives_the_header_only(tmp_path) -> None:
    caveats = contrast_caveats("ir", SPEC, _sheet(3, 3), [])
    caveats.to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    assert (tmp_path / "c.tsv").read_text() == "contrast\tcaveat\tdetail\n"
