"""Internal validation of the diagnostic AUC (Harrell's bootstrap, repeated cross-validation),
the vectorised log-rank of many splits, the fold-change cut-off scan and Table 1's q-values."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from esccrt.survival import validation
from esccrt.survival.clinical import read_clinical
from esccrt.survival.cutpoints import cutoff_scan, scan_variable
from esccrt.survival.diagnostic import logistic_fit, roc_auc
from esccrt.survival.groups import derive_groups
from esccrt.survival.logrank import logrank, logrank_splits, logrank_table
from esccrt.survival.multiplicity import bh_qvalues
from esccrt.survival.settings import Endpoint, Factor
from esccrt.survival.table1 import table1, table1_markdown
from esccrt.survival.validation import (
    cross_validated_auc,
    logistic_fits,
    stratified_folds,
    validated_auc,
    weighted_auc,
)

OS = Endpoint("os", "time", "event", "Overall survival")


def test_weighted_fits_and_auc_equal_the_expanded_sample() -> None:
    """A bootstrap sample given as counts is the sample with repeated patients."""
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 2)), rng.integers(0, 2, 30).astype(float)
    counts = rng.multinomial(30, np.full(30, 1 / 30), size=3)
    betas = logistic_fits(X, y, counts)
    for row, beta in zip(counts, betas, strict=True):
        expanded = np.repeat(np.arange(30), row)
        np.testing.assert_allclose(beta, logistic_fit(X[expanded], y[expanded]), atol=1e-8)
        score = np.column_stack([np.ones(30), X]) @ beta
        auc = weighted_auc(y, score, row)[0]
        assert auc == pytest.approx(roc_auc(y[expanded], score[expanded]))


def test_auc_of_many_resamples_is_computed_in_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks bound the memory of a large cohort's resamples and change no number."""
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 30).astype(float)
    scores, counts = rng.normal(size=(7, 30)), rng.integers(0, 3, (7, 30))
    whole = weighted_auc(y, scores, counts)
    monkeypatch.setattr(validation, "PAIRS_PER_BLOCK", 1)  # one resample per block
    np.testing.assert_array_equal(validation.weighted_auc(y, scores, counts), whole)


def test_noise_predictors_are_corrected_towards_one_half() -> None:
    """Pure noise: a flattering apparent AUC, a corrected and cross-validated AUC far lower."""
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(40, 4)), np.repeat([0.0, 1.0], 20)
    result = validated_auc(X, y, resamples=300, folds=5, repeats=5, seed=1)
    assert result.apparent > 0.65
    assert result.corrected < result.apparent - 0.08 and result.cv_auc < 0.55
    assert result.resamples_used == 300 and result.optimism > 0
    again = validated_auc(X, y, resamples=300, folds=5, repeats=5, seed=1)
    assert again == result


def test_stratified_folds_keep_both_outcomes_in_every_fold() -> None:
    y = np.array([1] * 7 + [0] * 13)
    folds = stratified_folds(y, 5, np.random.default_rng(0))
    for fold in range(5):
        assert set(y[folds == fold]) == {0, 1}
    assert np.bincount(folds).tolist() == [4] * 5
    # fewer cases than folds: as many folds as cases
    mean, sd = cross_validated_auc(
        np.arange(6.0), np.array([1, 1, 0, 0, 0, 0]), 5, 3, np.random.default_rng(0)
    )
    assert 0 <= mean <= 1 and sd >= 0


def test_logrank_of_many_splits_equals_lifelines() -> None:
    rng = np.random.default_rng(8)
    time, event = np.round(rng.exponential(12, 40), 0) + 1, rng.integers(0, 2, 40)  # ties
    x = rng.uniform(0, 3, 40)
    cuts = np.array([0.5, 1.0, 1.5, 2.5])
    chisq, p = logrank_splits(time, event, x[:, None] > cuts[None, :])
    for i, cut in enumerate(cuts):
        reference = logrank(time, event, np.where(x > cut, "high", "low"))
        assert chisq[i] == pytest.approx(reference.chisq, rel=1e-9)
        assert p[i] == pytest.approx(reference.p, rel=1e-9)
    empty_chisq, empty_p = logrank_splits(time, event, np.zeros((40, 1), dtype=bool))
    assert np.isnan(empty_chisq[0]) and np.isnan(empty_p[0])


def test_cutoff_scan_marks_the_configured_cutoff(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    """The configured cut-off's p is Table 1's; a pair is scanned on its larger fold change."""
    path, fc = make_cohort(tmp_path, n=24)
    clinical = read_clinical(path, [OS], factors)
    summary, curve = cutoff_scan(clinical, fc, [OS], factors, 0.2, 0.8)
    pair = next(f for f in factors if f.kind == "fold_change")
    assert summary["factor"].tolist() == [pair.name]
    row = summary.iloc[0]
    tests, _ = logrank_table(clinical, derive_groups(clinical, fc, factors), [OS], factors)
    assert row["configured_p"] == pytest.approx(tests.set_index("factor").at[pair.name, "p"])
    assert row["cutoffs_scanned"] == curve["scanned"].sum()
    assert curve.loc[curve["configured"], "cutoff"].tolist() == [pair.cutoff]
    assert scan_variable(fc, pair).equals(fc[["miR-A", "miR-B"]].max(axis=1))
    assert 0 < row["adjusted_p"] <= 1 and row["selected_cutoff"] in set(curve["cutoff"])


def test_table1_has_bh_qvalues_per_endpoint(
    tmp_path: Path, make_cohort: Callable, factors: list[Factor]
) -> None:
    path, fc = make_cohort(tmp_path)
    clinical = read_clinical(path, [OS], factors)
    groups = derive_groups(clinical, fc, factors)
    tests, _ = logrank_table(clinical, groups, [OS], factors)
    table = table1(groups, tests, factors, [OS])
    assert table.columns.tolist()[4:6] == ["os_p", "os_q"]
    first = table.drop_duplicates("factor")
    np.testing.assert_allclose(first["os_q"], bh_qvalues(first["os_p"]))
    markdown = table1_markdown(table, [OS], demo=False)
    assert "| OS p | OS q |" in markdown and "Benjamini-Hochberg" in markdown
