"""The long Ct table: reading it, checking its design and reshaping published wide tables.

:func:`read_ct_table` reads the long Ct table (``patient, timepoint, target, replicate, ct``)
and turns the configured "no amplification" words (``Undetermined`` ...) into missing Cts;
:func:`check_design` checks timepoints, targets and references before any computation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError, located
from esccrt.qpcr.cohort import ordered_samples
from esccrt.qpcr.settings import QpcrSettings

CT_COLUMNS = ("patient", "timepoint", "target", "replicate", "ct")
#: Optional columns kept when present: the instrument's sample name, the plate (run) of the
#: well (for inter-run calibration; one plate when absent), the file's starting quantity and,
#: in a calibrated table, the Cq shift the calibration applied to the well.
#: and ``group``, the subject's group (design unpaired).
OPTIONAL_CT_COLUMNS = ("sample", "plate", "n0", "cq_shift", "group")
#: Optional columns that hold numbers (empty = none).
NUMERIC_OPTIONAL_COLUMNS = ("n0", "cq_shift")
GROUP_KEYS = ["patient", "timepoint", "target"]
#: Columns of the long Ct table beyond :data:`CT_COLUMNS`: where each Ct came from, the plate
#: (run) it was measured on and the starting quantity the file states (``n0``, may be empty).
SOURCE_COLUMNS = ("file", "run", "well", "sample", "plate", "n0")


def read_ct_table(path: str | Path, undetermined_tokens: Iterable[str]) -> pd.DataFrame:
    """Read the long Ct table; undetermined words become NaN with ``undetermined`` = True.

    Raises :class:`InputError` for a missing column, an empty identifier, a duplicated
    replicate or a Ct that is neither a number nor one of ``undetermined_tokens`` (naming file,
    line, column and patient).
    """
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in CT_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"missing column(s) {missing}; the Ct table needs the columns "
                f"{list(CT_COLUMNS)} (tab-separated, one row per well).",
                line=1,
            )
        )
    # optional columns (the plate and quantities of calibration, the group of design unpaired)
    # travel with the wells
    optional = [c for c in OPTIONAL_CT_COLUMNS if c in table.columns]
    table = table[[*CT_COLUMNS, *optional]].apply(lambda col: col.str.strip())
    tokens = {str(t).strip().lower() for t in undetermined_tokens}
    for column in ("patient", "timepoint", "target", "replicate"):
        empty = table.index[table[column] == ""]
        if len(empty):
            row = int(empty[0])
            raise InputError(
                located(
                    path,
                    f"empty {column} (patient '{table.at[row, 'patient']}'); every row needs "
                    "patient, timepoint, target and replicate.",
                    line=row + 2,
                    column=column,
                )
            )
    undetermined = table["ct"].str.lower().isin(tokens)
    ct = pd.to_numeric(table["ct"].where(~undetermined), errors="coerce")
    bad = table.index[ct.isna() & ~undetermined]
    if len(bad):
        row = int(bad[0])
        others = table.loc[bad, "patient"].unique().tolist()
        raise InputError(
            located(
                path,
                f"Ct '{table.at[row, 'ct']}' of patient '{table.at[row, 'patient']}' "
                f"(timepoint {table.at[row, 'timepoint']}, target {table.at[row, 'target']}) is "
                f"not a number. Write the Ct as a number, or one of the words configured in "
                f"qpcr.undetermined_tokens {sorted(tokens)} for no amplification. "
                f"{len(bad)} such row(s), patients: {others}.",
                line=row + 2,
                column="ct",
            )
        )
    duplicated = table.duplicated(subset=[*GROUP_KEYS, "replicate"], keep="first")
    if duplicated.any():
        row = int(table.index[duplicated][0])
        raise InputError(
            located(
                path,
                f"replicate {table.at[row, 'replicate']} of patient '{table.at[row, 'patient']}'"
                f", {table.at[row, 'timepoint']}, {table.at[row, 'target']} appears twice; give "
                "each well its own replicate number.",
                line=row + 2,
                column="replicate",
            )
        )
    table["ct"] = ct
    for column in NUMERIC_OPTIONAL_COLUMNS:
        if column in table:
            table[column] = _numbers(table, column, path)
    table["undetermined"] = undetermined.to_numpy()
    table["line"] = table.index + 2
    return table


def _numbers(table: pd.DataFrame, column: str, path: str | Path) -> pd.Series:
    """An optional numeric column as numbers (empty = none); anything else is refused, naming
    the line."""
    values = pd.to_numeric(table[column], errors="coerce")
    bad = table.index[values.isna() & (table[column] != "")]
    if len(bad):
        row = int(bad[0])
        raise InputError(
            located(
                path,
                f"'{table.at[row, column]}' of patient '{table.at[row, 'patient']}' is not a "
                "number; leave the cell empty or write a number.",
                line=row + 2,
                column=column,
            )
        )
    return values


def check_design(table: pd.DataFrame, settings: QpcrSettings, path: str | Path = "") -> None:
    """Check timepoints, targets and references before any computation.

    Raises :class:`InputError` listing the samples concerned when a timepoint is unknown, or a
    sample (a patient and timepoint with wells) lacks a reference miRNA or a target. A patient
    missing a whole timepoint is not an error: it leaves the paired fold changes only
    (:mod:`esccrt.qpcr.cohort`).
    """
    where = f"{path}: " if path else ""
    known = settings.timepoints
    unknown = sorted(set(table["timepoint"]) - set(known)) if known is not None else []
    if unknown:
        patients = sorted(table.loc[table["timepoint"].isin(unknown), "patient"].unique())
        raise InputError(
            f"{where}column 'timepoint' has value(s) {unknown} (patients {patients}); only "
            f"{known} (config keys qpcr.pre / qpcr.post / qpcr.comparisons) are known."
        )
    present = set(zip(table["patient"], table["timepoint"], table["target"], strict=True))
    existing = ordered_samples(table, known)
    checks = [(r, "reference miRNA", "reference_targets") for r in settings.reference_targets]
    checks += [(t, "target", "targets") for t in settings.targets]
    for name, kind, key in checks:
        lacking = [f"{p} ({tp})" for p, tp in existing if (p, tp, name) not in present]
        if lacking:
            raise InputError(
                f"{where}{kind} '{name}' (config key qpcr.{key}) has no Ct for: "
                f"{', '.join(lacking)}. Every sample needs it: add the wells, "
                f"remove those samples, or remove '{name}' from qpcr.{key}."
            )


def wide_to_long(
    wide: pd.DataFrame,
    groups: Sequence[str],
    timepoints: Mapping[str, str],
    patient: str = "sample",
) -> pd.DataFrame:
    """Reshape a wide Ct table (one column per target, one row per well) to the long format.

    ``groups`` gives each row's group (e.g. tissue) and ``timepoints`` maps a group to the
    timepoint it plays (e.g. ``{"brain": "pre", "kidney": "post"}``). Replicates are numbered
    within each group. Used to run published tables (R package pcr) through this module.
    """
    frame = wide.copy()
    frame["group"] = list(groups)
    frame["replicate"] = frame.groupby("group").cumcount() + 1
    long = frame.melt(id_vars=["group", "replicate"], var_name="target", value_name="ct")
    long["timepoint"] = long["group"].map(timepoints)
    long["patient"] = patient
    return long[list(CT_COLUMNS)]
