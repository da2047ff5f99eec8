"""Counting: copy-number weighted counts of bowtie alignments, and the count matrices.

Mature reads come from the mature step and, credited by :mod:`esccrt.smallrna.arms`, from the
hairpin step; every read of the hairpin step counts for the hairpin matrix.

Multi-mapper rule: a read whose best alignments (sense strand, fewest mismatches among those
bowtie reports with ``--best --strata -k 50``) hit ``n`` features adds ``copies / n`` to each.
Sums stay fractional per sample and are rounded once, at the matrix level (half up), so matrix
columns may differ from the integer read totals by rounding only. Antisense alignments never
count.

Non-templated 3' additions (:func:`~esccrt.smallrna.isomirs.non_templated_tail`): mismatches in
a read's 3' tail of at most ``max_non_templated`` nt are not held against it. Hits are ranked
by the mismatches of their templated part, then by tail length, and a hairpin hit is credited
to a mature miRNA by its templated part (:func:`~esccrt.smallrna.arms.arm_of`).
"""

from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from esccrt.errors import InputError, located
from esccrt.smallrna.arms import ArmRule, Arms, arm_of
from esccrt.smallrna.collapse import copy_number
from esccrt.smallrna.isomirs import isomir_class, non_templated_tail
from esccrt.smallrna.spill import SpilledList

if TYPE_CHECKING:  # numpy and pandas are imported where used: counting runs without them
    import numpy as np
    import pandas as pd


@dataclass
class AlignmentCounts:
    """Weighted counts of one BAM.

    ``features``: per reference sequence; ``aligned_copies``: copies of reads with a sense hit;
    ``antisense_only_copies``: copies of reads aligned antisense only (not counted);
    ``arm_features`` / ``arm_copies``: the part of a hairpin BAM credited to mature miRNAs;
    ``isomirs``: mature miRNA -> isomiR class (:data:`~esccrt.smallrna.isomirs.ISOMIR_CLASSES`)
    -> weighted reads; ``placements``: (read name, reference, 0-based start, mature miRNA, read
    sequence) of every counted mature hit (for mirGFF3), in BAM order, a read's together; held
    with bounded memory (:class:`~esccrt.smallrna.spill.SpilledList`).
    """

    features: dict[str, float]
    aligned_copies: int
    antisense_only_copies: int
    arm_features: dict[str, float] = field(default_factory=dict)
    arm_copies: int = 0
    isomirs: dict[str, dict[str, float]] = field(default_factory=dict)
    placements: SpilledList = field(default_factory=SpilledList)


#: One sense alignment: (reference, start, end, mismatches (SAM NM), reference length,
#: 0-based read positions of the mismatches (from MD; empty when MD is absent)).
Hit = tuple[str, int, int, int, int, tuple[int, ...]]

_MD_TOKEN = re.compile(r"(\d+)|\^([A-Z]+)|([A-Z])")


def mismatch_positions(md: str) -> tuple[int, ...]:
    """0-based read positions of the mismatches in a SAM MD string of an ungapped alignment."""
    if md.isdigit():  # the common case, a perfect match: no tokens to parse
        return ()
    positions, offset = [], 0
    for matches, _deleted, mismatch in _MD_TOKEN.findall(md):
        if matches:
            offset += int(matches)
        elif mismatch:
            positions.append(offset)
            offset += 1
    return tuple(positions)


def _read_groups(bam: str | os.PathLike[str]) -> Iterator[tuple[str, list[Hit], bool, str]]:
    """Per read of a BAM grouped by read name (as bowtie writes it): (name, sense alignments,
    whether it has antisense ones, its sequence). One read's alignments are held at a time;
    a read name that comes back after other reads is an :class:`InputError` (a sorted BAM)."""
    import pysam

    finished: set[str] = set()
    name, hits, antisense, sequence = None, [], False, ""
    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        references, lengths = handle.references, handle.lengths
        for read in handle.fetch(until_eof=True):
            if read.is_unmapped:
                continue
            if read.query_name != name:
                if name is not None:
                    yield name, hits, antisense, sequence
                    finished.add(name)
                name, hits, antisense, sequence = read.query_name, [], False, ""
                if name in finished:
                    raise InputError(
                        located(
                            bam,
                            f"the alignments of read {name} are not together; counting needs a "
                            "BAM grouped by read, as bowtie writes it (not sorted by coordinate)",
                        )
                    )
            if read.is_reverse:
                antisense = True
                continue
            sequence = sequence or read.query_sequence or ""  # secondary lines may omit it
            md = read.get_tag("MD") if read.has_tag("MD") else ""
            hits.append(
                (
                    references[read.reference_id],  # one string object per reference
                    read.reference_start,
                    read.reference_end,
                    read.get_tag("NM") if read.has_tag("NM") else 0,
                    lengths[read.reference_id],
                    mismatch_positions(md),
                )
            )
    if name is not None:
        yield name, hits, antisense, sequence


#: A hit seen through the non-templated rule: (reference, start, templated end, templated
#: mismatches, reference length, tail length).
Templated = tuple[str, int, int, int, int, int]


def _best_templated(targets: Sequence[Hit], max_non_templated: int) -> list[Templated]:
    """The hits with the fewest templated mismatches, then the shortest non-templated tail."""
    seen = []
    for target, start, end, mismatches, length, positions in targets:
        tail = non_templated_tail(positions, end - start, max_non_templated) if positions else 0
        if tail:
            templated = end - start - tail
            mismatches -= sum(1 for p in positions if p >= templated)
        seen.append((target, start, end - tail, mismatches, length, tail))
    if len(seen) == 1:  # most reads: one best hit, nothing to rank
        return seen
    best = min((hit[3], hit[5]) for hit in seen)
    return [hit for hit in seen if (hit[3], hit[5]) == best]


def count_alignments(
    bam: str | os.PathLike[str],
    arms: Arms | None = None,
    rule: ArmRule | None = None,
    *,
    max_non_templated: int,
) -> AlignmentCounts:
    """Count a bowtie BAM (grouped by read, as bowtie writes it) with this module's rule.

    Each read's best sense hits (fewest mismatches in the templated part, SAM NM and MD: bowtie's
    ``--strata`` only ranks seed mismatches; then the shortest non-templated 3' tail of at most
    ``max_non_templated`` nt) share its copy number evenly (``copies / n`` per hit; a feature
    hit twice by the same read gets two shares). Reads with antisense hits only are not counted
    but reported in ``antisense_only_copies``. With ``arms`` (hairpin BAMs), each hit's share
    also goes to the mature miRNA whose region holds the alignment's templated part
    (:func:`arm_of`); a read with at least one such hit counts in ``arm_copies``. isomiR classes
    and placements are recorded for mature BAMs (``arms`` None: the reference is the mature
    sequence) and for credited hairpin hits.
    """
    if arms is not None and rule is None:
        raise ValueError("counting a hairpin BAM with arms needs the ArmRule of the config")
    counts = AlignmentCounts({}, 0, 0)
    features: dict[str, float] = defaultdict(float)
    arm_features: dict[str, float] = defaultdict(float)
    isomirs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for name, all_targets, antisense, sequence in _read_groups(bam):
        copies = copy_number(name)
        if not all_targets:
            counts.antisense_only_copies += copies if antisense else 0
            continue
        counts.aligned_copies += copies
        targets = _best_templated(all_targets, max_non_templated)
        share = copies / len(targets)
        in_arm = False
        for target, start, end, mismatches, length, tail in targets:
            features[target] += share
            if arms is None:
                isomirs[target][isomir_class(start, end - length, mismatches, tail)] += share
                if sequence:
                    counts.placements.append((name, target, start, target, sequence))
                continue
            arm = arm_of(arms, target, start, end, mismatches, rule)
            if arm is not None:
                mature, mature_start, mature_end = arm
                arm_features[mature] += share
                offsets = (start - mature_start, end - mature_end)
                isomirs[mature][isomir_class(*offsets, mismatches, tail)] += share
                if sequence:
                    counts.placements.append((name, target, start, mature, sequence))
                in_arm = True
        counts.arm_copies += copies if in_arm else 0
    counts.features, counts.arm_features = dict(features), dict(arm_features)
    counts.isomirs = {mature: dict(classes) for mature, classes in isomirs.items()}
    return counts


def add_counts(*counts: Mapping[str, float]) -> dict[str, float]:
    """Sum per-feature counts."""
    total: dict[str, float] = defaultdict(float)
    for mapping in counts:
        for feature, value in mapping.items():
            total[feature] += value
    return dict(total)


def round_counts(values: pd.DataFrame) -> pd.DataFrame:
    """Round fractional counts half away from zero to integers (matrix-level rounding)."""
    return values.apply(lambda column: (column + 0.5).apply(math.floor)).astype("int64")


class CountColumns:
    """A count matrix gathered one sample at a time: each sample's counts become a column of
    floats over the reference's features as they come (8 bytes per feature and sample), so
    that the samples' count tables need not be held together."""

    def __init__(self, features: Sequence[str]) -> None:
        self.features = list(features)
        self._row = {feature: row for row, feature in enumerate(self.features)}
        self._columns: dict[str, np.ndarray] = {}

    def add(self, sample: str, counts: Mapping[str, float]) -> None:
        """Add ``sample``'s column (features it lacks are 0)."""
        import numpy as np

        unknown = counts.keys() - self._row.keys()
        if unknown:
            raise ValueError(
                f"counts for features missing from the reference: {sorted(unknown)[:5]}"
            )
        column = np.zeros(len(self.features))
        for feature, value in counts.items():
            column[self._row[feature]] = value
        self._columns[sample] = column

    def matrix(self) -> pd.DataFrame:
        """Matrix contract: column ``feature`` (every reference feature), then one int per
        sample (sorted by name), rounded once (:func:`round_counts`)."""
        import pandas as pd

        frame = pd.DataFrame(
            {sample: self._columns[sample] for sample in sorted(self._columns)},
            index=pd.Index(self.features, name="feature"),
        )
        return round_counts(frame).reset_index()


def count_matrix(
    per_sample: Mapping[str, Mapping[str, float]], features: Sequence[str]
) -> pd.DataFrame:
    """Matrix contract: column ``feature`` (every reference feature), then one int per sample."""
    columns = CountColumns(features)
    for sample, counts in per_sample.items():
        columns.add(sample, counts)
    return columns.matrix()
