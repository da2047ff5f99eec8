"""Bio-Rad CFX Manager and Roche LightCycler 480 Cq exports.

CFX "Quantification Cq Results" (CSV or TXT; the first column is often empty): ``Well, Fluor,
Target, Content, Sample, ..., Cq, Cq Mean, ...``. ``Content`` says the well's role
(``Unkn``, ``Std-01``, ``NTC``, ``Neg Ctrl``, ``Pos Ctrl``, ``NRT``; other words count as
unknowns); ``N/A`` = no Cq; excluded wells are marked in an ``Exclude``/``Excluded`` column when
exported. LightCycler 480 "Abs Quant" text export: an ``Experiment: ...`` line, then ``Include,
Color, Pos, Name, Cp, Concentration, Standard, Status``; ``Include`` = False is an omitted well,
``Standard`` > 0 a standard, an empty ``Cp`` no Cq. It names no target: the sample map gives it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.formats.text_tables import find_table, read_rows
from esccrt.qpcr.formats.wells import parse_cq, wells_frame

#: CFX Content prefixes -> well task (checked in this order; anything else is an unknown).
CFX_CONTENT = (
    ("unkn", "UNKNOWN"),
    ("std", "STANDARD"),
    ("ntc", "NTC"),
    ("neg", "NEGATIVE"),
    ("pos", "POSITIVE"),
    ("nrt", "NRT"),
)
TRUE_WORDS = ("true", "yes", "1", "y", "excluded")


def _cfx_task(content: str) -> str:
    lowered = content.lower()
    return next((task for prefix, task in CFX_CONTENT if lowered.startswith(prefix)), "UNKNOWN")


def read_cfx(path: str | Path, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """Wells of a Bio-Rad CFX Manager Cq results export (one row per well and fluorophore)."""
    table = find_table(
        read_rows(path, ("Quantification Cq Results", "0")),
        path,
        ["Well", "Fluor", "Target", "Content", "Sample", "Cq"],
        "Bio-Rad CFX",
    )
    records = []
    for line, row in table.rows:
        well = table.cell(row, "Well")
        content = table.cell(row, "Content")
        cq, no_cq = parse_cq(
            table.cell(row, "Cq"), f"{table.where(line, 'Cq')} (well {well})", no_cq_words
        )
        excluded = table.cell(row, "Exclude") or table.cell(row, "Excluded")
        records.append(
            {
                "file": str(path),
                "run": "",
                "well": well,
                "place": f"line {line}, well {well}",
                "sample": table.cell(row, "Sample"),
                "target": table.cell(row, "Target") or table.cell(row, "Fluor"),
                "task": _cfx_task(content),
                "task_raw": content,
                "cq": cq,
                "no_cq": no_cq,
                "omitted": excluded.lower() in TRUE_WORDS,
                "flags": "",
            }
        )
    return wells_frame(records, path)


def _lightcycler_task(standard: str, where: str) -> str:
    if standard in ("", "0"):
        return "UNKNOWN"
    try:
        concentration = float(standard)
    except ValueError:
        raise InputError(
            f"{where}: 'Standard' is '{standard}'; the LightCycler export writes 0 for a sample "
            "and the concentration for a standard."
        ) from None
    return "STANDARD" if concentration > 0 else "NEGATIVE"


def read_lightcycler480(path: str | Path, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """Wells of a LightCycler 480 Cp/Cq text export (``Include`` = False -> omitted)."""
    table = find_table(
        read_rows(path), path, ["Pos", "Name", ("Cp", "Cq"), "Include"], "LightCycler 480"
    )
    records = []
    for line, row in table.rows:
        well = table.cell(row, "Pos")
        cq, no_cq = parse_cq(
            table.cell(row, "Cp"), f"{table.where(line, 'Cp')} (well {well})", no_cq_words
        )
        standard = table.cell(row, "Standard")
        records.append(
            {
                "file": str(path),
                "run": "",
                "well": well,
                "place": f"line {line}, well {well}",
                "sample": table.cell(row, "Name"),
                "target": "",
                "task": _lightcycler_task(standard, table.where(line, "Standard")),
                "task_raw": standard,
                "cq": cq,
                "no_cq": no_cq,
                "omitted": table.cell(row, "Include").lower() == "false",
                "flags": table.cell(row, "Status").replace(" ", "_"),
            }
        )
    return wells_frame(records, path)
