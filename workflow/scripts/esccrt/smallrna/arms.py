"""Mature regions of the hairpins, and which hairpin alignments count for a mature miRNA.

Mature counts = reads aligned to a mature sequence + reads of the hairpin step whose alignment
lies in a mature region of the hairpin (isomiRs longer than the mature sequence, 5'/3' shifts,
non-templated 3' additions; rule as miRDeep2's quantifier: 2 nt upstream, 5 nt downstream,
configurable, see :class:`ArmRule`). The hairpin matrix holds every read of the hairpin step.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported where used: counting runs without it
    import pandas as pd


@dataclass(frozen=True)
class ArmRule:
    """How a hairpin alignment is credited to a mature miRNA of that hairpin (miRDeep2-like).

    The alignment must lie within the mature region widened by ``upstream`` nt on the 5' side
    and ``downstream`` nt on the 3' side, with at most ``max_mismatches`` mismatches (SAM NM).
    """

    upstream: int
    downstream: int
    max_mismatches: int

    @classmethod
    def from_config(cls, section: Mapping[str, object]) -> ArmRule:
        """The rule of ``smallrna.hairpin_to_mature`` (validated; its defaults are the schema's)."""
        return cls(
            upstream=int(section["upstream"]),
            downstream=int(section["downstream"]),
            max_mismatches=int(section["max_mismatches"]),
        )


#: Mature regions per hairpin: hairpin name -> [(mature name, 0-based start, end)].
Arms = Mapping[str, Sequence[tuple[str, int, int]]]


def mature_positions(mature: Mapping[str, str], hairpins: Mapping[str, str]) -> pd.DataFrame:
    """Where each mature sequence occurs (exactly) in each hairpin sequence.

    Returns columns hairpin, mature, start (0-based), end; every occurrence is listed.
    """
    import pandas as pd

    rows = []
    for hairpin, hairpin_seq in hairpins.items():
        for name, mature_seq in mature.items():
            start = hairpin_seq.find(mature_seq)
            while start >= 0:
                rows.append(
                    {
                        "hairpin": hairpin,
                        "mature": name,
                        "start": start,
                        "end": start + len(mature_seq),
                    }
                )
                start = hairpin_seq.find(mature_seq, start + 1)
    return pd.DataFrame(rows, columns=["hairpin", "mature", "start", "end"])


def read_arms(path: str | os.PathLike[str]) -> dict[str, list[tuple[str, int, int]]]:
    """The :data:`Arms` mapping from a :func:`mature_positions` table saved as TSV."""
    import csv

    with open(path, newline="") as handle:
        return _arms_from_rows(csv.DictReader(handle, delimiter="\t"))


def _arms_from_rows(rows: Iterable[Mapping]) -> dict[str, list[tuple[str, int, int]]]:
    """The :data:`Arms` mapping from rows with keys hairpin, mature, start, end."""
    arms: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for row in rows:
        arms[row["hairpin"]].append((row["mature"], int(row["start"]), int(row["end"])))
    return dict(arms)


def arm_of(
    arms: Arms, hairpin: str, start: int, end: int, mismatches: int, rule: ArmRule
) -> tuple[str, int, int] | None:
    """The mature region (name, start, end) holding hairpin alignment [start, end), or None."""
    if mismatches > rule.max_mismatches:
        return None
    for name, mature_start, mature_end in arms.get(hairpin, ()):
        if start >= mature_start - rule.upstream and end <= mature_end + rule.downstream:
            return name, mature_start, mature_end
    return None
