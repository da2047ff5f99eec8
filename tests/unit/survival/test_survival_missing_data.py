"""Missing data in the survival stage: empty clinical cells as missing values (complete-case),
the missingness table, Table 1's complete-case note, Rubin's rules, the chained equations, the
schema's refusals and the report's part. Pooling against R's mice::pool:
tests/parity/test_survival_missing_data_r.py."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.report.survival_missing import survival_missing_part
from esccrt.survival.clinical import read_clinical
from esccrt.survival.groups import derive_groups
from esccrt.survival.logrank import logrank_table
from esccrt.survival.missing_data import (
    POOLED_COLUMNS,
    impute,
    mice_analysis,
    nelson_aalen_at_own_time,
    rubin_pool,
)
from esccrt.survival.settings import Endpoint, Factor, MissingDataSettings, SurvivalSettings
from esccrt.survival.stage import missing_data_tables
from esccrt.survival.table1 import table1, table1_markdown
from schema_sections import section_defaults

OS = Endpoint(name="os", time="time", event="event", label="Overall survival")


def _settings(factors: list[dict], **missing_data: object) -> SurvivalSettings:
    """A validated survival section with these factors and missing_data keys."""
    section = section_defaults(
        "survival",
        factors=factors,
        diagnostic={"endpoint": "os", "within": 12, "predictors": ["miR-A"]},
        missing_data=dict(missing_data),
    )
    return SurvivalSettings.from_config(section)


def test_empty_factor_cells_are_missing_and_excluded(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    """An empty age and an empty stage cell are missing values: those patients are left out of
    that factor (Table 1 note, complete-case footnote), counted in missingness.tsv; other
    non-numeric values are still refused."""
    ages = [55, "", 70, 45, 66, 72, 50, 68, 61, 77, 43, 59]
    stages = ["I", "II", "", "IV"] + ["I", "II", "III", "IV"] * 2
    path, fc = make_cohort(tmp_path, age=ages, stage=stages)
    fc.iloc[0, 1] = np.nan  # miR-B of P01: no fold change, and miR-A is below the cut-off
    fc.iloc[0, 0] = 1.0
    clinical = read_clinical(path, [OS], factors)
    groups = derive_groups(clinical, fc, factors)
    assert groups["age"].isna().tolist() == [i == 1 for i in range(12)]
    assert groups["stage"].isna().tolist() == [i == 2 for i in range(12)]
    tests, _ = logrank_table(clinical, groups, [OS], factors)
    assert tests.set_index("factor").loc[["age", "stage", "pair"], "n"].tolist() == [11, 11, 11]
    table = table1(groups, tests, factors, [OS])
    markdown = table1_markdown(table, [OS], demo=False, patients=len(clinical))
    assert "Complete-case analysis" in markdown
    assert "excluded: age 1 of 12, stage 1 of 12, miR-A and miR-B 1 of 12 (" in markdown
    settings = _settings(
        [
            {"name": "age", "type": "numeric", "column": "age", "cutoff": 65},
            {"name": "pair", "type": "fold_change", "targets": ["miR-A", "miR-B"]},
        ]
    )
    missingness, pooled = missing_data_tables(settings, clinical, groups, fc)
    counts = missingness.set_index("variable")["n_missing"].to_dict()
    assert counts == {"time": 0, "event": 0, "age": 1, "miR-A": 0, "miR-B": 1}
    assert missingness.set_index("variable").at["age", "share_missing"] == pytest.approx(1 / 12)
    assert pooled.empty and list(pooled.columns) == list(POOLED_COLUMNS)  # complete_case
    ages[3] = "unknown"
    path, _ = make_cohort(tmp_path, age=ages, stage=stages)
    with pytest.raises(InputError, match=r"needs numbers.*P04"):
        read_clinical(path, [OS], factors)


def test_table1_without_missing_values_has_no_complete_case_line(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    """No missing value (as in the demo): Table 1's markdown is unchanged by ``patients``."""
    path, fc = make_cohort(tmp_path)
    clinical = read_clinical(path, [OS], factors)
    groups = derive_groups(clinical, fc, factors)
    table = table1(groups, logrank_table(clinical, groups, [OS], factors)[0], factors, [OS])
    plain = table1_markdown(table, [OS], demo=False)
    assert table1_markdown(table, [OS], demo=False, patients=12) == plain
    assert "Complete-case" not in plain


def test_rubin_pool_by_hand() -> None:
    """Estimates 1, 2, 3 with variance 1 each: mean 2, B = 1, T = 1 + 4/3, lambda = 4/7, Rubin's
    df (m - 1) / lambda^2 = 6.125; with 10 complete-data df the Barnard-Rubin df is smaller."""
    pooled = rubin_pool([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], math.inf)
    assert (pooled.estimate, pooled.between_variance) == (2.0, 1.0)
    assert pooled.total_variance == pytest.approx(7 / 3)
    assert pooled.lambda_ == pytest.approx(4 / 7) and pooled.df == pytest.approx(6.125)
    df_observed = 11 / 13 * 10 * (3 / 7)
    small = rubin_pool([1.0, 2.0, 3.0], [1.0, 1.0, 1.0], 10.0)
    assert small.df == pytest.approx(6.125 * df_observed / (6.125 + df_observed))
    same = rubin_pool([0.5, 0.5], [0.04, 0.04], 20.0)  # nothing imputed: lambda floored
    assert same.between_variance == 0 and same.se == pytest.approx(0.2)
    assert math.isfinite(same.df) and same.df < 20
    with pytest.raises(ValueError, match="at least two"):
        rubin_pool([1.0], [1.0], math.inf)


def test_nelson_aalen_at_own_time() -> None:
    """H(t) = sum over event times <= t of deaths / at risk, ties counted together."""
    time = pd.Series([1.0, 2.0, 2.0, 3.0, 4.0])
    event = pd.Series([1, 1, 0, 0, 1])
    expected = [1 / 5, 1 / 5 + 1 / 4, 1 / 5 + 1 / 4, 1 / 5 + 1 / 4, 1 / 5 + 1 / 4 + 1]
    np.testing.assert_allclose(nelson_aalen_at_own_time(time, event), expected)


def _cohort_with_gaps() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    n = 30
    clinical = pd.DataFrame(
        {"time": rng.uniform(1, 40, n).round(1), "event": rng.integers(0, 2, n)},
        index=[f"P{i:02d}" for i in range(n)],
    )
    markers = pd.DataFrame(
        {"miR-A": rng.normal(size=n), "miR-B": rng.normal(size=n)}, index=clinical.index
    )
    markers.iloc[::6, 0] = np.nan
    return clinical, markers


def test_chained_equations_fill_only_gaps_reproducibly() -> None:
    """Imputed data sets keep every observed value, fill every gap, differ from each other and
    are the same for the same seed; the pooled table has one row per endpoint x marker."""
    clinical, markers = _cohort_with_gaps()
    settings = MissingDataSettings(method="mice", imputations=3, iterations=2, seed=11, donors=5)
    result = mice_analysis(clinical, markers, [OS], settings)
    gaps = markers["miR-A"].isna()
    for data in result.completed:
        assert data.index.equals(clinical.index) and data[["miR-A", "miR-B"]].notna().all().all()
        pd.testing.assert_frame_equal(data.loc[~gaps, ["miR-B"]], markers.loc[~gaps, ["miR-B"]])
        np.testing.assert_array_equal(data.loc[~gaps, "miR-A"], markers.loc[~gaps, "miR-A"])
    draws = [tuple(d.loc[gaps, "miR-A"]) for d in result.completed]
    assert len(set(draws)) == 3
    again = impute(pd.concat([markers, result.completed[0].iloc[:, 2:]], axis=1), settings)
    assert [tuple(d.loc[gaps, "miR-A"]) for d in again] == draws
    pooled = result.pooled.set_index("marker")
    assert pooled.loc["miR-A", "n_imputed"] == 5 and pooled.loc["miR-B", "n_imputed"] == 0
    assert pooled.loc["miR-A", "between_variance"] > 0
    assert pooled.loc["miR-B", "between_variance"] == 0


def test_a_marker_without_any_value_is_left_out_of_the_imputation() -> None:
    """No patient has miR-C: its row says so; the other markers are imputed and pooled."""
    clinical, markers = _cohort_with_gaps()
    markers["miR-C"] = np.nan
    settings = MissingDataSettings(method="mice", imputations=2, iterations=1, seed=1, donors=5)
    pooled = mice_analysis(clinical, markers, [OS], settings).pooled.set_index("marker")
    assert "nothing to impute from" in pooled.at["miR-C", "note"]
    assert math.isnan(pooled.at["miR-C", "coef"]) and pooled.at["miR-C", "n_imputed"] == 0
    assert pooled.loc[["miR-A", "miR-B"], "coef"].notna().all()


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"imputations": 1}, "imputations"),
        ({"method": "knn"}, "method"),
        ({"iterations": 0}, "iterations"),
        ({"donors": 0}, "donors"),
    ],
)
def test_schema_refuses_bad_missing_data(keys: dict, message: str) -> None:
    """m < 2, an unknown method, no cycle or no donor: refused, naming the key."""
    with pytest.raises(InputError, match=rf"survival\.missing_data\.{message}"):
        _settings([{"name": "a", "type": "fold_change", "targets": ["miR-A"]}], **keys)


def test_report_renders_missingness_and_pooled_tables(tmp_path: Path) -> None:
    """The missingness table always; the pooled table only when it has rows."""
    missingness = tmp_path / "missingness.tsv"
    pd.DataFrame(
        {
            "variable": ["age", "miR-A"],
            "role": ["factor age", "marker (fold change)"],
            "n": [12, 12],
            "n_missing": [1, 0],
            "share_missing": [1 / 12, 0.0],
        }
    ).to_csv(missingness, sep="\t", index=False)
    pooled = tmp_path / "mice_pooled.tsv"
    pd.DataFrame(columns=list(POOLED_COLUMNS)).to_csv(pooled, sep="\t", index=False)
    assert survival_missing_part("", str(pooled)) == ""
    page = survival_missing_part(str(missingness), str(pooled))
    assert "Missing data" in page and "factor age" in page and "Rubin" not in page
    row = dict.fromkeys(POOLED_COLUMNS, 1.0) | {"endpoint": "os", "marker": "miR-A", "note": ""}
    pd.DataFrame([row]).to_csv(pooled, sep="\t", index=False)
    page = survival_missing_part(str(missingness), str(pooled))
    assert "Rubin" in page and "mice_pooled" in page
