"""A count result (genes and htseq-count's five special counters) and its table format."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas and numpy are imported where used (the counting job needs neither)
    import numpy as np
    import pandas as pd

SPECIAL_COUNTERS = (
    "__no_feature",
    "__ambiguous",
    "__too_low_aQual",
    "__not_aligned",
    "__alignment_not_unique",
)


@dataclass
class CountResult:
    """Per-feature counts and htseq-count's five special counters."""

    counts: dict[str, int]
    special: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPECIAL_COUNTERS, 0))

    @property
    def assigned(self) -> int:
        """Reads/pairs counted to exactly one feature."""
        return sum(self.counts.values())

    def __iadd__(self, other: CountResult) -> CountResult:
        """Add ``other``'s counts and counters (the parts of one BAM counted separately)."""
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for key, value in other.special.items():
            self.special[key] += value
        return self


def write_htseq_table(
    result: CountResult, names: Mapping[str, str], path: str | os.PathLike[str]
) -> None:
    """Write counts as ``htseq-count --additional-attr <name>`` prints them (no header line)."""
    from esccrt.io import atomic_write

    with atomic_write(path) as out:
        for feature in sorted(result.counts):
            out.write(f"{feature}\t{names.get(feature, '')}\t{result.counts[feature]}\n")
        for key in SPECIAL_COUNTERS:
            out.write(f"{key}\t\t{result.special[key]}\n")


def read_htseq_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Read a table of :func:`write_htseq_table` (or htseq-count with one extra attribute).

    Returns (DataFrame with columns feature, name, count; dict of the special counters).
    """
    import pandas as pd

    table = pd.read_csv(
        path,
        sep="\t",
        header=None,
        names=["feature", "name", "count"],
        dtype={"feature": str, "name": str},
        keep_default_na=False,
    )
    special_rows = table["feature"].str.startswith("__")
    special = dict(
        zip(
            table.loc[special_rows, "feature"],
            table.loc[special_rows, "count"].astype(int),
            strict=True,
        )
    )
    genes = table.loc[~special_rows].reset_index(drop=True)
    genes["count"] = genes["count"].astype(int)
    return genes, special


@dataclass(frozen=True)
class CountColumn:
    """One table of :func:`write_htseq_table` read for the count matrix: each gene line's
    feature and name (the bytes before its last tab: to check that every table lists the same
    genes in the same order), the gene counts in that order, and the special counters."""

    genes: list[bytes]
    counts: np.ndarray
    special: dict[str, int]


def read_count_column(path: str | os.PathLike[str]) -> CountColumn:
    """Read a table of :func:`write_htseq_table` as a :class:`CountColumn`: the same counts as
    :func:`read_htseq_table`, read 3-4 times faster (a 60,000-gene table in 27 ms rather than
    96 ms: the count matrix reads one per unit, 1,000 in a cohort).

    The special counters (``__`` lines) follow the genes, as htseq-count writes them. A line
    without a tab or a count that is not a whole number is an :class:`InputError` naming the
    file.
    """
    import numpy as np

    from esccrt.errors import InputError, located

    data = Path(path).read_bytes()
    found = data.find(b"\n__")  # the first special counter's line: the genes end there
    cut = 0 if data.startswith(b"__") else (found + 1 if found >= 0 else len(data))
    lines = [line for line in data[:cut].splitlines() if line]
    tabs = [line.rfind(b"\t") for line in lines]
    try:
        if min(tabs, default=0) < 0:
            raise ValueError("a gene line without a tab")
        counts = np.array([line[tab + 1 :] for line, tab in zip(lines, tabs, strict=True)])
        special = {}
        for line in data[cut:].splitlines():
            if line:
                key, _, value = line.partition(b"\t")
                special[key.decode()] = int(value.rpartition(b"\t")[2])
        return CountColumn(
            genes=[line[:tab] for line, tab in zip(lines, tabs, strict=True)],
            counts=counts.astype(np.int64) if len(lines) else np.zeros(0, dtype=np.int64),
            special=special,
        )
    except ValueError as error:
        raise InputError(
            located(path, f"not a gene count table (feature, name, count per line): {error}")
        ) from None
