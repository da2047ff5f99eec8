"""Synthetic per-unit outputs of the mRNA arm, for its aggregate rules at cohort scale (issue 26,
items 4 and 8): what rules mrna_count, mrna_strandedness, mrna_align_hisat2, mrna_cutadapt and
mrna_samtools_stats write for each unit, under a results folder laid out as the workflow lays it
out (esccrt.paths), one unit (``lane1``) per sample.

The count tables are the project's own writer's (htseq-count's format, :data:`GENES` genes as a
human GENCODE annotation has, gamma-Poisson counts with a library size per sample); the
strandedness rows have the columns rule mrna_strandedness writes; the HISAT2 summary, cutadapt
JSON and ``samtools stats`` files hold the lines the aggregates read (the overall alignment
rate; ``read_counts``; the ``SN`` header and the ``IS`` insert size lines). Seeded: the same N
gives the same files; the per-gene sums of the tables are kept beside them (``gene_sums.npy``)
for the count matrix check.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

#: Genes of the synthetic annotation (GENCODE human: about 60,000 genes).
GENES = 60_000
SEED = 20261208
UNIT = "lane1"
#: Insert sizes of the samtools stats files: 1 to this many bp.
MAX_INSERT = 700


def sample_names(n: int) -> list[str]:
    """The synthetic samples' names (sorted as the workflow sorts them)."""
    return [f"mrna_{k:05d}" for k in range(1, n + 1)]


def unit_keys(n: int) -> list[tuple[str, str]]:
    """(sample, unit) of every unit of the cohort of ``n`` samples."""
    return [(sample, UNIT) for sample in sample_names(n)]


def gene_names() -> dict[str, str]:
    """Gene id -> gene name of the synthetic annotation, in the tables' (sorted) order."""
    return {f"ENSG{g:011d}": f"GENE{g}" for g in range(GENES)}


def _write_unit(
    folder: Path, sample: str, rng: np.random.Generator, base: np.ndarray
) -> np.ndarray:
    """One unit's five files; returns its gene counts."""
    from esccrt import paths
    from esccrt.io import write_tsv_atomic
    from esccrt.mrna.htseq_table import SPECIAL_COUNTERS, CountResult, write_htseq_table

    def at(pattern: str, **wildcards: str) -> Path:
        path = folder / paths.fill(pattern, sample=sample, unit=UNIT, **wildcards)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    import pandas as pd

    counts = rng.poisson(base * rng.uniform(0.5, 1.5))
    names = gene_names()
    result = CountResult(dict(zip(names, map(int, counts), strict=True)))
    assigned = int(counts.sum())
    special = [int(assigned * share) for share in (0.08, 0.02, 0.01, 0.05, 0.04)]
    result.special.update(dict(zip(SPECIAL_COUNTERS, special, strict=True)))
    write_htseq_table(result, names, at(paths.MRNA_UNIT_COUNTS))
    pairs = assigned + sum(special)
    row = {
        "sample": sample,
        "unit": UNIT,
        "sheet": "auto",
        "inferred": "reverse",
        "fraction_forward": 0.03,
        "fraction_reverse": 0.97,
        "fraction_undetermined": 0.01,
        "reads_used": 200000,
        "reads_informative": 190000,
        "used": "reverse",
        "agreement": "inferred",
    }
    write_tsv_atomic(pd.DataFrame([row]), at(paths.MRNA_UNIT_STRANDEDNESS))
    rate = 100 * (1 - special[3] / pairs)
    at(paths.MRNA_ALIGNER_SUMMARY["hisat2"], aligner="hisat2").write_text(
        f"{pairs} reads; of these:\n  {pairs} (100.00%) were paired; of these:\n"
        f"{rate:.2f}% overall alignment rate\n"
    )
    raw = int(pairs * 1.02)
    at(paths.MRNA_CUTADAPT_JSON).write_text(
        json.dumps({"read_counts": {"input": raw, "output": pairs}})
    )
    sizes = np.bincount(
        rng.normal(250, 55, 20_000).astype(int).clip(1, MAX_INSERT), minlength=MAX_INSERT + 1
    )
    lines = [f"IS\t{size}\t{n}\t{n}\t0\t0\n" for size, n in enumerate(sizes)]
    at(paths.SAMTOOLS_STATS).write_text(f"SN\traw total sequences:\t{2 * pairs}\n" + "".join(lines))
    return counts


def write_cohort(folder: Path, n: int) -> list[tuple[str, str]]:
    """The per-unit files of ``n`` synthetic mRNA samples under ``folder`` (made once: a marker
    file records the finished size); returns the unit keys."""
    marker = folder / ".mrna_cohort_ready"
    if marker.exists() and marker.read_text().strip() == str(n):
        return unit_keys(n)
    rng = np.random.default_rng(SEED)
    base = rng.gamma(0.3, 200, GENES)
    sums = np.zeros(GENES, dtype=np.int64)
    for sample, _unit in unit_keys(n):
        sums += _write_unit(folder, sample, rng, base)
    np.save(folder / "gene_sums.npy", sums)
    marker.write_text(f"{n}\n")
    return unit_keys(n)
