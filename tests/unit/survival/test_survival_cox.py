"""Untestable comparisons give NA with the reason: no events, event-free groups (log-rank, Cox,
Table 1)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from esccrt.survival.clinical import read_clinical
from esccrt.survival.cox import cox_table
from esccrt.survival.groups import derive_groups
from esccrt.survival.logrank import logrank, logrank_table
from esccrt.survival.settings import Endpoint, Factor
from esccrt.survival.table1 import table1, table1_markdown
from schema_sections import section_defaults

OS = Endpoint("os", "time", "event", "Overall survival")
#: survival.cox.p_threshold (unused by a given multivariate list, but a study choice)
P_THRESHOLD = section_defaults("survival")["cox"]["p_threshold"]


def test_no_events_gives_na_with_reason(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    path, fc = make_cohort(tmp_path, event=[0] * 12)
    clinical = read_clinical(path, [OS], factors)
    groups = derive_groups(clinical, fc, factors)
    tests, _ = logrank_table(clinical, groups, [OS], factors)
    assert tests["p"].isna().all()
    assert (tests["note"] == "no events in any group").all()
    cox = cox_table(
        clinical, groups, [OS], factors, multivariate=["age", "stage"], p_threshold=P_THRESHOLD
    )
    assert cox["hr"].isna().all() and (cox["note"] == "no events").all()
    assert cox["c_index"].isna().all() and cox["c_index_se"].isna().all()
    table = table1(groups, tests, factors, [OS])
    assert table["os_p"].isna().all() and "no events" in table["note"].iloc[0]
    assert "| NA |" in table1_markdown(table, [OS], demo=False)


def test_group_without_events_in_cox_is_na(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    path, fc = make_cohort(tmp_path, stage=["I", "II"] * 3 + ["III"] * 6, event=[0] * 6 + [1] * 6)
    clinical = read_clinical(path, [OS], factors)
    groups = derive_groups(clinical, fc, factors)
    cox = cox_table(clinical, groups, [OS], factors[1:2], multivariate=[], p_threshold=P_THRESHOLD)
    assert math.isnan(cox.iloc[0]["hr"])
    assert "no events in reference group 'I-II'" in cox.iloc[0]["note"]
    assert logrank(clinical["time"], clinical["event"], groups["stage"]).p < 1


def test_event_free_level_is_na_and_the_others_are_still_estimated(
    tmp_path: Path, make_cohort: Callable, factor_from_spec: Callable
) -> None:
    """Like the study's single PD patient without an event: its HR is NA, SD vs ORR is not."""
    response = ["ORR", "SD"] * 5 + ["PD", "PD"]
    path, fc = make_cohort(tmp_path, response=response, event=[1, 1, 0, 1] * 2 + [1, 0, 0, 0])
    factor = factor_from_spec(
        {
            "name": "response",
            "type": "categorical",
            "column": "response",
            "levels": [{"label": x} for x in ("ORR", "SD", "PD")],
        }
    )
    clinical = read_clinical(path, [OS], [factor])
    groups = derive_groups(clinical, fc, [factor])
    cox = cox_table(
        clinical, groups, [OS], [factor], multivariate=[], p_threshold=P_THRESHOLD
    ).set_index("contrast")
    assert math.isnan(cox.loc["PD vs ORR", "hr"])
    assert "no events in group 'PD'" in cox.loc["PD vs ORR", "note"]
    assert math.isfinite(cox.loc["SD vs ORR", "hr"]) and cox.loc["SD vs ORR", "n"] == 10
    assert "fitted without the event-free group 'PD'" in cox.loc["SD vs ORR", "note"]
