"""htseq-count's default counting (``-m union --nonunique none``) without per-read HTSeq objects.

htseq-count turns every BAM record into an HTSeq ``SAM_Alignment`` and every aligned block
into a ``GenomicInterval`` before looking it up; that object churn, not the lookup, is
most of its run time. Here the annotation is still HTSeq's (the ``GenomicArrayOfSets`` of
:func:`esccrt.mrna.features.load_features`), flattened once into sorted step boundaries per
chromosome and strand, and reads are taken straight from pysam. The decisions are
htseq-count's, in its order (see ``HTSeq/scripts/count_features/count_features_per_file.py``):
unaligned, secondary/supplementary, ``NH > 1``, MAPQ, then the union of the genes under
the aligned (M/=/X) blocks; pairs are matched with the keys of
``HTSeq.pair_SAM_alignments_with_buffer``. ``tests/parity/test_mrna_*.py`` check the
counts against the ``htseq-count`` command line on real and hand-made BAMs.

In union mode a step holding two genes makes the read ambiguous whatever else it
overlaps, so each step is reduced to one integer: a gene index, :data:`NO_GENE` or
:data:`SEVERAL_GENES`. A read (or pair) is then summarised by one such code, plus
:data:`UNKNOWN_CHROM` (htseq-count's ``UnknownChrom``: counted as ``__no_feature``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

NO_GENE = -1
SEVERAL_GENES = -2
UNKNOWN_CHROM = -3


@dataclass
class StepIndex:
    """The annotation as step boundaries and step codes per (chromosome, strand).

    ``strand`` is ``"."`` for an unstranded annotation. Step ``i`` spans
    ``[starts[i], starts[i + 1])``; the last one runs to the end of the chromosome.
    """

    genes: list[str]
    starts: dict[tuple[str, str], list[int]]
    codes: dict[tuple[str, str], list[int]]
    stranded: bool

    @classmethod
    def from_array(cls, array, genes: Iterable[str], stranded: bool) -> StepIndex:
        """Flatten an HTSeq ``GenomicArrayOfSets`` of gene ids (one pass over its steps)."""
        genes = list(genes)
        number = {gene: i for i, gene in enumerate(genes)}
        starts: dict[tuple[str, str], list[int]] = {}
        codes: dict[tuple[str, str], list[int]] = {}
        for chrom, by_strand in array.chrom_vectors.items():
            for strand, vector in by_strand.items():
                key_starts, key_codes = [], []
                for interval, step in vector.steps():
                    if not step:
                        code = NO_GENE
                    elif len(step) > 1:
                        code = SEVERAL_GENES
                    else:
                        code = number[next(iter(step))]
                    if key_codes and key_codes[-1] == code:
                        continue  # HTSeq may split equal neighbours; one step is enough
                    key_starts.append(interval.start)
                    key_codes.append(code)
                starts[chrom, strand] = key_starts
                codes[chrom, strand] = key_codes
        return cls(genes=genes, starts=starts, codes=codes, stranded=stranded)

    def __post_init__(self) -> None:
        # Chromosomes of the annotation; others are htseq-count's unknown chromosomes.
        self.chromosomes = {chrom for chrom, _strand in self.starts}

    def lookup(self, chrom: str, strand: str, blocks: Iterable[tuple[int, int]]) -> int:
        """Code of the genes under the aligned ``blocks`` (0-based, end-exclusive) of a read.

        ``strand`` is the strand the read stands for (already flipped for reverse
        libraries); it is ignored when the annotation is unstranded.
        """
        key = (chrom, strand if self.stranded else ".")
        starts = self.starts.get(key)
        code = NO_GENE
        for begin, end in blocks:
            if end <= begin:
                continue  # htseq-count skips zero-length operations
            if starts is None:
                return NO_GENE if chrom in self.chromosomes else UNKNOWN_CHROM
            first = bisect_right(starts, begin) - 1
            last = bisect_left(starts, end)
            for step in self.codes[key][first:last]:
                if step in (NO_GENE, code):
                    continue
                if step == SEVERAL_GENES or code != NO_GENE:
                    return SEVERAL_GENES
                code = step
        return code


def combine(first: int, second: int) -> int:
    """Code of a pair from its mates' codes (the union of their gene sets)."""
    if UNKNOWN_CHROM in (first, second):
        return UNKNOWN_CHROM
    if first in (NO_GENE, second):
        return second
    if second == NO_GENE:
        return first
    return SEVERAL_GENES


class Mate(NamedTuple):
    """What htseq-count's pair checks need of one primary record of a pair.

    A NamedTuple rather than a dataclass: one is made per record, and tuples are cheap.
    """

    aligned: bool
    nh: int | None  # None when the record has no NH tag
    mapq: int
    code: int


def read_code(read, index: StepIndex, invert: bool) -> int:
    """Code of one aligned pysam read; ``invert`` makes it stand for the other strand."""
    minus = read.is_reverse != invert
    # pysam's blocks are the reference spans of the M/=/X operations (D and N only move
    # along), the intervals htseq-count takes from the CIGAR.
    return index.lookup(read.reference_name, "-" if minus else "+", read.get_blocks())


def _nh(read) -> int | None:
    """The read's NH tag (number of reported alignments), None when it has none."""
    try:
        return read.get_tag("NH")
    except KeyError:
        return None


def pair_keys(read) -> tuple[tuple, tuple]:
    """(own key, key of the wanted mate) as ``HTSeq.pair_SAM_alignments_with_buffer`` builds them.

    Raises ValueError for records that are not paired-end or are neither/both mates.
    """
    if not read.is_paired:
        raise ValueError(
            f"read {read.query_name}: single-end record in a paired-end file (htseq-count "
            "decides from the first record)"
        )
    if read.is_read1 == read.is_read2:
        raise ValueError(f"read {read.query_name}: neither or both of first/second mate flags")
    which = "first" if read.is_read1 else "second"
    aligned = not read.is_unmapped
    mate_aligned = not read.mate_is_unmapped
    chrom = read.reference_name if aligned else None
    start = read.reference_start if aligned else None
    mate_chrom = read.next_reference_name if mate_aligned else None
    mate_start = read.next_reference_start if mate_aligned else None
    size = read.template_length if aligned and mate_aligned else None
    own = (read.query_name, which, chrom, start, mate_chrom, mate_start, size)
    wanted = (
        read.query_name,
        "second" if which == "first" else "first",
        mate_chrom,
        mate_start,
        chrom,
        start,
        -size if size is not None else None,
    )
    return own, wanted


@dataclass
class Tally:
    """Counts per gene index and htseq-count's special counters."""

    genes: list[int]
    no_feature: int = 0
    ambiguous: int = 0
    too_low_aqual: int = 0
    not_aligned: int = 0
    not_unique: int = 0

    @classmethod
    def empty(cls, n_genes: int) -> Tally:
        """All counters at zero."""
        return cls(genes=[0] * n_genes)

    def add_code(self, code: int) -> None:
        """Count a read or pair that passed the checks by its gene code."""
        if code >= 0:
            self.genes[code] += 1
        elif code == SEVERAL_GENES:
            self.ambiguous += 1
        else:  # NO_GENE or UNKNOWN_CHROM
            self.no_feature += 1

    def __iadd__(self, other: Tally) -> Tally:
        """Add ``other``'s counts (the parts of one BAM counted separately)."""
        self.genes = [a + b for a, b in zip(self.genes, other.genes, strict=True)]
        self.no_feature += other.no_feature
        self.ambiguous += other.ambiguous
        self.too_low_aqual += other.too_low_aqual
        self.not_aligned += other.not_aligned
        self.not_unique += other.not_unique
        return self

    def special(self) -> dict[str, int]:
        """The special counters under htseq-count's names."""
        return {
            "__no_feature": self.no_feature,
            "__ambiguous": self.ambiguous,
            "__too_low_aQual": self.too_low_aqual,
            "__not_aligned": self.not_aligned,
            "__alignment_not_unique": self.not_unique,
        }


def count_single(reads: Iterable, index: StepIndex, reverse_library: bool, minaqual: int) -> Tally:
    """Count single-end pysam reads like htseq-count (``_assess_non_pe_read``)."""
    tally = Tally.empty(len(index.genes))
    for read in reads:
        if read.is_unmapped:
            tally.not_aligned += 1
            continue
        if read.is_secondary or read.is_supplementary:
            continue
        nh = _nh(read)
        if nh is not None and nh > 1:
            tally.not_unique += 1
            continue
        if read.mapping_quality < minaqual:
            tally.too_low_aqual += 1
            continue
        tally.add_code(read_code(read, index, invert=reverse_library))
    return tally


def mate_of(read, index: StepIndex, reverse_library: bool) -> Mate:
    """A primary record reduced to what the pair checks need (mate 2 reads the other strand)."""
    aligned = not read.is_unmapped
    code = NO_GENE
    if aligned:
        # htseq-count reads mate 1 like a single read and mate 2 on the other strand.
        code = read_code(read, index, invert=reverse_library == read.is_read1)
    return Mate(aligned=aligned, nh=_nh(read), mapq=read.mapping_quality, code=code)


def add_pair(tally: Tally, first: Mate | None, second: Mate | None, minaqual: int) -> None:
    """htseq-count's checks of a pair (``_assess_pe_read``), then its count."""
    if (first is None or not first.aligned) and (second is None or not second.aligned):
        tally.not_aligned += 1
        return
    # NH: htseq-count stops checking at the first mate without the tag (a KeyError).
    for mate in (first, second):
        if mate is None:
            continue
        if mate.nh is None:
            break
        if mate.nh > 1:
            tally.not_unique += 1
            return
    if (first is not None and first.mapq < minaqual) or (
        second is not None and second.mapq < minaqual
    ):
        tally.too_low_aqual += 1
        return
    tally.add_code(
        combine(
            first.code if first is not None and first.aligned else NO_GENE,
            second.code if second is not None and second.aligned else NO_GENE,
        )
    )


class PairBuffer:
    """Mates waiting for their partner, keyed as ``pair_SAM_alignments_with_buffer`` keys them."""

    def __init__(self, max_size: int = 30_000_000) -> None:
        self.waiting: dict[tuple, list[tuple[bool, Mate]]] = {}
        self.max_size = max_size

    def offer(
        self, keys: tuple[tuple, tuple], is_first: bool, mate: Mate
    ) -> tuple[Mate, Mate] | None:
        """The completed (first, second) pair, or None when the record has to wait."""
        own, wanted = keys
        partners = self.waiting.get(wanted)
        if partners:
            _partner_first, partner = partners.pop(0)
            if not partners:
                del self.waiting[wanted]
            return (mate, partner) if is_first else (partner, mate)
        self.waiting.setdefault(own, []).append((is_first, mate))
        if len(self.waiting) > self.max_size:
            raise ValueError("Maximum alignment buffer size exceeded while pairing alignments.")
        return None

    def leftovers(self) -> Iterator[tuple[Mate | None, Mate | None]]:
        """Records whose mate never came, as half pairs (htseq-count counts them so)."""
        for entries in self.waiting.values():
            for is_first, mate in entries:
                yield (mate, None) if is_first else (None, mate)
        self.waiting.clear()


def pairing_entry(read, index: StepIndex, reverse_library: bool) -> tuple | None:
    """Arguments of :meth:`PairBuffer.offer` for a record; None for secondary/supplementary.

    The keys are built first, as htseq-count refuses unpaired or unflagged records before it
    skips secondary ones.
    """
    keys = pair_keys(read)
    if read.is_secondary or read.is_supplementary:
        return None
    return keys, read.is_read1, mate_of(read, index, reverse_library)


def count_paired(
    reads: Iterable,
    index: StepIndex,
    reverse_library: bool,
    minaqual: int,
    max_buffer_size: int = 30_000_000,
) -> Tally:
    """Count position-sorted paired-end pysam reads like ``htseq-count -r pos``.

    Records whose mate never comes are counted as half pairs at the end, as htseq-count does.
    """
    tally = Tally.empty(len(index.genes))
    buffer = PairBuffer(max_buffer_size)
    for read in reads:
        entry = pairing_entry(read, index, reverse_library)
        if entry is None:
            continue
        pair = buffer.offer(*entry)
        if pair is not None:
            add_pair(tally, *pair, minaqual)
    for pair in buffer.leftovers():
        add_pair(tally, *pair, minaqual)
    return tally
