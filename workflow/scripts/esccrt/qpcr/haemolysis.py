"""Serum haemolysis check: the delta Ct of a serum miRNA and a red-cell miRNA per sample.

Red cells carry large amounts of a few miRNAs (miR-451a, miR-16, miR-486); when they burst in a
serum sample those miRNAs swamp the serum signal. The usual check compares the red-cell miRNA
miR-451a with miR-23a-3p, which red cells do not carry: dCt = Ct(miR-23a-3p) - Ct(miR-451a)
above about 7 flags a haemolysed sample, below about 5 haemolysis is unlikely (Blondal et al.
2013, Methods 59:S1; Shah et al. 2016). The pair and the threshold are configuration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from esccrt.qpcr.settings import QpcrSettings

HAEMOLYSIS_COLUMNS = (
    "patient",
    "timepoint",
    "reference",
    "marker",
    "reference_ct",
    "marker_ct",
    "delta_ct",
    "threshold",
    "status",
    "excluded_from_survival",
)


def haemolysis_table(
    summary: pd.DataFrame,
    *,
    reference: str,
    marker: str,
    threshold: float,
    exclude_from_survival: bool,
    timepoints: Sequence[str] | None,
) -> pd.DataFrame:
    """One row per (patient, timepoint) of ``summary``: dCt = Ct(reference) - Ct(marker).

    ``reference``, ``marker``, ``threshold`` and ``exclude_from_survival`` are the keys of the
    validated ``qpcr.haemolysis`` section (defaults in the schema only).

    ``summary`` holds the mean Ct per (patient, timepoint, target) (column ``mean_ct``).
    ``status`` is ``haemolysed`` when dCt > ``threshold``, ``ok`` otherwise, and
    ``not_measured`` when either miRNA has no usable Ct in that sample.
    ``excluded_from_survival`` marks every sample of a patient with a haemolysed sample when
    ``exclude_from_survival`` is set. Rows are sorted by patient, then in the order of
    ``timepoints`` (others after them).
    """
    means = summary.pivot_table(
        index=["patient", "timepoint"], columns="target", values="mean_ct", aggfunc="first"
    )
    samples = summary[["patient", "timepoint"]].drop_duplicates()
    order = {tp: k for k, tp in enumerate(timepoints or ())}
    samples = samples.assign(_order=samples["timepoint"].map(order).fillna(len(order)))
    samples = samples.sort_values(["patient", "_order", "timepoint"]).drop(columns="_order")
    means = means.reindex(pd.MultiIndex.from_frame(samples))
    reference_ct = means[reference] if reference in means else pd.Series(np.nan, means.index)
    marker_ct = means[marker] if marker in means else pd.Series(np.nan, means.index)
    delta = (reference_ct - marker_ct).to_numpy(dtype=float)
    status = np.where(
        np.isnan(delta), "not_measured", np.where(delta > threshold, "haemolysed", "ok")
    )
    table = samples.reset_index(drop=True).assign(
        reference=reference,
        marker=marker,
        reference_ct=reference_ct.to_numpy(dtype=float),
        marker_ct=marker_ct.to_numpy(dtype=float),
        delta_ct=delta,
        threshold=float(threshold),
        status=status,
    )
    flagged = set(table.loc[table["status"] == "haemolysed", "patient"])
    table["excluded_from_survival"] = bool(exclude_from_survival) & table["patient"].isin(flagged)
    return table[list(HAEMOLYSIS_COLUMNS)]


def haemolysis_from_settings(summary: pd.DataFrame, settings: QpcrSettings) -> pd.DataFrame:
    """:func:`haemolysis_table` of ``summary`` with the pair, threshold and exclusion of config
    section ``qpcr.haemolysis`` and the design's timepoints (``settings``)."""
    pair = settings.haemolysis
    return haemolysis_table(
        summary,
        reference=pair["reference"],
        marker=pair["marker"],
        threshold=pair["threshold"],
        exclude_from_survival=pair["exclude_from_survival"],
        timepoints=settings.timepoints,
    )


def excluded_patients(haemolysis: pd.DataFrame) -> list[str]:
    """Patients that the haemolysis table leaves out of the survival analysis (sorted)."""
    rows = haemolysis[haemolysis["excluded_from_survival"].astype(str).str.lower() == "true"]
    return sorted(set(rows["patient"].astype(str)))


def drop_patients(table: pd.DataFrame, patients: Iterable[str]) -> pd.DataFrame:
    """``table`` without the rows of ``patients`` (column ``patient``)."""
    return table[~table["patient"].astype(str).isin(set(patients))]
