"""The sample map: instrument sample names -> patient and timepoint (and target, task).

A tab-separated sheet (``workflow/schemas/qpcr_sample_map.schema.yaml``), one row per sample as
the instrument names it: ``sample``, ``patient``, ``timepoint``, optional ``target`` (the row
then applies to that target only; required where the export names no target, as on a
LightCycler 480), optional ``task`` (declares a sample as a control, e.g. ``NTC``, where the
export does not say so), optional ``file`` (the row applies to that file only, by name),
optional ``group`` (the subject's group, design unpaired) and optional ``exclude`` (a reason: the
sample's wells are left out of everything and listed in results/qpcr/excluded_samples.tsv). A
sample may have several rows (a calibrator shared by several patients); the same row twice is
refused.

:func:`map_wells` turns the well table into the long Ct table the fold-change step reads and the
table of wells that are not quantified (controls, standards, omitted wells).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError, located
from esccrt.qpcr.ct_table import CT_COLUMNS, GROUP_KEYS, SOURCE_COLUMNS
from esccrt.qpcr.formats.wells import NO_TEMPLATE_TASKS, TASKS, plate_labels
from esccrt.sheets import LINE, read_sheet

MAP_COLUMNS = ("sample", "patient", "timepoint")
OPTIONAL_COLUMNS = ("target", "task", "file", "group", "exclude")
#: Columns of results/qpcr/excluded_samples.tsv: one row per excluded sample and file.
EXCLUDED_COLUMNS = ("file", "sample", "patient", "timepoint", "wells", "reason")
CONTROL_COLUMNS = (
    "file", "run", "well", "sample", "target", "task", "cq", "no_cq", "omitted", "amplified",
    "flags", "reason",
)  # fmt: skip


def read_sample_map(path: str | Path) -> pd.DataFrame:
    """Read and check the sample map; every message names the sheet, the line and the column."""
    sheet = read_sheet(path, MAP_COLUMNS)
    for column in OPTIONAL_COLUMNS:
        if column not in sheet:
            sheet[column] = ""
    for _, row in sheet.iterrows():
        if not row["sample"]:
            raise InputError(located(path, "empty sample name.", row[LINE], "sample"))
        task = row["task"]
        if task and task not in TASKS:
            raise InputError(
                located(
                    path, f"task '{row['task']}' is not one of {list(TASKS)}.", row[LINE], "task"
                )
            )
        if task in ("", "UNKNOWN") and not row["exclude"]:
            for column in ("patient", "timepoint"):
                if not row[column]:
                    raise InputError(
                        located(
                            path,
                            f"sample '{row['sample']}' has no {column}; give patient and "
                            "timepoint, or a control task (e.g. NTC) in column task.",
                            row[LINE],
                            column,
                        )
                    )
    keys = ["file", "sample", "target", "patient", "timepoint"]
    repeated = sheet[sheet.duplicated(subset=keys, keep=False)]
    if len(repeated):
        lines = repeated.loc[repeated["sample"] == repeated.iloc[0]["sample"], LINE].tolist()
        raise InputError(
            located(
                path,
                f"sample '{repeated.iloc[0]['sample']}' maps to patient "
                f"'{repeated.iloc[0]['patient']}', {repeated.iloc[0]['timepoint']} on lines "
                f"{lines}; keep one row.",
                int(lines[-1]),
                "sample",
            )
        )
    return sheet


def _matches(wells: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    """(well index, sheet row) pairs: same sample, and same target/file where the row says."""
    frame = wells.reset_index(names="well_index")
    # one Path per file, not per well (a cohort has tens of thousands of wells)
    frame["file_name"] = frame["file"].map({f: Path(f).name for f in frame["file"].unique()})
    pairs = frame.merge(sheet.add_prefix("map_"), left_on="sample", right_on="map_sample")
    keep = (
        pairs["map_target"].eq("")
        | pairs["target"].eq("")
        | pairs["map_target"].eq(pairs["target"])
    )
    keep &= pairs["map_file"].eq("") | pairs["map_file"].eq(pairs["file_name"])
    return pairs[keep]


def _refuse_unmapped(unmapped: pd.DataFrame, sheet_path: str | Path) -> None:
    first = unmapped.iloc[0]
    names = sorted(unmapped["sample"].unique())
    raise InputError(
        f"{first['file']}, {first['place']}, column 'sample': sample '{first['sample']}' is in no "
        f"row of the sample map {sheet_path}. Unmapped samples ({len(names)}, "
        f"{len(unmapped)} wells): {names[:20]}. Add each with its patient and timepoint, or "
        "declare it a control in column task (e.g. NTC)."
    )


def _refuse_targetless(pairs: pd.DataFrame, sheet_path: str | Path) -> None:
    first = pairs.iloc[0]
    raise InputError(
        f"{first['file']}, {first['place']}: the export names no target for sample "
        f"'{first['sample']}'; give it in column target of the sample map {sheet_path} "
        f"(line {first['map__line']})."
    )


def control_wells(wells: pd.DataFrame) -> pd.DataFrame:
    """Wells not quantified: controls, standards and omitted wells, with what each means.

    ``amplified`` marks a no-template control (NTC, NAC, NTP, NRT, negative) with a Cq: a sign
    of contamination or primer dimers the user should look at.
    """
    out = wells[(wells["task"] != "UNKNOWN") | wells["omitted"]].copy()
    no_template = out["task"].isin(NO_TEMPLATE_TASKS)
    out["amplified"] = no_template & ~out["no_cq"] & ~out["omitted"]
    out["reason"] = out["task"].str.lower()
    out.loc[out["omitted"], "reason"] = "omitted in the instrument software"
    out.loc[out["amplified"], "reason"] = "no-template control with a Cq"
    return out[list(CONTROL_COLUMNS)].reset_index(drop=True)


def map_wells(
    wells: pd.DataFrame,
    sheet: pd.DataFrame,
    sheet_path: str | Path,
    undetermined_word: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(long Ct table, control wells) of the well table through the sample map.

    Unknown wells that are not omitted are mapped; each needs a sheet row (else
    :class:`InputError` naming file, line/well and sample) and a target. Wells without a Cq get
    ``undetermined_word`` as their Ct. Replicates are numbered per patient, timepoint and target
    in file and well order.
    """
    wells = wells.copy()
    wells["plate"] = plate_labels(wells)
    overrides = _matches(wells, sheet[sheet["task"] != ""])
    wells.loc[overrides["well_index"].to_numpy(), "task"] = overrides["map_task"].to_numpy()
    quantified = wells[(wells["task"] == "UNKNOWN") & ~wells["omitted"]]
    # samples the map excludes (column exclude) are left out here (excluded_samples lists them)
    excluded = _matches(quantified, sheet[sheet["exclude"] != ""])
    quantified = quantified[~quantified.index.isin(excluded["well_index"])]
    pairs = _matches(quantified, sheet[sheet["task"].isin(["", "UNKNOWN"])])
    unmapped = quantified[~quantified.index.isin(pairs["well_index"])]
    if len(unmapped):
        _refuse_unmapped(unmapped, sheet_path)
    pairs = pairs.sort_values("well_index", kind="stable")
    pairs = pairs.assign(target=pairs["target"].where(pairs["target"] != "", pairs["map_target"]))
    if (pairs["target"] == "").any():
        _refuse_targetless(pairs[pairs["target"] == ""], sheet_path)
    long = pd.DataFrame(
        {
            "patient": pairs["map_patient"],
            "timepoint": pairs["map_timepoint"],
            "target": pairs["target"],
            "ct": pairs["cq"].map(lambda v: undetermined_word if pd.isna(v) else repr(float(v))),
            **{column: pairs[column] for column in SOURCE_COLUMNS},
        }
    )
    long["replicate"] = long.groupby(GROUP_KEYS, sort=False).cumcount() + 1
    # the subjects' groups (design unpaired), only when the map gives them
    groups = ["group"] if (sheet["group"] != "").any() else []
    long["group"] = pairs["map_group"]
    long = long[[*CT_COLUMNS, *SOURCE_COLUMNS, *groups]].reset_index(drop=True)
    return long, control_wells(wells)


def unused_rows(sheet: pd.DataFrame, wells: pd.DataFrame) -> Sequence[str]:
    """Sample-map samples that no well of the files carries (worth a line in the log)."""
    return sorted(set(sheet["sample"]) - set(wells["sample"]))


def excluded_samples(wells: pd.DataFrame, sheet: pd.DataFrame) -> pd.DataFrame:
    """Samples the map excludes (column ``exclude``, the reason), with their wells per file."""
    quantified = wells[(wells["task"] == "UNKNOWN") & ~wells["omitted"]]
    pairs = _matches(quantified, sheet[sheet["exclude"] != ""])
    if pairs.empty:
        return pd.DataFrame(columns=list(EXCLUDED_COLUMNS))
    grouped = pairs.groupby(
        ["file", "sample", "map_patient", "map_timepoint", "map_exclude"], sort=False
    )
    table = grouped["well_index"].nunique().rename("wells").reset_index()
    table = table.rename(
        columns={"map_patient": "patient", "map_timepoint": "timepoint", "map_exclude": "reason"}
    )
    return table[list(EXCLUDED_COLUMNS)]
