"""DeLong's variance of the area under the ROC curve and its normal 95 % interval.

DeLong, DeLong and Clarke-Pearson (1988): the AUC is the mean of the cases' placements among
the controls; its variance is estimated from the placements of cases and controls. The interval
is that of ``pROC::ci.auc(method = "delong")``: normal, clipped to [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import norm


@dataclass(frozen=True)
class DelongAuc:
    """An AUC with its DeLong standard error and confidence interval (NaN when undefined)."""

    auc: float
    se: float
    ci_low: float
    ci_high: float


def placements(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong placements: per case, the share of controls scored lower (ties one half); per
    control, the share of cases scored higher. Higher scores point to a case (``y == 1``)."""
    y, score = np.asarray(y), np.asarray(score, dtype=float)
    cases, controls = score[y == 1], score[y == 0]
    above = (cases[:, None] > controls[None, :]) + 0.5 * (cases[:, None] == controls[None, :])
    return above.mean(axis=1), above.mean(axis=0)


def delong_auc(y: np.ndarray, score: np.ndarray, level: float = 0.95) -> DelongAuc:
    """AUC, DeLong standard error and normal ``level`` interval clipped to [0, 1].

    Needs at least two cases and two controls (else NaN), as ``pROC::ci.auc``.
    """
    case_places, control_places = placements(y, score)
    if len(case_places) < 2 or len(control_places) < 2:
        return DelongAuc(math.nan, math.nan, math.nan, math.nan)
    auc = float(case_places.mean())
    variance = np.var(case_places, ddof=1) / len(case_places)
    variance += np.var(control_places, ddof=1) / len(control_places)
    se = float(math.sqrt(variance))
    z = norm.ppf(0.5 + level / 2)
    return DelongAuc(auc, se, max(auc - z * se, 0.0), min(auc + z * se, 1.0))
