"""The report's qPCR quality section: the references used and why, their stability (geNorm,
NormFinder) and the serum haemolysis check; read from the tables the qPCR rule wrote."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping

import pandas as pd

from esccrt.report.html import image, table


def _is_true(column: pd.Series) -> pd.Series:
    """A boolean column of a workflow TSV (read as bool or as text)."""
    return column.astype(str).eq("True")


def read_references(path: str | os.PathLike[str]) -> pd.DataFrame:
    """results/qpcr/references.tsv (written by the qPCR stage): the references used, in order,
    with how they were chosen (``selection``: configured, geNorm or NormFinder)."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    return table.sort_values("position", key=lambda p: p.astype(int))


def used_references(references: pd.DataFrame) -> list[str]:
    """The references the fold changes used, in order (:func:`read_references`)."""
    return references["reference"].tolist()


def _references_sentence(stability: pd.DataFrame, references: pd.DataFrame) -> str:
    """Which references were used, how the qPCR stage chose them, and what each measure
    prefers."""
    used = ", ".join(used_references(references))
    selection = references["selection"].iloc[0]
    if selection == "configured":
        how = "as configured in qpcr.reference_targets; automatic selection is off"
    else:
        how = (
            f"picked automatically: the {len(references)} most stable candidates by "
            f"{selection} (qpcr.reference_selection)"
        )
    text = f"<b>References used</b>: {html.escape(used)} ({how})."
    ranked = stability.dropna(subset=["genorm_rank"])
    if not ranked.empty:
        pair = ranked[ranked["genorm_rank"] == 1]["candidate"].astype(str)
        text += f" Most stable pair by geNorm: {html.escape(' and '.join(pair))}."
    rho = stability.dropna(subset=["normfinder_rho"])
    if not rho.empty:
        best = rho.sort_values("normfinder_rho").iloc[0]
        text += (
            f" Most stable by NormFinder: {html.escape(str(best['candidate']))} "
            f"(rho {best['normfinder_rho']:.3g})."
        )
    notes = stability["note"][stability["note"] != ""].unique()
    if len(notes):
        text += f" Note: {html.escape('; '.join(notes))}."
    return f'<p class="answer">{text}</p>'


def _haemolysis_part(haemolysis: pd.DataFrame, qpcr: Mapping) -> list[str]:
    """Flagged and unmeasured samples, and what became of them."""
    pair = qpcr["haemolysis"]
    status = haemolysis["status"].astype(str)
    flagged = haemolysis[status == "haemolysed"]
    samples = [f"{r.patient} ({r.timepoint})" for r in flagged.itertuples()]
    heading = (
        f"<h3>Serum haemolysis: dCt = Ct({html.escape(pair['reference'])}) - "
        f"Ct({html.escape(pair['marker'])}) &gt; {pair['threshold']}</h3>"
    )
    sentence = (
        f"{len(flagged)} of {len(haemolysis)} samples flagged haemolysed"
        + (f": {html.escape(', '.join(samples))}" if samples else "")
        + ". "
    )
    excluded = sorted(
        set(haemolysis.loc[_is_true(haemolysis["excluded_from_survival"]), "patient"])
    )
    if pair["exclude_from_survival"]:
        names = ", ".join(map(str, excluded)) or "none"
        sentence += f"Patients left out of the survival analysis: {html.escape(names)}."
    else:
        sentence += "Flag only: every patient stays in the survival analysis."
    missing = int((status == "not_measured").sum())
    if missing:
        sentence += (
            f" {missing} sample(s) could not be checked (no usable Ct of "
            f"{html.escape(pair['reference'])} or {html.escape(pair['marker'])})."
        )
    return [
        heading,
        f"<p>{sentence}</p>",
        table(haemolysis[status != "ok"], "haemolysis", searchable=False, digits=3),
    ]


def qpcr_quality_section(
    stability_path: str | os.PathLike[str],
    plot_path: str | os.PathLike[str],
    haemolysis_path: str | os.PathLike[str],
    references_path: str | os.PathLike[str],
    qpcr: Mapping,
) -> str:
    """References used (as the qPCR stage's references.tsv says), the stability table and
    figure, and the haemolysis check."""
    stability = pd.read_csv(
        stability_path,
        sep="\t",
        keep_default_na=False,
        na_values=[""],
        dtype={"candidate": str, "note": str},
    )
    stability["note"] = stability["note"].fillna("")
    haemolysis = pd.read_csv(
        haemolysis_path, sep="\t", keep_default_na=False, na_values=[""], dtype={"patient": str}
    )
    parts = [
        _references_sentence(stability, read_references(references_path)),
        "<h3>Stability of the candidate references</h3>",
        table(stability, "reference-stability", searchable=False, highlight="used_as_reference"),
    ]
    if plot_path:
        parts.append(
            image(
                plot_path,
                "Reference stability: geNorm average M and pairwise V, NormFinder rho",
                True,
            )
        )
    parts += _haemolysis_part(haemolysis, qpcr)
    return "".join(parts)
