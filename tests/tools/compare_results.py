"""Compare two finished runs of the workflow: every TSV table and the report's HTML tables.

Used to prove that a restructuring changed no result::

    python tests/tools/compare_results.py BEFORE/results AFTER/results

Numbers are equal when they agree to ``--tolerance`` (absolute, or relative to the larger
value); text must be identical. Exit status 0 when everything agrees, 1 otherwise; the
differences are listed either way. Standard library and pandas only.
"""

from __future__ import annotations

import argparse
import html
import math
import re
import sys
from pathlib import Path

import pandas as pd

#: Folders whose tables say how a run went, not what it found (times, per-run bookkeeping).
NOT_RESULTS = ("benchmarks", "logs")
_TABLE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_CELL = re.compile(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def result_tables(results: Path) -> list[Path]:
    """Every ``.tsv`` below ``results``, relative to it, except run bookkeeping."""
    return sorted(
        path.relative_to(results)
        for path in results.rglob("*.tsv")
        if not set(path.relative_to(results).parts) & set(NOT_RESULTS)
    )


def values_agree(first: object, second: object, tolerance: float) -> bool:
    """True when two cells are equal: numbers within ``tolerance``, anything else as text."""
    try:
        a, b = float(first), float(second)
    except (TypeError, ValueError):
        return str(first) == str(second)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


def compare_frames(before: pd.DataFrame, after: pd.DataFrame, tolerance: float) -> list[str]:
    """Differences between two tables read as text: shape, header, then cells (first 5)."""
    if list(before.columns) != list(after.columns):
        return [f"columns differ: {list(before.columns)} vs {list(after.columns)}"]
    if before.shape != after.shape:
        return [f"shape differs: {before.shape} vs {after.shape}"]
    problems = []
    for row in range(before.shape[0]):
        for col, name in enumerate(before.columns):
            first, second = before.iat[row, col], after.iat[row, col]
            if not values_agree(first, second, tolerance):
                problems.append(f"row {row + 2}, column {name!r}: {first!r} vs {second!r}")
    return problems[:5] + ([f"... {len(problems) - 5} more"] if len(problems) > 5 else [])


def read_text_table(path: Path) -> pd.DataFrame:
    """A TSV with every cell as text (empty cells as empty strings). Leading ``#`` lines
    (MultiQC custom-content headers) are skipped."""
    header_lines = 0
    with open(path) as handle:
        while handle.readline().startswith("#"):
            header_lines += 1
    return pd.read_csv(
        path, sep="\t", dtype=str, keep_default_na=False, comment=None, skiprows=header_lines
    )


def html_tables(page: str) -> list[list[str]]:
    """The cells of every ``<table>`` of an HTML page, as text."""
    return [
        [html.unescape(_TAG.sub("", cell)).strip() for cell in _CELL.findall(table)]
        for table in _TABLE.findall(page)
    ]


def compare_reports(before: Path, after: Path, tolerance: float) -> list[str]:
    """Differences between the tables of two report pages (table by table, cell by cell)."""
    first, second = html_tables(before.read_text()), html_tables(after.read_text())
    if len(first) != len(second):
        return [f"{len(first)} tables vs {len(second)}"]
    problems = []
    for number, (a, b) in enumerate(zip(first, second, strict=True), start=1):
        if len(a) != len(b):
            problems.append(f"table {number}: {len(a)} cells vs {len(b)}")
            continue
        problems += [
            f"table {number}, cell {i}: {x!r} vs {y!r}"
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            if not values_agree(x, y, tolerance)
        ]
    return problems


def compare_runs(before: Path, after: Path, tolerance: float) -> tuple[int, dict[str, list[str]]]:
    """Number of tables compared, and the differences by table (missing ones included)."""
    tables = sorted(set(result_tables(before)) | set(result_tables(after)))
    differences: dict[str, list[str]] = {}
    for table in tables:
        if not (before / table).exists() or not (after / table).exists():
            side = "before" if not (before / table).exists() else "after"
            differences[str(table)] = [f"absent {side}"]
            continue
        found = compare_frames(
            read_text_table(before / table), read_text_table(after / table), tolerance
        )
        if found:
            differences[str(table)] = found
    report = Path("report") / "report.html"
    if (before / report).exists() and (after / report).exists():
        found = compare_reports(before / report, after / report, tolerance)
        if found:
            differences[str(report)] = found
    return len(tables), differences


def main(argv: list[str] | None = None) -> int:
    """Command line: compare two results folders and print what differs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=1e-9)
    args = parser.parse_args(argv)
    count, differences = compare_runs(args.before, args.after, args.tolerance)
    for table, problems in differences.items():
        print(f"DIFFERS {table}")
        for problem in problems:
            print(f"    {problem}")
    print(f"{count} tables compared (+ report tables), {len(differences)} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
