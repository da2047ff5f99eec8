"""Memory and run time each heavy job asks for, computed from the sizes of its inputs.

A cluster kills a job that uses more memory or time than it asked for, and queues a job that asks
for too much: an index build sized for yeast dies on a human genome. Every request here grows
with the job's inputs, from numbers that are cheap when Snakemake builds its plan: file sizes,
the FASTA index (``.fai``) of a genome, the number of samples. Nothing reads a genome or reads.
A size that does not exist yet (a download, an index built earlier in the same run) raises
:class:`FileNotFoundError`; a dry run then shows the value as ``<TBD>`` and Snakemake computes it
when the job is about to run. ``snakemake -n`` prints the requests of every planned job.

Formulas (memory in MB, run time in minutes; Gb = 1e9 bases, GB = 1e9 bytes):

=====================  ========================================  ===============================
job                    memory                                    run time
=====================  ========================================  ===============================
index build            max(floor, bytes/base x genome bases)     30 + CPU-min/Gb x Gb / threads
  HISAT2               3 B/base (8 GB for GRCh38), floor 500     200 CPU-min per Gb
  HISAT2 --ss/--exon   52 B/base (~160 GB for GRCh38)            600 CPU-min per Gb
  STAR                 11 B/base (~32 GB for GRCh38), floor 2000 200 CPU-min per Gb
  bowtie (small RNA)   4 B/base of the configured FASTA, fl. 500 300 CPU-min per Gb
trimming (cutadapt)    1000                                      15 + 40 x FASTQ GB / threads
alignment (+ sorting)  1.2 x index size + sort buffers + 500     15 + CPU-min/GB x FASTQ GB /
                       (index size estimated from the genome     threads (HISAT2, STAR 60; bowtie
                       when the index is not built yet)          on collapsed reads 20)
BAM index, stats       500                                       10 + 5 per FASTQ GB
gene counting (HTSeq)  1000 + threads x (500 + annotation MB)    15 + 60 x FASTQ GB / threads
miRNA counting         2000 + 200 x FASTQ GB                     15 + 20 x FASTQ GB
DE (pydeseq2)          max(2000, 1000 + 250 B x samples x        30 + 3 per million cells
                       features)
small-RNA summary      1000 + 1.0 x samples                      15 + 0.24 s x samples
small-RNA sample QC    1000 + 0.5 x samples                      15 + 0.03 s x samples
MultiQC                2000 + 0.5 x samples (both arms)          30 + 0.05 s x samples
report, QC page        1000 + 0.5 x samples (both arms)          10 + 0.05 s x samples
=====================  ========================================  ===============================

Sources: HISAT2 needs ~8 GB to index GRCh38 without and ~160 GB with splice sites and exons
(HISAT2 manual); STAR ~32 GB (STAR manual); sort buffers are ``samtools sort -m`` (768 MB) per
thread, STAR's ``--limitBAMsortRAM`` a quarter of its request; DE measured here: 60,000 genes x
48 samples peaked at 658 MB (README, Benchmarks), and DE assumes 60,000 features (the genes of
a mammalian GTF; an upper bound for miRNAs). Run times carry a margin of about 2. The small-RNA
aggregates (:func:`aggregate`) were measured as whole processes on synthetic cohorts of 100, 300
and 1,000 samples (bench/aggregate_inputs.py; the figures in bench/aggregate_measured.tsv, which
a test holds these requests to): the summary peaked at 221, 320 and 580 MB (0.37-0.50 MB per
sample, most of it the per-sample bars of its figures) in 13, 37 and 107 s (0.11 s per sample);
the sample QC at 133, 164 and 319 MB in 1.3, 3.0 and 6.9 s (0.22 MB, 6 ms per sample). Per
sample, the requests allow about twice the measured growth, above a fixed part that covers the
interpreter and its libraries. MultiQC on the small-RNA samples' reports (bowtie logs, the
custom tables) took 2.8, 5.6 and 7.9 s and 167, 181 and 209 MB (0.047 MB, 6 ms per sample); the
mRNA samples' reports (samtools stats above all) are larger and were not measured at scale, so
its per-sample part allows ten times the small-RNA growth, above its former fixed request. The
DE rules on 2,500 miRNAs x 1,000 samples (2 cores): 34 s and 1.29 GB (diffexp_arm), 49 s and
0.87 GB (diffexp_contrast); their request assumes 60,000 features (16 GB at 1,000 samples).
The report and its QC page were measured in the same runs (bench/aggregate_measured.tsv; 2026-12-07,
1,000 samples): 1.5 s and 160 MB, 0.7 s and 118 MB; their per-sample tables and cohort figures
grow with the samples, so the requests grow at 0.5 MB and 0.05 s a sample (about three times
the report's measured 0.16 MB a sample, an upper bound as the interpreter is most of it) above
the fixed part they had before. The isomiR matrix (:func:`isomir_matrix`) at 1,000 samples:
20.9 s, 658 MB, within the request of an empty mirGFF3 (2,440 MB, 15 minutes). The mRNA
aggregates, per unit (bench/mrna_aggregate_inputs.py: 60,000 genes, 2026-12-08): the count
matrix at 100, 300 and 1,000 units peaked at 189, 282 and 601 MB (0.46 MB a unit: the genes x
samples array) in 5.8, 16 and 54 s (0.054 s a unit, reading the tables); the QC, insert sizes
and strandedness table at most 172 MB and 3.0 s at 1,000 units; the requests allow about twice
the count matrix's growth (1 MB, 0.12 s a unit) and a small growth for the others.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from esccrt.io import read_fai

if TYPE_CHECKING:
    from esccrt.sheets import UnitIndex

MB = 1_000_000
GB = 1_000_000_000

#: Index build: memory per genome base, floor (MB), CPU minutes per Gb.
INDEX_BYTES_PER_BASE = {"hisat2": 3.0, "hisat2_splice_sites": 52.0, "star": 11.0, "bowtie": 4.0}
INDEX_FLOOR_MB = {"hisat2": 500, "hisat2_splice_sites": 500, "star": 2000, "bowtie": 500}
INDEX_CPU_MIN_PER_GB = {"hisat2": 200, "hisat2_splice_sites": 600, "star": 200, "bowtie": 300}
#: Size of a finished index per genome base (GRCh38: HISAT2 ~4.4 GB, STAR ~28 GB).
INDEX_SIZE_PER_BASE = {"hisat2": 1.5, "star": 9.0, "bowtie": 1.5}
#: Alignment: CPU minutes per GB of (gzip) FASTQ; sorting buffer per thread (MB).
ALIGN_CPU_MIN_PER_GB = {"hisat2": 60, "star": 60, "bowtie": 20}
SORT_MB_PER_THREAD = 768
#: DE: bytes per count-matrix cell, upper bound of features (genes of a mammalian GTF).
DE_BYTES_PER_CELL = 250
DE_MAX_FEATURES = 60_000
#: isomiR matrix: bytes per kept value (int64, about three copies), upper bound of kept isomiRs.
ISOMIR_BYTES_PER_CELL = 24
ISOMIR_MAX_KEPT = 60_000
#: Aggregate rules over a study's samples: (fixed MB, MB per sample, fixed minutes, seconds per
#: sample) (module docstring: measurements).
AGGREGATE_PER_SAMPLE = {
    "smallrna_summary": (1000, 1.0, 15, 0.24),
    "smallrna_sample_qc": (1000, 0.5, 15, 0.03),
    "multiqc": (2000, 0.5, 30, 0.05),
    "report": (1000, 0.5, 10, 0.05),
    "report_qc": (1000, 0.5, 10, 0.05),
    # the mRNA arm's, per unit (measured at 100-1,000 units of 60,000 genes; bench section
    # mrna_aggregate_scale: the count matrix 601 MB and 54 s at 1,000, the others <= 172 MB, 3 s)
    "mrna_count_matrix": (1000, 1.0, 10, 0.12),
    "mrna_qc": (1000, 0.2, 10, 0.01),
    "mrna_insert_sizes": (1000, 0.2, 10, 0.01),
    "mrna_strandedness_table": (500, 0.1, 10, 0.01),
}


@dataclass(frozen=True)
class Request:
    """What one job asks for: memory (MB) and wall time (minutes)."""

    mem_mb: int
    runtime: int


def path_bytes(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> int:
    """Total size of files and folders (recursively); :class:`FileNotFoundError` if absent."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    total = 0
    for item in map(Path, items):
        if item.is_dir():
            total += sum(f.stat().st_size for f in item.rglob("*") if f.is_file())
        else:
            total += item.stat().st_size
    return total


def fastq_bytes(units: UnitIndex, sample: str, unit: str | None = None) -> int:
    """Bytes of the FASTQ files of one unit, or of every unit of a sample, of the units sheet."""
    return path_bytes(units.fastqs(sample, unit))


def source_bytes(source: str) -> int:
    """Size of a configured reference that is a local file; 0 for a URL or a missing file.

    For jobs whose own input is made by an earlier job of the same group (a cluster job): their
    request must be known when the group is submitted, before that input exists.
    """
    path = Path(source)
    return path.stat().st_size if "://" not in source and path.is_file() else 0


def genome_bases(fasta: str | os.PathLike[str]) -> int:
    """Bases of a genome FASTA: the sum of its ``.fai`` lengths, else its size in bytes.

    The byte size over-counts by the header and newline characters (about 2 %): a safe side.
    """
    fai = Path(f"{fasta}.fai")
    if fai.exists():
        return sum(length for _, length in read_fai(fai))
    return Path(fasta).stat().st_size


def _minutes(cpu_minutes: float, threads: int, floor: int) -> int:
    return floor + math.ceil(cpu_minutes / max(threads, 1))


def index_build(tool: str, bases: int, threads: int) -> Request:
    """Index build of ``bases`` genome bases; ``tool`` is a key of :data:`INDEX_BYTES_PER_BASE`."""
    mem = max(INDEX_FLOOR_MB[tool], math.ceil(bases * INDEX_BYTES_PER_BASE[tool] / MB))
    return Request(mem, _minutes(INDEX_CPU_MIN_PER_GB[tool] * bases / GB, threads, 30))


def index_bytes(index: str | os.PathLike[str] | Iterable, tool: str, genome: str | None) -> int:
    """Size of an aligner index; estimated from ``genome`` while the index is not built yet."""
    try:
        return path_bytes(index)
    except FileNotFoundError:
        if genome is None:
            raise
        return math.ceil(genome_bases(genome) * INDEX_SIZE_PER_BASE[tool])


def alignment(tool: str, index_size: int, fastq_bytes: int, threads: int) -> Request:
    """Alignment with coordinate sorting (hisat2, star) or bowtie on collapsed small-RNA reads."""
    mem = 500 + math.ceil(1.2 * index_size / MB)
    if tool == "hisat2":
        mem += SORT_MB_PER_THREAD * threads
    elif tool == "star":
        mem = math.ceil(mem * 4 / 3)  # STAR sorts in a quarter of its request
    runtime = _minutes(ALIGN_CPU_MIN_PER_GB[tool] * fastq_bytes / GB, threads, 15)
    return Request(mem, runtime)


def trimming(fastq_bytes: int, threads: int) -> Request:
    """Adapter and quality trimming (cutadapt) of one unit."""
    return Request(1000, _minutes(40 * fastq_bytes / GB, threads, 15))


def bam_index(fastq_bytes: int) -> Request:
    """``samtools index`` of one unit's BAM (its size follows the unit's reads)."""
    return Request(500, 10 + math.ceil(5 * fastq_bytes / GB))


def gene_counting(annotation_bytes: int, fastq_bytes: int, threads: int) -> Request:
    """HTSeq counting: each process (one per thread) holds the annotation's arrays (about the
    GTF's size); time grows with the reads."""
    mem = 1000 + threads * (500 + math.ceil(annotation_bytes / MB))
    return Request(mem, _minutes(60 * fastq_bytes / GB, threads, 15))


def mirna_counting(fastq_bytes: int) -> Request:
    """Counting one small-RNA sample's alignments (distinct reads, weighted by copy number)."""
    return Request(2000 + math.ceil(200 * fastq_bytes / GB), 15 + math.ceil(20 * fastq_bytes / GB))


def differential_expression(samples: int, features: int = DE_MAX_FEATURES) -> Request:
    """pydeseq2 on a ``features`` x ``samples`` matrix (features: an upper bound is fine)."""
    cells = samples * features
    mem = max(2000, 1000 + math.ceil(cells * DE_BYTES_PER_CELL / MB))
    return Request(mem, 30 + math.ceil(3 * cells / 1e6))


def isomir_matrix(samples: int, mirgff_bytes: int, isomirs: int = ISOMIR_MAX_KEPT) -> Request:
    """The isomiR count matrix of the merged mirGFF3 (rule smallrna_isomirs): memory for the kept
    rows (``isomirs``: an upper bound) x ``samples`` as int64, about three copies as the table
    is written; time to parse the file (``mirgff_bytes``) and write the kept rows. Measured on a
    loaded 2-core machine (load 14; 20,000 lines x 500 samples, 25 MB): 9.1 s to read (0.37 us
    per byte), 1.1 s to write 1,938 kept rows (1.1 us per value); the request allows 1 us per
    byte and 2 us per kept value."""
    cells = samples * isomirs
    mem = 1000 + math.ceil(cells * ISOMIR_BYTES_PER_CELL / MB)
    return Request(mem, 15 + math.ceil((mirgff_bytes * 1e-6 + cells * 2e-6) / 60))


def aggregate(rule: str, samples: int) -> Request:
    """An aggregate rule of :data:`AGGREGATE_PER_SAMPLE` over ``samples`` samples: memory and
    time grow linearly with the samples (their per-sample files are read in step)."""
    fixed_mb, mb_per_sample, fixed_minutes, seconds_per_sample = AGGREGATE_PER_SAMPLE[rule]
    mem = fixed_mb + math.ceil(mb_per_sample * samples)
    return Request(mem, fixed_minutes + math.ceil(seconds_per_sample * samples / 60))
