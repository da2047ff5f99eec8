"""Errors that are the user's to fix, worded for the biologist who reads them."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (sheet, config, reads, reference or table).

    The message says what is wrong, where (file, row, column) and how to fix it; the workflow
    prints it as is and stops with a non-zero exit, before writing any result.
    """


def located(path: object, message: str, line: int | None = None, column: str | None = None) -> str:
    """Prefix ``message`` with its location: ``config/samples.tsv, line 3, column 'sample': ...``.

    ``line`` is the line number in the file as an editor shows it (the header is line 1).
    """
    where = [str(path)]
    if line is not None:
        where.append(f"line {line}")
    if column is not None:
        where.append(f"column '{column}'")
    return f"{', '.join(where)}: {message}"
