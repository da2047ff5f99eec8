"""Sequence helpers shared by the read simulators: base codes, errors, qualities, FASTQ/FASTA.

Sequences are handled as ``uint8`` arrays of ASCII codes (``b"ACGT"``) so that whole batches of
reads are built, mutated and written with numpy instead of per-read Python loops.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Sequence

import numpy as np

from esccrt.io import atomic_write

#: ASCII codes of A, C, G, T in the order used for random draws.
BASES = np.frombuffer(b"ACGT", dtype=np.uint8).copy()
#: Complement of every ASCII code (A<->T, C<->G, N->N; anything else maps to N).
_COMPLEMENT = np.full(256, ord("N"), dtype=np.uint8)
for _a, _b in zip(b"ACGTN", b"TGCAN", strict=True):
    _COMPLEMENT[_a] = _b
#: Index 0-3 of every ASCII base (N and others -> 0), for substitutions.
_INDEX = np.zeros(256, dtype=np.uint8)
for _i, _a in enumerate(b"ACGT"):
    _INDEX[_a] = _i

#: gzip level: fast, and still about 4 times smaller than plain text.
GZIP_LEVEL = 2


def as_codes(sequence: str) -> np.ndarray:
    """ASCII codes of a DNA string (upper case)."""
    return np.frombuffer(sequence.upper().encode("ascii"), dtype=np.uint8).copy()


def as_text(codes: np.ndarray) -> str:
    """DNA string of an array of ASCII codes."""
    return np.ascontiguousarray(codes, dtype=np.uint8).tobytes().decode("ascii")


def complement(codes: np.ndarray) -> np.ndarray:
    """Complement (not reversed) of ASCII base codes."""
    return _COMPLEMENT[codes]


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of a 1-D array of ASCII base codes."""
    return _COMPLEMENT[codes[::-1]]


def random_codes(rng: np.random.Generator, size: int | tuple[int, ...], gc: float = 0.45):
    """Random bases with the given GC fraction, as ASCII codes."""
    at = (1.0 - gc) / 2.0
    return BASES[rng.choice(4, size=size, p=[at, gc / 2.0, gc / 2.0, at])]


def add_substitutions(
    rng: np.random.Generator, reads: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Replace each base by another one with probability ``rate``; return reads and error mask."""
    errors = rng.random(reads.shape) < rate
    if errors.any():
        shift = rng.integers(1, 4, size=int(errors.sum()), dtype=np.uint8)
        reads = reads.copy()
        reads[errors] = BASES[(_INDEX[reads[errors]] + shift) % 4]
    return reads, errors


def qualities(
    rng: np.random.Generator,
    shape: tuple[int, int],
    errors: np.ndarray,
    start: float = 37.0,
    end: float = 31.0,
) -> np.ndarray:
    """Phred+33 quality characters: high, decaying towards the 3' end, low where an error is."""
    length = shape[1]
    profile = start - (start - end) * (np.arange(length) / max(length - 1, 1)) ** 2
    # In place on the one array of draws (the same values as profile + noise, rounded, lowered
    # where an error is, clipped): a library's temporaries of this size cost more than the draws.
    phred = rng.normal(0.0, 1.5, size=shape)
    phred += profile
    np.rint(phred, out=phred)
    low = rng.integers(8, 25, size=shape)
    np.minimum(phred, low, out=phred, where=errors)
    np.clip(phred, 2, 41, out=phred)
    phred += 33
    return phred.astype(np.uint8)


def fastq_bytes(
    names: Sequence[str], sequences: np.ndarray, quals: np.ndarray, suffix: str = ""
) -> bytes:
    """FASTQ records (``@name<suffix>``, sequence, ``+``, qualities) of equal-length reads."""
    length = sequences.shape[1]
    seq_blob = np.ascontiguousarray(sequences).tobytes()
    qual_blob = np.ascontiguousarray(quals).tobytes()
    parts: list[bytes] = []
    for k, name in enumerate(names):
        lo, hi = k * length, (k + 1) * length
        parts.append(f"@{name}{suffix}\n".encode())
        parts.append(seq_blob[lo:hi])
        parts.append(b"\n+\n")
        parts.append(qual_blob[lo:hi])
        parts.append(b"\n")
    return b"".join(parts)


def write_gzip(path: str | os.PathLike[str], chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to a reproducible gzip file (no name, mtime 0) atomically."""
    with (
        atomic_write(path, "wb") as handle,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=GZIP_LEVEL
        ) as gz,
    ):
        for chunk in chunks:
            gz.write(chunk)


def fasta_text(records: Iterable[tuple[str, str]], width: int = 60) -> str:
    """FASTA text of (header, sequence) pairs; sequences wrapped at ``width`` (0: one line)."""
    lines: list[str] = []
    for header, sequence in records:
        lines.append(f">{header}")
        if width <= 0:
            lines.append(sequence)
        else:
            lines.extend(sequence[i : i + width] for i in range(0, len(sequence), width))
    return "\n".join(lines) + "\n"


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` atomically with Unix line endings."""
    with atomic_write(path, "w") as handle:
        handle.write(text)
