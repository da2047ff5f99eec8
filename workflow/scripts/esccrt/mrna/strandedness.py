"""Library strandedness: inferred from a subsample of reads, reconciled with the units sheet."""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from esccrt.errors import InputError

HTSEQ_STRANDED = {"unstranded": "no", "forward": "yes", "reverse": "reverse"}
_FORWARD_KEYS = ("1++", "1--", "2+-", "2-+")
_REVERSE_KEYS = ("1+-", "1-+", "2++", "2--")

if TYPE_CHECKING:  # HTSeq is imported where used (slow); annotations need the name
    import HTSeq


def read_used(path: str | os.PathLike[str]) -> str:
    """The ``used`` call of a unit's one-row strandedness table (rule mrna_strandedness), read
    without pandas (the counting job's only use of the table)."""
    import csv

    with open(path, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            return row["used"]
    raise InputError(f"{path}: the strandedness table has no row")


@dataclass(frozen=True)
class StrandEvidence:
    """Counts behind a strandedness call (RSeQC infer_experiment's categories).

    Unlike RSeQC, the forward/reverse fractions are taken over the reads whose genes are all on
    one strand (``informative``): reads on exons of both strands (overlapping or convergent
    genes, common in compact genomes such as yeast) say nothing about the protocol and would
    otherwise drag a clearly stranded library below the threshold.
    """

    reads_used: int
    forward: int
    reverse: int
    undetermined: int

    @property
    def informative(self) -> int:
        """Reads on exons of one strand only (``forward + reverse``)."""
        return self.forward + self.reverse

    @property
    def fraction_forward(self) -> float:
        """Fraction explained by "1++,1--,2+-,2-+" (read 1 on the gene's strand)."""
        return self.forward / self.informative if self.informative else float("nan")

    @property
    def fraction_reverse(self) -> float:
        """Fraction explained by "1+-,1-+,2++,2--" (read 1 antisense to the gene)."""
        return self.reverse / self.informative if self.informative else float("nan")

    @property
    def fraction_undetermined(self) -> float:
        """Fraction of exon-overlapping reads with exons on both strands under them."""
        total = self.informative + self.undetermined
        return self.undetermined / total if total else float("nan")


def _strand_index(regions: Iterable[tuple[str, int, int, str]]) -> HTSeq.GenomicArrayOfSets:
    """Unstranded GenomicArrayOfSets holding the strands ('+'/'-') of exons at each position."""
    import HTSeq

    index = HTSeq.GenomicArrayOfSets("auto", stranded=False)
    for chrom, start, end, strand in regions:
        if strand in ("+", "-") and end > start:
            index[HTSeq.GenomicInterval(chrom, start, end, ".")] += strand
    return index


def split_quota(n: int, weights: Sequence[int]) -> list[int]:
    """Whole shares of ``n`` proportional to ``weights``, summing to ``n`` (largest remainders)."""
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    exact = [n * w / total for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[: n - sum(shares)]:
        shares[i] += 1
    return shares


def _sample_alignments(bam, n_reads: int, min_mapq: int) -> Iterator:
    """Up to ``n_reads`` usable alignments spread over contigs in proportion to mapped reads.

    Usable: mapped, primary, not QC-failed or duplicate, MAPQ >= ``min_mapq``, and properly
    paired when paired. Taking each contig's first reads keeps it fast on a sorted, indexed BAM;
    without an index, the first usable reads of the file are taken.
    """
    try:
        stats = [s for s in bam.get_index_statistics() if s.mapped > 0]
        quotas = split_quota(n_reads, [s.mapped for s in stats])
        sources = [(bam.fetch(s.contig), q) for s, q in zip(stats, quotas, strict=True) if q]
    except ValueError:  # no index: the first reads of the file
        sources = [(bam.fetch(until_eof=True), n_reads)]
    for reads, quota in sources:
        taken = 0
        for read in reads:
            if (
                read.is_unmapped
                or read.is_secondary
                or read.is_supplementary
                or read.is_qcfail
                or read.is_duplicate
                or read.mapping_quality < min_mapq
                or (read.is_paired and not read.is_proper_pair)
            ):
                continue
            yield read
            taken += 1
            if taken >= quota:
                break


def strand_evidence(
    bam_path: str | os.PathLike[str],
    regions: Iterable[tuple[str, int, int, str]],
    *,
    n_reads: int,
    min_mapq: int,
) -> StrandEvidence:
    """Classify a subsample of reads by read strand vs the strand of the exons they overlap.

    ``n_reads`` and ``min_mapq`` are ``mrna.strandedness.sample_reads`` and ``min_mapq``.

    ``regions`` are exon intervals (chrom, 0-based start, end, strand), e.g. from
    :func:`esccrt.mrna.annotation.stranded_regions`. As in RSeQC ``infer_experiment.py``, reads
    over exons of both strands are undetermined and reads over no exon are ignored (RSeQC uses
    whole gene spans; exons avoid calling intronic reads of antisense genes). Needs a sorted,
    indexed BAM.
    """
    import HTSeq
    import pysam

    index = _strand_index(regions)
    counts: Counter[str] = Counter()
    used = 0
    with pysam.AlignmentFile(str(bam_path)) as bam:
        for read in _sample_alignments(bam, n_reads, min_mapq):
            used += 1
            chrom = read.reference_name
            if chrom not in index.chrom_vectors:
                continue
            strands: set[str] = set()
            for start, end in read.get_blocks():
                if end > start:
                    iv = HTSeq.GenomicInterval(chrom, start, end, ".")
                    for _iv, step in index[iv].steps():
                        strands |= step
            if not strands:
                continue
            if len(strands) > 1:
                counts["undetermined"] += 1
                continue
            which = "2" if read.is_paired and read.is_read2 else "1"
            key = which + ("-" if read.is_reverse else "+") + next(iter(strands))
            counts[key] += 1
    return StrandEvidence(
        reads_used=used,
        forward=sum(counts[k] for k in _FORWARD_KEYS),
        reverse=sum(counts[k] for k in _REVERSE_KEYS),
        undetermined=counts["undetermined"],
    )


def call_strandedness(evidence: StrandEvidence, *, threshold: float, min_reads: int) -> str:
    """'forward' or 'reverse' when that fraction exceeds ``threshold``, else 'unstranded'
    (``mrna.strandedness.threshold`` and ``min_reads``).

    'undetermined' when fewer than ``min_reads`` reads lie on exons of one strand only.
    """
    if evidence.informative < min_reads:
        return "undetermined"
    if evidence.fraction_forward > threshold:
        return "forward"
    if evidence.fraction_reverse > threshold:
        return "reverse"
    return "unstranded"


@dataclass(frozen=True)
class StrandDecision:
    """The strandedness used for counting, and how it relates to the sheet."""

    used: str
    agreement: str  # yes | no | inferred | not_tested
    message: str | None = None


def resolve_strandedness(sheet: str, inferred: str, mismatch: str, where: str) -> StrandDecision:
    """Combine the sheet's strandedness with the inferred one.

    ``sheet`` empty or 'auto' uses the inferred value ('unstranded', with a warning, when it
    could not be inferred: a near-empty library should reach the QC gate, not stop the run); an
    explicit value that disagrees gives a warning (``mismatch='warn'``, the sheet value is kept)
    or an :class:`InputError` ('fail').
    ``where`` names the sample/unit for messages.
    """
    from esccrt.sheets import STRANDEDNESS  # the sheet module imports pandas: here only

    sheet = (sheet or "auto").strip().lower()
    if sheet not in STRANDEDNESS:
        raise InputError(
            f"{where}: strandedness {sheet!r} is not one of {', '.join(STRANDEDNESS)}."
        )
    if sheet == "auto":
        if inferred == "undetermined":
            return StrandDecision(
                used="unstranded",
                agreement="not_tested",
                message=(
                    f"{where}: strandedness is 'auto' but too few reads lie on annotated exons "
                    "to infer it; counting unstranded (the QC gate judges the sample). Set "
                    "strandedness (unstranded/forward/reverse) in the units sheet to choose."
                ),
            )
        return StrandDecision(used=inferred, agreement="inferred")
    if inferred == "undetermined":
        return StrandDecision(
            used=sheet,
            agreement="not_tested",
            message=f"{where}: too few reads overlap genes to check strandedness '{sheet}'.",
        )
    if inferred == sheet:
        return StrandDecision(used=sheet, agreement="yes")
    message = (
        f"{where}: the units sheet says strandedness '{sheet}' but the reads look '{inferred}'. "
        f"Check the library kit; set strandedness to '{inferred}' or 'auto' in the units sheet "
        "(a wrong value loses most reads to __no_feature in stranded counting)."
    )
    if mismatch == "fail":
        raise InputError(message)
    return StrandDecision(used=sheet, agreement="no", message=message)
