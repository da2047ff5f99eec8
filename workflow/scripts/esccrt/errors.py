"""Errors that are the user's to fix, worded for the biologist who reads them."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (sheet, config, reads, reference or table).

    The message says what is wrong, where (file, row, column) and how to fix it; the workflow
    prints it as is and stops with a non-zero exit, before writing any result.
    """


def located(path: object, message: str, row: int | None = None, column: str | None = None) -> str:
    """Prefix ``message`` with its location, e.g. ``config/samples.tsv, row 3, column 'sample': ...``.

    ``row`` is the 1-based data row as a spreadsheet user counts it below the header line.
    """
    where = [str(path)]
    if row is not None:
        where.append(f"row {row}")
    if column is not None:
        where.append(f"column '{column}'")
    return f"{', '.join(where)}: {message}"
