"""RNA class screening: collapsed reads aligned to each configured class in order.

Serum and plasma libraries hold many reads of rRNA, tRNA, Y RNA, sno/snRNA and other RNAs
besides miRNAs (exceRpt and miRTrace report them by class). Left in, some of them align to
miRBase entries that are fragments of such RNAs (e.g. hsa-miR-4485-3p, from the mitochondrial
16S rRNA) and rise to the top of the miRNA table. Each class takes the reads the previous class
left (bowtie ``--un``), so a read counts for the first class it aligns to, on either strand; the
reads left by the last class go on to the mature miRNA step.

A class's reads are the copies that went in minus the copies that came out unaligned, which is
exactly what a plain ``bowtie --un`` chain over the same classes gives.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from esccrt.smallrna.align import bowtie_command
from esccrt.smallrna.collapse import fasta_totals


@dataclass(frozen=True)
class ClassCount:
    """Reads (copy-number weighted) and distinct sequences that one RNA class took."""

    reads: int
    sequences: int


def fasta_tally(path: str | os.PathLike[str]) -> ClassCount:
    """Copies and distinct sequences of a collapsed FASTA (``>seqN_xCOUNT``); 0 for no file."""
    return ClassCount(*fasta_totals(path))


def _screen_one(
    index: str,
    reads: Path,
    unaligned: Path,
    extra_args: Sequence[str],
    threads: int,
    log_handle,
) -> None:
    """One class: bowtie with alignments discarded, the unaligned reads kept (always written)."""
    unaligned.unlink(missing_ok=True)
    command = bowtie_command(index, str(reads), str(unaligned), extra_args, threads)
    log_handle.write(" ".join(command) + "\n")
    log_handle.flush()
    status = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=log_handle, check=False
    ).returncode
    if status:
        unaligned.unlink(missing_ok=True)
        raise RuntimeError(f"bowtie (exit {status}) failed on {reads} against {index}")
    if not unaligned.exists():  # bowtie writes no --un file when every read aligned
        unaligned.touch()


def screen_classes(
    reads: str | os.PathLike[str],
    classes: Sequence[tuple[str, str]],
    unscreened: str | os.PathLike[str],
    extra_args: Sequence[str],
    threads: int = 1,
    log: str | os.PathLike[str] | None = None,
) -> dict[str, ClassCount]:
    """Screen collapsed ``reads`` against ``classes`` ((name, bowtie index) in order).

    Returns the reads and sequences each class took, in class order, and writes the reads no
    class took to ``unscreened`` (renamed into place only when every step succeeded).
    """
    target = Path(unscreened)
    target.parent.mkdir(parents=True, exist_ok=True)
    current = Path(reads)
    before = fasta_tally(current)
    counts: dict[str, ClassCount] = {}
    steps = [target.with_name(f".{target.name}.{step}.tmp") for step in range(len(classes))]
    try:
        with open(log or os.devnull, "a") as log_handle:
            for (name, index), step_output in zip(classes, steps, strict=True):
                _screen_one(index, current, step_output, extra_args, threads, log_handle)
                after = fasta_tally(step_output)
                counts[name] = ClassCount(
                    before.reads - after.reads, before.sequences - after.sequences
                )
                log_handle.write(f"{name}: {counts[name]}\n")
                if current != Path(reads):
                    current.unlink()
                current, before = step_output, after
        if current == Path(reads):  # no class configured: pass the reads on unchanged
            target.write_bytes(current.read_bytes())
        else:
            os.replace(current, target)
    finally:
        for step_output in steps:
            step_output.unlink(missing_ok=True)
    return counts
