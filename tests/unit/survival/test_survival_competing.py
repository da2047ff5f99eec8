"""Competing risks: the 0/1/2 status of an endpoint naming its competing event (bad codes
named with file, line and patients; the cause-specific event column), the competing-risks
tables, and identities of the Aalen-Johansen and Fine-Gray estimators (R parity:
tests/parity/test_survival_competing_r.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from esccrt import paths
from esccrt.errors import InputError
from esccrt.report.survival_competing import survival_competing_part
from esccrt.survival.clinical import read_clinical
from esccrt.survival.competing import (
    ALL_PATIENTS,
    INCIDENCE_COLUMNS,
    NONE_CODED,
    competing_tables,
)
from esccrt.survival.continuous import fit_cox_matrix
from esccrt.survival.cumulative_incidence import aalen_johansen
from esccrt.survival.fine_gray import fine_gray
from esccrt.survival.groups import derive_groups
from esccrt.survival.logrank import kaplan_meier
from esccrt.survival.settings import Endpoint, Factor, endpoints_from_config
from esccrt.survival.stage import incidence_figures
from schema_sections import validated

OS = Endpoint("os", "time", "event", "Overall survival")
#: Progression with death before progression as its competing event.
PFS = Endpoint("pfs", "time", "event", "Progression-free survival", "death before progression")
STATUS = [1, 2, 0, 1, 1, 0, 1, 2, 0, 2, 1, 0]  # events and competing events in both pair groups


def _cohort_with_status(tmp_path: Path, make_cohort: Callable, status: list) -> Path:
    path, _ = make_cohort(tmp_path, event=status)
    return path


@pytest.mark.parametrize("value", ["3", "-1", "dead", "", "1.0"])
def test_bad_competing_codes_name_file_line_and_patient(
    tmp_path: Path, value: str, make_cohort: Callable, factors: list[Factor]
) -> None:
    path = _cohort_with_status(tmp_path, make_cohort, STATUS)
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.loc[2, "event"] = value
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=r"0 \(censored\), 1 \(event\) or 2 \(death before") as e:
        read_clinical(path, [PFS], factors)
    message = str(e.value)
    assert str(path) in message and "line 4" in message and "event" in message
    assert "P03" in message and repr(value) in message


def test_code_2_without_a_competing_event_names_the_config_key(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    path = _cohort_with_status(tmp_path, make_cohort, STATUS)
    with pytest.raises(InputError, match=r"survival.endpoints \(os\).competing") as error:
        read_clinical(path, [OS], factors)
    assert "line 3" in str(error.value) and "P02" in str(error.value)


def test_competing_event_is_censored_for_the_cause_specific_analyses(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    path = _cohort_with_status(tmp_path, make_cohort, STATUS)
    clinical = read_clinical(path, [PFS], factors)
    assert clinical[PFS.status].tolist() == STATUS
    assert clinical["event"].tolist() == [int(s == 1) for s in STATUS]


def test_a_0_1_table_reads_as_before(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    """No competing event configured: no status column, the events as written."""
    path, _ = make_cohort(tmp_path)
    clinical = read_clinical(path, [OS], factors)
    raw = pd.read_csv(path, sep="\t", dtype={"patient": str})
    assert list(clinical.columns) == list(raw.columns)
    assert clinical["event"].tolist() == raw["event"].tolist()


def test_endpoint_competing_comes_from_the_validated_config() -> None:
    section = validated(
        "survival",
        {
            "clinical": "clinical.tsv",
            "endpoints": [
                {"name": "os", "time": "t", "event": "e"},
                {"name": "pfs", "time": "t", "event": "p", "competing": "death"},
            ],
            "factors": [{"name": "f", "type": "fold_change", "targets": ["miR-A"]}],
            "diagnostic": {"endpoint": "os", "within": 12, "predictors": ["miR-A"]},
        },
    )
    assert [e.competing for e in endpoints_from_config(section)] == ["", "death"]
    assert section["competing_risks"]["estimator"] == "finegray"


def _tables(tmp_path: Path, make_cohort: Callable, factors: list[Factor], endpoint: Endpoint):
    """(clinical, groups, competing tables) of the small cohort, coded 0/1/2 (``STATUS``) when
    ``endpoint`` names a competing event, else 0/1."""
    path, fc = make_cohort(tmp_path, event=STATUS) if endpoint.competing else make_cohort(tmp_path)
    clinical = read_clinical(path, [endpoint], factors)
    groups = derive_groups(clinical, fc, factors)
    tables = competing_tables(
        clinical, groups, np.log2(fc), [endpoint], factors, [12.0, 24.0], "finegray"
    )
    return clinical, groups, tables


def test_without_competing_events_the_table_says_so(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    _, _, tables = _tables(tmp_path, make_cohort, factors, OS)
    assert tables.fine_gray[["endpoint", "note"]].values.tolist() == [["os", NONE_CODED]]
    assert tables.incidence.empty and tables.curves.empty
    assert list(tables.incidence.columns) == list(INCIDENCE_COLUMNS)


def test_tables_of_an_endpoint_with_competing_events(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    """One model per fold-change factor and per marker; the cumulative incidences of the event
    and of the competing event add up to 1 - Kaplan-Meier of being free of both."""
    clinical, groups, tables = _tables(tmp_path, make_cohort, factors, PFS)
    models = tables.fine_gray
    assert models["variable"].tolist() == ["pair", "miR-A", "miR-B"]
    assert models["analysis"].tolist() == ["group", "continuous", "continuous"]
    assert (models["competing_events"] == 3).all() and (models["events"] == 5).all()
    assert np.allclose(models["shr"], np.exp(models["coef"]))
    assert (models["ci_low"] < models["shr"]).all() and (models["shr"] < models["ci_high"]).all()
    incidence = tables.incidence.set_index(["factor", "group", "cause", "landmark"])["cif"]
    assert len(incidence) == 3 * 2 * 2  # all patients and 2 groups x 2 causes x 2 landmarks
    for factor, group in [
        (ALL_PATIENTS, ALL_PATIENTS),
        *(("pair", g) for g in groups["pair"].cat.categories),
    ]:
        members = (
            clinical.index if factor == ALL_PATIENTS else groups.index[groups[factor] == group]
        )
        any_event = (clinical.loc[members, PFS.status] > 0).astype(int)
        (km,) = kaplan_meier(
            clinical.loc[members, "time"], any_event, ["all"] * len(members)
        ).values()
        for landmark in (12.0, 24.0):
            both = incidence[(factor, group, "event", landmark)]
            both += incidence[(factor, group, "competing", landmark)]
            assert both == pytest.approx(1 - float(km.predict(landmark)), abs=1e-12)


def test_no_events_of_interest_gets_a_note(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    clinical, groups, _ = _tables(tmp_path, make_cohort, factors, PFS)
    clinical[PFS.status] = clinical[PFS.status].replace(1, 0)
    log2_fc = pd.DataFrame(index=clinical.index)
    tables = competing_tables(clinical, groups, log2_fc, [PFS], factors, [12.0], "finegray")
    assert tables.fine_gray["note"].tolist() == ["no events of interest: no model"]
    incidence = tables.incidence.set_index(["factor", "group", "cause"])["cif"]
    assert (incidence.xs("event", level="cause") == 0).all()
    assert incidence[(ALL_PATIENTS, ALL_PATIENTS, "competing")] > 0


def test_fine_gray_without_competing_events_is_the_cox_model() -> None:
    """No competing event: every weight is 1 and the model is Cox's (Efron ties)."""
    rng = np.random.default_rng(5)
    time = rng.integers(1, 15, 60).astype(float)  # tied times
    status = rng.integers(0, 2, 60)
    x = rng.normal(size=(60, 2))
    fit = fine_gray(time, status, x, "finegray")
    cox = fit_cox_matrix(time, status, x)
    np.testing.assert_allclose(fit.coef, cox.coef, rtol=1e-9)
    np.testing.assert_allclose(fit.naive_covariance, cox.covariance, rtol=1e-8)


def test_cumulative_incidence_without_competing_events_is_one_minus_kaplan_meier() -> None:
    rng = np.random.default_rng(7)
    time, status = rng.integers(1, 20, 50).astype(float), rng.integers(0, 2, 50)
    curve = aalen_johansen(time, status)
    (km,) = kaplan_meier(time, status, ["all"] * 50).values()
    expected = 1 - km.survival_function_at_times(curve.time).to_numpy()
    np.testing.assert_allclose(curve.estimate, expected, atol=1e-12)
    assert curve.at(np.array([0.5]))[0][0] == 0.0  # before the first event


def test_unknown_estimator_is_refused() -> None:
    with pytest.raises(ValueError, match="finegray"):
        fine_gray(np.array([1.0, 2.0]), np.array([1, 0]), np.ones((2, 1)), "breslow")


def test_report_renders_the_tables_the_stage_wrote(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    _, _, tables = _tables(tmp_path, make_cohort, factors, PFS)
    tables.fine_gray.to_csv(tmp_path / "competing_risks.tsv", sep="\t", index=False)
    tables.incidence.to_csv(tmp_path / "cumulative_incidence.tsv", sep="\t", index=False)
    page = survival_competing_part(
        str(tmp_path / "competing_risks.tsv"), str(tmp_path / "cumulative_incidence.tsv"), []
    )
    assert '<table id="competing_risks"' in page and '<table id="cumulative_incidence"' in page
    assert "death before progression" in page and "per doubling" in page
    assert f"{tables.fine_gray['shr'].iloc[0]:.3g}" in page
    assert survival_competing_part("", "", []) == ""


def test_stage_draws_the_cumulative_incidence_of_competing_endpoints(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor], monkeypatch
) -> None:
    """One figure per endpoint naming a competing event, at its path in esccrt.paths, and the
    report embeds it."""
    _, _, tables = _tables(tmp_path, make_cohort, factors, PFS)
    settings = SimpleNamespace(endpoints=[OS, PFS], time_unit="months")
    monkeypatch.chdir(tmp_path)  # the figures go to results/survival/ of the working directory
    incidence_figures(settings, tables.curves)
    figure = tmp_path / paths.fill(paths.SURVIVAL_INCIDENCE_PLOT, endpoint="pfs")
    assert figure.read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in (tmp_path / paths.SURVIVAL).iterdir()) == [figure.name]
    tables.fine_gray.to_csv("competing_risks.tsv", sep="\t", index=False)
    page = survival_competing_part("competing_risks.tsv", "", [str(figure), "roc.png"])
    assert page.count("data:image/png;base64,") == 1


def test_a_group_without_events_gets_a_note_not_a_ratio(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    """Every event in one group: the likelihood has no maximum, the row says why."""
    clinical, groups, _ = _tables(tmp_path, make_cohort, factors, PFS)
    low = groups["pair"].cat.categories[0]
    status = clinical[PFS.status].where((groups["pair"] == low) | (clinical[PFS.status] != 1), 0)
    clinical[PFS.status] = status
    log2_fc = pd.DataFrame(index=clinical.index)
    tables = competing_tables(clinical, groups, log2_fc, [PFS], factors, [12.0], "finegray")
    (row,) = tables.fine_gray.itertuples()
    assert row.variable == "pair" and np.isnan(row.shr) and "not estimable" in row.note
