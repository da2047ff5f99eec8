"""mRNA alignment: HISAT2/STAR/samtools command lines, a two-command pipe, the aligners' logs.

Tools are called with argument lists built here (never a shell string containing sheet values).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO


def hisat2_build_args(
    genome: str,
    prefix: str,
    threads: int = 1,
    splice_sites: str | None = None,
    exons: str | None = None,
) -> list[str]:
    """``hisat2-build`` command; with ``splice_sites``/``exons`` files the index knows the GTF."""
    args = ["hisat2-build", "-p", str(threads)]
    if splice_sites:
        args += ["--ss", splice_sites]
    if exons:
        args += ["--exon", exons]
    return [*args, genome, prefix]


def hisat2_args(
    index_prefix: str,
    fq1: str,
    summary_file: str,
    fq2: str | None = None,
    threads: int = 1,
    read_group: tuple[str, str] | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """``hisat2`` command writing SAM to stdout (unaligned reads kept, for the read fate).

    ``read_group`` is (ID, SM). The alignment summary goes to ``summary_file`` in the
    ``--new-summary`` format, the one MultiQC's HISAT2 module reads.
    """
    args = ["hisat2", "-p", str(threads), "-x", index_prefix, "--new-summary"]
    args += ["-1", fq1, "-2", fq2] if fq2 else ["-U", fq1]
    args += ["--summary-file", summary_file]
    if read_group:
        args += ["--rg-id", read_group[0], "--rg", f"SM:{read_group[1]}"]
    return [*args, *extra]


def samtools_sort_args(
    output: str, tmp_prefix: str, threads: int = 1, mem_mb_per_thread: int = 768
) -> list[str]:
    """``samtools sort`` reading SAM/BAM on stdin and writing a coordinate-sorted BAM."""
    return [
        "samtools",
        "sort",
        "-@",
        str(max(threads - 1, 0)),
        "-m",
        f"{mem_mb_per_thread}M",
        "-T",
        tmp_prefix,
        "-o",
        output,
        "-",
    ]


class PipeStalledError(RuntimeError):
    """The producer of a pipe stopped writing but did not exit (both processes were killed)."""


def bytes_written(pid: int) -> int | None:
    """Bytes process ``pid`` has written (``wchar`` of /proc/PID/io: to its pipe, files and
    terminal), or None where the kernel does not say (not Linux, or the process is gone)."""
    try:
        with open(f"/proc/{pid}/io") as handle:
            for line in handle:
                if line.startswith("wchar:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def run_pipe(
    producer: Sequence[str],
    consumer: Sequence[str],
    err: IO | None = None,
    stall_seconds: float | None = None,
    poll_seconds: float = 5.0,
) -> None:
    """Run ``producer | consumer`` (both argument lists), their messages to ``err``.

    With ``stall_seconds``, a producer that has written and then writes nothing more for that
    long while it keeps running is taken as hung: both processes are killed and
    :class:`PipeStalledError` raised (the caller's outputs are temporary files, so nothing is left
    half-written). HISAT2 2.2.1 hangs so, rarely, after its last read with several threads: a
    worker thread spinning in ``sched_yield`` and the main thread waiting for it in
    ``pthread_join`` (seen here once, `-p 2`; HISAT2's issues on GitHub report the same).
    Before its first byte (an index loading) a producer is never taken as hung.
    """
    if err is not None:
        err.flush()
    first = subprocess.Popen(producer, stdout=subprocess.PIPE, stderr=err)
    second = subprocess.Popen(consumer, stdin=first.stdout, stderr=err)
    assert first.stdout is not None
    first.stdout.close()
    if stall_seconds is not None:
        _watch(first, second, stall_seconds, poll_seconds)
    code_second = second.wait()
    code_first = first.wait()
    if code_first or code_second:
        raise RuntimeError(
            f"{producer[0]} (exit {code_first}) | {consumer[0]} (exit {code_second}) failed"
        )


def _watch(
    first: subprocess.Popen, second: subprocess.Popen, stall_seconds: float, poll_seconds: float
) -> None:
    """Wait for ``first`` to exit; kill both and raise :class:`PipeStalledError` when it stops
    writing for ``stall_seconds`` after it has started."""
    written, since = 0, time.monotonic()
    while first.poll() is None:
        now = bytes_written(first.pid)
        if now is None:  # no /proc: wait as without a watchdog
            return
        if now != written:
            written, since = now, time.monotonic()
        elif written and time.monotonic() - since >= stall_seconds:
            first.kill()
            second.kill()
            first.wait()
            second.wait()
            raise PipeStalledError(
                f"{first.args[0]} wrote nothing for {stall_seconds:.0f} s without exiting "
                f"(after {written:,} bytes): killed"
            )
        with contextlib.suppress(subprocess.TimeoutExpired):
            first.wait(timeout=poll_seconds)


def run_pipe_retrying(
    producer: Sequence[str],
    consumer: Sequence[str],
    err: IO | None,
    stall_seconds: float,
    attempts: int = 2,
    poll_seconds: float = 5.0,
) -> None:
    """:func:`run_pipe` with its stall watchdog, run again when the producer hung (up to
    ``attempts`` runs in all; the hang is rare and does not repeat on the same input)."""
    for attempt in range(1, attempts + 1):
        try:
            run_pipe(producer, consumer, err, stall_seconds, poll_seconds)
            return
        except PipeStalledError as stalled:
            if attempt == attempts:
                raise PipeStalledError(f"{stalled} in each of {attempts} runs") from None
            if err is not None:
                print(f"{stalled}; running it again (run {attempt + 1})", file=err, flush=True)


def star_sa_index_nbases(genome_length: int) -> int:
    """STAR's ``--genomeSAindexNbases``: min(14, log2(genome length)/2 - 1) (STAR manual)."""
    return max(1, min(14, int(math.log2(max(genome_length, 2)) / 2 - 1)))


def star_index_args(
    genome: str, gtf: str, outdir: str, genome_length: int, *, threads: int = 1, overhang: int
) -> list[str]:
    """``STAR --runMode genomeGenerate`` command with the annotation's splice junctions;
    ``overhang`` is ``mrna.star.sjdb_overhang``."""
    return [
        "STAR",
        "--runMode",
        "genomeGenerate",
        "--runThreadN",
        str(threads),
        "--genomeDir",
        outdir,
        "--genomeFastaFiles",
        genome,
        "--sjdbGTFfile",
        gtf,
        "--sjdbOverhang",
        str(overhang),
        "--genomeSAindexNbases",
        str(star_sa_index_nbases(genome_length)),
    ]


def star_args(
    index_dir: str,
    fq1: str,
    out_prefix: str,
    fq2: str | None = None,
    threads: int = 1,
    sort_mem_mb: int = 2000,
    extra: Sequence[str] = (),
) -> list[str]:
    """``STAR`` alignment to a coordinate-sorted BAM keeping unmapped reads and the NH tag."""
    reads = [fq1, fq2] if fq2 else [fq1]
    args = [
        "STAR",
        "--runThreadN",
        str(threads),
        "--genomeDir",
        index_dir,
        "--readFilesIn",
        *reads,
    ]
    if fq1.endswith(".gz"):
        args += ["--readFilesCommand", "zcat"]
    args += [
        "--outSAMtype",
        "BAM",
        "SortedByCoordinate",
        "--outSAMunmapped",
        "Within",
        "--outSAMattributes",
        "NH",
        "HI",
        "AS",
        "nM",
        "--limitBAMsortRAM",
        str(sort_mem_mb * 1024 * 1024),
        "--outFileNamePrefix",
        out_prefix,
    ]
    return [*args, *extra]


def parse_aligner_log(path: str | os.PathLike[str], aligner: str) -> float | None:
    """Fraction of reads (pairs) aligned, from a HISAT2 summary or a STAR ``Log.final.out``.

    HISAT2: its "overall alignment rate". STAR: uniquely mapped + mapped to multiple loci.
    None when the log has no such line.
    """
    text = Path(path).read_text()
    if aligner == "hisat2":
        match = re.search(r"([\d.]+)% overall alignment rate", text) or re.search(
            r"Overall alignment rate:\s*([\d.]+)%", text
        )
        return float(match.group(1)) / 100 if match else None
    unique = re.search(r"Uniquely mapped reads %\s*\|\s*([\d.]+)%", text)
    multi = re.search(r"% of reads mapped to multiple loci\s*\|\s*([\d.]+)%", text)
    if unique is None:
        return None
    return (float(unique.group(1)) + (float(multi.group(1)) if multi else 0.0)) / 100
