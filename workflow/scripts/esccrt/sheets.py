"""Reading and checking the sample and unit sheets before anything runs.

Sheets are edited in spreadsheets, so the reader forgives what is harmless (a byte-order mark,
Windows line endings, blank lines, spaces around cells) and rejects everything else with a
message naming the file, the line and the column. Names that end up in file paths and commands
must match :data:`NAME_PATTERN`, so that no sheet value can reach a shell as anything but a name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from esccrt.errors import InputError, located
from esccrt.smallrna.presets import PROTOCOLS as SMALLRNA_PROTOCOLS

#: Sample, unit, condition and batch names: letters, digits, '.', '_' and '-', not starting
#: with a punctuation mark (so no spaces, ';', '$()', backticks, '/' or '..').
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: Names the workflow's own files take where a sample's name goes (the merged mirGFF3 is
#: results/smallrna/mirgff/all_samples.gff, beside the samples' <sample>.gff): no sample's,
#: nor the start of one before a '.' (a sample 'all_samples.x' would write all_samples.x.gff).
RESERVED_SAMPLE_NAMES = ("all_samples",)
#: The ``sample`` wildcard: a name, but not a reserved one (so that the merged file is never
#: taken for a sample's own while the workflow is planned).
SAMPLE_WILDCARD = (
    "(?!(?:" + "|".join(RESERVED_SAMPLE_NAMES) + r")(?:[./]|$))" + NAME_PATTERN.pattern.strip("^$")
)

LIBRARY_TYPES = ("smallrna", "mrna")
STRANDEDNESS = ("unstranded", "forward", "reverse", "auto")
#: Trimming presets each arm understands; ``custom`` takes the sequence from the ``adapter`` column.
#: The small-RNA presets are defined with their adapters (esccrt.smallrna.presets); the mRNA
#: presets are the fixed keys of ``mrna.trimming.adapters`` (mrna.schema.yaml, which holds their
#: sequences). The units schema's enum is the union (tests/unit/test_sheets.py ties all three).
PROTOCOLS = {
    "smallrna": SMALLRNA_PROTOCOLS,
    "mrna": ("truseq", "nextera", "custom"),
}
ADAPTER_PATTERN = re.compile(r"^[ACGTNacgtn]+$")

SAMPLE_COLUMNS = ("sample", "library_type", "condition", "batch")
#: Optional sample columns saying whose library it is and when it was taken (both or neither):
#: a small-RNA miRNA's change between timepoints is then a survival marker
#: (esccrt.survival.sequencing).
PATIENT_COLUMNS = ("patient", "timepoint")
UNIT_COLUMNS = ("sample", "unit", "fq1", "fq2", "protocol", "adapter", "strandedness")
UNIT_REQUIRED = ("sample", "unit", "fq1")

#: Column that keeps each row's line number in its file, for messages; dropped by the loaders.
LINE = "_line"


def read_sheet(
    path: str | os.PathLike[str], required: Iterable[str], allow_empty: bool = False
) -> pd.DataFrame:
    """Read a tab-separated sheet into strings, remembering each row's line number.

    Forgiven: UTF-8 byte-order mark, CRLF line endings, blank lines, lines starting with ``#``,
    spaces around cells. Rejected: a missing required column, a duplicated column, a row with
    more or fewer cells than the header, and a header without rows unless ``allow_empty``.
    """
    sheet = Path(path)
    if not sheet.is_file():
        raise InputError(f"{sheet}: sheet not found. Check the path in config/config.yaml.")
    text = sheet.read_text(encoding="utf-8-sig")
    rows = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not rows:
        raise InputError(f"{sheet}: the sheet is empty; it needs a header line and rows.")
    header_line, header = rows[0]
    columns = [cell.strip() for cell in header.split("\t")]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise InputError(
            located(sheet, f"column(s) {duplicated} appear twice in the header.", header_line)
        )
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError(
            located(
                sheet,
                f"missing column(s) {missing}; the header has {columns}. "
                "Columns are separated by tabs.",
                header_line,
            )
        )
    records = []
    for number, line in rows[1:]:
        cells = [cell.strip() for cell in line.split("\t")]
        if len(cells) < len(columns):
            cells += [""] * (len(columns) - len(cells))
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            raise InputError(
                located(
                    sheet,
                    f"{len(cells)} cells but the header has {len(columns)} columns "
                    "(a tab too many, or a missing header?).",
                    number,
                )
            )
        records.append({**dict(zip(columns, cells, strict=False)), LINE: number})
    if not records and not allow_empty:
        raise InputError(f"{sheet}: the sheet has a header but no rows.")
    return pd.DataFrame.from_records(records, columns=[*columns, LINE])


def _rows(sheet: pd.DataFrame) -> list[dict[str, Any]]:
    """The sheet's rows as plain dicts: the checks look at every cell of sheets with thousands
    of rows, where ``iterrows`` (a Series per row) made planning 1,000 samples a second slower."""
    return sheet.to_dict("records")


def _check_names(sheet: pd.DataFrame, path: object, column: str) -> None:
    """Every value of ``column`` is a safe name (see :data:`NAME_PATTERN`)."""
    for row in _rows(sheet):
        value = row[column]
        if not value:
            raise InputError(located(path, "empty value; a name is required.", row[LINE], column))
        if not NAME_PATTERN.match(value):
            raise InputError(
                located(
                    path,
                    f"'{value}' is not an allowed name: use letters, digits, '.', '_' and '-' "
                    "only, starting with a letter or digit (no spaces, '/', '..', ';', "
                    "quotes or shell characters).",
                    row[LINE],
                    column,
                )
            )


def _check_choice(
    sheet: pd.DataFrame, path: object, column: str, allowed: Mapping[str, Iterable[str]] | Iterable
) -> None:
    """Every value of ``column`` is one of ``allowed``."""
    choices = tuple(allowed)
    for row in _rows(sheet):
        if row[column] not in choices:
            raise InputError(
                located(
                    path,
                    f"'{row[column]}' is not one of {list(choices)}.",
                    row[LINE],
                    column,
                )
            )


def load_samples(path: str | os.PathLike[str] | None) -> pd.DataFrame:
    """Load ``samples.tsv``: one row per sequencing library, indexed by ``sample``.

    A study without sequencing (qPCR and clinical data only) has no sheet (``path`` empty) or a
    sheet with a header only: both give an empty table.
    """
    if not path:
        return pd.DataFrame(columns=list(SAMPLE_COLUMNS)).set_index("sample", drop=False)
    sheet = read_sheet(path, SAMPLE_COLUMNS, allow_empty=True)
    for column in ("sample", "condition", "batch"):
        _check_names(sheet, path, column)
    for row in _rows(sheet):
        if row["sample"].split(".")[0] in RESERVED_SAMPLE_NAMES:
            message = f"'{row['sample']}' is the name of the workflow's merged files; rename it."
            raise InputError(located(path, message, row[LINE], "sample"))
    _check_choice(sheet, path, "library_type", LIBRARY_TYPES)
    seen: dict[str, int] = {}
    for row in _rows(sheet):
        if row["sample"] in seen:
            raise InputError(
                located(
                    path,
                    f"sample '{row['sample']}' is already defined on line {seen[row['sample']]}; "
                    "sample names must be unique.",
                    row[LINE],
                    "sample",
                )
            )
        seen[row["sample"]] = row[LINE]
    _check_patient_columns(sheet, path)
    return sheet.drop(columns=LINE).set_index("sample", drop=False).sort_index()


def _check_patient_columns(sheet: pd.DataFrame, path: object) -> None:
    """``patient`` and ``timepoint`` (optional columns) are given both or neither on each row,
    and each library type has at most one sample per patient and timepoint (a fold change
    between timepoints needs to know which library is which)."""
    if not any(column in sheet for column in PATIENT_COLUMNS):
        return
    for column in PATIENT_COLUMNS:
        if column not in sheet:
            sheet[column] = ""
    seen: dict[tuple[str, str, str], tuple[str, int]] = {}
    for row in _rows(sheet):
        patient, timepoint = row["patient"], row["timepoint"]
        if bool(patient) != bool(timepoint):
            given, missing = ("patient", "timepoint") if patient else ("timepoint", "patient")
            raise InputError(
                located(
                    path,
                    f"sample '{row['sample']}' has a {given} ('{row[given]}') but no {missing}; "
                    "give both (whose library, taken when) or neither.",
                    row[LINE],
                    missing,
                )
            )
        if not patient:
            continue
        key = (row["library_type"], patient, timepoint)
        if key in seen:
            other, line = seen[key]
            raise InputError(
                located(
                    path,
                    f"patient '{patient}' already has a {row['library_type']} sample at timepoint "
                    f"'{timepoint}' ('{other}', line {line}); one sample per patient and "
                    "timepoint per library type.",
                    row[LINE],
                    "timepoint",
                )
            )
        seen[key] = (row["sample"], row[LINE])


def check_sample_patients(
    path: str | os.PathLike[str],
    timepoints: Sequence[str],
    patients: Collection[str],
    clinical: object,
) -> None:
    """The sample sheet's ``patient`` and ``timepoint`` values name a patient of the clinical
    table (``patients``, read from the file ``clinical``) and one of the qPCR's ``timepoints``
    (config keys qpcr.pre and qpcr.post): one vocabulary for both kinds of marker.

    The sheet is read again for its line numbers; :func:`load_samples` has checked the rest.
    """
    sheet = read_sheet(path, SAMPLE_COLUMNS, allow_empty=True)
    if "patient" not in sheet:
        return
    known = set(map(str, patients))
    for row in _rows(sheet[sheet["patient"] != ""]):
        if row["patient"] not in known:
            raise InputError(
                located(
                    path,
                    f"patient '{row['patient']}' of sample '{row['sample']}' is not in the "
                    f"clinical table {clinical}; check the spelling of the identifier.",
                    row[LINE],
                    "patient",
                )
            )
        if row["timepoint"] not in timepoints:
            raise InputError(
                located(
                    path,
                    f"timepoint '{row['timepoint']}' of sample '{row['sample']}' is not one of "
                    f"{list(timepoints)} (the qPCR's timepoints, config keys qpcr.pre and "
                    "qpcr.post).",
                    row[LINE],
                    "timepoint",
                )
            )


def _check_unit_files(units: pd.DataFrame, path: object, paired: pd.Series) -> None:
    """FASTQ paths exist, are readable files, and no file is listed twice (reads counted twice)."""
    seen: dict[Path, tuple[int, str]] = {}
    for row, is_paired in zip(_rows(units), paired, strict=True):
        for column in ("fq1", "fq2") if is_paired else ("fq1",):
            fastq = Path(row[column])
            if fastq.is_dir():
                raise InputError(
                    located(path, f"'{fastq}' is a folder, not a FASTQ file.", row[LINE], column)
                )
            resolved = fastq.resolve()
            if resolved in seen:
                first_line, first_column = seen[resolved]
                raise InputError(
                    located(
                        path,
                        f"FASTQ file '{fastq}' is already listed on line {first_line}, column "
                        f"'{first_column}'; its reads would be counted twice.",
                        row[LINE],
                        column,
                    )
                )
            seen[resolved] = (row[LINE], column)
            if not fastq.is_file():
                raise InputError(
                    located(
                        path,
                        f"FASTQ file '{fastq}' does not exist (paths are relative to the "
                        "folder Snakemake runs in).",
                        row[LINE],
                        column,
                    )
                )
            if not os.access(fastq, os.R_OK):
                raise InputError(
                    located(path, f"FASTQ file '{fastq}' is not readable.", row[LINE], column)
                )


def _check_adapter(row: Mapping[str, str], path: object, library_type: str, protocol: str) -> None:
    """``custom`` needs an adapter (mRNA pairs may give ``R1,R2``); presets take none."""
    adapter = row["adapter"]
    if protocol != "custom":
        if adapter:
            raise InputError(
                located(
                    path,
                    f"an adapter is given but protocol '{protocol}' brings its own; set the "
                    "protocol to 'custom' to use this adapter, or clear the cell.",
                    row[LINE],
                    "adapter",
                )
            )
        return
    parts = adapter.split(",") if library_type == "mrna" and row["fq2"] else [adapter]
    if len(parts) > 2 or not all(ADAPTER_PATTERN.match(part) for part in parts):
        pair_hint = " (or two, 'R1,R2', for a pair)" if library_type == "mrna" else ""
        raise InputError(
            located(
                path,
                f"protocol 'custom' needs the 3' adapter sequence{pair_hint}, letters A, C, G, "
                f"T, N only; found '{adapter}'.",
                row[LINE],
                "adapter",
            )
        )


def _unit_settings(row: Mapping[str, str], path: object, library_type: str) -> dict[str, str]:
    """A unit's protocol (and mRNA strandedness), defaults filled in, checked for its library."""
    protocols = PROTOCOLS[library_type]
    protocol = row["protocol"] or protocols[0]
    if protocol not in protocols:
        raise InputError(
            located(
                path,
                f"protocol '{protocol}' is unknown for a {library_type} library; "
                f"choose one of {list(protocols)}.",
                row[LINE],
                "protocol",
            )
        )
    _check_adapter(row, path, library_type, protocol)
    settings = {"protocol": protocol}
    if library_type == "mrna":
        settings["strandedness"] = row["strandedness"] or "auto"
        if settings["strandedness"] not in STRANDEDNESS:
            raise InputError(
                located(
                    path,
                    f"'{row['strandedness']}' is not one of {list(STRANDEDNESS)}.",
                    row[LINE],
                    "strandedness",
                )
            )
    elif row["fq2"]:
        raise InputError(
            located(
                path,
                "small-RNA libraries are read single-end; leave fq2 empty.",
                row[LINE],
                "fq2",
            )
        )
    return settings


def load_units(
    path: str | os.PathLike[str] | None, samples: pd.DataFrame, check_files: bool = True
) -> pd.DataFrame:
    """Load ``units.tsv`` (one row per FASTQ file or pair), indexed by (sample, unit).

    Each unit belongs to a sample of ``samples``; its trimming protocol must suit the sample's
    library type, a ``custom`` protocol needs an adapter sequence, and strandedness (mRNA only)
    defaults to ``auto``. Without sequencing (``path`` empty, or a header only) it is empty.
    """
    if not path:
        if len(samples):
            raise InputError(
                f"config: 'units' (the unit sheet) is not set, but the sample sheet lists "
                f"{len(samples)} sample(s); give their FASTQ files in a unit sheet."
            )
        return pd.DataFrame(columns=list(UNIT_COLUMNS)).set_index(["sample", "unit"], drop=False)
    sheet = read_sheet(path, UNIT_REQUIRED, allow_empty=True)
    for column in UNIT_COLUMNS:
        if column not in sheet:
            sheet[column] = ""
    _check_names(sheet, path, "sample")
    _check_names(sheet, path, "unit")
    seen: dict[tuple[str, str], int] = {}
    library_types = samples["library_type"].to_dict()
    settings: list[dict[str, str]] = []
    for row in _rows(sheet):
        key = (row["sample"], row["unit"])
        if row["sample"] not in samples.index:
            raise InputError(
                located(
                    path,
                    f"sample '{row['sample']}' is not in the sample sheet.",
                    row[LINE],
                    "sample",
                )
            )
        if key in seen:
            raise InputError(
                located(
                    path,
                    f"unit '{row['unit']}' of sample '{row['sample']}' is already defined on "
                    f"line {seen[key]}.",
                    row[LINE],
                    "unit",
                )
            )
        seen[key] = row[LINE]
        settings.append(_unit_settings(row, path, library_types[row["sample"]]))
    for column in {column for row_settings in settings for column in row_settings}:
        sheet[column] = [
            row_settings.get(column, sheet_value)
            for row_settings, sheet_value in zip(settings, sheet[column], strict=True)
        ]
    if check_files:
        _check_unit_files(sheet, path, sheet["fq2"] != "")
    without_units = sorted(set(samples.index) - {key[0] for key in seen})
    if without_units:
        raise InputError(f"{path}: sample(s) {without_units} of the sample sheet have no unit.")
    return sheet.drop(columns=LINE).set_index(["sample", "unit"], drop=False).sort_index()


@dataclass(frozen=True)
class UnitIndex:
    """The checked units sheet as plain lookups, built once when the workflow is read.

    Input, params and resource functions run once per job (six per small-RNA sample); a pandas
    lookup costs about a millisecond each, which made planning 1,000 samples seconds slower.
    """

    #: (sample, unit) -> the unit's row (every column of :data:`UNIT_COLUMNS`).
    rows: Mapping[tuple[str, str], Mapping[str, str]]
    #: sample -> its unit names, in sheet order (the units table's sorted order).
    by_sample: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, units: pd.DataFrame) -> UnitIndex:
        """From :func:`load_units`' table."""
        rows = {(record["sample"], record["unit"]): record for record in units.to_dict("records")}
        by_sample: dict[str, list[str]] = {}
        for sample, unit in rows:
            by_sample.setdefault(sample, []).append(unit)
        return cls(rows, {sample: tuple(names) for sample, names in by_sample.items()})

    def units_of(self, sample: str) -> list[str]:
        """Unit names of a sample, in sheet order."""
        return list(self.by_sample[sample])

    def row(self, sample: str, unit: str) -> dict[str, str]:
        """One unit's row, as a new dict."""
        return dict(self.rows[(sample, unit)])

    def is_paired(self, sample: str, unit: str) -> bool:
        """True when the unit has a second FASTQ file."""
        return bool(self.rows[(sample, unit)]["fq2"])

    def fastqs(self, sample: str, unit: str | None = None) -> list[str]:
        """FASTQ files of one unit, or of every unit of the sample (fq1 then fq2 of each)."""
        names = self.by_sample[sample] if unit is None else (unit,)
        return [
            path
            for name in names
            for path in (self.rows[(sample, name)]["fq1"], self.rows[(sample, name)]["fq2"])
            if path
        ]
