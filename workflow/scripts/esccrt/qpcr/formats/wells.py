"""The well table every instrument reader returns, and the rules all readers share.

One row per well and target (a multiplex well has one row per dye/target):

- ``file``, ``run`` (plate, card or RDML experiment/run), ``well`` (``A1`` or the instrument's
  number), ``place`` (where a person finds the row: ``line 48`` or ``run 'Run 1', well A1``);
- ``sample`` and ``target`` as the instrument names them (``target`` may be empty when the
  export names none, e.g. a LightCycler 480 run: the sample map then gives it);
- ``task``: one of :data:`TASKS` (the instrument's word in ``task_raw``);
- ``cq`` (NaN when there is none), ``no_cq`` (True for the instrument's "no Cq" marker),
  ``omitted`` (the user excluded the well in the instrument software), ``flags`` (instrument QC
  flags, ``;``-separated);
- ``n0``: the starting quantity the file states (RDML ``N0 * corrF``, from LinRegPCR or
  RDML-Tools), NaN where the format or the file gives none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError

WELL_COLUMNS = (
    "file",
    "run",
    "well",
    "place",
    "sample",
    "target",
    "task",
    "task_raw",
    "cq",
    "no_cq",
    "omitted",
    "flags",
    "n0",
)

#: Well roles. UNKNOWN wells are quantified; the others are controls and standards, reported in
#: the control table and never mapped to patients.
TASKS = ("UNKNOWN", "STANDARD", "NTC", "NAC", "NTP", "NRT", "NEGATIVE", "POSITIVE", "OPTICAL")
#: Controls that should stay without amplification: a Cq there is reported as ``amplified``.
NO_TEMPLATE_TASKS = ("NTC", "NAC", "NTP", "NRT", "NEGATIVE")

#: Words instruments write instead of a Cq (compared case-insensitively), besides an empty cell.
NO_CQ_WORDS = ("undetermined", "n/a", "na", "nan", "no ct", "no cq", "none", "-", "--")


def parse_cq(text: str, where: str, extra_words: Iterable[str] = ()) -> tuple[float, bool]:
    """``(cq, no_cq)`` of one Cq cell: a number, or a "no Cq" word / empty cell / value <= 0.

    A Cq of 0 or below is a "no Cq" marker (LinRegPCR and RDML-Tools write -1, some software 0).
    Raises :class:`InputError` (``where`` names file, line/well and column) for anything else.
    """
    cell = text.strip()
    words = {*NO_CQ_WORDS, *(w.strip().lower() for w in extra_words)}
    if cell == "" or cell.lower() in words:
        return math.nan, True
    try:
        value = float(cell.replace(",", ".") if cell.count(",") == 1 and "." not in cell else cell)
    except ValueError:
        raise InputError(
            f"{where}: Cq '{cell}' is neither a number nor a 'no Cq' word "
            f"({sorted(w for w in words if w)}). Export the Cq values as numbers, or add the word "
            "to qpcr.undetermined_tokens if your instrument writes it for no amplification."
        ) from None
    if not math.isfinite(value) or value <= 0:
        return math.nan, True
    return value, False


def wells_frame(records: list[Mapping[str, object]], path: str | Path) -> pd.DataFrame:
    """The well table of ``records``; refuses an empty file and a well read twice."""
    if not records:
        raise InputError(f"{path}: no wells found; is this a Cq export of a qPCR run?")
    table = pd.DataFrame.from_records(records, columns=list(WELL_COLUMNS))
    # Empty wells of the plate (no sample name, no Cq) are exported by some software.
    empty = (table["sample"].fillna("") == "") & table["no_cq"] & (table["task"] == "UNKNOWN")
    table = table[~empty].reset_index(drop=True)
    if table.empty:
        raise InputError(f"{path}: every well is empty (no sample name, no Cq).")
    for column in ("file", "run", "well", "place", "sample", "target", "task_raw", "flags"):
        table[column] = table[column].fillna("").astype(str)
    table["cq"] = table["cq"].astype(float)
    table["no_cq"] = table["no_cq"].astype(bool)
    table["omitted"] = table["omitted"].astype(bool)
    table["n0"] = table["n0"].astype(float)
    check_unique_wells(table)
    return table


def plate_labels(table: pd.DataFrame) -> pd.Series:
    """The plate (run) of each well: the run's name, prefixed with the file's name where the
    same run name occurs in several files (two exports that each call their plate "Run 1")."""
    names = table["file"].map(lambda f: Path(f).name)
    runs = table["run"].where(table["run"] != "", "plate")
    shared = runs.groupby(runs).transform(lambda r: names[r.index].nunique() > 1)
    return runs.where(~shared, names + ":" + runs)


def check_unique_wells(table: pd.DataFrame) -> None:
    """Refuse the same (file, run, well, target) twice: a well pasted twice would count twice."""
    keys = ["file", "run", "well", "target"]
    duplicated = table.duplicated(subset=keys, keep=False)
    if duplicated.any():
        rows = table[duplicated]
        first = rows.iloc[0]
        places = rows.loc[
            (rows["run"] == first["run"])
            & (rows["well"] == first["well"])
            & (rows["target"] == first["target"]),
            "place",
        ].tolist()
        raise InputError(
            f"{first['file']}: well {first['well']} (target '{first['target']}', run "
            f"'{first['run']}') appears {len(places)} times ({'; '.join(places)}). Each well may "
            f"hold one Cq per target; {int(duplicated.sum())} rows concerned. Remove the repeated "
            "rows (rows copied twice?) or export each plate to its own file."
        )
