"""Harrell's concordance index of a risk score for censored survival times, with its standard
error as ``survival::concordance()`` computes it (infinitesimal jackknife).

A pair is comparable when the earlier time is an event; a censored time equal to an event time
counts as later (still at risk), two events at the same time are not compared. The pair is
concordant when the earlier event has the higher risk score; tied scores count one half.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Concordance:
    """Harrell's C, its standard error and the pair counts behind it."""

    c: float
    se: float
    concordant: int
    discordant: int
    tied_risk: int


def concordance(time: np.ndarray, event: np.ndarray, risk: np.ndarray) -> Concordance:
    """Harrell's C of ``risk`` (higher = earlier event, as a Cox linear predictor) and its
    standard error; NaN when no pair is comparable.

    The standard error is that of ``survival::concordance()`` (``sqrt(var)``): the sum of the
    squared influences of every patient on Somers' d, divided by 4.
    """
    time, risk = np.asarray(time, dtype=float), np.asarray(risk, dtype=float)
    event = np.asarray(event).astype(bool)
    # comparable[i, j]: i had the event first (j later, or censored at the same time)
    later = (time[None, :] > time[:, None]) | ((time[None, :] == time[:, None]) & ~event[None, :])
    comparable = event[:, None] & later
    concordant = comparable & (risk[:, None] > risk[None, :])
    discordant = comparable & (risk[:, None] < risk[None, :])
    tied = comparable & (risk[:, None] == risk[None, :])
    n_pairs = int(comparable.sum())
    if n_pairs == 0:
        return Concordance(math.nan, math.nan, 0, 0, 0)
    counts = [int(m.sum()) for m in (concordant, discordant, tied)]
    somers_d = (counts[0] - counts[1]) / n_pairs

    def per_patient(pairs: np.ndarray) -> np.ndarray:
        """Pairs each patient takes part in (as the earlier or the later one)."""
        return pairs.sum(axis=1) + pairs.sum(axis=0)

    influence = (per_patient(concordant) - per_patient(discordant)) / n_pairs
    influence -= somers_d / n_pairs * per_patient(comparable)
    se = math.sqrt(float(np.sum(influence**2)) / 4)
    return Concordance((somers_d + 1) / 2, se, *counts)
