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
from dataclasses import asdict, dataclass, field
from typing import IO

from esccrt.errors import InputError
from esccrt.io import atomic_write, write_json_atomic
from esccrt.smallrna.collapse import write_collapsed_fasta
from esccrt.smallrna.presets import UMI_TAG, TrimPreset, TrimSettings

#: Above this many distinct reads without an exact adapter, their alignments are forgotten.
_ALIGNMENT_CACHE = 200_000


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

    Inserts are keys ``insert`` or, with a UMI protocol, ``(insert, UMI or None)``.
    """

    inserts: dict = field(default_factory=dict)  # insert -> reads with the adapter
    untrimmed: dict = field(default_factory=dict)  # read -> reads written without adapter
    exact_ends: dict = field(default_factory=dict)  # removed length -> reads (exact adapter)
    aligned_ends: Counter = field(default_factory=Counter)  # (removed length, errors) -> reads
    reads: int = 0
    bases: int = 0
    quality_trimmed: int = 0
    discarded: int = 0
    aligned: int = 0  # distinct reads without an exact adapter, aligned by cutadapt's aligner

    @property
    def adapter_found(self) -> int:
        """Reads in which the adapter was found."""
        return sum(self.exact_ends.values()) + sum(self.aligned_ends.values())


def _align(adapter, sequence: str) -> tuple[int, int, int] | None:
    """(start, errors, stop) of cutadapt's best adapter match in ``sequence``, or None."""
    hit = adapter.match_to(sequence)
    return (hit.rstart, hit.errors, hit.rstop) if hit else None


def tally_reads(records, preset: TrimPreset, settings: TrimSettings, adapter) -> UnitTally:
    """Trim each read as cutadapt does (:func:`cutadapt_args`) and count inserts and ends.

    ``records`` are dnaio records. A read holding the whole adapter without error is cut at the
    adapter's leftmost exact occurrence (cutadapt's best alignment: no other scores as high, and
    cutadapt takes the leftmost of equals); other reads go to cutadapt's ``adapter.match_to``,
    once per distinct read (remembered while there are fewer than ``_ALIGNMENT_CACHE``). The
    loop is written for speed: plain dicts, one lookup per counter.
    """
    from cutadapt.qualtrim import quality_trim_index

    tally = UnitTally()
    inserts, exact_ends, aligned = tally.inserts, tally.exact_ends, {}
    core, leading, trailing = exact_adapter_cut(preset.adapter) or ("", 0, 0)
    span, cut5, cutoff = len(core) + trailing, preset.cut5, settings.quality_cutoff
    umi_length = preset.umi_length
    discard = settings.discard_untrimmed or preset.force_discard_untrimmed
    above = chr(33 + cutoff)  # a last base above the cutoff ends quality trimming at once
    reads = bases = quality_trimmed = 0
    for record in records:
        sequence = record.sequence
        reads += 1
        bases += len(sequence)
        if cut5:
            sequence = sequence[cut5:]
        if cutoff:
            qualities = record.qualities[cut5:]
            if qualities and qualities[-1] <= above:
                stop = quality_trim_index(qualities, 0, cutoff, 33)[1]
                quality_trimmed += len(sequence) - stop
                sequence = sequence[:stop]
        found = sequence.find(core, leading) if core else -1
        stop = found + span
        if found >= 0 and stop <= len(sequence):
            start = found - leading
            removed = len(sequence) - start
            exact_ends[removed] = exact_ends.get(removed, 0) + 1
        else:
            match = aligned.get(sequence, False)
            if match is False:
                if len(aligned) >= _ALIGNMENT_CACHE:
                    aligned.clear()
                match = aligned[sequence] = _align(adapter, sequence)
                tally.aligned += 1
            if match is None:
                if discard:
                    tally.discarded += 1
                else:
                    key = (sequence, None) if umi_length else sequence
                    tally.untrimmed[key] = tally.untrimmed.get(key, 0) + 1
                continue
            start, errors, stop = match
            tally.aligned_ends[len(sequence) - start, errors] += 1
        if umi_length:
            umi = sequence[start:stop][-umi_length:]
            key = (sequence[:start], umi if len(umi) == umi_length else None)
        else:
            key = sequence[:start]
        inserts[key] = inserts.get(key, 0) + 1
    tally.reads, tally.bases, tally.quality_trimmed = reads, bases, quality_trimmed
    return tally


@dataclass
class WrittenReads:
    """The reads a unit writes, by insert: lengths, bases before the adapter, the window."""

    lengths: Counter = field(default_factory=Counter)  # insert length -> reads (all written)
    adjacent: Counter = field(default_factory=Counter)  # base before the adapter -> reads
    in_window: dict = field(default_factory=dict)  # insert (or (insert, UMI)) -> reads
    too_short: int = 0
    too_long: int = 0


def written_reads(tally: UnitTally, window: tuple[int, int] | None) -> WrittenReads:
    """One pass over a unit's distinct inserts: what cutadapt's report and the window need.

    The inserts outside the window leave ``tally.inserts``, which becomes ``in_window`` (with
    the reads written without adapter added): no second copy of the largest table.
    """
    low, high = window or (0, sys.maxsize)
    written = WrittenReads()
    lengths, adjacent = written.lengths, written.adjacent
    in_window, outside = tally.inserts, []
    for key, reads in in_window.items():
        insert = key[0] if isinstance(key, tuple) else key
        lengths[len(insert)] += reads
        adjacent[insert[-1:]] += reads
        if not low <= len(insert) <= high:
            outside.append(key)
    for key, reads in tally.untrimmed.items():
        insert = key[0] if isinstance(key, tuple) else key
        lengths[len(insert)] += reads
        if low <= len(insert) <= high:
            in_window[key] = in_window.get(key, 0) + reads
    for key in outside:
        del in_window[key]
    tally.untrimmed = {}
    written.too_short = sum(n for length, n in lengths.items() if length < low)
    written.too_long = sum(n for length, n in lengths.items() if length > high)
    written.in_window = in_window
    return written


def cutadapt_json_report(
    tally: UnitTally, written: WrittenReads, adapter, settings: TrimSettings, arguments: list[str]
) -> dict:
    """cutadapt's JSON report of the same run on every read, built by cutadapt's report code."""
    lengths, adjacent = written.lengths, written.adjacent
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
            tally = tally_reads(records, preset, settings, adapter)
    except (dnaio.exceptions.FileFormatError, EOFError, OSError) as error:
        message = explain_read_failure(f"{type(error).__name__}: {error}", where, [fastq])
        print(f"Input error: {message}", file=sys.__stderr__)
        raise InputError(message) from error
    written = written_reads(tally, window)
    if window and not preset.umi_length:
        write_collapsed_fasta(written.in_window, output)
    else:
        _write_inserts(written.in_window, output)
    report = cutadapt_json_report(tally, written, adapter, settings, arguments)
    with atomic_write(cutadapt_report) as handle:
        handle.write(dumps(report) + "\n")
    return TrimReport(
        input=tally.reads,
        adapter_found=tally.adapter_found,
        no_adapter_discarded=tally.discarded,
        output=tally.reads - tally.discarded,
        unique_sequences=tally.aligned,
        too_short=written.too_short,
        too_long=written.too_long,
        unique_inserts=len(written.in_window),
        lengths=dict(sorted(written.lengths.items())),
    )


def _write_inserts(inserts: dict, output: str | os.PathLike[str]) -> None:
    """FASTA records ``>N_xCOPIES`` (with a UMI: ``>N_xCOPIES umi=UMI``) of a unit's inserts."""
    with atomic_write(output) as handle:
        lines = []
        for number, (key, copies) in enumerate(inserts.items()):
            if isinstance(key, tuple):
                lines.append(f">{number}_x{copies} {UMI_TAG}{key[1] or ''}\n{key[0]}\n")
            else:
                lines.append(f">{number}_x{copies}\n{key}\n")
            if len(lines) >= 100_000:  # large writes, bounded memory
                handle.write("".join(lines))
                lines.clear()
        handle.write("".join(lines))


def write_trim_report(report: TrimReport, path: str | os.PathLike[str]) -> None:
    """Write a unit's read-level trimming report (JSON)."""
    write_json_atomic(asdict(report), path)


def read_trim_report(path: str | os.PathLike[str]) -> TrimReport:
    """A report written by :func:`write_trim_report`."""
    with open(path) as handle:
        fields = json.load(handle)
    fields["lengths"] = {int(k): v for k, v in fields.get("lengths", {}).items()}
    return TrimReport(**fields)
