"""Applied Biosystems exports: SDS 2.x (7900HT, 7500 v1, TaqMan cards) and the newer
QuantStudio / 7500 v2 / StepOne v2 "Results" exports (CSV, TXT or XLSX).

SDS 2.x: header block, then ``Well  PlateID  Sample  Detector  Task  Ct ...`` (``Sample Name``,
``Detector Name`` in some versions); one export may
hold several plates or cards (column ``Filename``), each numbering its wells from 1, and ends
with a ``Summary Data`` block (ignored here). QuantStudio: about 40 lines of run information,
then ``Well, Well Position, Omit, Sample Name, Target Name, Task, Reporter, ..., CT`` (``Cт``
in some versions), instrument QC flag columns (``EXPFAIL``, ``HIGHSD``, ... = ``Y``) and a
footer of analysis settings (ignored).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.formats.text_tables import Table, find_table, read_rows
from esccrt.qpcr.formats.wells import parse_cq, wells_frame

#: Task words of both software generations -> well task.
TASK_WORDS = {
    "unknown": "UNKNOWN",
    "target": "UNKNOWN",
    "endogenous control": "UNKNOWN",
    "": "UNKNOWN",
    "standard": "STANDARD",
    "ntc": "NTC",
    "nac": "NAC",
    "ipc": "POSITIVE",
    "ipc blocked": "NAC",
    "blocked ipc": "NAC",
}
CT_NAMES = ("Ct", "CT", "C\u0442", "Cq", "CQ", "Crt", "CRT")
#: QuantStudio columns that are not QC flags, although written in capitals.
NOT_FLAGS = {"CT", "C\u0442", "CQ", "CRT"}


def _task(table: Table, row: list[str], line: int) -> tuple[str, str]:
    raw = table.cell(row, "Task")
    task = TASK_WORDS.get(raw.lower().replace("_", " "))
    if task is None:
        raise InputError(
            f"{table.where(line, 'Task')}: task '{raw}' is not one of "
            f"{sorted(w for w in TASK_WORDS if w)}."
        )
    return task, raw


def _omitted(table: Table, row: list[str]) -> bool:
    return table.cell(row, "Omit").lower() in ("true", "1", "yes", "y")


def read_abi_sds(path: str | Path, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """Wells of an SDS 2.x export (``Detector`` = target, ``Filename``/``PlateID`` = run)."""
    table = find_table(
        read_rows(path),
        path,
        ["Well", ("Sample", "Sample Name"), ("Detector", "Detector Name"), "Task", CT_NAMES],
        "ABI SDS",
    )
    records = []
    for line, row in table.rows:
        well = table.cell(row, "Well")
        if not well or well.lower().startswith("summary"):
            break
        task, raw = _task(table, row, line)
        cq, no_cq = parse_cq(
            table.cell(row, "Ct"), f"{table.where(line, 'Ct')} (well {well})", no_cq_words
        )
        run = table.cell(row, "Filename") or table.cell(row, "PlateID")
        outlier = table.cell(row, "Outlier")
        records.append(
            {
                "file": str(path),
                "run": run,
                "well": well,
                "place": f"line {line}, well {well}",
                "sample": table.cell(row, "Sample"),
                "target": table.cell(row, "Detector"),
                "task": task,
                "task_raw": raw,
                "cq": cq,
                "no_cq": no_cq,
                "omitted": _omitted(table, row),
                "flags": "outlier" if outlier and outlier.lower() not in ("false", "0") else "",
            }
        )
    return wells_frame(records, path)


def _flag_columns(table: Table) -> list[str]:
    """Instrument QC flag columns: all capitals after the Ct column (EXPFAIL, HIGHSD, ...)."""
    ct_position = table.columns["Ct"]
    return [
        name
        for name, position in table.columns.items()
        if position > ct_position and name.isupper() and name not in NOT_FLAGS
    ]


def read_quantstudio(path: str | Path, no_cq_words: Iterable[str] = ()) -> pd.DataFrame:
    """Wells of a QuantStudio / 7500 v2 / StepOne v2 results export (``Omit`` respected)."""
    table = find_table(
        read_rows(path),
        path,
        ["Well", "Sample Name", "Target Name", "Task", CT_NAMES],
        "QuantStudio",
    )
    flag_columns = _flag_columns(table)
    records = []
    for line, row in table.rows:
        well = table.cell(row, "Well Position") or table.cell(row, "Well")
        task, raw = _task(table, row, line)
        cq, no_cq = parse_cq(
            table.cell(row, "Ct"), f"{table.where(line, 'Ct')} (well {well})", no_cq_words
        )
        flags = [c for c in flag_columns if table.cell(row, c).upper() == "Y"]
        if table.cell(row, "Amp Status").lower() in ("no amp", "inconclusive"):
            flags.append(table.cell(row, "Amp Status").replace(" ", "_").lower())
        records.append(
            {
                "file": str(path),
                "run": "",
                "well": well,
                "place": f"line {line}, well {well}",
                "sample": table.cell(row, "Sample Name"),
                "target": table.cell(row, "Target Name"),
                "task": task,
                "task_raw": raw,
                "cq": cq,
                "no_cq": no_cq,
                "omitted": _omitted(table, row),
                "flags": ";".join(flags),
            }
        )
    return wells_frame(records, path)
