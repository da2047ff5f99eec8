"""Grubbs' test (esccrt.qpcr.outliers) against published critical values and a worked textbook
example, and its use for the replicates (esccrt.qpcr.replicates.summarise_replicates).

R's ``outliers::grubbs.test`` is not packaged for Debian (no r-cran-outliers), so the
independent references are printed ones:

- critical values G(alpha, n) for one outlier (G10), Harvey, *Analytical Chemistry 2.1*,
  Appendix 7 (chem.libretexts.org, "Critical Values for Grubb's Test"), alpha 0.05 and 0.01,
  n = 3..15, three decimals; ours agree within one unit of the last printed digit (measured
  largest difference 0.0008, n = 8 and 15: printed tables differ in that digit, the exact
  t-distribution formula here gives 2.12665 and 2.54831). Two cells of that page are misprints
  and left out: n = 7 at 0.05 reads 2.202 (larger than n = 8's 2.126; the series gives
  2.020), and n = 15 at 0.01 repeats n = 14's 2.755.
- the worked example of Harvey's section 4.6 (mass of U.S. pennies, problem 4.22's data):
  G_exp = |2.514 - mean| / s = 2.64 > G(0.05, 9) = 2.215, so 2.514 g is an outlier.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from esccrt.qpcr.outliers import grubbs_critical, grubbs_p_value, grubbs_test
from esccrt.qpcr.replicates import summarise_replicates

#: n -> G(0.05, n), G(0.01, n) as printed (None: misprint, see the module docstring).
HARVEY_APPENDIX_7 = {
    3: (1.155, 1.155),
    4: (1.481, 1.496),
    5: (1.715, 1.764),
    6: (1.887, 1.973),
    7: (None, 2.139),
    8: (2.126, 2.274),
    9: (2.215, 2.387),
    10: (2.290, 2.482),
    11: (2.355, 2.564),
    12: (2.412, 2.636),
    13: (2.462, 2.699),
    14: (2.507, 2.755),
    15: (2.549, None),
}
#: One unit in the table's last digit (three decimals).
TABLE_TOLERANCE = 0.001
PENNIES = [3.067, 3.049, 3.039, 2.514, 3.048, 3.079, 3.094, 3.109, 3.102]


@pytest.mark.parametrize("n", sorted(HARVEY_APPENDIX_7))
def test_critical_values_equal_the_published_table(n: int) -> None:
    for alpha, printed in zip((0.05, 0.01), HARVEY_APPENDIX_7[n], strict=True):
        if printed is not None:
            assert grubbs_critical(n, alpha) == pytest.approx(printed, abs=TABLE_TOLERANCE)


def test_penny_example_rejects_2_514() -> None:
    result = grubbs_test(np.array(PENNIES), 0.05)
    assert result is not None
    assert result.value == 2.514 and result.index == PENNIES.index(2.514)
    assert round(result.statistic, 2) == 2.64
    assert round(result.critical, 3) == 2.215
    assert result.is_outlier and result.p_value < 0.05


@pytest.mark.parametrize("n", [3, 5, 9, 20])
def test_p_value_at_the_critical_value_is_alpha(n: int) -> None:
    """The p-value and the critical value are the same t-distribution statement."""
    for alpha in (0.05, 0.01):
        assert grubbs_p_value(grubbs_critical(n, alpha), n) == pytest.approx(alpha, rel=1e-9)


def test_fewer_than_three_or_identical_values_are_not_tested() -> None:
    assert grubbs_test(np.array([20.0, 25.0]), 0.05) is None
    assert grubbs_test(np.array([20.0, 20.0, 20.0]), 0.05) is None


def _replicates(cts: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient": "P1",
            "timepoint": "pre",
            "target": "miR-A",
            "replicate": [str(i) for i in range(1, len(cts) + 1)],
            "ct": cts,
            "censored": "",
        }
    )


def test_grubbs_removes_the_rejected_replicate_and_records_it() -> None:
    cts = [25.0, 25.1, 24.9, 25.05, 24.95, 27.0]
    summary = summarise_replicates(_replicates(cts), 0.5, True, grubbs_alpha=0.05).iloc[0]
    assert summary["outlier_replicate"] == "6" and summary["outlier_ct"] == 27.0
    assert summary["n_used"] == 5
    assert summary["mean_ct"] == pytest.approx(np.mean(cts[:5]))
    assert "outlier_removed" in summary["flags"]


def test_grubbs_keeps_a_replicate_it_does_not_reject() -> None:
    """A triplicate with SD above the threshold: farthest-from-median drops one, Grubbs (n = 3,
    G = 1.15 at most) does not."""
    cts = [25.0, 25.2, 26.2]
    median_rule = summarise_replicates(_replicates(cts), 0.5, True).iloc[0]
    grubbs = summarise_replicates(_replicates(cts), 0.5, True, grubbs_alpha=0.05).iloc[0]
    assert median_rule["outlier_replicate"] == "3"
    assert grubbs["outlier_replicate"] == "" and math.isnan(grubbs["outlier_ct"])
    assert grubbs["n_used"] == 3 and "high_sd" in grubbs["flags"]


def test_no_removal_without_remove_outliers() -> None:
    cts = [25.0, 25.1, 24.9, 25.05, 24.95, 27.0]
    summary = summarise_replicates(_replicates(cts), 0.5, False, grubbs_alpha=0.05).iloc[0]
    assert summary["outlier_replicate"] == "" and summary["n_used"] == 6
