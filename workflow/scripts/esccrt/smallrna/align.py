"""Alignment: bowtie 1 on the collapsed inserts, one reference after the other.

Contaminants (optional), then mature, then hairpin sequences; each step takes the reads the
previous one left (bowtie's ``--un``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


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
