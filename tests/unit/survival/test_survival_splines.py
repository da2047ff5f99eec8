"""Restricted cubic splines as rms::rcs builds them, on hand-checkable cases (R parity:
tests/parity/test_survival_continuous_r.py)."""

from __future__ import annotations

import numpy as np
import pytest
from esccrt.errors import InputError
from esccrt.survival.splines import rcs_basis, rcs_knots


def test_four_knots_at_rms_quantiles_from_100_values() -> None:
    """100 or more values: knots at the 0.05, 0.35, 0.65 and 0.95 quantiles (type 7)."""
    x = np.arange(201, dtype=float)  # quantile p of 0..200 is 200 p
    assert rcs_knots(x, 4).tolist() == [10.0, 70.0, 130.0, 190.0]


def test_outer_knots_move_inwards_below_100_values() -> None:
    """Below 100 values the outer knots sit on the 5th smallest and 5th largest value."""
    x = np.arange(40, dtype=float)
    knots = rcs_knots(x, 4)
    assert knots[0] == 4.0 and knots[-1] == 35.0
    assert knots[1:3] == pytest.approx(np.quantile(x, [0.35, 0.65]))


def test_few_distinct_values_give_the_interior_ones() -> None:
    """Distinct values - 2 <= knots asked: the interior distinct values are the knots."""
    x = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 5)
    assert rcs_knots(x, 5).tolist() == [2.0, 3.0, 4.0, 5.0]
    with pytest.raises(InputError, match="at least 6"):
        rcs_knots([1.0, 2.0, 3.0], 3)


def test_basis_is_linear_beyond_the_last_knot() -> None:
    """Column 0 is x; the non-linear columns are 0 below the first knot and linear in x beyond
    the last (the restriction), scaled by (last - first)^2."""
    knots = [0.0, 1.0, 2.0, 3.0]
    x = np.array([-1.0, 0.0, 4.0, 5.0, 6.0])
    basis = rcs_basis(x, knots)
    assert basis.shape == (5, 3) and basis[:, 0].tolist() == x.tolist()
    assert basis[:2, 1:].tolist() == [[0.0, 0.0], [0.0, 0.0]]
    slopes = np.diff(basis[2:, 1:], axis=0)
    np.testing.assert_allclose(slopes[0], slopes[1], rtol=1e-12)
    # at x = 4 the first column is ((4-0)^3 + ((2-0)(4-3)^3 - (3-0)(4-2)^3) / 1) / 9
    assert basis[2, 1] == pytest.approx((64 + 2 - 24) / 9)
