"""isomiR classes of mature miRNA reads, and the rule for non-templated 3' additions.

Classes: canonical, 5' shift, 3' trimmed or (templated) extended, non-templated 3' addition,
internal mismatch. A non-templated addition (3' adenylation/uridylation, miRge3's and
mirtop's ``iso_add3p``) is a short 3' tail of the read that does not match the reference
behind the templated part: :func:`non_templated_tail` finds it from the mismatch positions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: counting runs without it
    import pandas as pd


#: isomiR classes of a mature miRNA read, by priority (first that applies).
ISOMIR_CLASSES = (
    "mismatch",
    "non_templated_3p",
    "shifted_5p",
    "trimmed_3p",
    "extended_3p",
    "canonical",
)
#: Columns of the isomiR table (:func:`isomir_table`).
ISOMIR_COLUMNS = ("sample", "feature", *ISOMIR_CLASSES, "total")


def non_templated_tail(mismatch_positions: Sequence[int], read_length: int, max_length: int) -> int:
    """Length of the non-templated 3' tail of a read (0 = none).

    The tail is the shortest 3' end of the read that holds every mismatch lying in its last
    ``max_length`` nucleotides; the rest of the read is its templated part. ``mismatch_positions``
    are 0-based read positions (reads without indels, as bowtie 1 aligns them).
    """
    in_reach = [p for p in mismatch_positions if read_length - max_length <= p < read_length]
    return read_length - min(in_reach) if in_reach else 0


def isomir_class(offset5: int, offset3: int, mismatches: int, tail: int = 0) -> str:
    """Class of a read relative to its mature sequence.

    ``offset5``/``offset3``: start/end of the read's templated part minus mature start/end
    (0 = same end); ``mismatches``: mismatches in the templated part; ``tail``: length of the
    non-templated 3' addition. Mismatches come first, then a non-templated 3' addition, then a
    shifted 5' end (new seed), then a shorter or longer 3' end; otherwise the read is the
    canonical mature sequence.
    """
    if mismatches:
        return "mismatch"
    if tail:
        return "non_templated_3p"
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
    return pd.DataFrame(rows, columns=list(ISOMIR_COLUMNS))
