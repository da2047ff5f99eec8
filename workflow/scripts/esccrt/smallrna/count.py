"""Counting: copy-number weighted counts of bowtie alignments, and the count matrices.

Mature reads come from the mature step and, credited by :mod:`esccrt.smallrna.arms`, from the
hairpin step; every read of the hairpin step counts for the hairpin matrix.

Multi-mapper rule: a read whose best alignments (sense strand, fewest mismatches among those
bowtie reports with ``--best --strata -k 50``) hit ``n`` features adds ``copies / n`` to each.
Sums stay fractional per sample and are rounded once, at the matrix level (half up), so matrix
columns may differ from the integer read totals by rounding only. Antisense alignments never
count.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from esccrt.smallrna.arms import ArmRule, Arms, arm_of
from esccrt.smallrna.collapse import copy_number
from esccrt.smallrna.isomirs import isomir_class

if TYPE_CHECKING:  # pandas is imported where used: counting runs without it
    import pandas as pd


@dataclass
class AlignmentCounts:
    """Weighted counts of one BAM.

    ``features``: per reference sequence; ``aligned_copies``: copies of reads with a sense hit;
    ``antisense_only_copies``: copies of reads aligned antisense only (not counted);
    ``arm_features`` / ``arm_copies``: the part of a hairpin BAM credited to mature miRNAs;
    ``isomirs``: mature miRNA -> isomiR class (:data:`~esccrt.smallrna.isomirs.ISOMIR_CLASSES`)
    -> weighted reads.
    """

    features: dict[str, float]
    aligned_copies: int
    antisense_only_copies: int
    arm_features: dict[str, float] = field(default_factory=dict)
    arm_copies: int = 0
    isomirs: dict[str, dict[str, float]] = field(default_factory=dict)


#: One sense alignment: (reference, start, end, mismatches (SAM NM), reference length).
Hit = tuple[str, int, int, int, int]


def _sense_hits(bam: str | os.PathLike[str]) -> tuple[dict[str, list[Hit]], set[str]]:
    """The sense alignments of each read name, and the names of reads aligned antisense."""
    import pysam

    hits: dict[str, list[Hit]] = defaultdict(list)
    antisense: set[str] = set()
    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        for read in handle.fetch(until_eof=True):
            if read.is_unmapped:
                continue
            if read.is_reverse:
                antisense.add(read.query_name)
                continue
            mismatches = read.get_tag("NM") if read.has_tag("NM") else 0
            hits[read.query_name].append(
                (
                    read.reference_name,
                    read.reference_start,
                    read.reference_end,
                    mismatches,
                    handle.get_reference_length(read.reference_name),
                )
            )
    return hits, antisense


def count_alignments(
    bam: str | os.PathLike[str], arms: Arms | None = None, rule: ArmRule | None = None
) -> AlignmentCounts:
    """Count a bowtie BAM (any order) with the multi-mapper rule of this module.

    Each read's best sense hits (fewest mismatches, SAM NM: bowtie's ``--strata`` only ranks
    seed mismatches) share its copy number evenly (``copies / n`` per hit; a feature hit twice
    by the same read gets two shares). Reads with antisense hits only are not counted
    but reported in ``antisense_only_copies``. With ``arms`` (hairpin BAMs), each hit's share
    also goes to the mature miRNA whose region holds the alignment (:func:`arm_of`); a read with
    at least one such hit counts in ``arm_copies``. isomiR classes are recorded for mature
    BAMs (``arms`` None: the reference is the mature sequence) and for credited hairpin hits.
    """
    rule = rule or ArmRule()
    hits, antisense = _sense_hits(bam)
    features: dict[str, float] = defaultdict(float)
    arm_features: dict[str, float] = defaultdict(float)
    isomirs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    aligned = arm_copies = 0
    for name, all_targets in hits.items():
        copies = copy_number(name)
        aligned += copies
        fewest = min(target[3] for target in all_targets)
        targets = [target for target in all_targets if target[3] == fewest]
        share = copies / len(targets)
        in_arm = False
        for target, start, end, mismatches, length in targets:
            features[target] += share
            if arms is None:
                isomirs[target][isomir_class(start, end - length, mismatches)] += share
                continue
            arm = arm_of(arms, target, start, end, mismatches, rule)
            if arm is not None:
                mature, mature_start, mature_end = arm
                arm_features[mature] += share
                isomirs[mature][
                    isomir_class(start - mature_start, end - mature_end, mismatches)
                ] += share
                in_arm = True
        arm_copies += copies if in_arm else 0
    antisense_only = sum(copy_number(name) for name in antisense - hits.keys())
    return AlignmentCounts(
        dict(features),
        aligned,
        antisense_only,
        dict(arm_features),
        arm_copies,
        {mature: dict(classes) for mature, classes in isomirs.items()},
    )


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


def count_matrix(
    per_sample: Mapping[str, Mapping[str, float]], features: Sequence[str]
) -> pd.DataFrame:
    """Matrix contract: column ``feature`` (every reference feature), then one int per sample."""
    import pandas as pd

    frame = pd.DataFrame(
        {sample: pd.Series(counts, dtype=float) for sample, counts in per_sample.items()},
        index=pd.Index(list(features), name="feature"),
    ).fillna(0.0)
    unknown = set().union(*[set(c) for c in per_sample.values()]) - set(features)
    if unknown:
        raise ValueError(f"counts for features missing from the reference: {sorted(unknown)[:5]}")
    return round_counts(frame[sorted(per_sample)]).reset_index()
