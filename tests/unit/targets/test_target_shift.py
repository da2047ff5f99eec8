"""The target-set shift test (esccrt.target_shift): scipy's statistic, calibration on simulated
nulls, the matched background, and the planted shift of the demo simulator."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from esccrt import target_shift as ts
from scipy import stats

SETTINGS = ts.ShiftSettings(
    min_base_mean=10,
    utr_bins=3,
    expression_bins=3,
    background_per_target=5,
    min_targets=5,
    bootstrap=500,
    seed=2024,
    q_threshold=0.05,
    top_targets=3,
    padj_threshold=0.05,
    lfc_threshold=0.58,
)


def _world(rng: np.random.Generator, n_genes: int = 400, shift: float = 0.0, n_targets: int = 25):
    """A simulated recipient-cell DE table, 3'UTR lengths and one miRNA's targets.

    Fold changes depend on expression and 3'UTR length (noisier when low, lower when long), and
    targets are drawn in proportion to 3'UTR length: an unmatched comparison is confounded.
    """
    base_mean = np.exp(rng.normal(5, 1.5, n_genes)) + 10
    utr = np.exp(rng.normal(np.log(900), 0.8, n_genes))
    lfc = rng.normal(0, 0.2 + 2 / np.sqrt(base_mean)) - 0.15 * np.log(utr / 900)
    features = [f"G{k:04d}" for k in range(n_genes)]
    targets = rng.choice(n_genes, size=n_targets, replace=False, p=utr / utr.sum())
    lfc[targets] += shift
    de = pd.DataFrame(
        {"feature": features, "name": features, "baseMean": base_mean, "log2FoldChange": lfc}
    )
    utr_table = pd.DataFrame({"gene": features, "utr3_length": utr})
    pairs = pd.DataFrame(
        {
            "source": "sim",
            "miRNA": "hsa-miR-143-3p",
            "gene": [features[t] for t in targets],
            "tier": "all",
        }
    )
    return de, utr_table, pairs


MIRNA = pd.DataFrame({"feature": ["hsa-miR-143-3p"], "log2FoldChange": [1.8], "padj": [1e-6]})


def _p(rng: np.random.Generator, shift: float, settings: ts.ShiftSettings = SETTINGS) -> float:
    de, utr, pairs = _world(rng, shift=shift)
    genes, matched_on = ts.gene_table(de, utr, settings)
    results, _ = ts.shift_tests(MIRNA, pairs, genes, matched_on, settings)
    return float(results.loc[0, "p"])


def test_statistic_and_p_equal_scipy_on_the_compared_genes() -> None:
    """The table's U and p are scipy's mannwhitneyu on the genes the test wrote it compared."""
    de, utr, pairs = _world(np.random.default_rng(1), shift=-0.4)
    genes, matched_on = ts.gene_table(de, utr, SETTINGS)
    results, used = ts.shift_tests(MIRNA, pairs, genes, matched_on, SETTINGS)
    row = results.iloc[0]
    target = used.loc[used["role"] == "target", "log2FoldChange"].to_numpy()
    background = used.loc[used["role"] == "background", "log2FoldChange"].to_numpy()
    expected = stats.mannwhitneyu(target, background, alternative="less")
    assert row["U"] == expected.statistic and row["p"] == expected.pvalue
    assert row["n_targets"] == len(target) and row["n_background"] == len(background)
    assert row["median_difference"] == pytest.approx(np.median(target) - np.median(background))
    assert row["ci_low"] <= row["median_difference"] <= row["ci_high"]
    # The background has the targets' strata, five per target where the strata allow.
    strata = used.groupby("role")["stratum"].value_counts().unstack(0).fillna(0)
    assert set(strata.index[strata["background"] > 0]) == set(strata.index[strata["target"] > 0])
    available = genes.groupby("stratum").size() - strata["target"].reindex(
        genes["stratum"].unique(), fill_value=0
    )
    wanted = np.minimum(5 * strata["target"], available.reindex(strata.index))
    assert (strata["background"] == wanted).all()


def test_p_values_are_uniform_on_100_simulated_nulls() -> None:
    """No shift planted, fold changes confounded with 3'UTR length and expression: the matched
    test's p-values are uniform (KS p > 0.01) and below 0.05 in at most 10 % of runs."""
    rng = np.random.default_rng(20261207)
    p = np.array([_p(rng, 0.0) for _ in range(100)])
    ks = stats.kstest(p, "uniform")
    print(f"nulls: KS p {ks.pvalue:.3f}, p<0.05 in {np.mean(p < 0.05):.0%}")
    assert ks.pvalue > 0.01
    assert np.mean(p < 0.05) <= 0.10
    # The same nulls against an unmatched background (one bin): the confounding is real.
    unmatched = replace(SETTINGS, utr_bins=1, expression_bins=1)
    rng = np.random.default_rng(20261207)
    p = np.array([_p(rng, 0.0, unmatched) for _ in range(100)])
    ks = stats.kstest(p, "uniform")
    print(f"unmatched: KS p {ks.pvalue:.2g}, p<0.05 in {np.mean(p < 0.05):.0%}")
    assert np.mean(p < 0.05) >= 0.2


def test_a_planted_shift_is_found() -> None:
    rng = np.random.default_rng(7)
    p = np.array([_p(rng, -0.5) for _ in range(20)])
    assert np.mean(p < 0.05) >= 0.9


def test_bh_q_over_mirnas_and_untested_sets() -> None:
    de, utr, pairs = _world(np.random.default_rng(3), shift=-0.5)
    genes, matched_on = ts.gene_table(de, utr, SETTINGS)
    mirnas = pd.DataFrame(
        {
            "feature": ["hsa-miR-143-3p", "hsa-miR-9-5p"],
            "log2FoldChange": [1.8, -1.0],
            "padj": [1e-6, 1e-3],
        }
    )
    few = pairs.head(3).assign(miRNA="hsa-miR-9-5p")
    results, _ = ts.shift_tests(mirnas, pd.concat([pairs, few]), genes, matched_on, SETTINGS)
    tested = results.dropna(subset=["p"])
    assert list(tested["q"]) == list(stats.false_discovery_control(tested["p"], method="bh"))
    untested = results[results["miRNA"] == "hsa-miR-9-5p"].iloc[0]
    assert pd.isna(untested["p"]) and "fewer than 5" in untested["note"]
    assert untested["alternative"] == "greater"


def test_each_evidence_tier_is_tested_beside_all() -> None:
    de, utr, pairs = _world(np.random.default_rng(4), shift=-0.5, n_targets=30)
    pairs = pairs.assign(tier=["strong"] * 10 + ["weak"] * 20)
    genes, matched_on = ts.gene_table(de, utr, SETTINGS)
    results, used = ts.shift_tests(MIRNA, pairs, genes, matched_on, SETTINGS)
    assert results["tier"].tolist() == ["all", "strong", "weak"]
    counts = used[used["role"] == "target"].groupby("tier").size()
    assert counts["strong"] + counts["weak"] == counts["all"]


def test_no_de_mirna_gives_tables_with_their_headers() -> None:
    de, utr, pairs = _world(np.random.default_rng(5))
    genes, matched_on = ts.gene_table(de, utr, SETTINGS)
    results, used = ts.shift_tests(MIRNA.iloc[:0], pairs, genes, matched_on, SETTINGS)
    assert results.empty and list(results.columns) == ts.SHIFT_COLUMNS
    candidates = ts.candidate_table(results, used, None, None, 3)
    assert candidates.empty and "top_down_targets" in candidates.columns
