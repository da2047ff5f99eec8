"""Small-RNA arm: adapter trimming presets, collapsing, copy-number aware counting and QC.

Flow per sample: per unit, identical reads are collapsed first (after cutadapt's 3' quality
trimming, done here with cutadapt's algorithm) and cutadapt trims each distinct read once
(protocol preset; QIAseq UMIs are lifted into the read name in the same pass, before the adapter
and UMI are cut away) -> all units collapsed into unique inserts
(``>seqN_xCOUNT``, miRDeep2 style; QIAseq: one copy per distinct UMI) -> bowtie 1 to the
contaminants (optional), then mature, then hairpin, each step taking the reads the previous one
left -> pysam counting weighted by the copy number carried in the read name.

Mature counts = reads aligned to a mature sequence + reads of the hairpin step whose alignment
lies in a mature region of the hairpin (isomiRs longer than the mature sequence, 5'/3' shifts,
non-templated 3' additions; rule as miRDeep2's quantifier: 2 nt upstream, 5 nt downstream,
configurable, see :class:`ArmRule`). The hairpin matrix holds every read of the hairpin step.

Multi-mapper rule: a read whose best alignments (sense strand, fewest mismatches among those
bowtie reports with ``--best --strata -k 50``) hit ``n`` features adds ``copies / n`` to each.
Sums stay fractional per sample and are rounded once, at the matrix level (half up), so matrix
columns may differ from the integer read totals by rounding only. Antisense alignments never
count.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

from esccrt.errors import InputError
from esccrt.io import atomic_write

if TYPE_CHECKING:  # pandas is imported where used: trimming and collapsing run without it
    import pandas as pd

#: 3' adapters of the protocol presets (the ``protocol`` column of units.tsv).
ILLUMINA_ADAPTER = "TGGAATTCTCGGGTGCCAAGG"
QIASEQ_ADAPTER = "AACTGTAGGCACCATCAAT"
QIASEQ_UMI_LENGTH = 12
NEXTFLEX_RANDOM_NT = 4
PROTOCOLS = ("illumina", "nextflex", "qiaseq", "custom")

#: Read-name field cutadapt writes for QIAseq reads: ``umi=<adapter match incl. UMI>``.
UMI_TAG = "umi="
#: cutadapt's ``{adapter_name}`` for a read without adapter.
NO_ADAPTER = "no_adapter"
_COPIES = re.compile(r"_x(\d+)$")
_ADAPTER = re.compile(r"^[ACGTN]+$")

#: Read-fate columns that partition the input reads (they sum to ``input``).
FATE_PARTITION = (
    "no_adapter_discarded",
    "too_short",
    "too_long",
    "umi_duplicate",
    "contaminant",
    "mature",
    "hairpin_only",
    "unassigned",
)


@dataclass(frozen=True)
class TrimPreset:
    """What a protocol needs from cutadapt.

    ``adapter`` is the 3' adapter as given to ``-a`` (may start with ``N`` wildcards standing for
    random bases to remove together with the adapter), ``cut5`` the bases removed from the 5' end,
    ``umi_length`` the UMI that follows the adapter (0 = none), ``force_discard_untrimmed`` is set
    when reads without an adapter cannot be used at all (no UMI without the adapter).
    """

    protocol: str
    adapter: str
    cut5: int = 0
    umi_length: int = 0
    force_discard_untrimmed: bool = False


@dataclass(frozen=True)
class TrimSettings:
    """Configurable cutadapt settings shared by all presets (config section ``smallrna``)."""

    error_rate: float = 0.1
    min_overlap: int = 3
    quality_cutoff: int = 20
    discard_untrimmed: bool = False


def trim_preset(protocol: str, adapter: str = "") -> TrimPreset:
    """The preset for a protocol of units.tsv; ``adapter`` is used by ``custom`` only.

    - illumina: TruSeq small RNA 3' adapter.
    - nextflex: same adapter; 4 random nt removed at both ends of the insert (the 3' ones as
      ``NNNN`` in front of the adapter, so they go only where the adapter is found).
    - qiaseq: QIAseq miRNA 3' adapter followed by a 12-nt UMI; reads without the full
      adapter + UMI are discarded (their UMI is unknown).
    - custom: the ``adapter`` column.
    """
    if protocol == "illumina":
        return TrimPreset(protocol, ILLUMINA_ADAPTER)
    if protocol == "nextflex":
        return TrimPreset(
            protocol, "N" * NEXTFLEX_RANDOM_NT + ILLUMINA_ADAPTER, cut5=NEXTFLEX_RANDOM_NT
        )
    if protocol == "qiaseq":
        return TrimPreset(
            protocol,
            QIASEQ_ADAPTER + "N" * QIASEQ_UMI_LENGTH,
            umi_length=QIASEQ_UMI_LENGTH,
            force_discard_untrimmed=True,
        )
    if protocol == "custom":
        sequence = (adapter or "").strip().upper()
        if not _ADAPTER.match(sequence):
            raise InputError(
                f"protocol 'custom' needs a 3' adapter sequence (A, C, G, T, N) in the 'adapter' "
                f"column of units.tsv; found '{adapter}'."
            )
        return TrimPreset(protocol, sequence)
    raise InputError(f"unknown small-RNA protocol '{protocol}'; choose one of {list(PROTOCOLS)}.")


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
    fastq: str, quality_cutoff: int, cut5: int, adapter: str, on_new
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
    :func:`copy_number`); the returned report counts reads, not distinct sequences.
    ``cutadapt_report`` is cutadapt's own JSON report (over distinct reads). Unreadable
    input raises :class:`InputError` naming ``where`` and the file.
    """
    import subprocess
    import sys

    import dnaio

    from esccrt.fastq import explain_read_failure

    trimmed = Path(output).with_name(f".{Path(output).name}.cutadapt.fa")
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
    cutadapt = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log)
    batch: list[str] = []

    def send(number: int, sequence: str) -> None:
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
    too short / too long. With ``umi_length`` > 0, reads sharing insert and UMI count once (the
    rest are ``umi_duplicate``); a read without a readable UMI counts as ``no_umi`` (reported
    with the reads discarded for lacking an adapter). ``umi_length`` may be one value per file
    (units of one sample with different protocols); UMIs are compared across all units of the
    sample (lanes of one library).
    """
    umi_lengths = [umi_length] * len(fastas) if isinstance(umi_length, int) else list(umi_length)
    if len(umi_lengths) != len(fastas):
        raise ValueError("umi_length needs one value per FASTQ file")
    result = CollapseResult()
    seen_umis: set[tuple[str, str]] = set()
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
                key = (sequence, umi)
                if key in seen_umis:
                    result.umi_duplicate += copies
                    continue
                seen_umis.add(key)
                result.umi_duplicate += copies - 1
                copies = 1
            result.counts[sequence] += copies
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


def bowtie_command(
    index: str,
    reads: str,
    unaligned: str,
    extra_args: Sequence[str],
    threads: int = 1,
) -> list[str]:
    """bowtie 1 argument list aligning collapsed FASTA ``reads`` to ``index`` (SAM on stdout).

    ``extra_args`` are the configured alignment settings (e.g. ``-n 0 -l 15 -e 99999 -k 50
    --best --strata --norc``); reads with no alignment go to ``unaligned`` for the next step.
    """
    return [
        "bowtie",
        "-p",
        str(max(1, int(threads))),
        *[str(a) for a in extra_args],
        "-f",
        "--un",
        str(unaligned),
        "-S",
        "--no-unal",
        "-x",
        str(index),
        str(reads),
    ]


def run_bowtie(
    index: str,
    reads: str | os.PathLike[str],
    bam: str | os.PathLike[str],
    unaligned: str | os.PathLike[str],
    extra_args: Sequence[str],
    threads: int = 1,
    log: str | os.PathLike[str] | None = None,
) -> None:
    """Align with bowtie and write an unsorted BAM (reads stay grouped) plus the unaligned FASTA.

    The unaligned FASTA is always written (bowtie skips it when every read aligns). Outputs are
    written under temporary names and renamed when bowtie and samtools both succeed.
    """
    import subprocess

    bam, unaligned = Path(bam), Path(unaligned)
    bam.parent.mkdir(parents=True, exist_ok=True)
    tmp_bam = bam.with_name(f".{bam.name}.tmp")
    tmp_un = unaligned.with_name(f".{unaligned.name}.tmp")
    tmp_un.unlink(missing_ok=True)
    command = bowtie_command(index, str(reads), str(tmp_un), extra_args, threads)
    with open(log or os.devnull, "a") as log_handle:
        log_handle.write(" ".join(command) + "\n")
        log_handle.flush()
        bowtie = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log_handle)
        samtools = subprocess.run(
            ["samtools", "view", "-b", "-o", str(tmp_bam), "-"],
            stdin=bowtie.stdout,
            stderr=log_handle,
            check=False,
        )
        bowtie.stdout.close()
        bowtie_rc = bowtie.wait()
    if bowtie_rc or samtools.returncode:
        tmp_bam.unlink(missing_ok=True)
        tmp_un.unlink(missing_ok=True)
        raise RuntimeError(
            f"bowtie (exit {bowtie_rc}) or samtools (exit {samtools.returncode}) failed on "
            f"{reads}; see {log or 'stderr'}"
        )
    if not tmp_un.exists():
        tmp_un.touch()
    os.replace(tmp_un, unaligned)
    os.replace(tmp_bam, bam)


@dataclass(frozen=True)
class ArmRule:
    """How a hairpin alignment is credited to a mature miRNA of that hairpin (miRDeep2-like).

    The alignment must lie within the mature region widened by ``upstream`` nt on the 5' side
    and ``downstream`` nt on the 3' side, with at most ``max_mismatches`` mismatches (SAM NM).
    """

    upstream: int = 2
    downstream: int = 5
    max_mismatches: int = 1


#: Mature regions per hairpin: hairpin name -> [(mature name, 0-based start, end)].
Arms = Mapping[str, Sequence[tuple[str, int, int]]]


def mature_positions(mature: Mapping[str, str], hairpins: Mapping[str, str]) -> pd.DataFrame:
    """Where each mature sequence occurs (exactly) in each hairpin sequence.

    Returns columns hairpin, mature, start (0-based), end; every occurrence is listed.
    """
    import pandas as pd

    rows = []
    for hairpin, hairpin_seq in hairpins.items():
        for name, mature_seq in mature.items():
            start = hairpin_seq.find(mature_seq)
            while start >= 0:
                rows.append(
                    {
                        "hairpin": hairpin,
                        "mature": name,
                        "start": start,
                        "end": start + len(mature_seq),
                    }
                )
                start = hairpin_seq.find(mature_seq, start + 1)
    return pd.DataFrame(rows, columns=["hairpin", "mature", "start", "end"])


def arms_from_table(table: pd.DataFrame) -> dict[str, list[tuple[str, int, int]]]:
    """The :data:`Arms` mapping from a :func:`mature_positions` table."""
    return _arms_from_rows(table.to_dict("records"))


def read_arms(path: str | os.PathLike[str]) -> dict[str, list[tuple[str, int, int]]]:
    """The :data:`Arms` mapping from a :func:`mature_positions` table saved as TSV."""
    import csv

    with open(path, newline="") as handle:
        return _arms_from_rows(csv.DictReader(handle, delimiter="\t"))


def _arms_from_rows(rows: Iterable[Mapping]) -> dict[str, list[tuple[str, int, int]]]:
    arms: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    for row in rows:
        arms[row["hairpin"]].append((row["mature"], int(row["start"]), int(row["end"])))
    return dict(arms)


def arm_of(
    arms: Arms, hairpin: str, start: int, end: int, mismatches: int, rule: ArmRule
) -> tuple[str, int, int] | None:
    """The mature region (name, start, end) holding hairpin alignment [start, end), or None."""
    if mismatches > rule.max_mismatches:
        return None
    for name, mature_start, mature_end in arms.get(hairpin, ()):
        if start >= mature_start - rule.upstream and end <= mature_end + rule.downstream:
            return name, mature_start, mature_end
    return None


#: isomiR classes of a mature miRNA read, by priority (first that applies).
ISOMIR_CLASSES = ("mismatch", "shifted_5p", "trimmed_3p", "extended_3p", "canonical")


def isomir_class(offset5: int, offset3: int, mismatches: int) -> str:
    """Class of a read relative to its mature sequence.

    ``offset5``/``offset3``: read start/end minus mature start/end (0 = same end). Mismatches
    (incl. non-templated 3' additions) come first, then a shifted 5' end (new seed), then a
    shorter or longer 3' end; otherwise the read is the canonical mature sequence.
    """
    if mismatches:
        return "mismatch"
    if offset5:
        return "shifted_5p"
    if offset3 < 0:
        return "trimmed_3p"
    if offset3 > 0:
        return "extended_3p"
    return "canonical"


@dataclass
class AlignmentCounts:
    """Weighted counts of one BAM.

    ``features``: per reference sequence; ``aligned_copies``: copies of reads with a sense hit;
    ``antisense_only_copies``: copies of reads aligned antisense only (not counted);
    ``arm_features`` / ``arm_copies``: the part of a hairpin BAM credited to mature miRNAs;
    ``isomirs``: mature miRNA -> isomiR class (:data:`ISOMIR_CLASSES`) -> weighted reads.
    """

    features: dict[str, float]
    aligned_copies: int
    antisense_only_copies: int
    arm_features: dict[str, float] = field(default_factory=dict)
    arm_copies: int = 0
    isomirs: dict[str, dict[str, float]] = field(default_factory=dict)


def count_alignments(
    bam: str | os.PathLike[str], arms: Arms | None = None, rule: ArmRule | None = None
) -> AlignmentCounts:
    """Count a bowtie BAM (any order) with the multi-mapper rule of this module.

    Each read's best sense hits (fewest mismatches, SAM NM: bowtie's ``--strata`` only ranks
    seed mismatches) share its copy number evenly (``copies / n`` per hit; a feature hit twice
    by the same read gets two shares). Reads with antisense hits only are not counted
    but reported in ``antisense_only_copies``. With ``arms`` (hairpin BAMs), each hit's share
    also goes to the mature miRNA whose region holds the alignment (:func:`arm_of`); a read with
    at least one such hit counts in ``arm_copies``. isomiR classes are recorded for mature
    BAMs (``arms`` None: the reference is the mature sequence) and for credited hairpin hits.
    """
    import pysam

    rule = rule or ArmRule()
    hits: dict[str, list[tuple[str, int, int, int, int]]] = defaultdict(list)
    antisense: set[str] = set()
    with pysam.AlignmentFile(str(bam), "rb", check_sq=False) as handle:
        for read in handle.fetch(until_eof=True):
            if read.is_unmapped:
                continue
            if read.is_reverse:
                antisense.add(read.query_name)
                continue
            mismatches = read.get_tag("NM") if read.has_tag("NM") else 0
            hits[read.query_name].append(
                (
                    read.reference_name,
                    read.reference_start,
                    read.reference_end,
                    mismatches,
                    handle.get_reference_length(read.reference_name),
                )
            )
    features: dict[str, float] = defaultdict(float)
    arm_features: dict[str, float] = defaultdict(float)
    isomirs: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    aligned = arm_copies = 0
    for name, all_targets in hits.items():
        copies = copy_number(name)
        aligned += copies
        fewest = min(target[3] for target in all_targets)
        targets = [target for target in all_targets if target[3] == fewest]
        share = copies / len(targets)
        in_arm = False
        for target, start, end, mismatches, length in targets:
            features[target] += share
            if arms is None:
                isomirs[target][isomir_class(start, end - length, mismatches)] += share
                continue
            arm = arm_of(arms, target, start, end, mismatches, rule)
            if arm is not None:
                mature, mature_start, mature_end = arm
                arm_features[mature] += share
                isomirs[mature][
                    isomir_class(start - mature_start, end - mature_end, mismatches)
                ] += share
                in_arm = True
        arm_copies += copies if in_arm else 0
    antisense_only = sum(copy_number(name) for name in antisense - hits.keys())
    return AlignmentCounts(
        dict(features),
        aligned,
        antisense_only,
        dict(arm_features),
        arm_copies,
        {mature: dict(classes) for mature, classes in isomirs.items()},
    )


def merge_isomirs(*tables: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Sum isomiR class counts of several BAMs (mature and hairpin steps)."""
    merged: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for table in tables:
        for mature, classes in table.items():
            for name, value in classes.items():
                merged[mature][name] += value
    return {mature: dict(classes) for mature, classes in merged.items()}


def isomir_table(per_sample: Mapping[str, Mapping[str, Mapping[str, float]]]) -> pd.DataFrame:
    """Long isomiR summary: sample, feature, one column per class, total (reads, 2 decimals)."""
    import pandas as pd

    rows = []
    for sample in sorted(per_sample):
        for mature in sorted(per_sample[sample]):
            classes = per_sample[sample][mature]
            row = {"sample": sample, "feature": mature}
            row.update({name: round(classes.get(name, 0.0), 2) for name in ISOMIR_CLASSES})
            row["total"] = round(sum(classes.values()), 2)
            rows.append(row)
    return pd.DataFrame(rows, columns=["sample", "feature", *ISOMIR_CLASSES, "total"])


def add_counts(*counts: Mapping[str, float]) -> dict[str, float]:
    """Sum per-feature counts."""
    total: dict[str, float] = defaultdict(float)
    for mapping in counts:
        for feature, value in mapping.items():
            total[feature] += value
    return dict(total)


def round_counts(values: pd.DataFrame) -> pd.DataFrame:
    """Round fractional counts half away from zero to integers (matrix-level rounding)."""
    return values.apply(lambda column: (column + 0.5).apply(math.floor)).astype("int64")


def count_matrix(
    per_sample: Mapping[str, Mapping[str, float]], features: Sequence[str]
) -> pd.DataFrame:
    """Matrix contract: column ``feature`` (every reference feature), then one int per sample."""
    import pandas as pd

    frame = pd.DataFrame(
        {sample: pd.Series(counts, dtype=float) for sample, counts in per_sample.items()},
        index=pd.Index(list(features), name="feature"),
    ).fillna(0.0)
    unknown = set().union(*[set(c) for c in per_sample.values()]) - set(features)
    if unknown:
        raise ValueError(f"counts for features missing from the reference: {sorted(unknown)[:5]}")
    return round_counts(frame[sorted(per_sample)]).reset_index()


@dataclass
class SampleFate:
    """Every input read of one sample, accounted for (see :data:`FATE_PARTITION`)."""

    sample: str
    input: int
    adapter_found: int
    no_adapter_discarded: int
    too_short: int
    too_long: int
    umi_duplicate: int
    contaminant: int
    mature: int
    hairpin_only: int
    unassigned: int

    def check(self) -> None:
        """Raise if the partition columns do not add up to the input (a bug, not user error)."""
        total = sum(getattr(self, column) for column in FATE_PARTITION)
        if total != self.input:
            raise RuntimeError(
                f"read fate of sample {self.sample} does not add up: {total} != {self.input} "
                f"({asdict(self)})"
            )


def sample_fate(
    sample: str,
    trims: Sequence[TrimReport],
    collapsed: Mapping[str, int],
    contaminant: AlignmentCounts | None,
    mature: AlignmentCounts,
    hairpin: AlignmentCounts,
    unaligned_copies: int,
) -> SampleFate:
    """Account for every input read of a sample from the reports of each step.

    ``collapsed`` holds the collapse step's numbers (too_short, too_long, umi_duplicate, no_umi).
    A contaminant hit on either strand makes a read a contaminant; reads of the hairpin step
    credited to a mature arm count as ``mature``; reads that bowtie aligned to mature or hairpin
    sequences only antisense are ``unassigned`` (bowtie does not pass them on).
    """
    fate = SampleFate(
        sample=sample,
        input=sum(t.input for t in trims),
        adapter_found=sum(t.adapter_found for t in trims),
        no_adapter_discarded=sum(t.no_adapter_discarded for t in trims)
        + int(collapsed.get("no_umi", 0)),
        too_short=int(collapsed["too_short"]),
        too_long=int(collapsed["too_long"]),
        umi_duplicate=int(collapsed.get("umi_duplicate", 0)),
        contaminant=(
            contaminant.aligned_copies + contaminant.antisense_only_copies if contaminant else 0
        ),
        mature=mature.aligned_copies + hairpin.arm_copies,
        hairpin_only=hairpin.aligned_copies - hairpin.arm_copies,
        unassigned=unaligned_copies + mature.antisense_only_copies + hairpin.antisense_only_copies,
    )
    fate.check()
    return fate


def read_fate_table(
    fates: Sequence[SampleFate], min_adapter_fraction: float
) -> tuple[pd.DataFrame, list[str]]:
    """Read fate table with ``adapter_fraction`` and ``adapter_warning``; and warning messages."""
    import pandas as pd

    frame = pd.DataFrame([asdict(f) for f in fates])
    frame["adapter_fraction"] = frame["adapter_found"] / frame["input"].where(frame["input"] > 0)
    frame["adapter_fraction"] = frame["adapter_fraction"].fillna(0.0).round(4)
    frame["adapter_warning"] = frame["adapter_fraction"] < min_adapter_fraction
    warnings = [
        f"sample {row.sample}: adapter found in only {row.adapter_fraction:.1%} of reads "
        f"(threshold {min_adapter_fraction:.0%}). Check the protocol/adapter in units.tsv."
        for row in frame.itertuples()
        if row.adapter_warning
    ]
    return frame.sort_values("sample").reset_index(drop=True), warnings


def qc_gate(mature_reads: Mapping[str, float], min_mirna_reads: int) -> pd.DataFrame:
    """exceRpt-like gate: a sample passes with at least ``min_mirna_reads`` mature miRNA reads.

    Returns columns sample, passed (bool), mirna_reads, reason (empty when passed).
    """
    import pandas as pd

    rows = []
    for sample in sorted(mature_reads):
        reads = math.floor(mature_reads[sample] + 0.5)
        passed = reads >= min_mirna_reads
        reason = (
            ""
            if passed
            else f"only {reads} reads assigned to mature miRNAs (< min_mirna_reads = "
            f"{min_mirna_reads}); sample excluded from differential expression"
        )
        rows.append({"sample": sample, "passed": passed, "mirna_reads": reads, "reason": reason})
    return pd.DataFrame(rows, columns=["sample", "passed", "mirna_reads", "reason"])


def insert_length_table(lengths: Mapping[str, Mapping[int, int]]) -> pd.DataFrame:
    """Long table sample, length, reads (all trimmed inserts, before the length window)."""
    import pandas as pd

    rows = [
        {"sample": sample, "length": int(length), "reads": int(reads)}
        for sample in sorted(lengths)
        for length, reads in sorted(lengths[sample].items())
    ]
    return pd.DataFrame(rows, columns=["sample", "length", "reads"])


def plot_insert_lengths(
    table: pd.DataFrame, path: str | os.PathLike[str], window: tuple[int, int]
) -> None:
    """Line plot of the insert length distribution (fraction of reads) per sample."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    lengths = range(0, int(table["length"].max()) + 1) if len(table) else range(0)
    for sample, group in table.groupby("sample"):
        reads = group.set_index("length")["reads"].reindex(lengths, fill_value=0)
        if reads.sum():
            ax.plot(reads.index, reads / reads.sum(), label=sample, linewidth=1.2)
    ax.axvspan(window[0], window[1], color="grey", alpha=0.15, label="kept window")
    ax.set_xlabel("insert length after adapter trimming (nt)")
    ax.set_ylabel("fraction of reads")
    ax.set_title("Small-RNA insert lengths")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.tmp{target.suffix}")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, target)


def plot_read_fate(fate: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Stacked bars: fraction of each sample's input reads per fate (:data:`FATE_PARTITION`)."""
    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = fate.set_index("sample")[list(FATE_PARTITION)]
    fractions = table.div(table.sum(axis=1).where(table.sum(axis=1) > 0), axis=0).fillna(0.0)
    fig, ax = plt.subplots(figsize=(7, 1.2 + 0.35 * len(fractions)))
    left = pd.Series(0.0, index=fractions.index)
    colours = plt.get_cmap("tab10").colors
    for column, colour in zip(FATE_PARTITION, colours, strict=False):
        ax.barh(fractions.index, fractions[column], left=left, color=colour, label=column)
        left += fractions[column]
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of input reads")
    ax.invert_yaxis()
    ax.legend(
        fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.25 - 0.3 / len(fractions))
    )
    ax.set_title("Small-RNA read fate")
    fig.tight_layout()
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.tmp{target.suffix}")
    fig.savefig(tmp, dpi=120, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, target)


# Paths of the rule file (workflow/rules/smallrna.smk) that depend on the configuration.


def alignment_steps(contaminants: str) -> list[str]:
    """bowtie steps in order: contaminant screening (when configured), mature, hairpin."""
    return (["contaminants"] if contaminants else []) + ["mature", "hairpin"]


def reference_inputs(source: str) -> list[str]:
    """A local reference file as rule input; nothing for a URL (the rule downloads it)."""
    from esccrt.references import is_url

    return [] if is_url(source) else [source]


def align_input(steps: Sequence[str], ref: str, sample: str) -> str:
    """Reads for a bowtie step: the collapsed reads first, then what the previous step left."""
    step = steps.index(ref)
    if step == 0:
        return f"results/smallrna/collapsed/{sample}.fa"
    return f"results/smallrna/bowtie/{steps[step - 1]}/{sample}.unaligned.fa"


def count_inputs(steps: Sequence[str], sample: str, unit_names: Sequence[str]) -> dict:
    """Inputs of a sample's counting job: trim reports, collapse stats, BAMs, leftovers, arms."""
    inputs: dict[str, object] = {
        "trim_json": [f"results/smallrna/trimmed/{sample}/{unit}.trim.json" for unit in unit_names],
        "stats": f"results/smallrna/collapsed/{sample}.json",
        "unaligned": f"results/smallrna/bowtie/{steps[-1]}/{sample}.unaligned.fa",
        "arms": "results/smallrna/reference/mature_in_hairpin.tsv",
    }
    for ref in steps:
        inputs[ref] = f"results/smallrna/bowtie/{ref}/{sample}.bam"
    return inputs


def write_json_atomic(data: object, path: str | os.PathLike[str]) -> None:
    """Write ``data`` as indented JSON through :func:`atomic_write`."""
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
