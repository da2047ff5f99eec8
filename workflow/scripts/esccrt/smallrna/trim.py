"""Adapter trimming and collapsing in one pass over the reads, with cutadapt's own pieces.

Each read goes through what ``cutadapt`` does for the protocol preset (:func:`cutadapt_args`):
``-u`` (NEXTflex), 3' quality trimming (cutadapt's C function), then the 3' adapter. The adapter
is located with cutadapt's own adapter object, built by cutadapt's own argument parser, except
where the read holds the whole adapter without error: cutadapt's best alignment then starts at
its leftmost exact occurrence, found here with ``str.find``. Inserts (with the QIAseq UMI that
follows the adapter) are counted as they come, so nothing is written per read; cutadapt's JSON
report is built from the same counts with cutadapt's own report code. The tests compare every
number with cutadapt run on every read (``tests/parity/test_smallrna_cutadapt.py``).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice, repeat
from typing import IO

from esccrt.errors import InputError
from esccrt.io import atomic_write, write_json_atomic, write_text_atomic
from esccrt.smallrna.collapse import write_collapsed_fasta
from esccrt.smallrna.presets import UMI_TAG, TrimPreset, TrimSettings
from esccrt.smallrna.spill import SpillingCounter

#: Above this many distinct reads without an exact adapter, their alignments are forgotten.
_ALIGNMENT_CACHE = 50_000
#: Reads counted per distinct sequence at a time (bounds the memory of that count).
_READS_PER_BATCH = 200_000
#: Mean copies per distinct read in the first batch above which batches pay for themselves
#: (measured: 1.4 on simulated serum reads, where cutting read by read is 8 % faster).
_COPIES_TO_BATCH = 2
#: Phred scores are tallied over the first this many nt of each read as it comes from the
#: sequencer, clipped to 0..42, as miRTrace does (its Config.READ_LENGTH_CUTOFF and
#: MIN/MAX_PHRED_REPORTED), so that the share of nt >= Q30 is miRTrace's own statistic.
PHRED_PREFIX = 50
PHRED_RANGE = (0, 42)
#: Reads whose quality strings are joined before their Phred scores are counted at once.
_QUALITIES_PER_CHUNK = 65_536


def cutadapt_args(
    preset: TrimPreset,
    settings: TrimSettings,
    fastq: str,
    output: str,
    json_report: str,
    cores: int = 1,
) -> list[str]:
    """The cutadapt argument list (without the program name) for one unit.

    Returned as a list for ``subprocess.run`` so no sheet value ever passes through a shell.
    Length filtering is not done here: the collapse step records the whole insert length
    distribution first, then applies the length window.
    """
    leading_n = len(preset.adapter) - len(preset.adapter.lstrip("N"))
    overlap = settings.min_overlap + leading_n
    if preset.umi_length:
        overlap = len(preset.adapter)  # adapter + complete UMI, or the UMI is unknown
    args = [
        "-a",
        f"{preset.protocol}={preset.adapter};min_overlap={overlap}",
        "-e",
        str(settings.error_rate),
        "--cores",
        str(max(1, int(cores))),
        "--json",
        str(json_report),
    ]
    if settings.quality_cutoff:
        args += ["-q", str(settings.quality_cutoff)]
    if preset.cut5:
        args += ["-u", str(preset.cut5)]
    if preset.umi_length:
        args += ["--rename", "{id} " + UMI_TAG + "{match_sequence}"]
    if settings.discard_untrimmed or preset.force_discard_untrimmed:
        args.append("--discard-untrimmed")
    args += ["-o", str(output), str(fastq)]
    return args


@dataclass
class TrimReport:
    """Read numbers of one cutadapt run (from its ``--json`` report)."""

    input: int
    adapter_found: int
    no_adapter_discarded: int
    output: int
    unique_sequences: int = 0  # distinct reads aligned to the adapter (no exact adapter); 0 = n/a
    # With an insert length window (rule smallrna_trim): reads written outside it, distinct
    # inserts (QIAseq: insert + UMI) inside it, and the lengths of all reads written.
    too_short: int = 0
    too_long: int = 0
    unique_inserts: int = 0
    lengths: dict[int, int] = field(default_factory=dict)
    # Phred score -> nt, over the first PHRED_PREFIX nt of every read (miRTrace's tally).
    phred: dict[int, int] = field(default_factory=dict)


def parse_cutadapt_json(path: str | os.PathLike[str]) -> TrimReport:
    """Read numbers from cutadapt's JSON report."""
    with open(path) as handle:
        counts = json.load(handle)["read_counts"]
    return TrimReport(
        input=int(counts["input"]),
        adapter_found=int(counts.get("read1_with_adapter") or 0),
        no_adapter_discarded=int(counts["filtered"].get("discard_untrimmed") or 0),
        output=int(counts["output"]),
    )


def exact_adapter_cut(adapter: str) -> tuple[str, int, int] | None:
    """(core, leading, trailing) for finding an exact occurrence of ``adapter`` with str.find.

    The core is the adapter without its leading and trailing ``N`` (NEXTflex random bases, the
    QIAseq UMI). An occurrence of the core counts only with room for the ``leading`` N before it
    and the ``trailing`` N after it (the whole adapter inside the read). None when the core
    itself has wildcards.
    """
    core = adapter.strip("N")
    if not core or "N" in core:
        return None
    leading = len(adapter) - len(adapter.lstrip("N"))
    return core, leading, len(adapter) - len(adapter.rstrip("N"))


def cutadapt_adapter(preset: TrimPreset, settings: TrimSettings):
    """The adapter object cutadapt itself builds from :func:`cutadapt_args` (its own parser)."""
    from cutadapt.cli import adapters_from_args, get_argument_parser

    args = cutadapt_args(preset, settings, "in.fastq", "out.fastq", "report.json")
    (adapter,), _ = adapters_from_args(get_argument_parser().parse_args(args))
    return adapter


@dataclass
class UnitTally:
    """What one pass over a unit's reads counted (reads, not distinct sequences).

    ``in_window`` counts the reads written whose insert length is inside the window, by key
    ``insert`` or, with a UMI protocol, ``(insert, UMI)`` (UMI ``""`` when the read holds no
    complete one), with bounded memory (:class:`SpillingCounter`). ``lengths`` counts every
    written read by insert length, inside the window or not.
    """

    window: tuple[int, int] = (0, sys.maxsize)
    in_window: SpillingCounter = field(default_factory=SpillingCounter)
    lengths: Counter = field(default_factory=Counter)  # insert length -> reads (all written)
    adjacent: Counter = field(default_factory=Counter)  # base before the adapter -> reads
    exact_ends: dict = field(default_factory=dict)  # removed length -> reads (exact adapter)
    aligned_ends: Counter = field(default_factory=Counter)  # (removed length, errors) -> reads
    phred: Counter = field(default_factory=Counter)  # Phred score -> nt (:func:`_phred_tally`)
    reads: int = 0
    bases: int = 0
    quality_trimmed: int = 0
    discarded: int = 0
    aligned: int = 0  # distinct reads without an exact adapter, aligned by cutadapt's aligner

    @property
    def adapter_found(self) -> int:
        """Reads in which the adapter was found."""
        return sum(self.exact_ends.values()) + sum(self.aligned_ends.values())

    @property
    def too_short(self) -> int:
        """Reads written with an insert shorter than the window."""
        return sum(n for length, n in self.lengths.items() if length < self.window[0])

    @property
    def too_long(self) -> int:
        """Reads written with an insert longer than the window."""
        return sum(n for length, n in self.lengths.items() if length > self.window[1])


class _AdapterCutter:
    """Cuts the adapter (and keeps the UMI) of quality-trimmed reads, counting into a tally.

    A read holding the whole adapter without error is cut at the adapter's leftmost exact
    occurrence (cutadapt's best alignment: no other scores as high, and cutadapt takes the
    leftmost of equals); other reads go to cutadapt's ``adapter.match_to``, once per distinct
    read (remembered while there are fewer than ``_ALIGNMENT_CACHE``).
    """

    def __init__(self, tally: UnitTally, preset: TrimPreset, settings: TrimSettings, adapter):
        self.tally, self.adapter, self.aligned = tally, adapter, {}
        self.core, self.leading, trailing = exact_adapter_cut(preset.adapter) or ("", 0, 0)
        self.span = len(self.core) + trailing
        self.umi_length = preset.umi_length
        self.discard = settings.discard_untrimmed or preset.force_discard_untrimmed

    def cut_all(self, sequences: Iterable[tuple[str, int]]) -> None:
        """Count each distinct ``sequence`` (after ``-u`` and quality trimming) ``copies`` times.

        Written as one loop with local names: it runs once per distinct read. Lengths and bases
        before the adapter of the inserts kept are counted per distinct insert
        (:meth:`count_kept`); reads written without adapter are taken back out of the latter.
        """
        tally, core, leading, span, umi_length = (
            self.tally,
            self.core,
            self.leading,
            self.span,
            self.umi_length,
        )
        lengths, adjacent, exact_ends = tally.lengths, tally.adjacent, tally.exact_ends
        kept, limit, aligned = tally.in_window.counts, tally.in_window.limit, self.aligned
        low, high = tally.window
        for sequence, copies in sequences:
            found = sequence.find(core, leading) if core else -1
            stop = found + span
            if found >= 0 and stop <= len(sequence):
                start = found - leading
                removed = len(sequence) - start
                exact_ends[removed] = exact_ends.get(removed, 0) + copies
                untrimmed = False
            else:
                match = aligned.get(sequence, False)
                if match is False:
                    match = self._align(sequence)
                untrimmed = match is None
                if untrimmed and self.discard:
                    tally.discarded += copies
                    continue
                if untrimmed:  # written as it is: nothing removed
                    start = stop = len(sequence)
                else:
                    start, errors, stop = match
                    tally.aligned_ends[len(sequence) - start, errors] += copies
            if not low <= start <= high:
                lengths[start] += copies
                if not untrimmed:
                    adjacent[sequence[start - 1 : start]] += copies
                continue
            if untrimmed:  # count_kept counts a base before the adapter; there is none
                adjacent[sequence[-1:]] -= copies
            if umi_length:
                umi = sequence[start:stop][-umi_length:]
                key = (sequence[:start], umi if len(umi) == umi_length else "")
            else:
                key = sequence[:start]
            kept[key] = kept.get(key, 0) + copies
            if len(kept) >= limit:
                self.count_kept()
                tally.in_window.spill()  # empties ``kept`` in place

    def count_kept(self) -> None:
        """Add the lengths and bases before the adapter of the inserts in memory (once each)."""
        lengths, adjacent = self.tally.lengths, self.tally.adjacent
        for key, copies in self.tally.in_window.counts.items():
            insert = key[0] if isinstance(key, tuple) else key
            lengths[len(insert)] += copies
            adjacent[insert[-1:]] += copies

    def _align(self, sequence: str) -> tuple[int, int, int] | None:
        """(start, errors, stop) of cutadapt's best adapter match, or None; remembered."""
        if len(self.aligned) >= _ALIGNMENT_CACHE:
            self.aligned.clear()
        self.tally.aligned += 1
        hit = self.adapter.match_to(sequence)
        match = self.aligned[sequence] = (hit.rstart, hit.errors, hit.rstop) if hit else None
        return match


def tally_reads(
    records,
    preset: TrimPreset,
    settings: TrimSettings,
    adapter,
    window: tuple[int, int] | None = None,
) -> UnitTally:
    """Trim each read as cutadapt does (:func:`cutadapt_args`) and count inserts and ends.

    ``records`` are dnaio records, trimmed by :func:`_quality_trimmed` and cut by
    :meth:`_AdapterCutter.cut_all`. Libraries with many copies of the same reads (judged on
    the first ``_READS_PER_BATCH`` reads) are counted per distinct read first, a batch at a
    time, so each distinct read is cut once; diverse ones (serum: background, errors) are cut
    read by read, which is then faster.
    """
    tally = UnitTally(window=window or (0, sys.maxsize))
    cutter = _AdapterCutter(tally, preset, settings, adapter)
    sequences = _quality_trimmed(records, preset.cut5, settings.quality_cutoff, tally)
    batch = Counter(islice(sequences, _READS_PER_BATCH))  # C-speed counting
    cutter.cut_all(batch.items())
    if batch and batch.total() >= _COPIES_TO_BATCH * len(batch):
        while batch := Counter(islice(sequences, _READS_PER_BATCH)):
            cutter.cut_all(batch.items())
    else:
        cutter.cut_all(zip(sequences, repeat(1)))
    cutter.count_kept()
    return tally


def _quality_trimmed(records, cut5: int, cutoff: int, tally: UnitTally) -> Iterator[str]:
    """Each read after ``-u`` and 3' quality trimming (cutadapt's C function); at the end, the
    numbers of reads, bases and bases quality-trimmed go into ``tally``."""
    from cutadapt.qualtrim import quality_trim_index

    above = chr(33 + cutoff)  # a last base above the cutoff ends quality trimming at once
    reads = bases = quality_trimmed = 0
    chunk: list[str] = []  # quality strings not yet tallied
    for record in records:
        sequence, qualities = record.sequence, record.qualities
        reads += 1
        bases += len(sequence)
        if qualities is not None:  # None: FASTA input
            chunk.append(qualities[:PHRED_PREFIX])
            if len(chunk) == _QUALITIES_PER_CHUNK:
                _phred_tally(chunk, tally.phred)
                chunk.clear()
        if cutoff and len(qualities) > cut5 and qualities[-1] <= above:
            stop = quality_trim_index(qualities[cut5:], 0, cutoff, 33)[1]
            quality_trimmed += len(sequence) - cut5 - stop
            yield sequence[cut5 : cut5 + stop]
            continue
        yield sequence[cut5:] if cut5 else sequence
    _phred_tally(chunk, tally.phred)
    tally.reads, tally.bases, tally.quality_trimmed = reads, bases, quality_trimmed


def _phred_tally(qualities: list[str], phred: Counter) -> None:
    """Add the Phred scores (Phred+33) of ``qualities`` to ``phred``, clipped to
    :data:`PHRED_RANGE`; counted in one numpy pass over the joined strings (a Python loop per
    nt would cost more than the trimming)."""
    import numpy as np

    if not qualities:
        return
    codes = np.frombuffer("".join(qualities).encode("ascii", "replace"), dtype=np.uint8)
    low, high = PHRED_RANGE
    for code, nt in enumerate(np.bincount(codes, minlength=128).tolist()):
        if nt:
            phred[min(max(code - 33, low), high)] += nt


def cutadapt_json_report(
    tally: UnitTally, adapter, settings: TrimSettings, arguments: list[str]
) -> dict:
    """cutadapt's JSON report of the same run on every read, built by cutadapt's report code."""
    lengths, adjacent = tally.lengths, tally.adjacent
    from cutadapt.cli import json_report
    from cutadapt.report import Statistics

    stats = Statistics()
    stats.paired, stats.n, stats.total_bp[0] = False, tally.reads, tally.bases
    if "--discard-untrimmed" in arguments:
        stats.filtered["discard_untrimmed"] = tally.discarded
    stats.with_adapters[0] = tally.adapter_found
    if settings.quality_cutoff:
        stats.quality_trimmed_bp[0] = tally.quality_trimmed
    adapter_stats = adapter.create_statistics()
    end = adapter_stats.end
    for removed, reads in tally.exact_ends.items():
        end.errors[removed][0] += reads
    for (removed, errors), reads in tally.aligned_ends.items():
        end.errors[removed][errors] += reads
    for base, reads in adjacent.items():  # cutadapt puts N and no base under ""
        end.adjacent_bases[base if base in end.adjacent_bases else ""] += reads
    written = stats.read_length_statistics._written_lengths1  # no public way to add counts
    for length, reads in lengths.items():
        written[length] += reads
    stats.adapter_stats[0] = [adapter_stats]
    cores = int(arguments[arguments.index("--cores") + 1])
    return json_report(stats, arguments, arguments[-1], None, cores, False, 0.5)


def trim_unit(
    fastq: str,
    preset: TrimPreset,
    settings: TrimSettings,
    output: str | os.PathLike[str],
    cutadapt_report: str | os.PathLike[str],
    log: IO[str],
    where: str,
    window: tuple[int, int] | None = None,
) -> TrimReport:
    """Trim one unit in one pass (:func:`tally_reads`) and write its inserts with copy numbers.

    ``output`` gets FASTA records, copy numbers as :func:`esccrt.smallrna.collapse.copy_number`
    reads them. With an insert length ``window`` (min, max; as rule smallrna_trim): the inserts
    inside it, collapsed as :func:`esccrt.smallrna.collapse.write_collapsed_fasta` writes them
    (QIAseq: ``>N_xCOPIES umi=UMI`` per insert and UMI), and the report counts the rest and all
    lengths. Without: every insert, ``>N_xCOPIES [umi=UMI]``. ``cutadapt_report`` gets
    cutadapt's JSON report of the same trimming on every read (:func:`cutadapt_json_report`).
    Unreadable input raises :class:`InputError` naming ``where`` and the file.
    """
    import dnaio
    from cutadapt.json import dumps

    from esccrt.fastq import explain_read_failure

    adapter = cutadapt_adapter(preset, settings)
    arguments = cutadapt_args(preset, settings, fastq, str(output), str(cutadapt_report))
    print("trimming as: cutadapt", " ".join(arguments), file=log, flush=True)
    try:
        with dnaio.open(fastq, open_threads=1) as records:
            tally = tally_reads(records, preset, settings, adapter, window)
    except (dnaio.exceptions.FileFormatError, EOFError, OSError) as error:
        message = explain_read_failure(f"{type(error).__name__}: {error}", where, [fastq])
        print(f"Input error: {message}", file=sys.__stderr__)
        raise InputError(message) from error
    try:
        if window and not preset.umi_length:
            unique_inserts = write_collapsed_fasta(tally.in_window, output)
        else:
            unique_inserts = _write_inserts(tally.in_window, output)
    finally:
        tally.in_window.close()
    report = cutadapt_json_report(tally, adapter, settings, arguments)
    with atomic_write(cutadapt_report) as handle:
        handle.write(dumps(report) + "\n")
    return TrimReport(
        input=tally.reads,
        adapter_found=tally.adapter_found,
        no_adapter_discarded=tally.discarded,
        output=tally.reads - tally.discarded,
        unique_sequences=tally.aligned,
        too_short=tally.too_short,
        too_long=tally.too_long,
        unique_inserts=unique_inserts,
        lengths=dict(sorted(tally.lengths.items())),
        phred=dict(sorted(tally.phred.items())),
    )


def _write_inserts(inserts: SpillingCounter, output: str | os.PathLike[str]) -> int:
    """FASTA records ``>N_xCOPIES`` (with a UMI: ``>N_xCOPIES umi=UMI``) of a unit's inserts;
    returns how many."""
    return write_text_atomic(
        (
            f">{number}_x{copies} {UMI_TAG}{key[1]}\n{key[0]}\n"
            if isinstance(key, tuple)
            else f">{number}_x{copies}\n{key}\n"
            for number, (key, copies) in enumerate(inserts.items())
        ),
        output,
    )


def write_trim_report(report: TrimReport, path: str | os.PathLike[str]) -> None:
    """Write a unit's read-level trimming report (JSON)."""
    write_json_atomic(asdict(report), path)


def read_trim_report(path: str | os.PathLike[str]) -> TrimReport:
    """A report written by :func:`write_trim_report`."""
    with open(path) as handle:
        fields = json.load(handle)
    for key in ("lengths", "phred"):
        fields[key] = {int(k): v for k, v in fields.get(key, {}).items()}
    return TrimReport(**fields)
