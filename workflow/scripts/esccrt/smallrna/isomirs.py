"""isomiR classes of mature miRNA reads (canonical, 5' shift, 3' trimmed or extended, mismatch)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: counting runs without it
    import pandas as pd


#: isomiR classes of a mature miRNA read, by priority (first that applies).
ISOMIR_CLASSES = ("mismatch", "shifted_5p", "trimmed_3p", "extended_3p", "canonical")


def isomir_class(offset5: int, offset3: int, mismatches: int) -> str:
    """Class of a read relative to its mature sequence.

    ``offset5``/``offset3``: read start/end minus mature start/end (0 = same end). Mismatches
    (incl. non-templated 3' additions) come first, then a shifted 5' end (new seed), then a
    shorter or longer 3' end; otherwise the read is the canonical mature sequence.
    """
    if mismatches:
        return "mismatch"
    if offset5:
        return "shifted_5p"
    if offset3 < 0:
        return "trimmed_3p"
    if offset3 > 0:
        return "extended_3p"
    return "canonical"


def merge_isomirs(*tables: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Sum isomiR class counts of several BAMs (mature and hairpin steps)."""
    merged: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for table in tables:
        for mature, classes in table.items():
            for name, value in classes.items():
                merged[mature][name] += value
    return {mature: dict(classes) for mature, classes in merged.items()}


def isomir_table(per_sample: Mapping[str, Mapping[str, Mapping[str, float]]]) -> pd.DataFrame:
    """Long isomiR summary: sample, feature, one column per class, total (reads, 2 decimals)."""
    import pandas as pd

    rows = []
    for sample in sorted(per_sample):
        for mature in sorted(per_sample[sample]):
            classes = per_sample[sample][mature]
            row = {"sample": sample, "feature": mature}
            row.update({name: round(classes.get(name, 0.0), 2) for name in ISOMIR_CLASSES})
            row["total"] = round(sum(classes.values()), 2)
            rows.append(row)
    return pd.DataFrame(rows, columns=["sample", "feature", *ISOMIR_CLASSES, "total"])
