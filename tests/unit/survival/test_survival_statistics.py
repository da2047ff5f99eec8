"""Pure statistics of the survival arm on hand-worked examples: DeLong, Harrell's C, the
maximally selected log-rank statistic and Benjamini-Hochberg q-values (R parity:
tests/parity/test_survival_statistics_r.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from esccrt.survival.concordance import concordance, tied_times
from esccrt.survival.delong import delong_auc
from esccrt.survival.maxstat import (
    candidate_splits,
    lausen_schumacher_p,
    logrank_scores,
    maxstat_logrank,
    split_statistics,
)
from esccrt.survival.multiplicity import bh_qvalues


def test_delong_by_hand() -> None:
    """Cases 0.8, 0.6; controls 0.7, 0.3, 0.1: placements (1, 2/3) and (1/2, 1, 1), AUC 5/6,
    variance 1/36 + 1/36."""
    y = np.array([1, 1, 0, 0, 0])
    result = delong_auc(y, np.array([0.8, 0.6, 0.7, 0.3, 0.1]))
    assert result.auc == pytest.approx(5 / 6)
    assert result.se == pytest.approx(math.sqrt(1 / 18))
    assert result.ci_low == pytest.approx(5 / 6 - 1.959963985 * math.sqrt(1 / 18))
    assert result.ci_high == 1.0  # clipped, as pROC
    assert math.isnan(delong_auc(np.array([1, 0, 0]), np.array([1.0, 0.0, 0.5])).se)


def test_concordance_counts_by_hand() -> None:
    """A censored time equal to an event time counts as later; tied risks count one half."""
    result = concordance(
        np.array([1, 2, 2, 3, 4]), np.array([1, 1, 0, 1, 0]), np.array([5, 3, 4, 3, 1])
    )
    assert (result.concordant, result.discordant, result.tied_risk) == (6, 1, 1)
    assert result.c == pytest.approx(6.5 / 8)
    assert 0 < result.se < 0.5
    none = concordance(np.array([1.0, 2.0]), np.array([0, 0]), np.array([1.0, 2.0]))
    assert math.isnan(none.c)


def test_near_tied_times_are_tied_as_aeqsurv() -> None:
    """Gaps within sqrt(machine epsilon) (absolute, or relative to the mean time) close."""
    time = np.array([0.1 + 0.2, 0.3, 7.0 + 1e-10, 7.0, 5.0, np.inf])
    np.testing.assert_array_equal(tied_times(time), [0.3, 0.3, 7.0, 7.0, 5.0, np.inf])
    assert tied_times(np.array([1.0, 2.0])).tolist() == [1.0, 2.0]


def test_weighted_concordance_by_hand() -> None:
    """Each pair weighs its earlier event's weight: (2 + 2 + 0.5 * 1) / (2 + 2 + 1)."""
    result = concordance(
        np.array([1.0, 2, 3]), np.array([1, 1, 0]), np.array([3.0, 1, 1]), np.array([2.0, 1, 9])
    )
    assert (result.concordant, result.discordant, result.tied_risk) == (4.0, 0.0, 1.0)
    assert result.c == pytest.approx(4.5 / 5)


def test_logrank_scores_are_event_minus_cumulative_hazard() -> None:
    """Without ties: event minus the Nelson-Aalen estimate at the patient's own time."""
    time = np.array([3.0, 1.0, 4.0, 2.0])
    event = np.array([1, 1, 0, 1])
    hazard = {
        1.0: 1 / 4,
        2.0: 1 / 4 + 1 / 3,
        3.0: 1 / 4 + 1 / 3 + 1 / 2,
        4.0: 1 / 4 + 1 / 3 + 1 / 2,
    }
    expected = [e - hazard[t] for t, e in zip(time, event, strict=True)]
    np.testing.assert_allclose(logrank_scores(time, event), expected)
    assert logrank_scores(time, event).sum() == pytest.approx(0.0)


def test_maxstat_scans_the_quantile_range() -> None:
    rng = np.random.default_rng(5)
    x = np.round(rng.uniform(0, 4, 50), 1)  # ties
    time = rng.exponential(10, 50) / np.where(x > 2.5, 3, 1)
    event = rng.integers(0, 2, 50)
    m = candidate_splits(x, 0.1, 0.9)
    assert m.min() >= 5 and m.max() <= 45
    result = maxstat_logrank(time, event, x, 0.1, 0.9)
    assert len(result.cutoffs) == len(m)
    statistics = split_statistics(logrank_scores(time, event), x, result.cutoffs)
    assert result.statistic == pytest.approx(statistics.max())
    assert result.cutoff == result.cutoffs[np.argmax(statistics)]
    assert result.p_adjusted == lausen_schumacher_p(result.statistic, 0.1, 0.9)
    narrower = maxstat_logrank(time, event, x, 0.3, 0.7)
    assert len(narrower.cutoffs) < len(result.cutoffs)


def test_lausen_schumacher_p_shape() -> None:
    assert lausen_schumacher_p(0.5, 0.1, 0.9) == 1.0
    values = [lausen_schumacher_p(b, 0.1, 0.9) for b in (2.0, 2.5, 3.0, 4.0)]
    assert values == sorted(values, reverse=True) and values[-1] > 0
    # a wider scanned range costs more: a larger adjusted p for the same statistic
    assert lausen_schumacher_p(3.0, 0.05, 0.95) > lausen_schumacher_p(3.0, 0.2, 0.8)


def test_bh_qvalues_by_hand() -> None:
    np.testing.assert_allclose(bh_qvalues([0.01, 0.02, 0.03, 0.04, 0.05]), [0.05] * 5)
    q = bh_qvalues([0.001, np.nan, 0.04, 0.5])  # NaN: not in the family of 3
    np.testing.assert_allclose(q, [0.003, np.nan, 0.06, 0.5])
    assert bh_qvalues([0.9, 0.95]).tolist() == [0.95, 0.95]
    assert np.isnan(bh_qvalues([np.nan])).all()
