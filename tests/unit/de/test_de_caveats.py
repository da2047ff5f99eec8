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
from esccrt.de.design import residual_df
from schema_sections import de_settings

SPEC = ["condition", "irradiated", "control"]
#: ``diffexp.min_replicates`` as a validated config gives it (the schema's default, 3).
MIN_REPLICATES = de_settings("smallrna").min_replicates
TREND = (
    "The dispersion trend curve fitting did not converge. "
    "Switching to a mean-based dispersion trend."
)


def _sheet(irradiated: int, control: int) -> pd.DataFrame:
    return pd.DataFrame({"condition": ["irradiated"] * irradiated + ["control"] * control})


@pytest.mark.parametrize(("irradiated", "control"), [(3, 3), (5, 4)])
def test_three_or_more_per_group_is_no_caveat(irradiated: int, control: int) -> None:
    caveats = group_size_caveats("ir", SPEC, _sheet(irradiated, control), MIN_REPLICATES)
    assert caveats.empty and list(caveats.columns) == CAVEAT_COLUMNS


def test_a_small_group_is_named_with_its_size() -> None:
    caveats = group_size_caveats("ir", SPEC, _sheet(4, 2), MIN_REPLICATES)
    assert MIN_REPLICATES == 3
    assert caveats.values.tolist() == [
        ["ir", "few_replicates", "samples per group below 3 (condition = control: 2)"]
    ]


def test_the_threshold_is_the_configured_one() -> None:
    """diffexp.min_replicates: 6 (Schurch et al.'s advice) puts a caveat on 5 vs 4 naming both."""
    threshold = de_settings("smallrna", min_replicates=6).min_replicates
    caveats = group_size_caveats("ir", SPEC, _sheet(5, 4), threshold)
    assert caveats["detail"].tolist() == [
        "samples per group below 6 (condition = irradiated: 5, condition = control: 4)"
    ]


def test_a_coefficient_contrast_has_no_groups() -> None:
    assert group_size_caveats(
        "dose", ["dose"], pd.DataFrame({"dose": [1.0, 2.0]}), MIN_REPLICATES
    ).empty


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
    caveats = fit_caveats("ir", caught, (6, 2))
    assert caveats["caveat"].tolist() == ["dispersion_trend_not_converged", "pydeseq2_warning"]
    assert caveats["detail"].tolist() == [
        TREND,
        "12 gene(s) had NaN/infinite values during LFC shrinkage",
    ]
    assert capsys.readouterr().err.count(f"UserWarning: {TREND}") == 2


def test_contrast_caveats_put_group_sizes_first() -> None:
    caveats = contrast_caveats("ir", SPEC, _sheet(2, 3), _warned(TREND), (5, 2), MIN_REPLICATES)
    assert caveats["caveat"].tolist() == ["few_replicates", "dispersion_trend_not_converged"]


def test_no_caveat_gives_the_header_only(tmp_path) -> None:
    caveats = contrast_caveats("ir", SPEC, _sheet(3, 3), [], (6, 2), MIN_REPLICATES)
    caveats.to_csv(tmp_path / "c.tsv", sep="\t", index=False)
    assert (tmp_path / "c.tsv").read_text() == "contrast\tcaveat\tdetail\n"


def test_the_residual_df_caveat_states_them() -> None:
    """PyDESeq2 warns at 3 or fewer residual degrees of freedom though it says "less than 3"."""
    message = (
        "As the residual degrees of freedom is less than 3, the distribution of log dispersions "
        "is especially asymmetric and likely to be poorly estimated by the MAD."
    )
    caveats = fit_caveats("ir", _warned(message), (6, 3))
    assert caveats["caveat"].tolist() == ["few_residual_df"]
    assert caveats["detail"][0] == (
        f"6 samples - 3 coefficients = 3 residual degrees of freedom (PyDESeq2 warns at 3 or "
        f"fewer): {message}"
    )


def test_residual_df_counts_the_design_coefficients(demo_sheet: pd.DataFrame) -> None:
    """The demo's design ~ batch + condition on 3 + 3 samples: intercept, batch, condition."""
    contrasts = {"ir": SPEC}
    assert residual_df(demo_sheet, "~ batch + condition", contrasts) == (6, 3)
    assert residual_df(demo_sheet, "~ condition", contrasts) == (6, 2)
