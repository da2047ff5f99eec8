"""The report's part on miRNA targets in the recipient cells (rules mirna_targets and
target_shift): the sources with their versions, what did not map, the shift tests, the candidate
table and the cumulative-distribution plots. Rendered from the tables as written."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from esccrt.io import read_tsv
from esccrt.report.html import image, table
from esccrt.report.inputs import ReportInputs

TEXT_COLUMNS = ("miRNA", "source", "tier", "gene", "name", "release", "origin", "sha256", "note")


def _answer(shift: pd.DataFrame) -> str:
    """One sentence: the miRNAs whose targets moved against them (tier 'all', q below the
    threshold the stage applied: column ``significant``)."""
    called = shift[(shift["tier"] == "all") & shift["significant"].astype(str).eq("True")]
    names = [f"{m} ({s})" for m, s in zip(called["miRNA"], called["source"], strict=True)]
    return (
        '<p class="answer"><b>Targets shifted in the recipient cells</b> (one-sided rank-sum '
        "against a background matched for 3'UTR length and expression, BH q over miRNAs): "
        f"{html.escape(', '.join(names) or 'none')}</p>"
    )


def targets_part(inputs: ReportInputs) -> str:
    """The whole part, or '' when the target rules did not run."""
    if not inputs.target_shift:
        return ""
    shift = read_tsv(inputs.target_shift, TEXT_COLUMNS)
    sources = read_tsv(inputs.target_sources, TEXT_COLUMNS)
    unmapped = read_tsv(inputs.targets_unmapped, TEXT_COLUMNS)
    candidates = read_tsv(inputs.target_candidates, TEXT_COLUMNS)
    parts = [
        _answer(shift),
        "<h4>Target sources</h4>",
        table(sources, "target-sources", searchable=False),
        f'<p class="note">{len(unmapped)} source names did not map onto the run\'s miRNAs or '
        "genes (results/integrate/mirna_targets_unmapped.tsv):</p>",
        table(unmapped, "targets-unmapped"),
        "<h4>Candidates: exosome fold change, survival, target shift, M2 markers</h4>",
        table(candidates, "target-candidates", searchable=False),
        "<h4>Target-set shift per DE miRNA, source and evidence tier</h4>",
        table(shift.drop(columns=["plot"]), "target-shift", highlight="significant"),
    ]
    plots = shift.loc[shift["plot"].fillna("").astype(str) != "", ["miRNA", "source", "plot"]]
    parts += [
        image(path, f"{mirna} ({source}): targets vs matched background, cumulative")
        for mirna, source, path in plots.itertuples(index=False)
        if Path(path).is_file()
    ]
    return "".join(parts)
