"""Explaining unreadable FASTQ files to the person who has to fix them.

cutadapt is the first tool to read every FASTQ file and it already refuses truncated gzip files,
records whose sequence and quality lengths differ and mates out of step; this module turns its
last error line into a message that names the sample, the unit, the files and the likely fix.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from esccrt.errors import InputError

#: (words of cutadapt's error, what it means for the user and how to fix it).
_KNOWN_PROBLEMS = (
    (
        "Compressed file ended before the end-of-stream marker",
        "the gzip file is truncated (an interrupted download or copy). Copy it again and "
        "compare its checksum (md5sum) with the sequencing provider's.",
    ),
    (
        "Length of sequence and qualities differ",
        "a FASTQ record has a quality line of a different length than its sequence: the file "
        "is corrupt or was edited. Get the original file again.",
    ),
    (
        "improperly paired",
        "the two mates (fq1 and fq2) do not have the same reads in the same order (one is "
        "incomplete, or they belong to different runs). Check both files are complete and "
        "belong together.",
    ),
    (
        "Not a gzipped file",
        "the file ends in .gz but is not gzip-compressed (an HTML error page from a download?). "
        "Look at its first lines (zcat/less) and get the FASTQ again.",
    ),
    (
        "Error in FASTQ file",
        "the file is not valid FASTQ (a record must be 4 lines: @name, sequence, +, quality). "
        "Get the original file again.",
    ),
)


def explain_read_failure(tool_output: str, where: str, files: Sequence[str]) -> str:
    """A message for a failed read of ``files`` (of ``where``, e.g. 'sample x, unit y').

    ``tool_output`` is the tool's stderr/log text; its last non-empty line is quoted, and a known
    problem (truncated gzip, sequence/quality length, unpaired mates, not gzip) is explained.
    """
    lines = [line.strip() for line in tool_output.splitlines() if line.strip()]
    last = lines[-1] if lines else "(no message)"
    meaning = next(
        (hint for words, hint in _KNOWN_PROBLEMS if any(words in line for line in lines[-5:])),
        "see the log for the tool's message.",
    )
    shown = " and ".join(f"'{f}'" for f in files)
    return (
        f"{where}: the reads in {shown} could not be read ({last}). Most likely {meaning} "
        "The file is listed in the units sheet (config/units.tsv, columns fq1/fq2)."
    )


def run_reading_reads(
    command: Sequence[str],
    where: str,
    files: Sequence[str],
    log: IO[str],
    stdout: IO | None = None,
) -> None:
    """Run a tool that reads ``files``; on failure raise :class:`InputError` explaining why.

    The tool's messages go to ``log`` (the rule's log file, which must be readable again by
    name via ``log.name``) as usual; the explanation is also printed to the terminal.
    """
    log.flush()
    start = log.tell()
    result = subprocess.run(
        list(command), stdout=stdout if stdout is not None else log, stderr=log, check=False
    )
    if result.returncode:
        log.flush()
        with open(log.name) as handle:
            handle.seek(start)
            output = handle.read()
        message = explain_read_failure(output, where, files)
        print(f"Input error: {message}", file=sys.__stderr__)
        raise InputError(message)


def temporary_output(path: str) -> str:
    """A hidden name beside ``path`` keeping its extension (tools pick compression from it).

    Tools write there; the rule script renames it onto ``path`` only after success, so a crash
    never leaves a complete-looking output: ``a/b.fastq.gz`` -> ``a/.tmp.b.fastq.gz``.
    """
    head, _, name = path.rpartition("/")
    return f"{head}/.tmp.{name}" if head else f".tmp.{name}"


@contextlib.contextmanager
def temporary_outputs(paths: Sequence[str]) -> Iterator[list[str]]:
    """Temporary names for ``paths`` (see :func:`temporary_output`) for a tool to write to.

    When the block succeeds they are renamed onto ``paths``; when it fails they are deleted, so
    neither a partial output nor a stray temporary file is left behind.
    """
    temporary = [temporary_output(str(path)) for path in paths]
    try:
        yield temporary
        for tmp, final in zip(temporary, paths, strict=True):
            os.replace(tmp, final)
    except BaseException:
        for tmp in temporary:
            Path(tmp).unlink(missing_ok=True)
        raise
