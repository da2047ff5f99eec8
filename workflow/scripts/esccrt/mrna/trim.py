"""mRNA trimming: a unit's 3' adapters, cutadapt's arguments, its run and its JSON report.

Tools are called with argument lists built here (never a shell string containing sheet values).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from esccrt.errors import InputError
from esccrt.sheets import ADAPTER_PATTERN


def adapters_for(
    protocol: str,
    adapter: str,
    presets: Mapping[str, Mapping[str, str]],
    paired: bool,
    where: str = "units sheet",
) -> tuple[str, str | None]:
    """The 3' adapters (read 1, read 2) of a unit.

    ``protocol`` is a key of ``presets`` (e.g. ``truseq``/``nextera``, each with ``r1`` and ``r2``
    sequences) or ``custom``; an empty protocol means ``truseq``. With ``custom``, ``adapter`` is
    one sequence (used for both reads) or ``R1SEQ,R2SEQ``. Read 2's adapter is None when
    single-end. ``where`` names the sheet row for the error message.
    """
    protocol = (protocol or "truseq").strip().lower()
    adapter = (adapter or "").strip().upper()
    if protocol == "custom":
        parts = [part.strip() for part in adapter.split(",")] if adapter else []
        if not parts or len(parts) > 2 or not all(ADAPTER_PATTERN.match(part) for part in parts):
            raise InputError(
                f"{where}: protocol 'custom' needs the adapter column to hold the 3' adapter "
                f"sequence (A/C/G/T/N), or two separated by a comma for read 1 and read 2; "
                f"got {adapter!r}."
            )
        r1 = parts[0]
        r2 = parts[-1]
    elif protocol in presets:
        if adapter:
            raise InputError(
                f"{where}: the adapter column is only read with protocol 'custom', but protocol "
                f"is {protocol!r}. Empty the adapter column or set protocol to 'custom'."
            )
        r1, r2 = presets[protocol]["r1"], presets[protocol]["r2"]
    else:
        known = ", ".join([*sorted(presets), "custom"])
        raise InputError(f"{where}: unknown protocol {protocol!r} for mRNA; use one of {known}.")
    return r1, (r2 if paired else None)


def cutadapt_args(
    *,
    fq1: str,
    out1: str,
    adapter_r1: str,
    min_length: int,
    json_report: str,
    fq2: str | None = None,
    out2: str | None = None,
    adapter_r2: str | None = None,
    quality_cutoff: int,
    cores: int = 1,
    extra: Sequence[str] = (),
) -> list[str]:
    """Arguments of cutadapt (after the program name) for single- or paired-end trimming.

    Paired-end needs ``fq2``, ``out2`` and ``adapter_r2`` together; read pairs where either read
    gets shorter than ``min_length`` are dropped (cutadapt's ``--pair-filter=any``).
    """
    paired_parts = (fq2, out2, adapter_r2)
    if any(part is not None for part in paired_parts) and not all(
        part is not None for part in paired_parts
    ):
        raise ValueError("paired-end trimming needs fq2, out2 and adapter_r2 together")
    if min_length < 1:
        raise InputError(f"mrna.trimming.min_length must be at least 1, got {min_length}.")
    args = [
        "--cores",
        str(cores),
        "-a",
        adapter_r1,
    ]
    if adapter_r2 is not None:
        args += ["-A", adapter_r2]
    args += [
        "--quality-cutoff",
        str(quality_cutoff),
        "--minimum-length",
        str(min_length),
        "--json",
        json_report,
        *extra,
        "-o",
        out1,
    ]
    if fq2 is not None:
        args += ["-p", str(out2), fq1, fq2]
    else:
        args += [fq1]
    return args


def parse_cutadapt_json(path: str | os.PathLike[str]) -> tuple[int, int]:
    """(reads or pairs in, reads or pairs written) from a cutadapt ``--json`` report."""
    import json

    counts = json.loads(Path(path).read_text())["read_counts"]
    return int(counts["input"]), int(counts["output"])
