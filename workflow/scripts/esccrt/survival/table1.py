"""The study's Table 1: patients per factor level with the log-rank p of every endpoint and its
Benjamini-Hochberg q-value (the family: all factors of that endpoint)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from esccrt.survival.multiplicity import bh_qvalues
from esccrt.survival.settings import Endpoint, Factor


def format_p(p: float) -> str:
    """A p-value as printed in Table 1: 3 decimals, '<0.001', or 'NA'."""
    if p is None or not math.isfinite(p):
        return "NA"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def table1(
    groups: pd.DataFrame,
    logrank_results: pd.DataFrame,
    factors: Sequence[Factor],
    endpoints: Sequence[Endpoint],
) -> pd.DataFrame:
    """One row per factor level: factor, level, n, percent (1 decimal), <endpoint>_p and
    <endpoint>_q (Benjamini-Hochberg over the factors, per endpoint), note."""
    rows = []
    tests = logrank_results.set_index(["endpoint", "factor"])
    q_values = {}
    for endpoint in endpoints:
        p = [tests.at[(endpoint.name, f.name), "p"] for f in factors]
        q = bh_qvalues(p)
        q_values |= {(endpoint.name, f.name): float(v) for f, v in zip(factors, q, strict=True)}
    for factor in factors:
        column = groups[factor.name]
        total = int(column.notna().sum())
        notes = []
        if total < len(column):
            notes.append(f"{len(column) - total} patient(s) without a value left out")
        for endpoint in endpoints:
            note = tests.at[(endpoint.name, factor.name), "note"]
            if note:
                notes.append(f"{endpoint.name}: {note}")
        for level in factor.level_labels():
            n = int((column == level).sum())
            row = {
                "factor": factor.label,
                "level": level,
                "n": n,
                "percent": round(100.0 * n / total, 1) if total else math.nan,
            }
            for endpoint in endpoints:
                row[f"{endpoint.name}_p"] = tests.at[(endpoint.name, factor.name), "p"]
                row[f"{endpoint.name}_q"] = q_values[(endpoint.name, factor.name)]
            row["note"] = "; ".join(notes)
            rows.append(row)
    return pd.DataFrame(rows)


def table1_markdown(
    table: pd.DataFrame, endpoints: Sequence[Endpoint], demo: bool, patients: int | None = None
) -> str:
    """Table 1 in the study's layout (levels joined by ' / '), with a note on the p-values and,
    when a factor lacks values for some of the ``patients`` analysed, the complete-case note."""
    header = ["factor", "level", "N", "%"]
    header += [f"{e.name.upper()} {kind}" for e in endpoints for kind in ("p", "q")]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for factor, block in table.groupby("factor", sort=False):
        cells = [
            str(factor),
            " / ".join(block["level"]),
            " / ".join(str(n) for n in block["n"]),
            " / ".join(f"{p:.1f}" for p in block["percent"]),
        ] + [
            format_p(float(block[f"{e.name}_{kind}"].iloc[0]))
            for e in endpoints
            for kind in ("p", "q")
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "P-values are univariate log-rank tests computed from the data given to this workflow"
        " (" + ", ".join(e.label for e in endpoints) + ")."
        f" With {table['factor'].nunique()} factors per endpoint, q-values are Benjamini-Hochberg"
        " adjusted p-values (false discovery rate) within each endpoint; p-values are unadjusted."
    )
    if demo:
        lines.append(
            "The cohort is SIMULATED (built-in demo): these p-values describe simulated patients,"
            " not the study's."
        )
    if patients is not None:
        lines += complete_case_note(table, patients)
    notes = table.drop_duplicates("factor")
    for factor, note in zip(notes["factor"], notes["note"], strict=True):
        if note:
            lines.append(f"- {factor}: {note}")
    return "\n".join(lines) + "\n"


def complete_case_note(table: pd.DataFrame, patients: int) -> list[str]:
    """The footnote line of Table 1 on complete-case analysis, naming the patients each factor
    excluded (no line when every factor has a value for every patient)."""
    with_value = table.groupby("factor", sort=False)["n"].sum()
    excluded = {factor: patients - int(n) for factor, n in with_value.items() if n < patients}
    if not excluded:
        return []
    counts = ", ".join(f"{factor} {k} of {patients}" for factor, k in excluded.items())
    return [
        "Complete-case analysis: a patient without a value of a factor (e.g. a fold change that"
        " could not be computed) is left out of that factor's row, log-rank test and Cox models;"
        f" patients excluded: {counts} (missing values per variable:"
        " results/survival/missingness.tsv)."
    ]
