"""Instrument text and spreadsheet exports as rows of cells, and the results table inside them.

Exports carry a header block (run information) before the results and sometimes a summary block
after them. :func:`read_rows` turns a file (``.txt``/``.csv``, gzipped, CR/CRLF/LF line ends,
UTF-8/UTF-16/Windows-1252; or ``.xlsx``) into numbered rows of cells; :func:`find_table` finds
the header line holding the reader's columns and returns the rows below it, up to the first
empty line.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt.errors import InputError, located

#: (line number as an editor shows it, cells)
Row = tuple[int, list[str]]


def read_text(path: str | Path) -> str:
    """The text of a (possibly gzipped) export, whatever its encoding and line endings."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _xlsx_rows(path: Path, sheet_names: Sequence[str]) -> list[Row]:
    """Rows of the first sheet named in ``sheet_names`` (else the first sheet) as text cells."""
    import openpyxl  # only spreadsheet exports need it

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        names = [n for n in sheet_names if n in book.sheetnames]
        sheet = book[names[0]] if names else book.worksheets[0]
        return [
            (number, ["" if value is None else str(value) for value in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        book.close()


def read_rows(path: str | Path, sheet_names: Sequence[str] = ("Results",)) -> list[Row]:
    """Numbered rows of cells; tab-, comma- or semicolon-separated text told apart by counting."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: Ct file not found. Check qpcr.ct_table in config/config.yaml.")
    if path.read_bytes()[:2] == b"PK":
        return _xlsx_rows(path, sheet_names)
    lines = read_text(path).splitlines()
    head = "\n".join(lines[:80])
    # tab first on a tie; ';' is what spreadsheets write where ',' is the decimal mark
    delimiter = max(("\t", ",", ";"), key=head.count)
    return [
        (number, cells)
        for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1)
    ]


@dataclass(frozen=True)
class Table:
    """The results table of an export: its header line, column positions and rows."""

    path: Path
    header_line: int
    columns: dict[str, int]
    rows: list[Row]
    #: the header's own spelling of each column known by another name (``Ct`` -> ``CT``)
    spelling: dict[str, str]

    def cell(self, row: list[str], column: str) -> str:
        """The stripped cell of ``column`` ('' when the column or the cell is absent)."""
        position = self.columns.get(column)
        if position is None or position >= len(row):
            return ""
        return row[position].strip()

    def where(self, line: int, column: str | None = None) -> str:
        """``file, line N, column 'X'`` for messages, the column as the file spells it."""
        name = self.spelling.get(column, column) if column else None
        return located(self.path, "", line, name).removesuffix(": ")


def _header_cells(cells: list[str]) -> list[str]:
    return [c.strip().strip("\ufeff") for c in cells]


def find_table(
    rows: list[Row],
    path: str | Path,
    required: Sequence[str | tuple[str, ...]],
    export: str,
) -> Table:
    """The table under the first line holding every column of ``required``.

    An entry of ``required`` may be a tuple of alternative names (``("Ct", "CT", "Cq")``); the
    table's ``columns`` then knows it by the first name. Raises :class:`InputError` naming the
    line that comes closest and the missing column(s) when no line has them all.
    """
    options = [(r,) if isinstance(r, str) else tuple(r) for r in required]
    best: tuple[int, int, list[str]] = (0, 0, [])
    for index, (number, cells) in enumerate(rows):
        header = _header_cells(cells)
        found = {
            alts[0]: next((header.index(a) for a in alts if a in header), None) for alts in options
        }
        missing = [name for name, position in found.items() if position is None]
        if not missing:
            columns = {c: i for i, c in enumerate(header) if c}
            columns.update(
                {name: position for name, position in found.items() if position is not None}
            )
            spelling = {
                name: header[position] for name, position in found.items() if position is not None
            }
            body = []
            for row in rows[index + 1 :]:
                if not any(c.strip() for c in row[1]):
                    break
                body.append(row)
            return Table(Path(path), number, columns, body, spelling)
        if len(options) - len(missing) > best[1]:
            best = (number, len(options) - len(missing), missing)
    if best[1] >= 2:
        raise InputError(
            located(
                path,
                f"the results header of this {export} export lacks column(s) {best[2]}. "
                "Export the results table with all columns, or set qpcr.format to the "
                "instrument that wrote the file.",
                best[0],
            )
        )
    names = [alts[0] for alts in options]
    raise InputError(
        f"{path}: no line holds the {export} results header {names}; is this a {export} "
        "results export? Set qpcr.format to the instrument that wrote the file."
    )
