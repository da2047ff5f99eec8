"""A BAM file as chunks of decompressed records, and htseq-count's union counting over them.

The BGZF blocks of a BAM (SAM/BAM specification, section 4.1) are raw deflate streams; they are
inflated here with :mod:`zlib` and joined into chunks of whole records for the compiled loops
of :mod:`esccrt.mrna.union_kernel`, so that no Python object is made per record. With
``prefetch`` a thread inflates the next chunks while the loop counts (both release the GIL).
"""

from __future__ import annotations

import os
import queue
import struct
import threading
from collections.abc import Iterator

import numpy as np

from esccrt.errors import InputError, located
from esccrt.mrna import union_kernel
from esccrt.mrna.union_count import StepIndex, Tally

try:  # ISA-L inflates BGZF blocks about 1.7x faster than zlib, with the same result
    from isal import isal_zlib as zlib
except ImportError:  # pragma: no cover - isal comes with cutadapt
    import zlib

#: Decompressed bytes handed to the compiled loop at once.
CHUNK_BYTES = 8 << 20
_READ_BYTES = 4 << 20
_BGZF_HEADER = 18


def inflate_blocks(path: str | os.PathLike[str], chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The decompressed content of a BGZF file, in pieces of about ``chunk_bytes``."""
    pieces: list[bytes] = []
    size = 0
    pending = b""
    with open(path, "rb") as handle:
        while True:
            data = handle.read(_READ_BYTES)
            view = memoryview(pending + data)
            at = 0
            while at + _BGZF_HEADER <= len(view):
                if view[at] != 31 or view[at + 1] != 139:
                    raise InputError(located(path, f"not a BGZF block at byte offset {at}"))
                extra = struct.unpack_from("<H", view, at + 10)[0]
                block = _block_size(view, at, extra)
                if block is None:
                    raise InputError(located(path, f"BGZF block at byte offset {at} has no size"))
                if at + block > len(view):
                    break
                piece = zlib.decompress(view[at + 12 + extra : at + block - 8], -15)
                pieces.append(piece)
                size += len(piece)
                at += block
                if size >= chunk_bytes:
                    yield b"".join(pieces)
                    pieces, size = [], 0
            pending = bytes(view[at:])
            if not data:
                break
    if pending:
        raise InputError(located(path, "truncated BGZF block at the end of the file"))
    if pieces:
        yield b"".join(pieces)


def _block_size(view: memoryview, at: int, extra: int) -> int | None:
    """Total size of the BGZF block at ``at`` (from its ``BC`` extra subfield); None without."""
    field = at + 12
    while field + 4 <= at + 12 + extra:
        length = struct.unpack_from("<H", view, field + 2)[0]
        if view[field] == 66 and view[field + 1] == 67:  # "BC"
            return struct.unpack_from("<H", view, field + 4)[0] + 1
        field += 4 + length
    return None


def _prefetched(chunks: Iterator[bytes], depth: int = 3) -> Iterator[bytes]:
    """``chunks`` produced ahead in a thread (inflating releases the GIL)."""
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def produce() -> None:
        try:
            for chunk in chunks:
                waiting.put(chunk)
            waiting.put(done)
        except BaseException as error:  # re-raised in the consumer
            waiting.put(error)

    threading.Thread(target=produce, daemon=True).start()
    while (item := waiting.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def records(path: str | os.PathLike[str], prefetch: bool = False) -> tuple[list[str], Iterator]:
    """(reference names, chunks of whole BAM records as uint8 arrays) of a BAM file."""
    chunks = inflate_blocks(path, CHUNK_BYTES)
    if prefetch:
        chunks = _prefetched(chunks)
    buffer = b""
    parsed = None
    try:
        for chunk in chunks:  # the header may span blocks
            buffer += chunk
            parsed = _parse_header(buffer)
            if parsed is not None:
                break
    except InputError:
        raise
    except ValueError as error:  # from _parse_header
        raise InputError(located(path, str(error))) from error
    if parsed is None:
        raise InputError(located(path, "not a BAM file or truncated header"))
    names, offset = parsed
    return names, _whole_records(path, buffer[offset:], chunks)


def _parse_header(data: bytes) -> tuple[list[str], int] | None:
    """(reference names, offset of the first record), None while ``data`` is too short."""
    if len(data) < 12:
        return None
    if data[:4] != b"BAM\1":
        raise ValueError("no BAM magic number at the start of the decompressed file")
    at = 8 + struct.unpack_from("<i", data, 4)[0]
    if at + 4 > len(data):
        return None
    n_refs = struct.unpack_from("<i", data, at)[0]
    at += 4
    names = []
    for _ in range(n_refs):
        if at + 4 > len(data):
            return None
        length = struct.unpack_from("<i", data, at)[0]
        if at + 8 + length > len(data):
            return None
        names.append(data[at + 4 : at + 4 + length - 1].decode())
        at += 8 + length
    return names, at


def _whole_records(path, first: bytes, chunks: Iterator[bytes]) -> Iterator[np.ndarray]:
    """Arrays of whole records: what a loop leaves of one (``send``) is put before the next."""
    carry = first
    for chunk in chunks:
        left = yield np.frombuffer(carry + chunk, dtype=np.uint8)
        carry = bytes(left) if left is not None else b""
    if carry:
        left = yield np.frombuffer(carry, dtype=np.uint8)
        if left is not None and len(left):
            raise InputError(located(path, "truncated BAM record at the end of the file"))


def index_arrays(index: StepIndex, references: list[str]) -> tuple:
    """The step index as the compiled loops take it, by BAM reference id.

    (starts, codes, first step, end of steps (per reference id x 2 strands: -1 none),
    whether the annotation has the reference, stranded).
    """
    starts: list[int] = []
    codes: list[int] = []
    key_lo = np.full(2 * len(references), -1, dtype=np.int64)
    key_hi = np.full(2 * len(references), -1, dtype=np.int64)
    strands = ("+", "-") if index.stranded else (".",)
    for refid, name in enumerate(references):
        for slot, strand in enumerate(strands):
            if (name, strand) not in index.starts:
                continue
            key_lo[2 * refid + slot] = len(starts)
            starts.extend(index.starts[name, strand])
            codes.extend(index.codes[name, strand])
            key_hi[2 * refid + slot] = len(starts)
    known = np.array([name in index.chromosomes for name in references], dtype=np.bool_)
    return (
        np.asarray(starts, dtype=np.int64),
        np.asarray(codes, dtype=np.int64),
        key_lo,
        key_hi,
        known,
        bool(index.stranded),
    )


def count_union(
    bam: str | os.PathLike[str],
    index: StepIndex,
    paired: bool,
    reverse_library: bool,
    minaqual: int,
    max_buffer_size: int = 30_000_000,
    prefetch: bool = False,
) -> Tally | None:
    """htseq-count's union counting of a whole BAM in compiled loops.

    None when a record needs the pysam path (:mod:`esccrt.mrna.union_kernel`); a
    ValueError, as htseq-count's, when more than ``max_buffer_size`` mates wait for theirs.
    """
    references, chunks = records(bam, prefetch)
    arrays = index_arrays(index, references)
    tally = np.zeros(len(index.genes) + 5, dtype=np.int64)
    waiting = union_kernel.new_pair_buffer()
    left = None
    while True:
        try:
            data = chunks.send(left)
        except StopIteration:
            break
        if paired:
            status, used = union_kernel.count_paired_chunk(
                data, len(data), tally, arrays, *waiting, reverse_library, minaqual, max_buffer_size
            )
        else:
            status, used = union_kernel.count_single_chunk(
                data, len(data), tally, arrays, reverse_library, minaqual
            )
        if status == union_kernel.BUFFER_FULL:
            raise ValueError("Maximum alignment buffer size exceeded while pairing alignments.")
        if status != union_kernel.OK:
            return None
        left = data[used:]
    if paired:
        union_kernel.count_leftovers(tally, *waiting, minaqual)
    return _tally(tally, len(index.genes))


def _tally(counts: np.ndarray, n_genes: int) -> Tally:
    """A :class:`Tally` of a tally array (genes, then the special counters)."""
    special = counts[n_genes:].tolist()
    return Tally(
        genes=counts[:n_genes].tolist(),
        no_feature=special[union_kernel.NO_FEATURE],
        ambiguous=special[union_kernel.AMBIGUOUS],
        too_low_aqual=special[union_kernel.TOO_LOW_AQUAL],
        not_aligned=special[union_kernel.NOT_ALIGNED],
        not_unique=special[union_kernel.NOT_UNIQUE],
    )
