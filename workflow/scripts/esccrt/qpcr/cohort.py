"""Cohorts as they are: which samples exist, which patients have both timepoints of a pair.

A sample is a (patient, timepoint) with at least one well in the Ct table. A patient missing a
timepoint has no sample there, which is not an error: its samples stay in everything that does
not need the pair (replicate QC, reference stability, haemolysis) and the patient leaves the
paired fold changes only. :func:`unpaired_samples` names those patients (the stage writes it as
results/qpcr/unpaired_samples.tsv); a sample that exists but lacks a target's wells is still an
error (:func:`esccrt.qpcr.ct_table.check_design`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

#: Columns of results/qpcr/unpaired_samples.tsv: one row per patient and pair it cannot enter.
UNPAIRED_COLUMNS = (
    "patient",
    "comparison",
    "timepoint_present",
    "timepoint_missing",
    "reason",
)


def samples(table: pd.DataFrame) -> list[tuple[str, str]]:
    """The (patient, timepoint) samples of a Ct table or replicate summary, in table order."""
    pairs = table[["patient", "timepoint"]].drop_duplicates()
    return list(pairs.itertuples(index=False, name=None))


def ordered_samples(table: pd.DataFrame, timepoints: Sequence[str] | None) -> list[tuple[str, str]]:
    """:func:`samples` sorted by patient, then in the order of ``timepoints`` (others after)."""
    order = {tp: k for k, tp in enumerate(timepoints or ())}
    return sorted(samples(table), key=lambda s: (s[0], order.get(s[1], len(order)), s[1]))


def paired_patients(table: pd.DataFrame, first: str, second: str) -> list[str]:
    """Patients with a sample at both ``first`` and ``second``, sorted."""
    present = set(samples(table))
    patients = sorted({p for p, _ in present})
    return [p for p in patients if (p, first) in present and (p, second) in present]


def unpaired_samples(table: pd.DataFrame, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Patients with a sample at one timepoint of a pair but not the other, per pair.

    ``pairs`` are (from, to) timepoints, e.g. [(pre, post)]; the comparison is named "to vs
    from". A patient with neither timepoint of a pair is not listed for it.
    """
    present = set(samples(table))
    patients = sorted({p for p, _ in present})
    rows = []
    for first, second in pairs:
        for patient in patients:
            has = [(patient, tp) in present for tp in (first, second)]
            if sum(has) != 1:
                continue
            there, missing = (first, second) if has[0] else (second, first)
            rows.append(
                [
                    patient,
                    f"{second} vs {first}",
                    there,
                    missing,
                    f"no {missing} sample in the Ct table: left out of the paired fold "
                    f"changes ({second} vs {first}); its {there} sample stays in replicate QC, "
                    "reference stability and the haemolysis check",
                ]
            )
    return pd.DataFrame(rows, columns=list(UNPAIRED_COLUMNS))
