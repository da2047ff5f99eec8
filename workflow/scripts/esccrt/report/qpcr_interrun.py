"""The report's part on inter-run (inter-plate) calibration: the factors the calibration rule
wrote (results/qpcr/interrun_factors.tsv) and the patients whose pre and post samples sit on
different plates (plate_split_pairs.tsv); read from those tables, never recomputed."""

from __future__ import annotations

import html
import os

from esccrt.io import read_tsv
from esccrt.report.html import table

#: Columns read as text (plate and patient names may look like numbers).
TEXT_COLUMNS = ("plate", "target", "calibrators", "patient", "pre_plates", "post_plates")


def interrun_part(factors_path: str | os.PathLike[str], split_path: str | os.PathLike[str]) -> str:
    """Heading, one sentence on what was done, the factor table and the split pairs; nothing
    when no calibration ran and no patient's samples sit on different plates (one plate)."""
    factors = read_tsv(factors_path, TEXT_COLUMNS)
    split = read_tsv(split_path, TEXT_COLUMNS)
    if factors.empty and split.empty:
        return ""
    parts = ["<h3>Inter-run calibration</h3>"]
    if factors.empty:
        sentence = "None (qpcr.interrun_calibration.method none): Cq values as measured."
    else:
        method = html.escape(str(factors["method"].iloc[0]))
        sentence = (
            f"{method}: {factors['plate'].nunique()} plates, factors from "
            f"{factors['factor'].min():.4g} to {factors['factor'].max():.4g} (quantities divided "
            "by the factor of their plate and target)."
        )
    uncalibrated = split[~split["calibrated"].astype(str).eq("True")] if len(split) else split
    if len(uncalibrated):
        patients = ", ".join(sorted(set(uncalibrated["patient"].astype(str))))
        sentence += (
            " <b>Warning</b>: pre and post samples on different plates without "
            f"calibration for {len(uncalibrated)} patient-target pair(s) (patients "
            f"{html.escape(patients)}); plate differences enter their fold changes."
        )
    parts.append(f"<p>{sentence}</p>")
    if not factors.empty:
        parts.append(table(factors, "interrun-factors", searchable=False, digits=5))
    if len(split):
        parts.append("<p>Patients whose pre and post samples sit on different plates:</p>")
        parts.append(table(split, "plate-split-pairs", searchable=True))
    return "".join(parts)
