"""Count a BAM in genes exactly like ``htseq-count -f bam -r pos``, in one pass or by reference.

The entry point is :func:`count_bam`. htseq-count's defaults (``-m union --nonunique none``) run
in one pass in the compiled loop of :mod:`esccrt.mrna.bam_stream` (records it leaves, and
counting by reference, on the pysam path of :mod:`esccrt.mrna.union_count`); other modes on
HTSeq's own objects (:func:`esccrt.mrna.htseq_count.count_htseq_alignments`). Counting by
reference splits the work over forked processes; read pairs split across references are
paired and counted at the end, so the per-gene counts and the ``__`` counters are identical to
the command line's.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from esccrt.errors import InputError, located
from esccrt.mrna import bam_stream, union_count
from esccrt.mrna.features import Features
from esccrt.mrna.htseq_count import count_htseq_alignments, pysam_records
from esccrt.mrna.htseq_table import CountResult


def _peek_paired(reader) -> tuple[bool, Iterator]:
    """Whether the file is paired-end (its first record decides, as in htseq-count)."""
    iterator = iter(reader)
    try:
        first = next(iterator)
    except StopIteration:
        return False, iter(())
    return first.paired_end, itertools.chain([first], iterator)


def _check_common_chromosomes(bam: str | os.PathLike[str], header_sq: list, features) -> None:
    """:class:`InputError` when the BAM header shares no chromosome with the annotation."""
    bam_chroms = {record.get("SN") for record in header_sq}
    if bam_chroms and not bam_chroms & set(features.array.chrom_vectors):
        raise InputError(
            located(
                bam,
                "no chromosome in common with the annotation (e.g. 'chr1' vs '1'), every read "
                "would be __no_feature. Use genome and GTF of the same naming style.",
            )
        )


@dataclass
class _RegionJob:
    """What counting one reference of ``bam`` needs; the same for every reference.

    ``index`` is set for the union fast path (None: HTSeq's own objects). ``options`` are
    :func:`count_htseq_alignments`'s keyword arguments (stranded, minaqual, mode, nonunique,
    max_buffer_size).
    """

    bam: str
    features: Features
    paired: bool
    options: dict = field(default_factory=dict)
    index: union_count.StepIndex | None = None
    decompress_threads: int = 1

    def count(self, region: str | None) -> tuple:
        """The part of one reference (None: the whole file), to be summed afterwards."""
        if self.index is not None:
            return _count_region_union(self, region)
        return _count_region_htseq(self, region)


# The job of a forked counting worker, set once in the child by its pool initializer: with the
# "fork" start method the initializer's arguments are inherited, not pickled (features are large).
_WORKER_JOB: _RegionJob | None = None


def _start_worker(job: _RegionJob) -> None:
    """Pool initializer: remember the job in this worker process."""
    global _WORKER_JOB
    _WORKER_JOB = job


def _count_in_worker(region: str) -> tuple:
    """Pool task: count one reference with the job of this worker process."""
    assert _WORKER_JOB is not None, "_start_worker runs before any task"
    return _WORKER_JOB.count(region)


def _count_region_htseq(job: _RegionJob, region: str) -> tuple[CountResult, list[str]]:
    """Count the records of one reference (or '*', the unplaced ones) of an indexed BAM.

    Paired records whose mate lies on another reference are not counted here but returned as
    SAM text, to be paired and counted together afterwards.
    """
    import pysam

    deferred: list[str] = []
    with pysam.AlignmentFile(job.bam) as samfile:

        def local_reads() -> Iterator:
            # Cross-reference mates wait in `deferred` (filled while the count consumes these).
            for read in samfile.fetch(region):
                if job.paired and read.next_reference_id != read.reference_id:
                    deferred.append(read.to_string())
                else:
                    yield read

        result = count_htseq_alignments(
            pysam_records(samfile, local_reads()),
            job.features,
            paired=job.paired,
            **job.options,
        )
    return result, deferred


def _count_region_union(
    job: _RegionJob, region: str | None
) -> tuple[union_count.Tally, list[tuple]]:
    """Union-mode count of one reference (None: the whole file, in one pass).

    Primary records of pairs split across references are returned, to be paired afterwards.
    """
    import pysam

    index, minaqual = job.index, job.options["minaqual"]
    invert = job.options["stranded"] == "reverse"
    split: list[tuple] = []
    with pysam.AlignmentFile(job.bam, threads=job.decompress_threads) as samfile:
        reads = samfile.fetch(region) if region else samfile.fetch(until_eof=True)
        if not job.paired:
            return union_count.count_single(reads, index, invert, minaqual), split
        if region is not None:
            reads = _same_reference_mates(reads, split, index, invert)
        tally = union_count.count_paired(
            reads, index, invert, minaqual, job.options["max_buffer_size"]
        )
    return tally, split


def _same_reference_mates(reads: Iterable, split: list, index, invert: bool) -> Iterator:
    """Reads whose mate is on the same reference; the other primary ones go to ``split``."""
    for read in reads:
        if read.next_reference_id == read.reference_id:
            yield read
            continue
        entry = union_count.pairing_entry(read, index, invert)
        if entry is not None:
            split.append(entry)


def _count_regions(job: _RegionJob, regions: list[str], threads: int) -> list[tuple]:
    """The parts of ``regions``, in ``threads`` forked processes (or here, one after another)."""
    if threads <= 1:
        return [job.count(region) for region in regions]
    import multiprocessing

    context = multiprocessing.get_context("fork")
    with context.Pool(threads, initializer=_start_worker, initargs=(job,)) as pool:
        return pool.map(_count_in_worker, regions, chunksize=1)


def count_bam(
    bam: str | os.PathLike[str],
    features: Features,
    stranded: str,
    *,
    minaqual: int,
    mode: str,
    nonunique: str,
    max_buffer_size: int = 30_000_000,
    threads: int = 1,
    by_region: bool | None = None,
) -> CountResult:
    """Count a coordinate-sorted BAM exactly like ``htseq-count -f bam -r pos``.

    ``minaqual``, ``mode`` and ``nonunique`` are the study's ``mrna.counting`` keys (their
    defaults are the schema's); ``max_buffer_size`` is htseq-count's mate buffer, not a choice.

    htseq-count's defaults (``-m union --nonunique none``) run in one pass in a compiled loop
    (:func:`esccrt.mrna.bam_stream.count_union`; with ``threads`` > 1 a second thread inflates
    the BAM ahead), or on :mod:`esccrt.mrna.union_count` by region; other modes on HTSeq's own
    objects (:func:`esccrt.mrna.htseq_count.count_htseq_alignments`). With ``by_region``
    (default: other modes, when ``threads`` > 1 and the BAM is indexed) each reference
    is counted separately, in ``threads`` processes; read pairs split across references are
    paired and counted at the end. Counts are sums, so the result is the same as one pass.
    Raises :class:`InputError` when the BAM shares no chromosome with the annotation.
    """
    import HTSeq
    import pysam

    if stranded not in ("yes", "no", "reverse"):
        raise ValueError(f"stranded must be yes/no/reverse, got {stranded!r}")
    reader = HTSeq.BAM_Reader(str(bam))
    _check_common_chromosomes(bam, reader.get_header_dict().get("SQ") or [], features)
    paired, records = _peek_paired(reader)
    with pysam.AlignmentFile(str(bam)) as samfile:
        indexed = samfile.has_index()
        regions = [*samfile.references, "*"]
    union = mode == "union" and nonunique == "none"
    if by_region is None:  # the union mode's compiled loop is faster in one pass
        by_region = threads > 1 and indexed and not union
    if by_region and not indexed:
        raise ValueError(f"{bam}: counting by region needs a BAM index (samtools index)")
    options = {
        "stranded": stranded,
        "minaqual": minaqual,
        "mode": mode,
        "nonunique": nonunique,
        "max_buffer_size": max_buffer_size,
    }
    if not union and not by_region:
        return count_htseq_alignments(records, features, paired=paired, **options)

    job = _RegionJob(bam=str(bam), features=features, paired=paired, options=options)
    if union:
        job.index = union_count.StepIndex.from_array(
            features.array, features.names, features.stranded
        )
        job.decompress_threads = 1 if by_region else max(threads, 1)
        if not by_region:
            tally = bam_stream.count_union(
                bam,
                job.index,
                paired,
                stranded == "reverse",
                minaqual,
                max_buffer_size,
                prefetch=threads > 1,
            )
            if tally is not None:  # else a record the compiled loop leaves to pysam
                return _union_total([(tally, [])], job.index, minaqual)
    parts = _count_regions(job, regions, threads) if by_region else [job.count(None)]
    if union:
        return _union_total(parts, job.index, minaqual)
    return _htseq_total(bam, parts, features, options)


def _union_total(parts: list, index: union_count.StepIndex, minaqual: int) -> CountResult:
    """Sum the regions' tallies, then pair and count the mates split across references."""
    total = union_count.Tally.empty(len(index.genes))
    buffer = union_count.PairBuffer()
    for tally, split in parts:
        total += tally
        for entry in split:
            pair = buffer.offer(*entry)
            if pair is not None:
                union_count.add_pair(total, *pair, minaqual)
    for pair in buffer.leftovers():
        union_count.add_pair(total, *pair, minaqual)
    counts = dict(zip(index.genes, total.genes, strict=True))
    return CountResult(counts=counts, special=total.special())


def _htseq_total(bam, parts: list, features: Features, options: dict) -> CountResult:
    """Sum the regions' HTSeq counts, then pair and count the mates split across references."""
    import pysam

    total = CountResult(counts=dict.fromkeys(features.names, 0))
    deferred: list[str] = []
    for result, lines in parts:
        total += result
        deferred.extend(lines)
    if deferred:
        with pysam.AlignmentFile(str(bam)) as samfile:
            reads = (pysam.AlignedSegment.fromstring(line, samfile.header) for line in deferred)
            total += count_htseq_alignments(
                pysam_records(samfile, reads), features, paired=True, **options
            )
    return total
