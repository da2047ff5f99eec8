"""Snakefile path helpers of the mRNA arm (to be folded into a project-wide ``esccrt.paths``)."""

from __future__ import annotations

from collections.abc import Iterable


def trimmed_reads(sample: str, unit: str, paired: bool) -> dict[str, str]:
    """The trimmed FASTQ(s) of a unit, as named inputs r1 (and r2 when paired)."""
    base = f"results/mrna/trimmed/{sample}/{sample}.{unit}"
    if paired:
        return {"r1": f"{base}.1.fastq.gz", "r2": f"{base}.2.fastq.gz"}
    return {"r1": f"{base}.se.fastq.gz"}


def unit_paths(pattern: str, unit_keys: Iterable[tuple[str, str]]) -> list[str]:
    """``pattern`` formatted with each (sample, unit)."""
    return [pattern.format(sample=sample, unit=unit) for sample, unit in unit_keys]
