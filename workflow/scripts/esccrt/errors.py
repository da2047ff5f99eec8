"""Errors that are the user's to fix, worded for the biologist who reads them."""

from __future__ import annotations

import os
import sys


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


def _report_input_error(kind: type[BaseException], error: BaseException, trace: object) -> None:
    """``sys.excepthook``: a user's input error is printed alone; anything else as a traceback."""
    if issubclass(kind, InputError):
        print(f"Input error: {error}", file=sys.stderr, flush=True)
    else:
        sys.__excepthook__(kind, error, trace)  # a bug: its traceback is what a developer needs


def script_log(path: str | os.PathLike[str]) -> None:
    """Start a rule script: its stderr goes to the rule's log, and an :class:`InputError`
    ends the script with its message alone (file, line, column, how to fix) and exit status 1.

    Snakemake shows the log of a failed job (``--show-failed-logs``), so the user reads one
    sentence instead of a traceback whose last line is the message.
    """
    sys.stderr = open(path, "w")  # stays open for the whole script
    sys.excepthook = _report_input_error
