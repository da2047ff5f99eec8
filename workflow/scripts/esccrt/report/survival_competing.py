"""The report's part on competing risks (results/survival/competing_risks.tsv,
cumulative_incidence.tsv and the cumulative incidence figures), as the survival stage wrote
them: the report renders, it recomputes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from esccrt import paths
from esccrt.io import read_tsv
from esccrt.report.html import image, table

#: The columns the report shows of the Fine-Gray models (the table on disk holds coef and se).
FINE_GRAY_SHOWN = [
    "endpoint",
    "competing_event",
    "analysis",
    "variable",
    "contrast",
    "n",
    "events",
    "competing_events",
    "shr",
    "ci_low",
    "ci_high",
    "p",
    "note",
]


def survival_competing_part(competing_path: str, incidence_path: str, plots: Sequence[str]) -> str:
    """Fine-Gray models, the cumulative incidence at the landmarks and its figure per endpoint
    ("" when the stage wrote no table); an endpoint without a competing event shows the
    stage's note."""
    if not competing_path:
        return ""
    models = read_tsv(competing_path)
    parts = [
        "<h3>Competing risks</h3>",
        "<p>Endpoints whose status codes a competing event (2): the Kaplan-Meier, log-rank and "
        "Cox analyses above censor it (cause-specific hazards). Here the Fine-Gray "
        "subdistribution hazard ratio (sHR, Fine &amp; Gray 1999) of each fold-change group "
        "and per doubling of each marker's fold change, with robust 95 % CI, and the "
        "Aalen-Johansen cumulative incidence (CIF) of the event and of the competing event at "
        "the landmarks with log(-log) 95 % CI.</p>",
        table(models.reindex(columns=FINE_GRAY_SHOWN), "competing_risks", digits=3),
    ]
    incidence = read_tsv(incidence_path) if incidence_path else None
    if incidence is not None and not incidence.empty:
        parts.append(table(incidence, "cumulative_incidence", digits=3))
    prefix = Path(paths.SURVIVAL_INCIDENCE_PLOT.replace("{endpoint}", "")).stem
    for plot in plots:
        if Path(plot).stem.startswith(prefix):
            caption = "Cumulative incidence: the event solid, the competing event dashed"
            parts.append(image(plot, caption, True))
    return "".join(parts)
