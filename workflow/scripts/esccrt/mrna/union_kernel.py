"""The compiled (numba) loop of htseq-count's union counting, on raw, decompressed BAM records.

:mod:`esccrt.mrna.union_count` makes htseq-count's decisions on pysam reads, one Python call per
record. This module makes the same decisions, in the same order, on the bytes of the records
(layout: SAM/BAM specification, section 4.2), in compiled loops over a whole chunk of records:
unaligned, secondary/supplementary, ``NH > 1``, MAPQ, then the gene code of the aligned (M/=/X)
blocks in the sorted step arrays of :class:`esccrt.mrna.union_count.StepIndex`; pairs are
matched with the keys of ``HTSeq.pair_SAM_alignments_with_buffer`` (read name, mate number,
own and mate positions, insert size), first come first served when a key repeats.

A read name enters the key as its first 48 bytes (exactly) and a 64-bit hash of the rest, so
names longer than 48 bytes that differ only after byte 48 and collide in that hash would be
mixed up (none of the usual read-name formats comes near 48 bytes).

Anything the loop does not handle as htseq-count would (an ``NH`` tag that is not an integer,
a CIGAR moved to the ``CG`` tag, a record that is not a proper mate) ends the chunk with a
non-zero status: the caller then counts the file on the pysam path, which raises htseq-count's
error or handles the case.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import types
from numba.typed import Dict

from esccrt.mrna.union_count import NO_GENE, SEVERAL_GENES, UNKNOWN_CHROM

#: Status of a chunk: counted, or to be counted on the pysam path (see the module docstring).
OK, FALL_BACK, BUFFER_FULL = 0, 1, 2
#: Offsets of htseq-count's special counters after the genes in a tally array.
NO_FEATURE, AMBIGUOUS, TOO_LOW_AQUAL, NOT_ALIGNED, NOT_UNIQUE = range(5)
#: "None" in a pair key (no chromosome, position or insert size): outside any int32 value.
_NONE = -(1 << 40)
_NAME_WORDS = 6
_KEY = types.UniTuple(types.int64, 13)
_EXTRA_KEY = types.UniTuple(types.int64, 14)
_QUEUE = types.UniTuple(types.int64, 3)


def new_pair_buffer() -> tuple:
    """The waiting mates: (queue: key -> (first mate, first number, next number), extras:
    (key, number) -> mate) for the mates after the first with the same key.

    Made by compiled, cached functions: ``Dict.empty`` called from Python compiles numba's
    dictionary constructor in every process (about 1 s of each counting job, measured by bench
    section persample_cost); called in a cached function, it is loaded with it.
    """
    return _new_queue(), _new_extras()


@nb.njit(cache=True)
def _new_queue():
    return Dict.empty(_KEY, _QUEUE)


@nb.njit(cache=True)
def _new_extras():
    return Dict.empty(_EXTRA_KEY, types.int64)


@nb.njit(cache=True)
def _u16(buf, i):
    return np.int64(buf[i]) | (np.int64(buf[i + 1]) << 8)


@nb.njit(cache=True)
def _u32(buf, i):
    return _u16(buf, i) | (_u16(buf, i + 2) << 16)


@nb.njit(cache=True)
def _i32(buf, i):
    value = _u32(buf, i)
    return value - (1 << 32) if value >= (1 << 31) else value


@nb.njit(cache=True)
def _nh_tag(buf, start, end):
    """(status, NH value or _NONE) from the aux fields in ``buf[start:end]``; the first NH."""
    a = start
    while a + 3 <= end:
        kind = buf[a + 2]
        found = buf[a] == 78 and buf[a + 1] == 72  # "NH"
        a += 3
        if kind == 65 or kind == 99 or kind == 67:  # A c C
            if found:
                if kind == 65:
                    return FALL_BACK, _NONE
                value = np.int64(buf[a])
                return OK, value - 256 if kind == 99 and value >= 128 else value
            a += 1
        elif kind == 115 or kind == 83:  # s S
            if found:
                value = _u16(buf, a)
                return OK, value - 65536 if kind == 115 and value >= 32768 else value
            a += 2
        elif kind == 105 or kind == 73:  # i I
            if found:
                return OK, _i32(buf, a) if kind == 105 else _u32(buf, a)
            a += 4
        elif kind == 102:  # f
            if found:
                return FALL_BACK, _NONE
            a += 4
        elif kind == 90 or kind == 72:  # Z H: NUL-terminated
            if found:
                return FALL_BACK, _NONE
            while a < end and buf[a] != 0:
                a += 1
            a += 1
        elif kind == 66:  # B: subtype, int32 count, values
            if found:
                return FALL_BACK, _NONE
            sub = buf[a]
            size = 1 if sub in (99, 67, 65) else 2 if sub in (115, 83) else 4
            a += 5 + size * _u32(buf, a + 1)
        else:
            return FALL_BACK, _NONE
    return OK, _NONE


@nb.njit(cache=True)
def _last_at_or_before(starts, lo, hi, value):
    """Index of the last of ``starts[lo:hi]`` <= value (bisect_right - 1), at least ``lo``."""
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= value:
            lo = mid
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _first_at_or_after(starts, lo, hi, value):
    """Index of the first of ``starts[lo:hi]`` >= value (bisect_left)."""
    while lo < hi:
        mid = (lo + hi) // 2
        if starts[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@nb.njit(cache=True)
def _cigar_in_tag(buf, cigar, n_cigar, l_seq):
    """Whether the CIGAR field holds the placeholder of a CIGAR stored in the ``CG`` tag."""
    if n_cigar != 2:
        return False
    first, second = _u32(buf, cigar), _u32(buf, cigar + 4)
    return first & 0xF == 4 and first >> 4 == l_seq and second & 0xF == 3


@nb.njit(cache=True)
def _read_code(buf, cigar, n_cigar, refid, pos, minus, index):
    """Gene code of the aligned blocks of one record (``StepIndex.lookup``)."""
    starts, codes, key_lo, key_hi, known, stranded = index
    lo = hi = -1
    is_known = False
    if 0 <= refid < known.shape[0]:
        slot = 2 * refid + (1 if stranded and minus else 0)
        lo, hi = key_lo[slot], key_hi[slot]
        is_known = known[refid]
    code = NO_GENE
    position = np.int64(pos)
    for k in range(n_cigar):
        value = _u32(buf, cigar + 4 * k)
        op, length = value & 0xF, value >> 4
        if op == 2 or op == 3:  # D N: the reference moves on
            position += length
            continue
        if not (op == 0 or op == 7 or op == 8):  # only M = X are aligned blocks
            continue
        begin, end = position, position + length
        position = end
        if end <= begin:
            continue  # htseq-count skips zero-length operations
        if lo < 0:
            return NO_GENE if is_known else UNKNOWN_CHROM
        first = _last_at_or_before(starts, lo, hi, begin)
        last = _first_at_or_after(starts, lo, hi, end)
        for i in range(first, last):
            step = codes[i]
            if step in (NO_GENE, code):
                continue
            if step == SEVERAL_GENES or code != NO_GENE:
                return SEVERAL_GENES
            code = step
    return code


@nb.njit(cache=True)
def _add_code(tally, n_genes, code):
    if code >= 0:
        tally[code] += 1
    elif code == SEVERAL_GENES:
        tally[n_genes + AMBIGUOUS] += 1
    else:  # NO_GENE or UNKNOWN_CHROM
        tally[n_genes + NO_FEATURE] += 1


@nb.njit(cache=True)
def _tag_and_cigar(buf, p, size, aligned):
    """(status, NH or _NONE, CIGAR offset, CIGAR length) of the record whose fields start at
    ``p``; FALL_BACK for an NH that is not an integer or an aligned record's CIGAR in CG."""
    name_len, n_cigar, l_seq = np.int64(buf[p + 8]), _u16(buf, p + 12), _i32(buf, p + 16)
    cigar = p + 32 + name_len
    aux = cigar + 4 * n_cigar + (l_seq + 1) // 2 + l_seq
    status, nh = _nh_tag(buf, aux, p + size)
    if status == OK and aligned and _cigar_in_tag(buf, cigar, n_cigar, l_seq):
        status = FALL_BACK
    return status, nh, cigar, n_cigar


@nb.njit(cache=True, nogil=True)
def count_single_chunk(buf, end, tally, index, reverse_library, minaqual):
    """Count the complete single-end records of ``buf[:end]`` (``count_single``).

    Returns (status, offset of the first record not counted).
    """
    n_genes = tally.shape[0] - 5
    o = 0
    while o + 4 <= end:
        size = _i32(buf, o)
        if o + 4 + size > end:
            break
        p = o + 4
        flag = _u16(buf, p + 14)
        if flag & 0x4:
            tally[n_genes + NOT_ALIGNED] += 1
        elif not flag & 0x900:  # not secondary, not supplementary
            status, nh, cigar, n_cigar = _tag_and_cigar(buf, p, size, True)
            if status != OK:
                return status, o
            if nh != _NONE and nh > 1:
                tally[n_genes + NOT_UNIQUE] += 1
            elif buf[p + 9] < minaqual:
                tally[n_genes + TOO_LOW_AQUAL] += 1
            else:
                minus = bool(flag & 0x10) != reverse_library
                code = _read_code(buf, cigar, n_cigar, _i32(buf, p), _i32(buf, p + 4), minus, index)
                _add_code(tally, n_genes, code)
        o += 4 + size
    return OK, o


@nb.njit(cache=True)
def _combine(first, second):
    """Code of a pair from its mates' codes (``union_count.combine``)."""
    if first == UNKNOWN_CHROM or second == UNKNOWN_CHROM:
        return UNKNOWN_CHROM
    if first in (NO_GENE, second):
        return second
    if second == NO_GENE:
        return first
    return SEVERAL_GENES


# A waiting mate packed in one int64: gene code + 8 (bits 0-31), aligned (32), has an NH tag
# (33), NH > 1 (34), MAPQ (40-47), first mate (48). -1: no mate.
@nb.njit(cache=True)
def _pack(code, aligned, nh, mapq, is_first):
    packed = np.int64(code + 8) | (np.int64(aligned) << 32) | (np.int64(mapq) << 40)
    if nh != _NONE:
        packed |= np.int64(1) << 33
        if nh > 1:
            packed |= np.int64(1) << 34
    return packed | (np.int64(is_first) << 48)


@nb.njit(cache=True)
def _bit(packed, bit):
    return (packed >> bit) & 1 == 1


@nb.njit(cache=True)
def _code_of(mate):
    """Gene code of a packed mate; NO_GENE when missing or unaligned."""
    if mate >= 0 and _bit(mate, 32):
        return (mate & 0xFFFFFFFF) - 8
    return NO_GENE


@nb.njit(cache=True)
def add_pair(tally, first, second, minaqual):
    """htseq-count's checks of a pair of packed mates (-1: missing), then its count."""
    n_genes = tally.shape[0] - 5
    if not (first >= 0 and _bit(first, 32)) and not (second >= 0 and _bit(second, 32)):
        tally[n_genes + NOT_ALIGNED] += 1
        return
    # NH: htseq-count stops checking at the first mate without the tag (a KeyError).
    for mate in (first, second):
        if mate < 0:
            continue
        if not _bit(mate, 33):
            break
        if _bit(mate, 34):
            tally[n_genes + NOT_UNIQUE] += 1
            return
    for mate in (first, second):
        if mate >= 0 and (mate >> 40) & 0xFF < minaqual:
            tally[n_genes + TOO_LOW_AQUAL] += 1
            return
    _add_code(tally, n_genes, _combine(_code_of(first), _code_of(second)))


@nb.njit(cache=True)
def _name_key(buf, start, length):
    """The read name as 6 words of its first 48 bytes and a hash (FNV-1a) of the rest."""
    words = np.zeros(_NAME_WORDS + 1, dtype=np.int64)
    for i in range(min(length, 8 * _NAME_WORDS)):
        words[i // 8] |= np.int64(buf[start + i]) << (8 * (i % 8))
    tail = np.uint64(14695981039346656037)
    for i in range(8 * _NAME_WORDS, length):
        tail = (tail ^ np.uint64(buf[start + i])) * np.uint64(1099511628211)
    words[_NAME_WORDS] = np.int64(tail)
    return words


@nb.njit(cache=True)
def _numbered(key, number):
    """The key of the ``number``-th mate waiting under ``key`` (in ``extras``)."""
    k = key
    return (k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8], k[9], k[10], k[11], k[12], number)


@nb.njit(cache=True)
def _offer(queue, extras, own, wanted, mate, is_first, tally, minaqual):
    """Pair ``mate`` with the first mate waiting under ``wanted``, or make it wait under ``own``."""
    if wanted in queue:
        partner, first_no, next_no = queue[wanted]
        if next_no > first_no + 1:
            queue[wanted] = (extras.pop(_numbered(wanted, first_no + 1)), first_no + 1, next_no)
        else:
            del queue[wanted]
        if is_first:
            add_pair(tally, mate, partner, minaqual)
        else:
            add_pair(tally, partner, mate, minaqual)
    elif own in queue:
        head, first_no, next_no = queue[own]
        extras[_numbered(own, next_no)] = mate
        queue[own] = (head, first_no, next_no + 1)
    else:
        queue[own] = (mate, 0, 1)


@nb.njit(cache=True, nogil=True)
def count_paired_chunk(
    buf, end, tally, index, queue, extras, reverse_library, minaqual, max_buffer_size
):
    """Count the complete paired-end records of ``buf[:end]`` (``count_paired``); mates
    still waiting stay in ``queue``/``extras``. Returns (status, offset of the first record
    not counted)."""
    o = 0
    while o + 4 <= end:
        size = _i32(buf, o)
        if o + 4 + size > end:
            break
        p = o + 4
        flag = _u16(buf, p + 14)
        is_first = flag & 0x40 != 0
        if not flag & 0x1 or is_first == (flag & 0x80 != 0):
            return FALL_BACK, o  # not a mate: the pysam path raises htseq-count's error
        if flag & 0x900:  # secondary or supplementary: htseq-count pairs primary records
            o += 4 + size
            continue
        refid, pos, mate_refid = _i32(buf, p), _i32(buf, p + 4), _i32(buf, p + 20)
        aligned, mate_aligned = flag & 0x4 == 0, flag & 0x8 == 0
        status, nh, cigar, n_cigar = _tag_and_cigar(buf, p, size, aligned)
        if status != OK:
            return status, o
        name_len = np.int64(buf[p + 8])
        code = NO_GENE
        if aligned:  # mate 2 stands for the other strand
            minus = (flag & 0x10 != 0) != (reverse_library == is_first)
            code = _read_code(buf, cigar, n_cigar, refid, pos, minus, index)
        mate = _pack(code, aligned, nh, buf[p + 9], is_first)
        chrom = refid if aligned and refid >= 0 else _NONE
        start = pos if aligned else _NONE
        mate_chrom = mate_refid if mate_aligned and mate_refid >= 0 else _NONE
        mate_start = _i32(buf, p + 24) if mate_aligned else _NONE
        tlen = _i32(buf, p + 28)
        both = aligned and mate_aligned
        w = _name_key(buf, p + 32, name_len - 1)
        which = 2 * name_len + (1 if is_first else 0)
        other = 2 * name_len + (0 if is_first else 1)
        size_own, size_wanted = (tlen, -tlen) if both else (_NONE, _NONE)
        name = (w[0], w[1], w[2], w[3], w[4], w[5], w[6])
        own = (*name, which, chrom, start, mate_chrom, mate_start, size_own)
        wanted = (*name, other, mate_chrom, mate_start, chrom, start, size_wanted)
        _offer(queue, extras, own, wanted, mate, is_first, tally, minaqual)
        if len(queue) > max_buffer_size:
            return BUFFER_FULL, o
        o += 4 + size
    return OK, o


@nb.njit(cache=True)
def _add_half_pair(tally, mate, minaqual):
    if _bit(mate, 48):
        add_pair(tally, mate, -1, minaqual)
    else:
        add_pair(tally, -1, mate, minaqual)


@nb.njit(cache=True, nogil=True)
def count_leftovers(tally, queue, extras, minaqual):
    """Count the mates whose partner never came as half pairs (as htseq-count does)."""
    for head, _first_no, _next_no in queue.values():
        _add_half_pair(tally, head, minaqual)
    for mate in extras.values():
        _add_half_pair(tally, mate, minaqual)
    queue.clear()
    extras.clear()
