"""Restricted cubic splines as R's ``rms::rcs`` builds them (``Hmisc::rcspline.eval``).

:func:`rcs_knots` places the knots by rcspline.eval's default rule (quantiles of the
non-missing values, outer knots moved inwards to the 5th smallest and largest values below 100
observations, tied extremes and few distinct values handled as R does); :func:`rcs_basis` is
the basis with ``inclx=TRUE`` and rcs's normalisation (``norm = 2``: every non-linear column
divided by ``(last knot - first knot)^2``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from esccrt.errors import InputError

#: Share of the observations at one extreme from which rcspline.eval moves that outer knot to
#: the next distinct value (its ``fractied`` argument, default 0.05).
TIED_SHARE = 0.05


def _outer_quantile(n_knots: int) -> float:
    """Quantile of the outer knots: 0.1 for 3 knots, 0.05 for 4-6, 0.025 from 7 (rcspline.eval)."""
    if n_knots > 6:
        return 0.025
    return 0.05 if n_knots > 3 else 0.1


def _quantiles(values: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """R's default quantile (type 7), which numpy's ``linear`` method is."""
    return np.quantile(values, probabilities, method="linear")


def _tied_extremes(values: np.ndarray) -> tuple[list[float], list[float], np.ndarray]:
    """First and last knot fixed at the second smallest / largest distinct value when at least
    ``TIED_SHARE`` of the observations sit on an extreme and no interior value does
    (rcspline.eval's ``fractied`` rule); the values left for the quantile knots."""
    _, counts = np.unique(values, return_counts=True)
    share = counts / len(values)
    first: list[float] = []
    last: list[float] = []
    if share[1:-1].max(initial=0.0) < TIED_SHARE:
        if share[0] >= TIED_SHARE:
            first = [float(values[values > values.min()].min())]
            values = values[values > first[0]]
        if share[-1] >= TIED_SHARE:
            last = [float(values[values < values.max()].max())]
            values = values[values < last[0]]
    return first, last, values


def rcs_knots(x: Sequence[float] | np.ndarray, n_knots: int) -> np.ndarray:
    """Knots of ``rms::rcs(x, n_knots)`` (rcspline.eval's default placement).

    Raises :class:`InputError` with fewer than 6 values or fewer than 3 distinct knots, where R
    stops too.
    """
    values = np.asarray(x, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) < 6:
        raise InputError(f"spline knots: {len(values)} values (at least 6 are needed).")
    if n_knots < 3:
        raise InputError(f"spline knots: {n_knots} requested (at least 3).")
    distinct = np.unique(values)
    if len(distinct) - 2 <= n_knots:
        # few distinct values: the interior ones become the knots
        return _distinct_knots(distinct[1:-1])
    outer = _outer_quantile(n_knots)
    first, last, inner = _tied_extremes(values)
    wanted = n_knots - len(first) - len(last)
    knots = _inner_knots(inner, wanted, outer, first, last, distinct)
    return _distinct_knots(np.concatenate([first, knots, last]))


def _inner_knots(
    values: np.ndarray,
    wanted: int,
    outer: float,
    first: list[float],
    last: list[float],
    distinct: np.ndarray,
) -> np.ndarray:
    """The knots between the fixed extremes (rcspline.eval's quantile placement)."""
    if wanted == 1:
        return np.array([np.median(values)])
    if len(distinct) <= wanted:
        return distinct  # R: all distinct values of x
    start = 0.5 if wanted == 2 else outer
    knots = _quantiles(values, np.linspace(start, 1 - outer, wanted))
    if len(np.unique(knots)) < min(wanted, 3):
        # R's alternate algorithm: twice as many quantiles, then the tied-extremes midpoint
        knots = _quantiles(values, np.linspace(outer, 1 - outer, 2 * wanted))
        if first and len(np.unique(knots)) < 3:
            middle = (first[0] + last[0]) / 2 if last else float(np.median(values))
            top = last[0] if last else float(_quantiles(values, np.array([1 - outer]))[0])
            knots = np.sort(np.array([first[0], middle, top]))
        return knots
    if len(values) < 100:
        # below 100 observations the outer knots sit on the 5th smallest / largest value
        ordered = np.sort(values)
        knots = knots.copy()
        if not first:
            knots[0] = ordered[4]
        if not last:
            knots[wanted - 1] = ordered[len(ordered) - 5]
    return knots


def _distinct_knots(knots: np.ndarray) -> np.ndarray:
    """Sorted distinct knots; fewer than 3 cannot make a spline (R stops)."""
    knots = np.unique(np.asarray(knots, dtype=float))
    if len(knots) < 3:
        raise InputError(f"spline knots: fewer than 3 distinct knots ({knots.tolist()}).")
    return knots


def rcs_basis(x: Sequence[float] | np.ndarray, knots: Sequence[float]) -> np.ndarray:
    """``rcspline.eval(x, knots, inclx = TRUE)`` with rcs's normalisation: column 0 is ``x``,
    then one non-linear column per interior knot (len(knots) - 2)."""
    x = np.asarray(x, dtype=float)
    k = np.asarray(knots, dtype=float)
    first, last, before_last = k[0], k[-1], k[-2]
    scale = (last - first) ** (2 / 3)

    def cube(shift: float) -> np.ndarray:
        return np.maximum((x - shift) / scale, 0.0) ** 3

    columns = [x]
    for knot in k[:-2]:
        tail = (before_last - knot) * cube(last) - (last - knot) * cube(before_last)
        columns.append(cube(knot) + tail / (last - before_last))
    return np.column_stack(columns)
