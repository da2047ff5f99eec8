"""Collapsing: all units of a sample into unique inserts with copy numbers (and UMIs).

Inserts are written miRDeep2 style (``>seqN_xCOUNT``; QIAseq: one copy per molecule, UMIs
error-corrected as UMI-tools' directional method does); every later step reads the copy number
back from the read name (:func:`copy_number`).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from esccrt.io import atomic_write
from esccrt.smallrna.trim import UMI_TAG
from esccrt.smallrna.umis import directional_molecules

_COPIES = re.compile(r"_x(\d+)$")


def umi_from_name(name_and_comment: str, umi_length: int) -> str | None:
    """The UMI from a read header written with the QIAseq ``--rename`` template.

    The adapter match (adapter + UMI, possibly with indels) is in the ``umi=`` field; the UMI is
    its last ``umi_length`` bases. Returns None when the field is missing or too short.
    """
    for word in name_and_comment.split()[::-1]:
        if word.startswith(UMI_TAG):
            match = word[len(UMI_TAG) :]
            return match[-umi_length:] if len(match) >= umi_length else None
    return None


@dataclass
class CollapseResult:
    """Unique inserts of one sample and what happened to its trimmed reads."""

    counts: Counter = field(default_factory=Counter)
    lengths: Counter = field(default_factory=Counter)
    reads: int = 0
    too_short: int = 0
    too_long: int = 0
    umi_duplicate: int = 0
    no_umi: int = 0

    @property
    def kept(self) -> int:
        """Reads (copies) going on to alignment."""
        return sum(self.counts.values())


def _fastx_records(path: str | os.PathLike[str]) -> Iterable[tuple[str, str]]:
    """(header incl. comment, sequence) of each FASTQ/FASTA record, gzip or plain."""
    import pysam

    with pysam.FastxFile(str(path)) as handle:
        for record in handle:
            header = record.name if not record.comment else f"{record.name} {record.comment}"
            yield header, record.sequence or ""


def collapse_reads(
    fastas: Sequence[str | os.PathLike[str]],
    min_length: int,
    max_length: int,
    umi_length: int | Sequence[int] = 0,
) -> CollapseResult:
    """Collapse the trimmed reads of all units of a sample into unique inserts.

    Reads are the records :func:`trim_unit` writes, each standing for the copy number in its
    name (:func:`copy_number`; a plain read counts once). Every insert length (before the
    window) goes into ``lengths``; inserts outside ``min_length..max_length`` are counted as
    too short / too long. With ``umi_length`` > 0, an insert counts its molecules: its UMIs
    grouped by UMI-tools' directional method (:func:`directional_molecules`: a UMI one base
    away from a UMI with at least about twice its reads is taken as a sequencing error of it;
    the rest of the reads are ``umi_duplicate``); a read without a readable UMI counts as
    ``no_umi`` (reported with the reads discarded for lacking an adapter). ``umi_length`` may
    be one value per file (units of one sample with different protocols); UMIs are compared
    across all units of the sample (lanes of one library).
    """
    umi_lengths = [umi_length] * len(fastas) if isinstance(umi_length, int) else list(umi_length)
    if len(umi_lengths) != len(fastas):
        raise ValueError("umi_length needs one value per FASTQ file")
    result = CollapseResult()
    umi_reads: dict[str, Counter] = {}  # insert -> UMI -> reads
    for fasta, unit_umi_length in zip(fastas, umi_lengths, strict=True):
        for header, sequence in _fastx_records(fasta):
            copies = copy_number(header)
            result.reads += copies
            length = len(sequence)
            result.lengths[length] += copies
            if length < min_length:
                result.too_short += copies
                continue
            if length > max_length:
                result.too_long += copies
                continue
            if unit_umi_length:
                umi = umi_from_name(header, unit_umi_length)
                if umi is None:
                    result.no_umi += copies
                    continue
                umi_reads.setdefault(sequence, Counter())[umi] += copies
                continue
            result.counts[sequence] += copies
    for sequence, umis in umi_reads.items():
        molecules = directional_molecules(umis)
        result.counts[sequence] += molecules
        result.umi_duplicate += sum(umis.values()) - molecules
    return result


def write_collapsed_fasta(counts: Mapping[str, int], path: str | os.PathLike[str]) -> int:
    """Write unique inserts as ``>seqN_xCOUNT`` (most abundant first); return how many."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    with atomic_write(path) as handle:
        for number, (sequence, copies) in enumerate(ordered, start=1):
            handle.write(f">seq{number}_x{copies}\n{sequence}\n")
    return len(ordered)


def copy_number(read_name: str) -> int:
    """Copy number from a collapsed read name ``seqN_xCOUNT``; a plain read counts once."""
    match = _COPIES.search(read_name.split()[0])
    return int(match.group(1)) if match else 1


def fasta_copies(path: str | os.PathLike[str]) -> int:
    """Total copy number of a collapsed FASTA (e.g. bowtie's ``--un`` output)."""
    total = 0
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        return 0
    with open(path) as handle:
        for line in handle:
            if line.startswith(">"):
                total += copy_number(line[1:].strip())
    return total
