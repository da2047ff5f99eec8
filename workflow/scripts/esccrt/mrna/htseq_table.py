"""A count result (genes and htseq-count's five special counters) and its table format."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used (the counting job does not need it)
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
