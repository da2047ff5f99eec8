"""Memory and size helpers the mRNA rules use to declare their resources."""

from __future__ import annotations

import os


def file_size(path: str | os.PathLike[str]) -> int:
    """Size in bytes of ``path``; 1 when it does not exist yet (dry run, download pending)."""
    return os.path.getsize(path) if os.path.exists(path) else 1


def index_mem_mb(genome_bytes: int, aligner: str, splice_sites: bool = True) -> int:
    """Memory (MB) to declare for building an index of a genome of ``genome_bytes`` bytes.

    Rough published needs for the human genome (3.1 Gb): STAR ~32 GB; HISAT2 ~8 GB plain and
    ~160 GB with splice sites and exons. Scaled linearly, never below 2 GB.
    """
    per_byte = {"star": 11.0, "hisat2": 55.0 if splice_sites else 3.0}[aligner]
    return max(2000, int(genome_bytes * per_byte / 1e6))
