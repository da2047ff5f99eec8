"""Instrument files -> the workflow's long Ct table, through the sample map.

:class:`ImportSettings` is the part of the ``qpcr`` config section that says where the Cq values
come from (``ct_table``, ``format``, ``sample_map``); :func:`import_ct` reads every file in its
format, refuses a well read twice (also across files), maps the wells to patients and timepoints
and returns the long Ct table and the control wells. Nothing is written here: the rule script
writes both tables only when everything was read and mapped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.formats import FORMATS, read_wells
from esccrt.qpcr.formats.wells import check_unique_wells
from esccrt.qpcr.sample_map import excluded_samples, map_wells, read_sample_map, unused_rows


@dataclass(frozen=True)
class ImportSettings:
    """Where the Cq values come from (config keys qpcr.ct_table, format, sample_map)."""

    files: Sequence[str]
    format: str
    sample_map: str
    undetermined_tokens: Sequence[str]

    @classmethod
    def from_config(cls, section: Mapping) -> ImportSettings:
        """Build from the validated ``config["qpcr"]`` and check it."""
        table = section["ct_table"]
        files = [table] if isinstance(table, str) else list(table)
        settings = cls(
            files, section["format"], section["sample_map"], section["undetermined_tokens"]
        )
        settings.check()
        return settings

    @property
    def is_long(self) -> bool:
        """True when the Ct table is already the workflow's long table (no import)."""
        return self.format == "long"

    def check(self) -> None:
        """Raise :class:`InputError` naming the config key of a bad value."""
        if self.format not in FORMATS:
            raise InputError(
                f"config key qpcr.format: '{self.format}' is unknown; use one of {list(FORMATS)}."
            )
        if self.is_long and len(self.files) != 1:
            raise InputError(
                "config key qpcr.ct_table: format 'long' reads one long Ct table; list several "
                "files only for instrument exports (qpcr.format rdml, abi_sds, ..., auto)."
            )
        if not self.is_long and not self.sample_map:
            raise InputError(
                f"config key qpcr.sample_map: format '{self.format}' needs a sample map (sample, "
                "patient, timepoint) that says whose wells the instrument's samples are."
            )
        if not self.is_long and not self.undetermined_tokens:
            raise InputError(
                "config key qpcr.undetermined_tokens: name at least one word; the imported "
                "table writes the first one for wells without a Cq."
            )


def import_ct(
    settings: ImportSettings, read: Callable[[str], pd.DataFrame] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(long Ct table, control wells, all wells, sample map) of the configured files.

    ``read`` gives one file's well table; None reads the Cq the files state
    (:func:`~esccrt.qpcr.formats.read_wells`), :mod:`esccrt.qpcr.curves` passes LinRegPCR's.
    """
    words = [w for w in settings.undetermined_tokens if w]
    read = read or (lambda path: read_wells(path, settings.format, words))
    wells = pd.concat([read(path) for path in settings.files], ignore_index=True)
    check_unique_wells(wells)  # the same plate configured twice
    sheet = read_sample_map(settings.sample_map)
    long, controls = map_wells(wells, sheet, settings.sample_map, settings.undetermined_tokens[0])
    return long, controls, wells, sheet


def summary_lines(
    long: pd.DataFrame, controls: pd.DataFrame, wells: pd.DataFrame, sheet: pd.DataFrame
) -> list[str]:
    """What the import did, for the rule's log: counts, amplified controls, unused map rows."""
    no_cq = int(pd.to_numeric(long["ct"], errors="coerce").isna().sum())
    reasons = ", ".join(f"{n} {reason}" for reason, n in controls["reason"].value_counts().items())
    lines = [
        f"{len(wells)} wells read from {wells['file'].nunique()} file(s); {len(long)} Ct values "
        f"mapped to {long['patient'].nunique()} patients ({no_cq} without a Cq)",
        f"{len(controls)} wells not quantified" + (f": {reasons}" if reasons else ""),
    ]
    for row in controls[controls["amplified"]].itertuples():
        lines.append(
            f"WARNING: {row.task} well {row.well} ({row.file}, target '{row.target}') has "
            f"Cq {row.cq:.2f}"
        )
    unused = unused_rows(sheet, wells)
    if unused:
        lines.append(f"sample map rows that match no well: {list(unused)}")
    return lines


def write_imported(
    imported: tuple,
    ct_out: str | Path,
    controls_out: str | Path,
    excluded_out: str | Path | None = None,
) -> list[str]:
    """Write what :func:`import_ct` returned (the long Ct table, the control wells and, given
    ``excluded_out``, the samples the sample map excludes); returns the log lines."""
    long, controls, wells, sheet = imported
    excluded = excluded_samples(wells, sheet)
    write_tsv_atomic(controls, controls_out)
    if excluded_out is not None:
        write_tsv_atomic(excluded, excluded_out)
    write_tsv_atomic(long, ct_out)
    lines = summary_lines(long, controls, wells, sheet)
    for row in excluded.itertuples():
        lines.append(
            f"excluded by the sample map: {row.sample} ({row.file}, {row.wells} wells): "
            f"{row.reason}"
        )
    return lines


def run(
    settings: ImportSettings,
    ct_out: str | Path,
    controls_out: str | Path,
    excluded_out: str | Path | None = None,
) -> list[str]:
    """Import, then write the tables (nothing is written when anything cannot be read or
    mapped; each file appears whole or not at all). Returns the log lines."""
    return write_imported(import_ct(settings), ct_out, controls_out, excluded_out)
