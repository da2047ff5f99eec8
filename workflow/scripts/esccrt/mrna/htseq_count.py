"""htseq-count's counting loop on HTSeq's own objects (every overlap mode and ``--nonunique``).

It re-implements ``htseq-count``'s loop on top of HTSeq's library (GenomicArrayOfSets,
BAM_Reader, pair_SAM_alignments_with_buffer) with the same decisions in the same order, so the
per-gene counts and the ``__`` counters are identical to the command line's. The default mode
(``-m union --nonunique none``) has a faster path in :mod:`esccrt.mrna.union_count`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from esccrt.mrna.features import Features
from esccrt.mrna.htseq_table import CountResult

_CIGAR_MATCH = ("M", "=", "X")

if TYPE_CHECKING:  # HTSeq is imported where used (slow); annotations need the name
    import HTSeq


def _invert(iv: HTSeq.GenomicInterval) -> HTSeq.GenomicInterval:
    """Copy of a GenomicInterval on the other strand."""
    iv2 = iv.copy()
    if iv2.strand == "+":
        iv2.strand = "-"
    elif iv2.strand == "-":
        iv2.strand = "+"
    return iv2


def _intervals(alignment, invert: bool) -> list:
    """Reference intervals of an alignment's M/=/X CIGAR operations (strand optionally flipped)."""
    ivs = [op.ref_iv for op in alignment.cigar if op.type in _CIGAR_MATCH and op.size > 0]
    return [_invert(iv) for iv in ivs] if invert else ivs


def _skip_single(aln, minaqual: int, nonunique: str, special: dict[str, int]) -> bool:
    """htseq-count's checks of a single-end record, in its order; True = not counted."""
    if not aln.aligned:
        special["__not_aligned"] += 1
        return True
    if aln.not_primary_alignment or aln.supplementary:
        return True
    try:
        if aln.optional_field("NH") > 1:
            special["__alignment_not_unique"] += 1
            if nonunique == "none":
                return True
    except KeyError:
        pass
    if aln.aQual < minaqual:
        special["__too_low_aQual"] += 1
        return True
    return False


def _skip_pair(pair, minaqual: int, nonunique: str, special: dict[str, int]) -> bool:
    """htseq-count's checks of a read pair (either mate may be None), in its order."""
    first, second = pair
    if (first is None or not first.aligned) and (second is None or not second.aligned):
        special["__not_aligned"] += 1
        return True
    for mate in pair:
        if mate is not None and (mate.not_primary_alignment or mate.supplementary):
            return True
    try:
        if (first is not None and first.optional_field("NH") > 1) or (
            second is not None and second.optional_field("NH") > 1
        ):
            special["__alignment_not_unique"] += 1
            if nonunique == "none":
                return True
    except KeyError:
        pass
    if (first and first.aQual < minaqual) or (second and second.aQual < minaqual):
        special["__too_low_aQual"] += 1
        return True
    return False


def _feature_set(features, ivs: Iterable, mode: str) -> set[str] | None:
    """Genes overlapped by the intervals under htseq's overlap ``mode``; None = unknown chrom."""
    chroms = features.chrom_vectors
    if mode == "union":
        found: set[str] = set()
        for iv in ivs:
            if iv.chrom not in chroms:
                return None
            for _iv, step in features[iv].steps():
                found |= step
        return found
    result: set[str] | None = set()
    started = False
    for iv in ivs:
        if iv.chrom not in chroms:
            return None
        for _iv, step in features[iv].steps():
            if step or mode == "intersection-strict":
                if not started:
                    result, started = set(step), True
                else:
                    result &= step
    return result


def count_htseq_alignments(
    records: Iterable,
    features: Features,
    stranded: str,
    paired: bool,
    *,
    minaqual: int,
    mode: str,
    nonunique: str,
    max_buffer_size: int = 30_000_000,
) -> CountResult:
    """Count HTSeq alignment records like ``htseq-count -r pos`` (secondary/supplementary ignored).

    ``stranded`` is htseq's yes/no/reverse; ``records`` are HTSeq SAM_Alignment objects of one
    position-sorted file (paired-end ones are paired with ``pair_SAM_alignments_with_buffer``).
    """
    import HTSeq

    if stranded not in ("yes", "no", "reverse"):
        raise ValueError(f"stranded must be yes/no/reverse, got {stranded!r}")
    if mode not in ("union", "intersection-strict", "intersection-nonempty"):
        raise ValueError(f"unknown overlap mode {mode!r}")
    if nonunique not in ("none", "all"):
        raise ValueError(f"nonunique must be none or all, got {nonunique!r}")
    reverse = stranded == "reverse"
    array = features.array
    result = CountResult(counts=dict.fromkeys(features.names, 0))
    counts, special = result.counts, result.special

    if paired:
        units = HTSeq.pair_SAM_alignments_with_buffer(
            records, max_buffer_size=max_buffer_size, primary_only=True
        )
    else:
        units = records
    for unit in units:
        if paired:
            if _skip_pair(unit, minaqual, nonunique, special):
                continue
            first, second = unit
            ivs = []
            if first is not None and first.aligned:
                ivs += _intervals(first, invert=reverse)
            if second is not None and second.aligned:
                ivs += _intervals(second, invert=not reverse)
        else:
            if _skip_single(unit, minaqual, nonunique, special):
                continue
            ivs = _intervals(unit, invert=reverse)
        found = _feature_set(array, ivs, mode)
        if not found:  # None (unknown chromosome) or empty
            special["__no_feature"] += 1
            continue
        if len(found) > 1:
            special["__ambiguous"] += 1
            if nonunique == "all":
                for gene in found:
                    counts[gene] += 1
            continue
        counts[next(iter(found))] += 1
    return result


def pysam_records(samfile, reads: Iterable) -> Iterator:
    """HTSeq SAM_Alignment objects of pysam reads, as HTSeq.BAM_Reader makes them."""
    import HTSeq

    for read in reads:
        yield HTSeq.SAM_Alignment.from_pysam_AlignedSegment(read, samfile)
