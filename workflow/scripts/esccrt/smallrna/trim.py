"""Adapter trimming: cutadapt once per distinct read, with reports counting reads.

Identical reads are collapsed first (after cutadapt's 3' quality trimming, done here with
cutadapt's algorithm) and cutadapt trims each distinct read once (protocol preset; QIAseq UMIs are
lifted into the read name in the same pass, before the adapter and UMI are cut away).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO

from esccrt.errors import InputError
from esccrt.io import atomic_write, write_json_atomic
from esccrt.smallrna.presets import TrimPreset, TrimSettings

#: Read-name field cutadapt writes for QIAseq reads: ``umi=<adapter match incl. UMI>``.
UMI_TAG = "umi="
#: cutadapt's ``{adapter_name}`` for a read without adapter.
NO_ADAPTER = "no_adapter"


def cutadapt_args(
    preset: TrimPreset,
    settings: TrimSettings,
    fastq: str,
    output: str,
    json_report: str,
    cores: int = 1,
    name_adapter: bool = False,
) -> list[str]:
    """The cutadapt argument list (without the program name) for one unit.

    Returned as a list for ``subprocess.run`` so no sheet value ever passes through a shell.
    Length filtering is not done here: the collapse step records the whole insert length
    distribution first, then applies the length window. With ``name_adapter`` the read name
    gets the name of the adapter found (the protocol) or ``no_adapter``.
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
    template = "{id} {adapter_name}" if name_adapter else "{id}"
    if preset.umi_length:
        template += " " + UMI_TAG + "{match_sequence}"
    if template != "{id}":
        args += ["--rename", template]
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
    unique_sequences: int = 0  # distinct (quality-trimmed) reads cutadapt saw; 0 = not known


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


def quality_trim_stop(qualities: str, cutoff: int, base: int = 33) -> int:
    """Where cutadapt's 3' quality trimming (``-q cutoff``) ends a read: keep ``[:stop]``.

    cutadapt's algorithm (BWA's; ``quality_trim_index`` of cutadapt's ``qualtrim``): from the
    3' end, sum ``cutoff - quality`` and cut where the running sum peaks, stopping once it turns
    negative. A read trimmed away entirely gives 0.
    """
    total = best = 0
    stop = len(qualities)
    for i in range(len(qualities) - 1, -1, -1):
        total += cutoff - (ord(qualities[i]) - base)
        if total < 0:
            break
        if total > best:
            best, stop = total, i
    return stop


def exact_adapter_cut(adapter: str) -> tuple[str, int, int] | None:
    """(core, leading, trailing) for cutting reads behind an exact adapter occurrence.

    The core is the adapter without its leading and trailing ``N`` (NEXTflex random bases,
    the QIAseq UMI). A core occurrence counts only with room for the ``leading`` N before it
    (cutadapt never lets a 3' adapter start before the read); the ``trailing`` N stay with
    the read. None when the core itself has wildcards.
    """
    core = adapter.strip("N")
    if not core or "N" in core:
        return None
    leading = len(adapter) - len(adapter.lstrip("N"))
    return core, leading, len(adapter) - len(adapter.rstrip("N"))


def _distinct_reads(
    fastq: str, quality_cutoff: int, cut5: int, adapter: str, on_new: Callable[[int, str], None]
) -> tuple[list[int], int]:
    """Copy numbers of the distinct reads of ``fastq`` as cutadapt will see them.

    Two steps here leave cutadapt's result unchanged, so that more reads become identical:
    its 3' quality trimming (computed after the first ``cut5`` bases, which cutadapt removes
    with ``-u`` before trimming by quality; the bases themselves stay for cutadapt), and
    dropping what follows the first exact occurrence of the adapter (and its trailing ``N``):
    an exact occurrence scores best and cutadapt takes the leftmost best, so it cuts there
    whatever follows. The cut is done once per new read, not once per copy.
    ``on_new(number, sequence)`` is called for each new distinct read.
    """
    import dnaio  # cutadapt's own reader: same validation, same error messages

    raw: dict[str, int] = {}  # quality-trimmed read -> number of its distinct read
    distinct: dict[str, int] = {}  # read cut behind the adapter -> its number
    copies: list[int] = []
    # A last base above the cutoff ends the quality trimming at once (the common case).
    above = chr(33 + quality_cutoff)
    core, leading, trailing = exact_adapter_cut(adapter) or ("", 0, 0)
    with dnaio.open(fastq, open_threads=1) as records:
        for record in records:
            sequence = record.sequence
            if quality_cutoff:
                qualities = record.qualities
                if qualities and qualities[-1] <= above:
                    stop = cut5 + quality_trim_stop(qualities[cut5:], quality_cutoff)
                    sequence = sequence[:stop]
            number = raw.get(sequence)
            if number is None:  # a read not seen before: cut it, then look it up
                cut = sequence
                if core:
                    found = sequence.find(core, cut5 + leading)
                    if found >= 0:
                        cut = sequence[: found + len(core) + trailing]
                number = distinct.get(cut)
                if number is None:
                    number = distinct[cut] = len(copies)
                    copies.append(0)
                    on_new(number, cut)
                raw[sequence] = number
            copies[number] += 1
    return copies, sum(copies)


def _start_cutadapt(
    preset: TrimPreset,
    settings: TrimSettings,
    trimmed: Path,
    cutadapt_report: str | os.PathLike[str],
    log: IO[str],
) -> subprocess.Popen:
    """Start cutadapt reading distinct reads as FASTA on stdin and writing them to ``trimmed``.

    Its quality trimming is off: :func:`_distinct_reads` has done it before collapsing (FASTA
    carries no qualities). Read names get the adapter found (see :func:`cutadapt_args`).
    """
    args = cutadapt_args(
        preset,
        replace(settings, quality_cutoff=0),
        fastq="-",
        output=str(trimmed),
        json_report=str(cutadapt_report),
        name_adapter=True,
    )
    command = [sys.executable, "-m", "cutadapt", *args]
    print("running:", " ".join(command), "(distinct reads on stdin)", file=log, flush=True)
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log)


def trim_unit(
    fastq: str,
    preset: TrimPreset,
    settings: TrimSettings,
    output: str | os.PathLike[str],
    cutadapt_report: str | os.PathLike[str],
    log: IO[str],
    where: str,
) -> TrimReport:
    """Trim one unit: cutadapt runs once per distinct read, not once per read.

    Identical reads give identical cutadapt results, so the reads are collapsed first (after
    the steps of :func:`_distinct_reads` that do not change cutadapt's result) and streamed to
    cutadapt as FASTA while the file is still being read. ``output`` gets FASTA records
    ``>N_xCOPIES <adapter name> [umi=...]`` holding the trimmed sequences (copy numbers as in
    :func:`esccrt.smallrna.collapse.copy_number`); the returned report counts reads, not
    distinct sequences. ``cutadapt_report`` is cutadapt's own JSON report (over distinct reads).
    Unreadable input raises :class:`InputError` naming ``where`` and the file.
    """
    import dnaio

    from esccrt.fastq import explain_read_failure

    trimmed = Path(output).with_name(f".{Path(output).name}.cutadapt.fa")
    cutadapt = _start_cutadapt(preset, settings, trimmed, cutadapt_report, log)
    batch: list[str] = []

    def send(number: int, sequence: str) -> None:
        """Queue a new distinct read for cutadapt; written in batches (fewer, larger writes)."""
        batch.append(f">{number}\n{sequence}\n")
        if len(batch) >= 4096:
            cutadapt.stdin.write("".join(batch).encode())
            batch.clear()

    try:
        try:
            copies, reads = _distinct_reads(
                fastq, settings.quality_cutoff, preset.cut5, preset.adapter, send
            )
        except BrokenPipeError:
            raise  # cutadapt died: its exit status below says so
        except (dnaio.exceptions.FileFormatError, EOFError, OSError) as error:
            message = explain_read_failure(f"{type(error).__name__}: {error}", where, [fastq])
            print(f"Input error: {message}", file=sys.__stderr__)
            raise InputError(message) from error
        cutadapt.stdin.write("".join(batch).encode())
        cutadapt.stdin.close()
        if cutadapt.wait():
            raise RuntimeError(f"{where}: cutadapt failed (exit {cutadapt.returncode}), see log")
        return _write_with_copies(trimmed, copies, reads, output)
    finally:
        if cutadapt.poll() is None:
            cutadapt.kill()
            cutadapt.wait()
        trimmed.unlink(missing_ok=True)


def _write_with_copies(
    trimmed: Path, copies: Sequence[int], reads: int, output: str | os.PathLike[str]
) -> TrimReport:
    """Write cutadapt's output with each distinct read's copy number; count reads, not records."""
    import dnaio

    report = TrimReport(
        input=reads, adapter_found=0, no_adapter_discarded=0, output=0, unique_sequences=len(copies)
    )
    with dnaio.open(trimmed, mode="r") as records, atomic_write(output) as handle:
        for record in records:
            number, _, rest = record.name.partition(" ")
            n = copies[int(number)]
            report.output += n
            if not rest.startswith(NO_ADAPTER):
                report.adapter_found += n
            handle.write(f">{number}_x{n} {rest}\n{record.sequence}\n")
    report.no_adapter_discarded = report.input - report.output
    return report


def write_trim_report(report: TrimReport, path: str | os.PathLike[str]) -> None:
    """Write a unit's read-level trimming report (JSON)."""
    write_json_atomic(asdict(report), path)


def read_trim_report(path: str | os.PathLike[str]) -> TrimReport:
    """A report written by :func:`write_trim_report`."""
    with open(path) as handle:
        return TrimReport(**json.load(handle))
