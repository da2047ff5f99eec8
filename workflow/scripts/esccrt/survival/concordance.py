"""Harrell's concordance index of a risk score for censored survival times, with its standard
error as ``survival::concordance()`` computes it (infinitesimal jackknife), and the same with
each comparable pair weighted by a weight of its earlier event (Uno's C: ``timewt = "n/G2"``).

Times closer than R's tolerance are made one time first (``survival::aeqSurv``, which
concordance applies by default: ``timefix = TRUE``). A pair is comparable when the earlier time
is an event; a censored time equal to an event time counts as later (still at risk), two events
at the same time are not compared. The pair is concordant when the earlier event has the higher
risk score; tied scores count one half.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: survival::aeqSurv's tolerance: sqrt(.Machine$double.eps).
TIME_TOLERANCE = math.sqrt(np.finfo(float).eps)


@dataclass(frozen=True)
class Concordance:
    """The C index, its standard error and the (weighted) pair counts behind it."""

    c: float
    se: float
    concordant: float
    discordant: float
    tied_risk: float


def tied_times(time: np.ndarray) -> np.ndarray:
    """``time`` with near-ties made ties, as ``survival::aeqSurv``: distinct times whose gap is
    at most :data:`TIME_TOLERANCE`, absolute or relative to their mean, become the smallest of
    their run."""
    time = np.asarray(time, dtype=float)
    distinct = np.unique(time[np.isfinite(time)])
    if len(distinct) < 2:
        return time
    gap = np.diff(distinct)
    tied = (gap <= TIME_TOLERANCE) | (gap / np.mean(np.abs(distinct)) <= TIME_TOLERANCE)
    if not tied.any():
        return time
    cuts = distinct[np.concatenate([[True], ~tied])]
    index = np.searchsorted(cuts, time, side="right") - 1
    return np.where(np.isfinite(time), cuts[np.maximum(index, 0)], time)


def concordance(
    time: np.ndarray, event: np.ndarray, risk: np.ndarray, weight: np.ndarray | None = None
) -> Concordance:
    """Harrell's C of ``risk`` (higher = earlier event, as a Cox linear predictor) and its
    standard error; NaN when no pair is comparable.

    ``weight`` (one per patient; default 1) weighs every pair whose earlier event is that
    patient's, as ``concordancefit``'s ``timewt`` weighs the pairs of an event time (the counts
    are then sums of weights). The standard error is that of ``survival::concordance()``
    (``sqrt(var)``): the sum of the squared influences of every patient on Somers' d, divided
    by 4, each pair's weight counted in the influence of both its patients and taken as known.
    """
    time, risk = tied_times(time), np.asarray(risk, dtype=float)
    event = np.asarray(event).astype(bool)
    pair_weight = np.ones(len(time)) if weight is None else np.asarray(weight, dtype=float)
    # comparable[i, j]: i had the event first (j later, or censored at the same time)
    later = (time[None, :] > time[:, None]) | ((time[None, :] == time[:, None]) & ~event[None, :])
    comparable = (event[:, None] & later) * pair_weight[:, None]
    concordant = comparable * (risk[:, None] > risk[None, :])
    discordant = comparable * (risk[:, None] < risk[None, :])
    tied = comparable * (risk[:, None] == risk[None, :])
    n_pairs = float(comparable.sum())
    if n_pairs <= 0:
        return Concordance(math.nan, math.nan, 0, 0, 0)
    counts = [float(m.sum()) for m in (concordant, discordant, tied)]
    if weight is None:
        counts = [int(c) for c in counts]
    somers_d = (counts[0] - counts[1]) / n_pairs

    def per_patient(pairs: np.ndarray) -> np.ndarray:
        """Pairs each patient takes part in (as the earlier or the later one)."""
        return pairs.sum(axis=1) + pairs.sum(axis=0)

    influence = (per_patient(concordant) - per_patient(discordant)) / n_pairs
    influence -= somers_d / n_pairs * per_patient(comparable)
    se = math.sqrt(float(np.sum(influence**2)) / 4)
    return Concordance((somers_d + 1) / 2, se, *counts)
