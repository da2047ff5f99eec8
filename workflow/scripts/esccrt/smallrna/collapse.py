"""Collapsing: all units of a sample into unique inserts with copy numbers (and UMIs).

Inserts are written miRDeep2 style (``>seqN_xCOUNT``; QIAseq: one copy per molecule, UMIs
error-corrected as UMI-tools' directional method does); every later step reads the copy number
back from the read name (:func:`copy_number`).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from esccrt.errors import InputError
from esccrt.io import atomic_write, write_text_atomic
from esccrt.smallrna.presets import UMI_TAG
from esccrt.smallrna.spill import SpillingCounter, by_abundance
from esccrt.smallrna.umis import directional_molecules


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
    """Unique inserts of one sample and what happened to its trimmed reads.

    ``counts`` (insert -> copies) holds at most :data:`esccrt.smallrna.spill.KEYS_IN_MEMORY`
    inserts in memory; :meth:`close` removes what it spilled to disk.
    """

    counts: SpillingCounter = field(default_factory=SpillingCounter)
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

    def close(self) -> None:
        """Remove the inserts spilled to disk."""
        self.counts.close()


def _fastx_records(path: str | os.PathLike[str]) -> Iterable[tuple[str, str]]:
    """(header incl. comment, sequence) of each FASTQ/FASTA record, gzip or plain.

    FASTQ goes through dnaio's C parser; FASTA (as :func:`trim_unit` and cutadapt write it: one
    line per sequence) is read here two lines at a time, several times faster than dnaio's
    FASTA reader; a FASTA file with wrapped sequences is refused.
    """
    import dnaio
    from xopen import xopen

    if Path(path).stat().st_size == 0:
        return
    with dnaio.open(path, open_threads=0) as records:
        if not isinstance(records, dnaio.FastaReader):
            for record in records:
                yield record.name, record.sequence
            return
    with xopen(path, "rt", threads=0) as handle:
        for number, header in enumerate(handle):
            sequence = next(handle, "").rstrip("\n")
            if not header.startswith(">") or sequence.startswith(">"):
                raise InputError(
                    f"{path}, record {number + 1}: not a FASTA file with each sequence on one line"
                )
            yield header[1:].rstrip("\n"), sequence


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
    reads = SpillingCounter()  # insert -> reads (without UMI)
    umi_reads = SpillingCounter()  # (insert, UMI) -> reads
    for fasta, unit_umi_length in zip(fastas, umi_lengths, strict=True):
        for header, sequence in _fastx_records(fasta):
            copies = copy_number(header)
            if unit_umi_length and min_length <= len(sequence) <= max_length:
                result.reads += copies
                result.lengths[len(sequence)] += copies
                umi = umi_from_name(header, unit_umi_length)
                if umi is None:
                    result.no_umi += copies
                else:
                    umi_reads.add((sequence, umi), copies)
                continue
            reads.add(sequence, copies)
    for sequence, copies in reads.items():  # once per insert, not per record
        result.reads += copies
        result.lengths[len(sequence)] += copies
        if len(sequence) < min_length:
            result.too_short += copies
        elif len(sequence) > max_length:
            result.too_long += copies
        else:
            result.counts.add(sequence, copies)
    reads.close()
    # An insert's UMIs come together in key order: grouped one insert at a time.
    for sequence, group in groupby(umi_reads.sorted_items(), key=lambda item: item[0][0]):
        umis = {umi: copies for (_, umi), copies in group}
        molecules = directional_molecules(umis)
        result.counts.add(sequence, molecules)
        result.umi_duplicate += sum(umis.values()) - molecules
    umi_reads.close()
    return result


def collapse_stats(result: CollapseResult, unique: int) -> dict:
    """The numbers of a sample's collapse step, as rule smallrna_collapse writes them (JSON)."""
    return {
        "reads": result.reads,
        "too_short": result.too_short,
        "too_long": result.too_long,
        "umi_duplicate": result.umi_duplicate,
        "no_umi": result.no_umi,
        "kept": result.kept,
        "unique": unique,
        "lengths": {str(k): v for k, v in sorted(result.lengths.items())},
    }


def collapse_units(
    fastas: Sequence[str | os.PathLike[str]],
    reports: Sequence,
    umi_lengths: Sequence[int],
    output: str | os.PathLike[str],
) -> dict:
    """Collapse the units of a sample, trimmed with a length window, into ``output``.

    ``fastas`` and ``reports`` are :func:`esccrt.smallrna.trim.trim_unit`'s outputs with a
    window: the inserts inside it and the :class:`~esccrt.smallrna.trim.TrimReport` counting
    the rest. One unit without UMI is already collapsed: its file is copied as it is. Returns
    :func:`collapse_stats`.
    """
    import shutil

    reads = sum(report.output for report in reports)
    too_short = sum(report.too_short for report in reports)
    too_long = sum(report.too_long for report in reports)
    lengths: Counter = Counter()
    for report in reports:
        lengths.update(report.lengths)
    if len(fastas) == 1 and not umi_lengths[0]:
        with atomic_write(output, "wb") as handle, open(fastas[0], "rb") as unit:
            shutil.copyfileobj(unit, handle)
        result = CollapseResult(reads=reads, too_short=too_short, too_long=too_long)
        stats = collapse_stats(result, reports[0].unique_inserts)
        stats["kept"] = reads - too_short - too_long
    else:
        result = collapse_reads(fastas, 0, sys.maxsize, umi_lengths)
        result.reads, result.too_short, result.too_long = reads, too_short, too_long
        try:
            stats = collapse_stats(result, write_collapsed_fasta(result.counts, output))
        finally:
            result.close()
    stats["lengths"] = {str(k): v for k, v in sorted(lengths.items())}
    return stats


def write_collapsed_fasta(
    counts: Mapping[str, int] | SpillingCounter, path: str | os.PathLike[str]
) -> int:
    """Write unique inserts as ``>seqN_xCOUNT`` (most abundant first, equal counts by
    sequence); return how many. Memory stays bounded (:func:`.spill.by_abundance`)."""
    ordered = enumerate(by_abundance(counts.items()), start=1)
    return write_text_atomic(
        (f">seq{number}_x{copies}\n{sequence}\n" for number, (sequence, copies) in ordered), path
    )


def copy_number(read_name: str) -> int:
    """Copy number from a collapsed read name ``seqN_xCOUNT``; a plain read counts once."""
    words = read_name.split(maxsplit=1)
    name = words[0] if words else ""
    digits = name[name.rfind("_x") + 2 :] if "_x" in name else ""
    return int(digits) if digits.isascii() and digits.isdigit() else 1


#: A FASTA header whose first word ends in ``_x`` + digits (:func:`copy_number`'s rule: the
#: digits after the word's last ``_x``): its copy number, matched in bulk by :func:`fasta_totals`.
_HEADER_COPIES = re.compile(r"^>[^\S\n]*\S*_x([0-9]+)(?!\S)", re.MULTILINE)
#: Characters of a FASTA read at a time by :func:`fasta_totals` (memory stays bounded).
_TALLY_BLOCK = 1 << 22


def fasta_totals(path: str | os.PathLike[str]) -> tuple[int, int]:
    """Total copy number (:func:`copy_number` of each header) and number of records of a
    collapsed FASTA (e.g. bowtie's ``--un`` output); (0, 0) for a missing or empty file.

    Read a block of whole lines at a time, headers matched by one regular expression per block
    (bowtie leaves millions of reads unaligned: a Python call per header costs seconds); a header
    without a copy number counts once, as :func:`copy_number` has it.
    """
    copies = records = 0
    if not Path(path).exists():
        return 0, 0
    rest = ""
    with open(path) as handle:
        while block := handle.read(_TALLY_BLOCK):
            block, rest = _whole_lines(rest + block)
            copies, records = _add_tally(block, copies, records)
        copies, records = _add_tally(rest, copies, records)
    return copies, records


def _whole_lines(text: str) -> tuple[str, str]:
    """``text`` cut after its last newline: (whole lines, the unfinished line)."""
    cut = text.rfind("\n") + 1
    return text[:cut], text[cut:]


def _add_tally(lines: str, copies: int, records: int) -> tuple[int, int]:
    """``copies`` and ``records`` plus those of the headers in ``lines`` (whole lines)."""
    if not lines:
        return copies, records
    headers = lines.count("\n>") + lines.startswith(">")
    numbered = _HEADER_COPIES.findall(lines)
    return copies + sum(map(int, numbered)) + headers - len(numbered), records + headers


def fasta_copies(path: str | os.PathLike[str]) -> int:
    """Total copy number of a collapsed FASTA (e.g. bowtie's ``--un`` output)."""
    return fasta_totals(path)[0]
