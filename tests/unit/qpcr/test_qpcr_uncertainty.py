"""SE and confidence intervals of relative quantities and fold changes (esccrt.qpcr.uncertainty).

Proven three ways: (a) against a hand computation written out from the formulas of Hellemans et
al. 2007 (qBase) in their linear form, on a small two-patient example; (b) against a Monte Carlo
simulation of the Cq replicates and efficiency estimates with the stated SDs, within the Monte
Carlo error of an SD; and the efficiency SEs read from the config and the curve analysis' table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.ct_table import CT_COLUMNS
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.uncertainty import (
    efficiency_inputs,
    fold_change_efficiencies,
    fold_change_se,
    read_efficiency_table,
    relative_quantities,
)
from schema_sections import qpcr_settings

Z95 = 1.959963984540054  # the 97.5 % normal quantile
TARGET, REFS = "miR-T", ["ref1", "ref2"]
EFFICIENCY = {"miR-T": 1.95, "ref1": 1.90, "ref2": 2.00}
EFFICIENCY_SE = {"miR-T": 0.03, "ref1": 0.02}  # ref2: none given -> 0
#: (patient, timepoint, assay) -> (mean Cq, replicate SD); three replicates mean-d, mean, mean+d
#: have that mean and SD = d.
CQ = {
    ("P1", "pre", "miR-T"): (30.0, 0.20),
    ("P1", "post", "miR-T"): (27.5, 0.10),
    ("P1", "pre", "ref1"): (20.0, 0.05),
    ("P1", "post", "ref1"): (20.6, 0.15),
    ("P1", "pre", "ref2"): (22.0, 0.10),
    ("P1", "post", "ref2"): (21.7, 0.10),
    ("P2", "pre", "miR-T"): (31.0, 0.30),
    ("P2", "post", "miR-T"): (32.2, 0.25),
    ("P2", "pre", "ref1"): (19.5, 0.10),
    ("P2", "post", "ref1"): (19.9, 0.05),
    ("P2", "pre", "ref2"): (23.0, 0.20),
    ("P2", "post", "ref2"): (22.4, 0.10),
}


def _ct_table(tmp_path: Path) -> Path:
    rows = [
        (p, tp, assay, i + 1, mean + step * sd)
        for (p, tp, assay), (mean, sd) in CQ.items()
        for i, step in enumerate((-1.0, 0.0, 1.0))
    ]
    path = tmp_path / "ct.tsv"
    pd.DataFrame(rows, columns=list(CT_COLUMNS)).to_csv(path, sep="\t", index=False)
    return path


def _settings(**keys: object):
    given = {"efficiencies": EFFICIENCY, "efficiency_se": EFFICIENCY_SE, "ct_limit": 40}
    return qpcr_settings([TARGET], REFS, **{**given, **keys})


def _se_cq(p: str, tp: str, assay: str) -> float:
    return CQ[(p, tp, assay)][1] / math.sqrt(3)


def _rq_and_se(assay: str, delta: float, se_delta: float) -> tuple[float, float]:
    """RQ = E^dCq and its SE from the partial derivatives (Hellemans et al. 2007):
    dRQ/dE = dCq E^(dCq-1), dRQ/d dCq = E^dCq ln E."""
    e, se_e = EFFICIENCY[assay], EFFICIENCY_SE.get(assay, 0.0)
    rq = e**delta
    se = math.sqrt((delta * e ** (delta - 1) * se_e) ** 2 + (rq * math.log(e) * se_delta) ** 2)
    return rq, se


def _normalised(goi: tuple[float, float], refs: list[tuple[float, float]]) -> tuple[float, float]:
    """NRQ = RQ / NF with NF the geometric mean of the references' RQ; qBase's SE_NF and SE_NRQ."""
    f = len(refs)
    nf = math.prod(rq for rq, _ in refs) ** (1 / f)
    se_nf = nf * math.sqrt(sum((se / (f * rq)) ** 2 for rq, se in refs))
    nrq = goi[0] / nf
    return nrq, nrq * math.sqrt((se_nf / nf) ** 2 + (goi[1] / goi[0]) ** 2)


def _hand_fold_change(p: str) -> tuple[float, float]:
    """Fold change post vs pre with the pre sample as calibrator, and its SE, by hand."""

    def rq(assay: str) -> tuple[float, float]:
        delta = CQ[(p, "pre", assay)][0] - CQ[(p, "post", assay)][0]
        se_delta = math.hypot(_se_cq(p, "pre", assay), _se_cq(p, "post", assay))
        return _rq_and_se(assay, delta, se_delta)

    return _normalised(rq(TARGET), [rq(r) for r in REFS])


def _hand_nrq(p: str, tp: str) -> tuple[float, float]:
    """NRQ of the target in one sample; calibrator: the assay's mean Cq over all four samples."""

    def rq(assay: str) -> tuple[float, float]:
        calibrator = np.mean([m for (_, _, a), (m, _) in CQ.items() if a == assay])
        return _rq_and_se(assay, calibrator - CQ[(p, tp, assay)][0], _se_cq(p, tp, assay))

    return _normalised(rq(TARGET), [rq(r) for r in REFS])


def test_fold_change_se_and_interval_equal_the_hand_computation(tmp_path: Path) -> None:
    fc = run_qpcr(_ct_table(tmp_path), _settings()).fold_changes_with_se().set_index("patient")
    for p in ("P1", "P2"):
        value, se = _hand_fold_change(p)
        row = fc.loc[p]
        assert row["fold_change"] == pytest.approx(value, rel=1e-12)  # the existing column
        assert row["fold_change_se"] == pytest.approx(se, rel=1e-12)
        assert row["log2_fold_change_se"] == pytest.approx(se / value / math.log(2), rel=1e-12)
        assert row["fold_change_ci_low"] == pytest.approx(value * math.exp(-Z95 * se / value))
        assert row["fold_change_ci_high"] == pytest.approx(value * math.exp(Z95 * se / value))
        assert row["ci_level"] == 0.95


def test_nrq_se_and_interval_equal_the_hand_computation(tmp_path: Path) -> None:
    rq = run_qpcr(_ct_table(tmp_path), _settings(ci_level=0.9)).relative_quantities
    assert len(rq) == 4 and set(rq["target"]) == {TARGET}
    z90 = 1.6448536269514722
    for row in rq.itertuples():
        nrq, se = _hand_nrq(row.patient, row.timepoint)
        assert row.nrq == pytest.approx(nrq, rel=1e-12)
        assert row.nrq_se == pytest.approx(se, rel=1e-12)
        assert row.nrq_ci_low == pytest.approx(nrq * math.exp(-z90 * se / nrq), rel=1e-12)
        assert row.nrq_ci_high == pytest.approx(nrq * math.exp(z90 * se / nrq), rel=1e-12)
        assert row.ci_level == 0.9
    # the configured timepoint order: pre before post
    assert rq["timepoint"].tolist() == ["pre", "post", "pre", "post"]


def _summary(means: dict, sds: dict, n: int) -> pd.DataFrame:
    """A replicate summary with these mean Cqs and SDs, n replicates each."""
    rows = [
        {"patient": p, "timepoint": tp, "target": a, "n_used": n, "mean_ct": m, "sd_ct": sds[k]}
        for k, m in means.items()
        for p, tp, a in [k]
    ]
    return pd.DataFrame(rows)


def _simulate_means(rng: np.random.Generator, means: dict, sds: dict, n: int, draws: int) -> dict:
    """Per key: ``draws`` means of n replicate Cqs drawn N(mean, SD)."""
    return {k: rng.normal(m, sds[k], size=(draws, n)).mean(axis=1) for k, m in means.items()}


def _simulate_efficiencies(rng: np.random.Generator, e: dict, se: dict, draws: int) -> dict:
    """Per assay: ``draws`` efficiency estimates N(E, SE_E), one per simulated experiment (each
    estimate shared by every sample of the experiment)."""
    return {a: rng.normal(e[a], se.get(a, 0.0), size=draws) for a in e}


def _simulated_log2_ratio(deltas: dict, e: dict) -> np.ndarray:
    """log2 of E_T^d_T / geometric mean of E_r^d_r: the point estimate, per simulated draw."""
    log2_rq = {a: d * np.log2(e[a]) for a, d in deltas.items()}
    return log2_rq[TARGET] - np.mean([log2_rq[r] for r in REFS], axis=0)


def _agrees(simulated: np.ndarray, propagated: float) -> tuple[float, float]:
    """(|empirical SD - propagated SE|, 4 x the Monte Carlo SE of the empirical SD)."""
    empirical = float(np.std(simulated, ddof=1))
    mc_se = empirical / math.sqrt(2 * (len(simulated) - 1))  # SE of a normal sample's SD
    return abs(empirical - propagated), 4 * mc_se


DRAWS = 40_000
MC_E = {"miR-T": 1.92, "ref1": 1.88, "ref2": 1.97}
MC_E_SE = {"miR-T": 0.05, "ref1": 0.04, "ref2": 0.03}


def test_fold_change_se_matches_monte_carlo() -> None:
    sds = {k: sd for k, (_, sd) in CQ.items()}
    means = {k: m for k, (m, _) in CQ.items()}
    inputs = efficiency_inputs([TARGET, *REFS], MC_E, MC_E_SE)
    summary = _summary(means, sds, 3)
    propagated = fold_change_se(summary, [TARGET], REFS, ("pre", "post"), inputs, 0.95)
    rng = np.random.default_rng(20070209)
    cq = _simulate_means(rng, means, sds, 3, DRAWS)
    e = _simulate_efficiencies(rng, MC_E, MC_E_SE, DRAWS)
    for p in ("P1", "P2"):
        deltas = {a: cq[(p, "pre", a)] - cq[(p, "post", a)] for a in MC_E}
        log2_fc = _simulated_log2_ratio(deltas, e)
        se = float(propagated.set_index("patient").at[p, "log2_fold_change_se"])
        difference, tolerance = _agrees(log2_fc, se)
        assert difference < tolerance, (p, se, np.std(log2_fc, ddof=1))
    # the efficiency term is exercised: P1's target changed by 2.5 cycles, and without the
    # efficiency SEs its SE is clearly smaller
    exact = fold_change_se(
        summary, [TARGET], REFS, ("pre", "post"), efficiency_inputs([TARGET, *REFS], MC_E, {}), 0.95
    )
    assert propagated.at[0, "log2_fold_change_se"] > 1.2 * exact.at[0, "log2_fold_change_se"]


def test_nrq_se_matches_monte_carlo() -> None:
    """qBase takes the calibrator (the assay's mean Cq over the samples) as a constant: the
    simulation holds it at its value and draws the sample's Cqs and the efficiencies."""
    sds = {k: sd for k, (_, sd) in CQ.items()}
    means = {k: m for k, (m, _) in CQ.items()}
    inputs = efficiency_inputs([TARGET, *REFS], MC_E, MC_E_SE)
    summary = _summary(means, sds, 2)
    propagated = relative_quantities(summary, [TARGET], REFS, ("pre", "post"), inputs, 0.95)
    calibrator = summary.groupby("target")["mean_ct"].mean()
    rng = np.random.default_rng(19)
    cq = _simulate_means(rng, means, sds, 2, DRAWS)
    e = _simulate_efficiencies(rng, MC_E, MC_E_SE, DRAWS)
    for row in propagated.itertuples():
        deltas = {a: calibrator[a] - cq[(row.patient, row.timepoint, a)] for a in MC_E}
        log2_nrq = _simulated_log2_ratio(deltas, e)
        difference, tolerance = _agrees(log2_nrq, row.log2_nrq_se)
        assert difference < tolerance, (row, np.std(log2_nrq, ddof=1))
        assert np.mean(log2_nrq) == pytest.approx(row.log2_nrq, abs=0.01)


def test_efficiency_se_from_config_else_table_else_zero(tmp_path: Path) -> None:
    table = tmp_path / "efficiencies.tsv"
    table.write_text(
        "target\tefficiency\tefficiency_se\tn_reactions\tsource\n"
        "miR-T\t1.93\t0.041\t12\tlinregpcr\n"
        "ref2\t1.98\t0.017\t12\tlinregpcr\n"
    )
    path = _ct_table(tmp_path)
    results = run_qpcr(path, _settings(), table)
    used = results.efficiency_uncertainty.set_index("target")
    # miR-T and ref1 are in qpcr.efficiency_se; ref2 only in the table
    assert used.loc["miR-T", "efficiency_se"] == 0.03
    assert used.loc["miR-T", "efficiency_se_source"] == "config qpcr.efficiency_se"
    assert used.loc["ref2", "efficiency_se"] == 0.017
    assert used.loc["ref2", "efficiency_se_source"] == str(table)
    # the factor is the one the fold changes use (qpcr.efficiencies), not the table's
    assert used.loc["ref2", "efficiency"] == 2.0
    alone = run_qpcr(path, _settings()).fold_changes_with_se()
    with_table = results.fold_changes_with_se()
    assert (with_table["fold_change_se"] > alone["fold_change_se"]).all()
    assert with_table["fold_change"].tolist() == alone["fold_change"].tolist()
    # no file (the curves were not analysed): config SEs only, ref2's taken as exact
    absent = run_qpcr(path, _settings(), tmp_path / "none.tsv").efficiency_uncertainty
    assert absent.set_index("target").at["ref2", "efficiency_se_source"].startswith("none")


def test_linregpcr_efficiency_source_takes_the_tables_factors_in_the_stage(tmp_path: Path) -> None:
    """With qpcr.efficiency_source linregpcr the stage's entry point (what the rule and the parity
    tests call) replaces qpcr.efficiencies by the table's factors: the same results as those
    factors configured by hand; without the table it stops, naming the key."""
    table = tmp_path / "efficiencies.tsv"
    table.write_text(
        "target\tefficiency\tefficiency_se\tn_reactions\tsource\n"
        "miR-T\t1.93\t0.041\t12\tlinregpcr\n"
        "ref1\t1.91\t0.022\t12\tlinregpcr\n"
        "ref2\t1.98\t0.017\t12\tlinregpcr\n"
    )
    path = _ct_table(tmp_path)
    curves = run_qpcr(path, _settings(efficiencies={}, efficiency_source="linregpcr"), table)
    factors = {"miR-T": 1.93, "ref1": 1.91, "ref2": 1.98}
    by_hand = run_qpcr(path, _settings(efficiencies=factors), table)
    pd.testing.assert_frame_equal(curves.fold_changes_with_se(), by_hand.fold_changes_with_se())
    pd.testing.assert_frame_equal(curves.efficiency_uncertainty, by_hand.efficiency_uncertainty)
    assert set(curves.fold_changes["method"]) == {"pfaffl"}
    with pytest.raises(InputError, match=r"qpcr\.efficiency_source is 'linregpcr'"):
        run_qpcr(path, _settings(efficiencies={}, efficiency_source="linregpcr"))


def test_livak_without_efficiency_se_propagates_replicate_sd_only(tmp_path: Path) -> None:
    settings = qpcr_settings([TARGET], REFS, ct_limit=40)
    fc = run_qpcr(_ct_table(tmp_path), settings).fold_changes_with_se().set_index("patient")
    p = "P1"
    var = _se_cq(p, "pre", TARGET) ** 2 + _se_cq(p, "post", TARGET) ** 2
    var += sum(_se_cq(p, tp, r) ** 2 for tp in ("pre", "post") for r in REFS) / 4
    # every E = 2: SE of log2 FC = SE of ddCq
    assert fc.at[p, "log2_fold_change_se"] == pytest.approx(math.sqrt(var), rel=1e-12)
    assert fc.at[p, "log2_fold_change"] == pytest.approx(-fc.at[p, "ddct"], abs=1e-12)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("target\tefficiency\nmiR-T\t1.9\n", "missing column(s) ['efficiency_se']"),
        ("target\tefficiency\tefficiency_se\nmiR-T\t0.9\t0.01\n", "line 2, column 'efficiency'"),
        ("target\tefficiency\tefficiency_se\nmiR-T\t1.9\tx\n", "line 2, column 'efficiency_se'"),
        (
            "target\tefficiency\tefficiency_se\nmiR-T\t1.9\t0.01\nmiR-T\t1.8\t0.01\n",
            "listed more than once",
        ),
    ],
)
def test_bad_efficiency_table_names_file_line_and_column(
    tmp_path: Path, text: str, where: str
) -> None:
    path = tmp_path / "efficiencies.tsv"
    path.write_text(text)
    with pytest.raises(InputError, match=str(path)) as error:
        read_efficiency_table(path)
    assert where in str(error.value)


def test_fold_change_factors_come_from_the_one_checked_reader(tmp_path: Path) -> None:
    """A needed target without an efficiency is named first; any other bad value is refused by
    the reader's own check, as the uncertainty step refuses it."""
    path = tmp_path / "efficiencies.tsv"
    path.write_text("target\tefficiency\tefficiency_se\nmiR-T\t\t\nmiR-R\t0.9\t0.01\n")
    with pytest.raises(InputError, match=r"no LinRegPCR efficiency for \['miR-T'\]"):
        fold_change_efficiencies(path, ["miR-T", "miR-R"])
    with pytest.raises(InputError, match=r"line 2, column 'efficiency'"):
        fold_change_efficiencies(path, ["miR-R"])


def test_bad_efficiency_se_config_names_the_key() -> None:
    with pytest.raises(InputError, match=r"qpcr\.efficiency_se\.miR-X"):
        _settings(efficiency_se={"miR-X": 0.01})
