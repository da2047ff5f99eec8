"""The report's qPCR QC tables: the grade of every sample per criterion and the flagged wells,
read from results/qpcr/sample_qc.tsv and well_qc.tsv (written by the qPCR stage; nothing is
recomputed here)."""

from __future__ import annotations

import html
import os

import pandas as pd

from esccrt.report.html import table


def _read(path: str | os.PathLike[str]) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def qpcr_qc_part(
    sample_qc_path: str | os.PathLike[str], well_qc_path: str | os.PathLike[str]
) -> str:
    """Counts of samples per overall grade, the sample table, and the wells with a flag."""
    samples = _read(sample_qc_path)
    wells = _read(well_qc_path)
    grades = samples["overall"].value_counts()
    counts = ", ".join(f"{grades.get(g, 0)} {g}" for g in ("pass", "warn", "fail"))
    flagged = wells[wells["flags"] != ""]
    return "".join(
        [
            "<h3>Quality control per sample</h3>",
            f"<p>{len(samples)} samples (patient and timepoint): {html.escape(counts)}. "
            "Criteria: amplification, replicate SD, outliers removed, melt curves, limit of "
            "detection, haemolysis (not_assessed where the data for a criterion are absent).</p>",
            table(samples, "qpcr-sample-qc", searchable=True),
            "<h3>Flagged wells</h3>",
            f"<p>{len(flagged)} of {len(wells)} wells carry a flag, with the reasons the qPCR "
            "stage wrote.</p>",
            table(flagged, "qpcr-well-qc", searchable=True),
        ]
    )
