"""The report's part on the marker Cox model's calibration at the landmarks
(results/survival/calibration.tsv and the calibration-curve figure), as the survival stage
wrote them: the report renders, it recomputes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from esccrt import paths
from esccrt.io import read_tsv
from esccrt.report.html import image, table

#: The columns the report shows (the table on disk holds the counts and the seed too).
SHOWN = [
    "endpoint",
    "landmark",
    "metric",
    "apparent",
    "lower",
    "upper",
    "optimism",
    "corrected",
    "events",
    "resamples_used",
    "note",
]


def survival_calibration_part(calibration_path: str, plots: Sequence[str]) -> str:
    """Calibration table and calibration-curve figure ("" when the stage wrote no table)."""
    if not calibration_path:
        return ""
    calibration = read_tsv(calibration_path)
    parts = [
        "<h3>Prognostic model at the landmarks: calibration</h3>",
        "<p>Outcome censored at each landmark (McLernon et al. 2023). O/E: observed "
        "(1 - Kaplan-Meier) over expected (mean predicted) risk, 1 is ideal; slope: Cox "
        "coefficient of cloglog(predicted risk), 1 is ideal, below 1 means risks too extreme; "
        "ICI, E50, E90, Emax: mean, median, 90th percentile and largest distance between the "
        "smoothed calibration curve (Cox model of rcs(cloglog(risk), 3)) and the diagonal. "
        "<em>apparent</em>: fitted and judged on the same patients; <em>corrected</em>: minus "
        "the bootstrap optimism, the model refitted on each resample.</p>",
        table(calibration.reindex(columns=SHOWN), "calibration", searchable=False, digits=3),
    ]
    by_stem = {Path(p).stem: p for p in plots}
    stem = Path(paths.SURVIVAL_CALIBRATION_PLOT).stem
    if stem in by_stem:
        caption = "Smoothed calibration curves: apparent and optimism-corrected"
        parts.append(image(by_stem[stem], caption, True))
    return "".join(parts)
