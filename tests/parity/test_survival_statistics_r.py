"""The new survival statistics against R, run live (without R or a package they fail, naming
`make test-tools`): DeLong CI (pROC), Harrell's C and its SE (survival::concordance), the
maximally selected log-rank statistic (maxstat, Lau92), BH q-values (p.adjust) and the
optimism-corrected AUC (rms::validate), on the demo cohort (through the library functions) and
on real data sets of /work/shared/data/lifelines/datasets.

R (tests/parity/r_survival_statistics.R) runs once for pROC, survival, maxstat and p.adjust, and
once for rms, on the files the fixtures write.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.survival.cox import cox_table, fit_cox
from esccrt.survival.cutpoints import cutoff_scan, scan_variable
from esccrt.survival.delong import delong_auc
from esccrt.survival.diagnostic import binary_outcome, logistic_fit
from esccrt.survival.maxstat import maxstat_logrank
from esccrt.survival.multiplicity import bh_qvalues
from esccrt.survival.table1 import table1
from esccrt.survival.validation import optimism_of_resamples, validated_auc
from prerequisites import TEST_TOOLS, missing

R_SCRIPT = Path(__file__).with_name("r_survival_statistics.R")
PACKAGES = ("survival", "pROC", "maxstat", "rms")
ROSSI = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
#: Resamples of the rms comparison (both sides), R's seed: see test_corrected_auc_matches_rms.
RMS_RESAMPLES, RMS_SEED = 500, 20


def _run_r(folder: Path, mode: str) -> dict:
    """Run the R script in ``mode`` (core or rms) on ``folder``; its numbers as
    ``{section: {name: {key: value}}}`` (a vector's keys numbered from 1: q1, q2, ...)."""
    subprocess.run(["Rscript", str(R_SCRIPT), str(folder), mode], check=True, capture_output=True)
    rows = pd.read_csv(folder / f"r_{mode}.tsv", sep="\t", keep_default_na=False)
    numbers: dict = {}
    for row in rows.itertuples():
        value = float("nan") if row.value == "NA" else float(row.value)
        numbers.setdefault(row.section, {}).setdefault(row.name, {})[row.key] = value
    return numbers


def _installed() -> set[str]:
    """The R packages of PACKAGES installed here (empty without Rscript)."""
    if shutil.which("Rscript") is None:
        return set()
    probe = "for (p in commandArgs(TRUE)) if (requireNamespace(p, quietly = TRUE)) cat(p, '')"
    found = subprocess.run(["Rscript", "-e", probe, *PACKAGES], capture_output=True, text=True)
    return set(found.stdout.split())


def _write(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, sep="\t", index=False, na_rep="NA")


def _dataset(shared_data: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(shared_data / "lifelines" / "datasets" / f"{name}.csv")


def _demo_diagnostic(cohort) -> tuple[np.ndarray, np.ndarray]:
    """The diagnostic model's predictors (log2 fold changes) and outcome on the demo."""
    diag = cohort.settings.diagnostic
    outcome, _ = binary_outcome(cohort.clinical, diag.endpoint, diag.within)
    fc = cohort.fold_changes.reindex(outcome.index)[list(diag.predictors)]
    return np.log2(fc.to_numpy(dtype=float)), outcome.to_numpy(dtype=float)


def _roc_inputs(folder: Path, cohort, shared_data: Path) -> dict:
    """Scores of the demo's diagnostic model and of two real ones (rossi, with ties)."""
    X, y = _demo_diagnostic(cohort)
    rossi = _dataset(shared_data, "rossi")
    rossi_X = rossi[["age", "prio"]].to_numpy(dtype=float)
    cases = {
        "demo": (y, np.column_stack([np.ones(len(y)), X]) @ logistic_fit(X, y)),
        "rossi_model": (
            rossi["arrest"].to_numpy(),
            logistic_fit(rossi_X, rossi["arrest"].to_numpy())[1:] @ rossi_X.T,
        ),
        "rossi_prio": (rossi["arrest"].to_numpy(), rossi["prio"].to_numpy(dtype=float)),
    }
    for name, (outcome, score) in cases.items():
        _write(pd.DataFrame({"y": outcome, "score": score}), folder / f"roc_{name}.tsv")
    return {name: delong_auc(*case) for name, case in cases.items()}


def _cox_inputs(folder: Path, cohort, shared_data: Path) -> dict:
    """Harrell's C of the demo's Cox models (as cox.tsv holds them) and of rossi's full model.

    R refits each model from the group labels (its own dummy coding: C depends on the fitted
    linear predictor only, which does not depend on the reference level).
    """
    settings = cohort.settings
    cox = cox_table(
        cohort.clinical,
        cohort.groups,
        settings.endpoints,
        settings.factors,
        multivariate=settings.multivariate,
        p_threshold=settings.p_threshold,
    )
    codes = {name: column.cat.codes for name, column in cohort.groups.items()}
    demo = cohort.clinical[[c for e in settings.endpoints for c in (e.time, e.event)]].copy()
    for name, code in codes.items():
        demo[name] = ["NA" if c < 0 else f"L{c}" for c in code]  # labels such as "NA" stay text
    _write(demo, folder / "cox_demo.tsv")
    _write(_dataset(shared_data, "rossi"), folder / "cox_rossi.tsv")
    label_to_name = {f.label: f.name for f in settings.factors}
    models, python = [], {}
    for (model, endpoint_name, factor), block in cox.groupby(["model", "endpoint", "factor"]):
        if model == "multivariate" or block["note"].fillna("").ne("").any():
            continue  # event-free levels: lifelines and R treat them differently; no C to compare
        endpoint = next(e for e in settings.endpoints if e.name == endpoint_name)
        key = f"uni_{endpoint_name}_{label_to_name[factor]}"
        models.append((key, "demo", endpoint.time, endpoint.event, label_to_name[factor]))
        python[key] = block.iloc[0][["c_index", "c_index_se"]].to_numpy(dtype=float)
    for endpoint in settings.endpoints:
        block = cox[(cox["model"] == "multivariate") & (cox["endpoint"] == endpoint.name)]
        terms = " ".join(label_to_name[f] for f in dict.fromkeys(block["factor"]))
        models.append((f"multi_{endpoint.name}", "demo", endpoint.time, endpoint.event, terms))
        python[f"multi_{endpoint.name}"] = block.iloc[0][["c_index", "c_index_se"]].to_numpy(float)
    fit, _ = fit_cox(_dataset(shared_data, "rossi"), "week", "arrest", ROSSI)
    models.append(("rossi", "rossi", "week", "arrest", " ".join(ROSSI)))
    python["rossi"] = np.array([fit.attrs["concordance"].c, fit.attrs["concordance"].se])
    columns = ["model", "data", "time", "event", "terms"]
    _write(pd.DataFrame(models, columns=columns), folder / "cox_models.tsv")
    return python


def _maxstat_inputs(folder: Path, cohort, shared_data: Path) -> dict:
    """The demo's cut-off scan (every fold-change factor x endpoint) and two real scans."""
    settings = cohort.settings
    low, high = settings.cutpoint_min_prop, settings.cutpoint_max_prop
    scan, _ = cutoff_scan(
        cohort.clinical, cohort.fold_changes, settings.endpoints, settings.factors, low, high
    )
    runs, python = [], {}
    factors = {f.name: f for f in settings.factors}
    for row in scan.itertuples():
        endpoint = next(e for e in settings.endpoints if e.name == row.endpoint)
        x = scan_variable(cohort.fold_changes.reindex(cohort.clinical.index), factors[row.factor])
        data = pd.DataFrame(
            {
                "time": cohort.clinical[endpoint.time],
                "event": cohort.clinical[endpoint.event],
                "x": x,
            }
        ).dropna()
        name = f"{row.endpoint}_{row.factor}"
        _write(data, folder / f"maxstat_{name}.tsv")
        runs.append((name, name, low, high))
        python[name] = (row.max_statistic, row.adjusted_p, row.selected_cutoff, row.cutoffs_scanned)
    rossi = _dataset(shared_data, "rossi")
    lung = _dataset(shared_data, "lung").dropna(subset=["ph.karno"])
    for name, time, event, x, props in (
        ("rossi_age", rossi["week"], rossi["arrest"], rossi["age"], (0.1, 0.9)),
        ("lung_karno", lung["time"], lung["status"], lung["ph.karno"], (0.2, 0.8)),
    ):
        _write(pd.DataFrame({"time": time, "event": event, "x": x}), folder / f"maxstat_{name}.tsv")
        runs.append((name, name, *props))
        found = maxstat_logrank(time, event, x, *props)
        python[name] = (found.statistic, found.p_adjusted, found.cutoff, len(found.cutoffs))
    _write(
        pd.DataFrame(runs, columns=["run", "data", "min_prop", "max_prop"]),
        folder / "maxstat_runs.tsv",
    )
    return python


def _bh_inputs(folder: Path, cohort, tests: pd.DataFrame) -> dict:
    """Table 1's q-values per endpoint, and a hand-made family with ties and a missing p."""
    settings = cohort.settings
    table = table1(cohort.groups, tests, settings.factors, settings.endpoints)
    first_rows = table.drop_duplicates("factor")
    python = {}
    for endpoint in settings.endpoints:
        name = f"table1_{endpoint.name}"
        _write(
            first_rows[[f"{endpoint.name}_p"]].set_axis(["p"], axis=1),
            folder / f"padjust_{name}.tsv",
        )
        python[name] = first_rows[f"{endpoint.name}_q"].to_numpy(dtype=float)
    hand = [0.01, 0.04, 0.04, np.nan, 0.5, 0.001, 1.0, 0.03, 0.2]
    _write(pd.DataFrame({"p": hand}), folder / "padjust_hand.tsv")
    python["hand"] = bh_qvalues(hand)
    return python


@pytest.fixture(scope="module")
def r_installed() -> set[str]:
    """The R packages of PACKAGES installed here."""
    return _installed()


@pytest.fixture(scope="module")
def rms_reference(tmp_path_factory, demo_cohort, r_installed: set[str]) -> tuple[dict, Path]:
    """rms::validate on the demo's diagnostic data (lrm on the same predictors), and the folder
    holding the bootstrap samples it drew."""
    if not {"rms", "survival"} <= r_installed:
        missing("Rscript with the R packages rms and survival (Debian: r-cran-rms)", TEST_TOOLS)
    folder = tmp_path_factory.mktemp("r_rms")
    X, y = _demo_diagnostic(demo_cohort)
    data = pd.DataFrame(X, columns=[f"x{i + 1}" for i in range(X.shape[1])])
    data.insert(0, "y", y.astype(int))
    _write(data, folder / "validate_demo.tsv")
    runs = pd.DataFrame(
        [("demo", "demo", RMS_RESAMPLES, RMS_SEED)], columns=["run", "data", "B", "seed"]
    )
    _write(runs, folder / "validate_runs.tsv")
    return _run_r(folder, "rms")["validate"]["demo"], folder


@pytest.fixture(scope="module")
def r_versus_python(
    tmp_path_factory, demo_cohort, demo_logrank, shared_data: Path, r_installed: set[str]
) -> tuple[dict, dict]:
    """(R's numbers, ours), R run once on the files written here."""
    lacking = {"survival", "pROC", "maxstat"} - r_installed
    if lacking:
        missing(
            f"Rscript with the R packages {sorted(lacking)} (Debian: r-cran-survival, "
            "r-cran-proc, r-cran-maxstat)",
            TEST_TOOLS,
        )
    folder = tmp_path_factory.mktemp("r_survival")
    python = {
        "delong": _roc_inputs(folder, demo_cohort, shared_data),
        "concordance": _cox_inputs(folder, demo_cohort, shared_data),
        "maxstat": _maxstat_inputs(folder, demo_cohort, shared_data),
        "bh": _bh_inputs(folder, demo_cohort, demo_logrank),
    }
    return _run_r(folder, "core"), python


def test_delong_ci_matches_proc(r_versus_python) -> None:
    """pROC::ci.auc(method = "delong"): AUC and both limits to 1e-12 (demo and rossi; measured
    1.1e-16 on 2026-12-06, formerly 1e-8)."""
    reference, python = r_versus_python
    assert set(reference["delong"]) == {"demo", "rossi_model", "rossi_prio"}
    for name, ours in python["delong"].items():
        r = reference["delong"][name]
        got = [ours.auc, ours.ci_low, ours.ci_high]
        np.testing.assert_allclose(got, [r["auc"], r["low"], r["high"]], rtol=0, atol=1e-12)
        assert ours.ci_low < ours.auc < ours.ci_high, name


def test_harrell_c_and_se_match_survival_concordance(r_versus_python) -> None:
    """survival::concordance(coxph(...)): C and sqrt(var) to 1e-12 (measured 1.1e-16 on
    2026-12-06, formerly 1e-6), every demo model of cox.tsv
    that has no event-free level, and rossi's seven-covariate model."""
    reference, python = r_versus_python
    assert len(python["concordance"]) >= 20 and "multi_pfs" in python["concordance"]
    for name, (c, se) in python["concordance"].items():
        r = reference["concordance"][name]
        np.testing.assert_allclose([c, se], [r["c"], r["se"]], rtol=0, atol=1e-12, err_msg=name)


def test_maxstat_matches_r_maxstat(r_versus_python) -> None:
    """maxstat.test(LogRank, Lau92): statistic and adjusted p to 1e-12 relative (measured 1.8e-15
    on 2026-12-06, formerly 1e-6 absolute), the cut-off to 1e-12 (measured: equal), same number
    of cut-offs (the demo's 12 scans of cutoff_scan, rossi age, lung Karnofsky)."""
    reference, python = r_versus_python
    assert len(python["maxstat"]) == 14
    for name, (statistic, p, cutoff, n_cuts) in python["maxstat"].items():
        r = reference["maxstat"][name]
        np.testing.assert_allclose([statistic, p], [r["statistic"], r["p"]], rtol=1e-12, atol=0)
        assert cutoff == pytest.approx(r["cutoff"], rel=1e-12) and n_cuts == r["n_cuts"], name


def test_bh_qvalues_match_p_adjust(r_versus_python) -> None:
    """p.adjust(method = "BH"): Table 1's q-values per endpoint and a family with ties and NA."""
    reference, python = r_versus_python
    for name, ours in python["bh"].items():
        r = np.array(list(reference["bh"][name].values()), dtype=float)
        np.testing.assert_allclose(
            ours, r, rtol=0, atol=1e-12, err_msg=name
        )  # measured 0 on 2026-12-06
    assert np.isnan(python["bh"]["hand"][3])


def test_corrected_auc_matches_rms_validate(rms_reference, demo_cohort) -> None:
    """Harrell's optimism-corrected AUC against rms::validate(lrm, B = 500) on the demo.

    Both bootstraps are random. (1) Independent streams (R: set.seed(20); ours: the demo's seed
    2024), same B: the corrected AUCs differ by 0.0011 (measured), asserted within 2.2e-3. For
    any other pair of seeds, 0.01 would be the bound: the optimism of one resample has an SD of
    about 0.08 on this data, so each mean of 500 has an SE of 0.0036 and their difference an SD
    of about 0.005 (0.01 is two SDs); the fixed seeds make the outcome reproducible. (2) The same
    500 samples (R's draws replayed from its seed): the optimism is the same to 1e-12 (measured:
    4.7e-16); it
    would differ only if lrm failed on a resample (R skips it; our fit has a tiny ridge).
    """
    r, folder = rms_reference
    X, y = _demo_diagnostic(demo_cohort)
    seed = demo_cohort.settings.diagnostic.seed
    diag = demo_cohort.settings.diagnostic
    ours = validated_auc(X, y, RMS_RESAMPLES, diag.cv_folds, diag.cv_repeats, seed)
    assert ours.apparent == pytest.approx(
        r["apparent"], abs=1e-12
    )  # measured 0 on 2026-12-06 (was 1e-9)
    print(f"corrected AUC: ours {ours.corrected:.4f}, rms {r['corrected']:.4f}")
    # measured 0.0011 on 2026-12-06 (ours 0.6714, rms 0.6703)
    assert abs(ours.corrected - r["corrected"]) < 2.2e-3
    assert ours.corrected < ours.apparent and r["corrected"] < r["apparent"]
    counts = np.loadtxt(folder / "boot_demo.tsv", dtype=float, ndmin=2)
    optimism, used = optimism_of_resamples(X, y, counts)
    assert used == RMS_RESAMPLES == r["used"]
    assert optimism == pytest.approx(
        r["optimism"], abs=1e-12
    )  # measured 4.7e-16 on 2026-12-06 (was 1e-6)
