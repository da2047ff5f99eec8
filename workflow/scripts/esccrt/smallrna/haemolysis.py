"""Haemolysis from sequencing: DraculR's haemolysis metric of plasma small-RNA libraries
(Smith et al. 2022, Genes 13:1288; github.com/mxhp75/DraculR), a criterion of the per-sample
QC (:mod:`esccrt.smallrna.sample_qc`).

The metric of a sample is the difference between the geometric mean of the log2 CPM of the
signature miRNAs (the 20 red-cell-enriched miRNAs the paper found) and that of every other
miRNA ("background"), computed on the cohort's mature count matrix as DraculR computes it:

1. libraries with at most ``min_library_reads`` miRNA reads are left out (DraculR: poorly
   sequenced, no metric), counts below ``min_count`` set to 0, miRNAs without reads dropped;
2. miRNAs kept when their CPM, with edgeR's TMM normalisation factors, is above ``min_cpm`` in
   at least ``min_samples`` libraries (DraculR's "number in smallest group");
3. log2 CPM as edgeR's ``cpm(counts, log = TRUE)`` (prior count 2, library sizes the kept
   counts' column sums, no normalisation factors);
4. per sample, geometric mean of the signature's log2 CPM minus that of the background; as
   DraculR's ``geometric.mean`` (``exp(mean(log(x), na.rm = TRUE))``), log2 CPM values at or
   below 0 drop out (R's log gives NaN there, which ``na.rm`` removes). miRNAs of ``dropped``
   (signature miRNAs known to differ between the study's groups) count in neither mean.

A metric of 1.9 or more is DraculR's "Caution" (the schema's warn threshold), below it "Clear".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas and numpy are imported where used
    import numpy as np
    import pandas as pd

#: edgeR's defaults of TMM (calcNormFactors): trimmed shares of log ratios and of abundances.
TMM_LOG_RATIO_TRIM = 0.3
TMM_SUM_TRIM = 0.05
#: edgeR's ``cpm(log = TRUE)`` default prior count.
PRIOR_COUNT = 2.0


@dataclass(frozen=True)
class HaemolysisSettings:
    """The ``qc.criteria.haemolysis_draculr`` keys the metric needs (schema defaults)."""

    signature: tuple[str, ...]
    dropped: tuple[str, ...]
    min_library_reads: float
    min_count: float
    min_cpm: float
    min_samples: int

    @classmethod
    def from_config(cls, criterion: Mapping) -> HaemolysisSettings:
        """The settings of the validated criterion's section."""
        return cls(
            signature=tuple(criterion["signature"]),
            dropped=tuple(criterion["dropped"]),
            min_library_reads=criterion["min_library_reads"],
            min_count=criterion["min_count"],
            min_cpm=criterion["min_cpm"],
            min_samples=criterion["min_samples"],
        )


def _tmm_pair(obs: np.ndarray, ref: np.ndarray) -> float:
    """edgeR's TMM factor of one library against the reference (weighted trimmed mean of the
    log ratios, both trims by rank with ties averaged, as R's ``rank``)."""
    import numpy as np
    import pandas as pd

    n_obs, n_ref = obs.sum(), ref.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log2((obs / n_obs) / (ref / n_ref))
        abundance = (np.log2(obs / n_obs) + np.log2(ref / n_ref)) / 2
        variance = (n_obs - obs) / n_obs / obs + (n_ref - ref) / n_ref / ref
    finite = np.isfinite(log_ratio) & np.isfinite(abundance)
    log_ratio, abundance, variance = log_ratio[finite], abundance[finite], variance[finite]
    if log_ratio.size == 0 or np.max(np.abs(log_ratio)) < 1e-6:
        return 1.0
    n = log_ratio.size
    low_ratio = math.floor(n * TMM_LOG_RATIO_TRIM) + 1
    low_sum = math.floor(n * TMM_SUM_TRIM) + 1
    ratio_rank = pd.Series(log_ratio).rank().to_numpy()
    sum_rank = pd.Series(abundance).rank().to_numpy()
    keep = (ratio_rank >= low_ratio) & (ratio_rank <= n + 1 - low_ratio)
    keep &= (sum_rank >= low_sum) & (sum_rank <= n + 1 - low_sum)
    weighted = np.sum(log_ratio[keep] / variance[keep]) / np.sum(1 / variance[keep])
    return float(2 ** (weighted if np.isfinite(weighted) else 0.0))


def tmm_factors(counts: np.ndarray) -> np.ndarray:
    """edgeR's ``calcNormFactors(method = "TMM")`` of a features x libraries count matrix: the
    reference is the library whose upper quartile (of its proportions) is closest to the mean
    upper quartile; factors scaled to a geometric mean of 1."""
    import numpy as np

    counts = counts[(counts > 0).any(axis=1)]
    sizes = counts.sum(axis=0)
    upper = np.quantile(counts / sizes, 0.75, axis=0)
    if np.median(upper) < 1e-20:
        reference = int(np.argmax(np.sqrt(counts).sum(axis=0)))
    else:
        reference = int(np.argmin(np.abs(upper - upper.mean())))
    factors = np.array(
        [_tmm_pair(counts[:, j], counts[:, reference]) for j in range(counts.shape[1])]
    )
    return factors / np.exp(np.mean(np.log(factors)))


def log_cpm(counts: np.ndarray, prior_count: float = PRIOR_COUNT) -> np.ndarray:
    """edgeR's ``cpm(counts, log = TRUE)``: the prior count scaled by library size over the mean
    library size, added to each count and twice to the library size."""
    import numpy as np

    sizes = counts.sum(axis=0)
    prior = sizes / sizes.mean() * prior_count
    return np.log2((counts + prior) / ((sizes + 2 * prior) * 1e-6))


def geometric_mean(values: np.ndarray) -> float:
    """DraculR's ``geometric.mean``: ``exp(mean(log(x)))`` over the values whose log is a
    number (values below 0 drop out as R's NaN; NaN when none is left)."""
    import numpy as np

    with np.errstate(divide="ignore", invalid="ignore"):
        logged = np.log(values)
    logged = logged[~np.isnan(logged)]
    return float(np.exp(logged.mean())) if logged.size else math.nan


def kept_mirnas(counts: pd.DataFrame, settings: HaemolysisSettings) -> pd.DataFrame:
    """Steps 1-2: the libraries and miRNAs DraculR computes the metric on (``counts``: miRNAs x
    samples, raw counts)."""
    libraries = counts.loc[:, counts.sum(axis=0) > settings.min_library_reads]
    libraries = libraries.where(libraries >= settings.min_count, 0)
    libraries = libraries.loc[libraries.sum(axis=1) != 0]
    if libraries.empty:
        return libraries
    matrix = libraries.to_numpy(dtype=float)
    cpm = matrix / (matrix.sum(axis=0) * tmm_factors(matrix)) * 1e6
    return libraries.loc[(cpm > settings.min_cpm).sum(axis=1) >= settings.min_samples]


def haemolysis_metric(counts: pd.DataFrame, settings: HaemolysisSettings) -> pd.Series:
    """DraculR's haemolysis metric of each sample (columns of ``counts``, miRNAs x samples);
    NaN for the libraries left out and where a mean has no value."""
    import pandas as pd

    kept = kept_mirnas(counts, settings)
    metric = pd.Series(math.nan, index=counts.columns, dtype=float)
    if kept.empty:
        return metric
    logged = log_cpm(kept.to_numpy(dtype=float))
    signature = kept.index.isin([m for m in settings.signature if m not in settings.dropped])
    background = ~kept.index.isin(settings.signature)
    for column, sample in enumerate(kept.columns):
        values = logged[:, column]
        metric[sample] = geometric_mean(values[signature]) - geometric_mean(values[background])
    return metric


def haemolysis_notes(
    counts: pd.DataFrame, metric: pd.Series, settings: HaemolysisSettings
) -> dict[str, str]:
    """Why a sample has no metric: no signature miRNA in the matrix, or too few reads."""
    if not counts.index.isin(settings.signature).any():
        reason = "none of DraculR's signature miRNAs in the count matrix (human plasma method)"
        return dict.fromkeys(counts.columns, reason)
    notes = {}
    reads = counts.sum(axis=0)
    for sample in counts.columns:
        if reads[sample] <= settings.min_library_reads:
            notes[sample] = (
                f"{reads[sample]:,.0f} miRNA reads, DraculR needs more than "
                f"{settings.min_library_reads:,.0f}"
            )
        elif math.isnan(metric[sample]):
            notes[sample] = "no signature or background miRNA left after DraculR's filters"
    return notes


def sample_haemolysis(
    counts: pd.DataFrame, samples: Sequence[str], criterion: Mapping
) -> tuple[dict[str, float], dict[str, str]]:
    """The metric and note of each of ``samples`` from the mature count matrix (miRNAs x
    samples) with the validated ``qc.criteria.haemolysis_draculr`` section."""
    settings = HaemolysisSettings.from_config(criterion)
    table = counts[list(samples)]
    metric = haemolysis_metric(table, settings)
    notes = haemolysis_notes(table, metric, settings)
    return {sample: float(metric[sample]) for sample in samples}, notes
