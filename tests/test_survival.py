"""Survival analysis against R `survival` (survdiff, coxph, survfit) numbers on lifelines'
datasets, the study's Table 1 counts on the simulated cohort, and the errors for bad inputs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from esccrt import qpcr
from esccrt import survival as sv
from esccrt.errors import InputError

OS = sv.Endpoint("os", "time", "event", "Overall survival")


def _dataset(shared_data: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / "lifelines" / "datasets" / f"{name}.csv")


# --------------------------------------------------------------------------- R references


def test_logrank_lung_by_sex_matches_r(shared_data: Path) -> None:
    """survdiff(Surv(time, status) ~ sex, lung): Chisq 10.3267 on 1 df, p 0.00131."""
    lung = _dataset(shared_data, "lung")
    res = sv.logrank(lung["time"], lung["status"], lung["sex"])
    assert res.chisq == pytest.approx(10.3267, abs=5e-4)
    assert res.p == pytest.approx(0.00131, abs=5e-6)
    assert res.df == 1 and res.events == 165 and res.n == 228


def test_km_medians_lung_match_r(shared_data: Path) -> None:
    """survfit medians: sex=1 270 days, sex=2 426 days."""
    lung = _dataset(shared_data, "lung")
    medians = sv.km_medians(sv.kaplan_meier(lung["time"], lung["status"], lung["sex"]))
    assert medians.set_index("level")["median"].to_dict() == {"1": 270.0, "2": 426.0}


def test_logrank_and_km_g3_match_r(shared_data: Path) -> None:
    """g3: log-rank RIT vs other p = 0.0138; KM and log-log 95 % CI of both groups."""
    g3 = _dataset(shared_data, "g3")
    group = np.where(g3["group"] == "RIT", "RIT", "other")
    event = g3["event"].astype(int)
    assert sv.logrank(g3["time"], event, group).p == pytest.approx(0.0138, abs=5e-5)
    fits = sv.kaplan_meier(g3["time"], event, group)
    rit = fits["RIT"].survival_function_at_times([25, 53]).to_numpy()
    np.testing.assert_allclose(rit, [0.909, 0.779], atol=5e-4)
    other = fits["other"]
    times = [9, 19, 32, 34]
    np.testing.assert_allclose(
        other.survival_function_at_times(times).to_numpy(), [0.833, 0.667, 0.5, 0.333], atol=5e-4
    )
    ci = other.confidence_interval_survival_function_.loc[times]
    np.testing.assert_allclose(ci.iloc[:, 0], [0.2731, 0.1946, 0.1109, 0.0461], atol=5e-4)
    np.testing.assert_allclose(ci.iloc[:, 1], [0.975, 0.904, 0.804, 0.676], atol=5e-4)


@pytest.mark.parametrize(
    ("status", "chisq", "p"),
    [([1, 1, 1, 1, 1, 1], 0.254237, 0.614107), ([1, 0, 1, 1, 0, 1], 0.384615, 0.535143)],
)
def test_logrank_hand_made_vectors_match_r(status: list[int], chisq: float, p: float) -> None:
    res = sv.logrank([10, 20, 30, 10, 20, 50], status, [1, 1, 1, 0, 0, 0])
    assert res.chisq == pytest.approx(chisq, abs=1e-6)
    assert res.p == pytest.approx(p, abs=1e-6)


def test_multigroup_logrank_dd_matches_r(shared_data: Path) -> None:
    """survdiff(Surv(duration, observed) ~ regime, dd): chisq 322.5991 (k - 1 df)."""
    dd = _dataset(shared_data, "dd")
    res = sv.logrank(dd["duration"], dd["observed"], dd["regime"])
    assert res.test == "multivariate_logrank"
    assert res.chisq == pytest.approx(322.5991, abs=1e-3)
    assert res.df == dd["regime"].nunique() - 1


def test_cox_rossi_matches_r(shared_data: Path) -> None:
    """coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio), Efron ties."""
    rossi = _dataset(shared_data, "rossi")
    covariates = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    fit, _ = sv.fit_cox(rossi, "week", "arrest", covariates)
    expected_coef = [
        -0.3794222,
        -0.0574377,
        0.3138998,
        -0.1497957,
        -0.4337039,
        -0.0848711,
        0.0914971,
    ]
    expected_se = [0.19138, 0.02200, 0.30799, 0.21222, 0.38187, 0.19576, 0.02865]
    np.testing.assert_allclose(fit["coef"], expected_coef, atol=5e-5)
    np.testing.assert_allclose(fit["se"], expected_se, atol=5e-5)
    assert fit.loc["prio", "hr"] == pytest.approx(math.exp(0.0914971), rel=1e-4)
    assert fit["ph_test_p"].between(0, 1).all()
    # the Schoenfeld test flags age and wexp (known from the lifelines/R documentation of rossi)
    assert fit.loc["age", "ph_test_p"] < 0.05 and fit.loc["fin", "ph_test_p"] > 0.05


def test_cox_lung_sex_matches_r(shared_data: Path) -> None:
    """coxph(Surv(time, status) ~ sex): coef -0.5310, HR 0.5880, p 0.00149, via the factor API."""
    lung = _dataset(shared_data, "lung").rename(columns={"status": "event"})
    lung["patient"] = [f"L{i}" for i in range(len(lung))]
    lung = lung.set_index("patient", drop=False)
    lung["sex"] = lung["sex"].astype(int).astype(str)
    factor = sv.Factor.from_config(
        {
            "name": "sex",
            "type": "categorical",
            "column": "sex",
            "levels": [{"label": "male", "values": ["1"]}, {"label": "female", "values": ["2"]}],
        },
        1.5,
    )
    groups = sv.derive_groups(lung, pd.DataFrame(index=lung.index), [factor])
    cox = sv.cox_table(lung, groups, [OS], [factor], multivariate=[])
    row = cox.iloc[0]
    assert row["contrast"] == "female vs male"
    assert row["hr"] == pytest.approx(0.5880, abs=5e-4)
    assert row["p"] == pytest.approx(0.00149, abs=2e-5)


# --------------------------------------------------------------------------- small cohorts


def _cohort(tmp_path: Path, n: int = 12, **overrides: list) -> tuple[Path, pd.DataFrame]:
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


FACTORS = [
    sv.Factor.from_config({"name": "age", "type": "numeric", "column": "age", "cutoff": 65}, 1.5),
    sv.Factor.from_config(
        {
            "name": "stage",
            "type": "categorical",
            "column": "stage",
            "levels": [
                {"label": "I-II", "values": ["I", "II"]},
                {"label": "III-IV", "values": ["III", "IV"]},
            ],
        },
        1.5,
    ),
    sv.Factor.from_config(
        {"name": "pair", "type": "fold_change", "targets": ["miR-A", "miR-B"]}, 1.5
    ),
]


def test_groups_and_labels(tmp_path: Path) -> None:
    path, fc = _cohort(tmp_path, age=[64, 65, 70, 30] * 3)
    clinical = sv.read_clinical(path, [OS], FACTORS)
    groups = sv.derive_groups(clinical, fc, FACTORS)
    assert list(groups["age"].cat.categories) == ["<65", ">=65"]
    assert groups["age"].tolist()[:4] == ["<65", ">=65", ">=65", "<65"]
    assert groups["stage"].tolist()[:4] == ["I-II", "I-II", "III-IV", "III-IV"]
    any_high = (fc > 1.5).any(axis=1)
    assert (groups["pair"] == "any >1.5").tolist() == any_high.tolist()
    assert FACTORS[2].label == "miR-A and miR-B"


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
    tmp_path: Path, column: str, value: object, message: str
) -> None:
    path, _ = _cohort(tmp_path)
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.loc[2, column] = str(value)
    table.to_csv(path, sep="\t", index=False)
    with pytest.raises(InputError, match=message) as error:
        sv.read_clinical(path, [OS], FACTORS)
    assert str(path) in str(error.value) and "line 4" in str(error.value)


def test_patients_must_match_both_ways() -> None:
    with pytest.raises(InputError, match=r"only in the clinical table: \['P09'\].*\['P10'\]"):
        sv.check_patients(["P01", "P09"], ["P01", "P10"])


def test_configured_level_without_patient(tmp_path: Path) -> None:
    path, fc = _cohort(tmp_path, stage=["III"] * 12)
    clinical = sv.read_clinical(path, [OS], FACTORS)
    with pytest.raises(InputError, match=r"stage.*\['I-II'\] have no patient"):
        sv.derive_groups(clinical, fc, FACTORS)


def test_no_events_gives_na_with_reason(tmp_path: Path) -> None:
    path, fc = _cohort(tmp_path, event=[0] * 12)
    clinical = sv.read_clinical(path, [OS], FACTORS)
    groups = sv.derive_groups(clinical, fc, FACTORS)
    tests, _ = sv.logrank_table(clinical, groups, [OS], FACTORS)
    assert tests["p"].isna().all()
    assert (tests["note"] == "no events in any group").all()
    cox = sv.cox_table(clinical, groups, [OS], FACTORS, multivariate=["age", "stage"])
    assert cox["hr"].isna().all() and (cox["note"] == "no events").all()
    table = sv.table1(groups, tests, FACTORS, [OS])
    assert table["os_p"].isna().all() and "no events" in table["note"].iloc[0]
    assert "| NA |" in sv.table1_markdown(table, [OS], demo=False)


def test_group_without_events_in_cox_is_na(tmp_path: Path) -> None:
    path, fc = _cohort(tmp_path, stage=["I", "II"] * 3 + ["III"] * 6, event=[0] * 6 + [1] * 6)
    clinical = sv.read_clinical(path, [OS], FACTORS)
    groups = sv.derive_groups(clinical, fc, FACTORS)
    cox = sv.cox_table(clinical, groups, [OS], FACTORS[1:2], multivariate=[])
    assert math.isnan(cox.iloc[0]["hr"])
    assert "no events in reference group 'I-II'" in cox.iloc[0]["note"]
    assert sv.logrank(clinical["time"], clinical["event"], groups["stage"]).p < 1


def test_event_free_level_is_na_and_the_others_are_still_estimated(tmp_path: Path) -> None:
    """Like the study's single PD patient without an event: its HR is NA, SD vs ORR is not."""
    response = ["ORR", "SD"] * 5 + ["PD", "PD"]
    path, fc = _cohort(tmp_path, response=response, event=[1, 1, 0, 1] * 2 + [1, 0, 0, 0])
    factor = sv.Factor.from_config(
        {
            "name": "response",
            "type": "categorical",
            "column": "response",
            "levels": [{"label": x} for x in ("ORR", "SD", "PD")],
        },
        1.5,
    )
    clinical = sv.read_clinical(path, [OS], [factor])
    groups = sv.derive_groups(clinical, fc, [factor])
    cox = sv.cox_table(clinical, groups, [OS], [factor], multivariate=[]).set_index("contrast")
    assert math.isnan(cox.loc["PD vs ORR", "hr"])
    assert "no events in group 'PD'" in cox.loc["PD vs ORR", "note"]
    assert math.isfinite(cox.loc["SD vs ORR", "hr"]) and cox.loc["SD vs ORR", "n"] == 10
    assert "fitted without the event-free group 'PD'" in cox.loc["SD vs ORR", "note"]


def test_diagnostic_model_separates_a_planted_signal() -> None:
    rng = np.random.default_rng(7)
    n = 60
    fc = pd.DataFrame({"miR-A": 2 ** rng.normal(0, 1, n)}, index=[f"P{i}" for i in range(n)])
    event = (np.log2(fc["miR-A"]) + rng.normal(0, 0.5, n) > 0).astype(int)
    clinical = pd.DataFrame({"time": np.where(event == 1, 5.0, 30.0), "event": event})
    clinical.index = fc.index
    roc, auc = sv.diagnostic_model(clinical, fc, OS, 12, ["miR-A"], n_bootstrap=200, seed=1)
    row = auc.iloc[0]
    assert row["auc"] > 0.85 and row["ci_low"] < row["auc"] < row["ci_high"] <= 1
    assert roc["fpr"].is_monotonic_increasing and roc.iloc[-1][["fpr", "tpr"]].tolist() == [1, 1]
    _, again = sv.diagnostic_model(clinical, fc, OS, 12, ["miR-A"], n_bootstrap=200, seed=1)
    assert again.iloc[0]["ci_low"] == row["ci_low"]  # fixed seed: reproducible


# --------------------------------------------------------------------------- simulated cohort

STUDY_TABLE1 = [
    (18, 22),
    (17, 23),
    (8, 32),
    (8, 32),
    (18, 22),
    (18, 22),
    (19, 7, 14),
    (20, 14, 1, 5),
    (27, 13),
    (19, 21),
    (24, 16),
    (20, 20),
    (18, 22),
    (15, 25),
]


@pytest.fixture(scope="module")
def demo_config(repo_root: Path) -> dict:
    """The demo's qpcr and survival sections of config/config.yaml."""
    path = repo_root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text()) if path.exists() else {}
    if "survival" not in config or "qpcr" not in config:
        pytest.skip(f"{path} has no qpcr/survival sections")
    if not (repo_root / config["survival"]["clinical"]).exists():
        pytest.skip("the simulated cohort (config/clinical.tsv) is absent")
    return config


def test_demo_table1_matches_study_counts(repo_root: Path, demo_config: dict) -> None:
    """Study Table 1 N and % exactly; the planted pair effect gives a significant PFS p."""
    section = demo_config["survival"]
    settings = qpcr.QpcrSettings.from_config(demo_config["qpcr"])
    fold_changes, _ = qpcr.run(repo_root / demo_config["qpcr"]["ct_table"], settings)
    endpoints = sv.endpoints_from_config(section)
    factors = sv.factors_from_config(section)
    clinical = sv.read_clinical(repo_root / section["clinical"], endpoints, factors)
    sv.check_patients(clinical.index, fold_changes["patient"])
    groups = sv.derive_groups(clinical, sv.fold_change_matrix(fold_changes), factors)
    tests, _ = sv.logrank_table(clinical, groups, endpoints, factors)
    table = sv.table1(groups, tests, factors, endpoints)
    blocks = [block for _, block in table.groupby("factor", sort=False)]
    assert [tuple(b["n"]) for b in blocks] == STUDY_TABLE1
    for block in blocks:
        expected = [round(100 * n / 40, 1) for n in block["n"]]
        assert block["percent"].tolist() == expected
    assert table.iloc[0]["percent"] == 45.0 and table.iloc[1]["percent"] == 55.0
    pair = table[table["factor"].str.contains("hsa-miR-143-3p and hsa-miR-223-3p")]
    assert pair["pfs_p"].iloc[0] < 0.05
    assert pair["level"].tolist() == ["both <=1.5", "any >1.5"]


def test_logistic_fit_and_auc_agree_with_scikit_learn() -> None:
    """The small IRLS fit and Mann-Whitney AUC equal scikit-learn's (unpenalised) results."""
    linear_model = pytest.importorskip("sklearn.linear_model")
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(11)
    X = rng.normal(size=(80, 3))
    y = (X @ [0.8, -0.5, 0.3] + rng.normal(size=80) > 0).astype(float)
    beta = sv.logistic_fit(X, y)
    reference = linear_model.LogisticRegression(C=1e12, tol=1e-12, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(beta[1:], reference.coef_[0], atol=1e-4)
    np.testing.assert_allclose(beta[0], reference.intercept_[0], atol=1e-4)
    score = np.column_stack([np.ones(len(X)), X]) @ beta
    score = np.round(score, 1)  # ties
    assert sv.roc_auc(y, score) == pytest.approx(metrics.roc_auc_score(y, score))
    roc = sv.roc_curve(y, score)
    assert np.trapezoid(roc["tpr"], roc["fpr"]) == pytest.approx(sv.roc_auc(y, score))
