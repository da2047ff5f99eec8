"""geNorm reference-gene stability (Vandesompele et al. 2002, Genome Biol 3:research0034).

The input is a samples x candidates table of **log2** relative quantities (for Cq values with
perfect efficiency that is ``-Cq``; see :func:`esccrt.qpcr.stability.log2_quantities`). For each
candidate j, M_j is the mean over the other candidates k of the standard deviation across
samples of log2(a_j / a_k). The least stable candidate (largest M) is removed and M recomputed
until two remain (the pair cannot be ordered). The pairwise variation V_(n-1)/n is the standard
deviation of log2(NF_(n-1) / NF_n), NF_n being the geometric mean of the n best candidates; the
authors propose adding references until V drops below 0.15. The results are those of the R
package NormqPCR (``stabMeasureM``, ``selectHKs(method = "geNorm")``), first maximum on ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Vandesompele et al. 2002: an extra reference is not needed once V_(n-1)/n < 0.15.
PAIRWISE_V_CUTOFF = 0.15


def _log2_matrix(log2_quantities: pd.DataFrame) -> np.ndarray:
    """The table as floats; refuses missing values and fewer than two candidates or samples."""
    values = log2_quantities.to_numpy(dtype=float)
    if values.shape[1] < 2 or values.shape[0] < 2:
        raise ValueError(
            f"geNorm needs at least 2 candidates and 2 samples, got {values.shape[1]} "
            f"candidate(s) x {values.shape[0]} sample(s)."
        )
    if not np.isfinite(values).all():
        raise ValueError("geNorm needs a value for every candidate in every sample (no NaN).")
    return values


def genorm_m(log2_quantities: pd.DataFrame) -> pd.Series:
    """Gene-stability measure M of every candidate (column) across the samples (rows)."""
    values = _log2_matrix(log2_quantities)
    k = values.shape[1]
    ratios = values[:, :, None] - values[:, None, :]  # samples x j x k: log2(a_j / a_k)
    spread = ratios.std(axis=0, ddof=1)  # j x k, zero on the diagonal
    return pd.Series(spread.sum(axis=1) / (k - 1), index=log2_quantities.columns, name="m")


@dataclass(frozen=True)
class GenormResult:
    """geNorm's stepwise exclusion.

    ``m``: one row per step and remaining candidate (step, n_candidates, candidate, m).
    ``steps``: one row per step (step, n_candidates, average_m, excluded, pairwise_v), where
    ``pairwise_v`` is V_(n-1)/n between the candidates kept after the step and those before it
    (NaN at the last step). ``ranking``: candidates from most to least stable; the first two
    are the final, unorderable pair (in column order).
    """

    m: pd.DataFrame
    steps: pd.DataFrame
    ranking: tuple[str, ...]

    def ranks(self) -> pd.Series:
        """Rank per candidate: 1 for both of the final pair, then 3, 4, ... as excluded."""
        ranks = [1 if i < 2 else i + 1 for i in range(len(self.ranking))]
        return pd.Series(ranks, index=list(self.ranking), name="genorm_rank")

    def pairwise_v(self) -> pd.Series:
        """V_(n-1)/n indexed by its label ``"n-1/n"``, from the fewest candidates up."""
        steps = self.steps.dropna(subset=["pairwise_v"]).sort_values("n_candidates")
        labels = [f"{n - 1}/{n}" for n in steps["n_candidates"]]
        return pd.Series(steps["pairwise_v"].to_numpy(), index=labels, name="pairwise_v")


def genorm(log2_quantities: pd.DataFrame, keep: int = 2) -> GenormResult:
    """geNorm M at every exclusion step down to ``keep`` candidates, with V and the ranking."""
    _log2_matrix(log2_quantities)
    if not 2 <= keep <= log2_quantities.shape[1]:
        raise ValueError(f"keep must be between 2 and the number of candidates, got {keep}.")
    current = log2_quantities
    m_rows, step_rows = [], []
    excluded: list[str] = []
    for step in range(1, log2_quantities.shape[1] - keep + 2):
        m = genorm_m(current)
        n = len(m)
        m_rows += [(step, n, str(candidate), float(value)) for candidate, value in m.items()]
        last = n == keep
        worst = "" if last else str(m.index[int(np.argmax(m.to_numpy()))])
        pairwise_v = float("nan")
        if not last:
            kept = current.drop(columns=worst)
            # log2 of a geometric mean is the mean of the log2 values
            pairwise_v = float((kept.mean(axis=1) - current.mean(axis=1)).std(ddof=1))
            excluded.append(worst)
            current = kept
        step_rows.append((step, n, float(m.mean()), worst, pairwise_v))
    ranking = (*[str(c) for c in current.columns], *reversed(excluded))
    return GenormResult(
        m=pd.DataFrame(m_rows, columns=["step", "n_candidates", "candidate", "m"]),
        steps=pd.DataFrame(
            step_rows, columns=["step", "n_candidates", "average_m", "excluded", "pairwise_v"]
        ),
        ranking=ranking,
    )


def optimal_number(result: GenormResult, cutoff: float = PAIRWISE_V_CUTOFF) -> int:
    """Smallest n (at least 2) with V_n/(n+1) below ``cutoff``; all candidates if none is."""
    pairwise = result.steps.dropna(subset=["pairwise_v"]).sort_values("n_candidates")
    below = pairwise[pairwise["pairwise_v"] < cutoff]
    if below.empty:
        return len(result.ranking)
    return int(below["n_candidates"].iloc[0]) - 1
