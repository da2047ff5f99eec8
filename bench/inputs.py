"""Benchmark inputs, generated once with fixed seeds and cached under the bench work folder.

- small RNA: serum-like reads (:class:`SerumModel`): real miRBase mature sequences with Zipf
  abundances, isomiRs, tRNA/random background, adapter dimers and sequencing errors, with real
  exRNAQC quality strings (needs ../shared/data, or BENCH_SHARED_DATA naming it).
- mRNA: one deep library of read pairs from the project's simulator (demo genome and annotation).
- DE: negative-binomial counts with planted fold changes.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
#: The reference data of ../shared/data (BENCH_SHARED_DATA elsewhere, e.g. from a worktree).
SHARED = Path(os.environ.get("BENCH_SHARED_DATA", REPO.parent / "shared" / "data"))

SERUM_DIR = SHARED / "smallrna_fastq" / "exrnaqc_serum_plasma"
MIRBASE_DIR = SHARED / "mirbase"
MIRBASE_LABEL = "miRBase v21 human (nf-core test subset)"
SEED = 20261124
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)


def _read_fastq(path: Path) -> list[tuple[bytes, bytes]]:
    """(sequence, quality) of every record of a gzipped FASTQ."""
    records = []
    with gzip.open(path, "rb") as handle:
        while True:
            header = handle.readline()
            if not header:
                break
            seq = handle.readline().rstrip()
            handle.readline()
            qual = handle.readline().rstrip()
            records.append((seq, qual))
    return records


def source_reads() -> tuple[list[tuple[bytes, bytes]], str]:
    """The reads to resample and a description of where they come from."""
    files = sorted(SERUM_DIR.glob("*.fastq.gz"))
    if files:
        records = [r for f in files for r in _read_fastq(f)]
        return records, f"{len(records):,} real exRNAQC serum/plasma reads ({len(files)} files)"
    demo = sorted((REPO / "resources" / "demo" / "smallrna" / "reads").glob("*.fastq.gz"))
    if not demo:
        raise FileNotFoundError(
            f"neither {SERUM_DIR} nor the simulated demo reads exist: run `make demo-data`"
        )
    records = _read_fastq(demo[0])
    return records, f"{len(records):,} simulated demo reads ({demo[0].name})"


def mirna_sources() -> tuple[Path, Path, str]:
    """The miRNA references (mature FASTA, hairpin FASTA) and their description."""
    if (MIRBASE_DIR / "mature.fa").exists():
        return MIRBASE_DIR / "mature.fa", MIRBASE_DIR / "hairpin.fa", MIRBASE_LABEL
    demo = REPO / "resources" / "demo" / "smallrna"
    return demo / "mature.fa", demo / "hairpin.fa", "simulated demo panel"


def head_fastq(source: Path, target: Path, reads: int) -> Path:
    """The first ``reads`` records of a gzipped FASTQ, gzipped (a tiny companion library)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(source, "rb") as handle, gzip.open(target, "wb", compresslevel=1) as out:
        for _ in range(4 * reads):
            line = handle.readline()
            if not line:
                break
            out.write(line)
    return target


def mrna_reads(workdir: Path, n_pairs: int) -> tuple[Path, Path, Path, Path, int]:
    """Gzipped read pairs of one deep library from the project's simulator (cached).

    Returns (R1, R2, genome FASTA, GTF, pairs). The genome and annotation are the demo's (same
    seed), the reads are drawn in chunks of at most 500,000 pairs from the simulator's sample
    model (with adapters where the fragment is short, as in the demo).
    """
    from esccrt.simulate import demo, mrna
    from esccrt.simulate.seqs import as_text, fasta_text, write_text

    workdir.mkdir(parents=True, exist_ok=True)
    fq1, fq2 = workdir / f"pairs_{n_pairs}_R1.fastq.gz", workdir / f"pairs_{n_pairs}_R2.fastq.gz"
    genome_fa, gtf = workdir / "genome.fa", workdir / "genes.gtf"
    done = workdir / f"pairs_{n_pairs}.done"
    if done.exists():
        return fq1, fq2, genome_fa, gtf, int(done.read_text().split()[0])
    design = mrna.MrnaDesign()
    rng = demo._rng(demo.DEFAULT_SEED, demo._GENOME)
    genome = mrna.build_genome(rng, design)
    expression, shares = mrna.baseline_expression(rng, genome, design)
    transcriptome = mrna.build_transcriptome(genome)
    write_text(
        genome_fa, fasta_text(((c, as_text(s)) for c, s in genome.chromosomes.items()), width=60)
    )
    write_text(gtf, mrna.gtf_text(genome))
    total = chunk_no = 0
    zeros = np.zeros(len(genome.genes))
    tmp1, tmp2 = fq1.with_name(f".{fq1.name}.tmp"), fq2.with_name(f".{fq2.name}.tmp")
    with (
        gzip.open(tmp1, "wb", compresslevel=1) as out1,
        gzip.open(tmp2, "wb", compresslevel=1) as out2,
    ):
        while total < n_pairs:
            want = min(500_000, n_pairs - total)
            sample = mrna.simulate_sample(
                demo._rng(SEED, 7, chunk_no),
                f"bench{chunk_no}",
                genome,
                transcriptome,
                expression,
                shares,
                zeros,
                zeros,
                demo.INDEXES[0],
                want,
                design,
            )
            keep = min(sample.r1.shape[0], n_pairs - total)
            sample.r1, sample.r2 = sample.r1[:keep], sample.r2[:keep]
            sample.q1, sample.q2 = sample.q1[:keep], sample.q2[:keep]
            for chunk in mrna.fastq_chunks(sample, 1):
                out1.write(chunk)
            for chunk in mrna.fastq_chunks(sample, 2):
                out2.write(chunk)
            total += keep
            chunk_no += 1
    os.replace(tmp1, fq1)
    os.replace(tmp2, fq2)
    done.write_text(f"{total}\n")
    return fq1, fq2, genome_fa, gtf, total


def de_counts(workdir: Path, n_genes: int, n_samples: int, seed: int = SEED) -> tuple[Path, Path]:
    """Simulated NB counts (features x samples) and a sample sheet, half control/half treated.

    Means are log-normal (like RNA-seq), dispersion 0.01 + 1/mean-trend as DESeq2 assumes, 10 %
    of the genes changed by log2 fold change +-(0.5..3), library sizes +-30 %.
    """
    counts_path = workdir / f"counts_{n_genes}x{n_samples}.tsv"
    samples_path = workdir / f"samples_{n_samples}.tsv"
    if counts_path.exists() and samples_path.exists():
        return counts_path, samples_path
    workdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, n_genes, n_samples])
    base = np.exp(rng.normal(4.0, 2.0, size=n_genes))
    lfc = np.zeros(n_genes)
    de = rng.random(n_genes) < 0.1
    lfc[de] = rng.uniform(0.5, 3.0, size=int(de.sum())) * rng.choice([-1, 1], size=int(de.sum()))
    condition = np.array(["control", "treated"] * (n_samples // 2))[:n_samples]
    size = rng.uniform(0.7, 1.3, size=n_samples)
    mean = base[:, None] * size[None, :] * np.exp2(lfc[:, None] * (condition == "treated"))
    dispersion = 0.01 + 1.0 / (base + 1.0)
    shape = 1.0 / dispersion[:, None]
    counts = rng.poisson(rng.gamma(shape, mean / shape)).astype(np.int64)
    names = [f"s{k + 1:03d}" for k in range(n_samples)]
    frame = pd.DataFrame(counts, columns=names)
    frame.insert(0, "feature", [f"gene{g + 1:05d}" for g in range(n_genes)])
    frame.to_csv(counts_path, sep="\t", index=False)
    pd.DataFrame({"sample": names, "condition": condition}).to_csv(
        samples_path, sep="\t", index=False
    )
    return counts_path, samples_path


# --------------------------------------------------------------------------- realistic serum reads

TRNA_FASTA = SHARED / "smallrna_refs" / "contamination" / "mirtrace" / "tRNA_reference.fa"
#: What follows the insert in a TruSeq small-RNA read (adapter, index read primer, poly-A/G), as
#: in the exRNAQC NovaSeq reads.
READ_TAIL = (
    b"TGGAATTCTCGGGTGCCAAGGAACTCCAGTCACACTGATATCTCGTATGCCGTCTTCTGCTTG" + b"A" * 10 + b"G" * 101
)
READ_LENGTH = 101


@dataclass(frozen=True)
class SerumModel:
    """Composition of a simulated serum library (fractions of reads; the rest are miRNAs).

    miRNAs: real hsa mature sequences with Zipf abundances (exponent ``zipf``), 3' isomiRs
    (shorter, or longer by non-templated A/T) and some 5' shifts; background: fragments of real
    tRNAs and of random sequence (degraded RNA, mostly each read its own insert); adapter
    dimers; long inserts without adapter; ``error_rate`` substitutions per base everywhere.
    """

    background: float = 0.30
    dimers: float = 0.04
    long_inserts: float = 0.03
    zipf: float = 1.0
    isomir_3p: float = 0.35
    shift_5p: float = 0.05
    error_rate: float = 0.01


def _fasta_sequences(path: Path, prefix: str = "") -> list[bytes]:
    """DNA sequences (U -> T) of a FASTA file, only entries whose name starts with ``prefix``."""
    sequences, keep, chunks = [], False, []
    for line in [*path.read_text().splitlines(), ">"]:
        if line.startswith(">"):
            if keep and chunks:
                sequences.append("".join(chunks).upper().replace("U", "T").encode())
            keep, chunks = line[1:].startswith(prefix), []
        elif keep:
            chunks.append(line.strip())
    return sequences


def _serum_inserts(rng: np.random.Generator, n: int, pools: dict, model: SerumModel) -> list[bytes]:
    """``n`` inserts drawn from the model (before sequencing errors)."""
    kind = rng.random(n)
    cuts = np.cumsum([model.background, model.dimers, model.long_inserts])
    mirnas, weights = pools["mirnas"], pools["weights"]
    picks = rng.choice(len(mirnas), size=n, p=weights)
    background = pools["background"]
    inserts = []
    for i in range(n):
        if kind[i] < cuts[0]:
            source = background[rng.integers(len(background))]
            length = int(rng.integers(16, 46))
            start = int(rng.integers(0, max(1, len(source) - length)))
            inserts.append(source[start : start + length])
        elif kind[i] < cuts[1]:
            inserts.append(b"")
        elif kind[i] < cuts[2]:
            inserts.append(background[rng.integers(len(background))][:READ_LENGTH])
        else:
            insert = mirnas[picks[i]]
            if rng.random() < model.shift_5p:
                insert = insert[1:]
            if rng.random() < model.isomir_3p:
                change = int(rng.choice([-3, -2, -1, 1, 2], p=[0.1, 0.2, 0.35, 0.25, 0.1]))
                insert = (
                    insert[:change]
                    if change < 0
                    else insert + (b"A", b"T")[rng.integers(2)] * change
                )
            inserts.append(insert)
    return inserts


def simulate_serum_reads(
    n_reads: int, path: Path, model: SerumModel = SerumModel(), chunk: int = 200_000
) -> None:
    """Write ``n_reads`` simulated serum small-RNA reads (101 nt, TruSeq adapter) to ``path``.

    Diversity as in real serum libraries (see :class:`SerumModel`): at 1 M reads a third or more
    of the trimmed inserts are distinct. Qualities are real exRNAQC quality strings drawn at
    random. Same model and size, same file.
    """
    rng = np.random.default_rng([SEED, n_reads, 18])
    mirnas = _fasta_sequences(MIRBASE_DIR / "mature.fa", "hsa-")
    weights = 1.0 / np.arange(1, len(mirnas) + 1) ** model.zipf
    rng.shuffle(mirnas)
    random_rna = [bytes(_BASES[rng.integers(0, 4, size=2000)]) for _ in range(500)]
    pools = {
        "mirnas": mirnas,
        "weights": weights / weights.sum(),
        "background": _fasta_sequences(TRNA_FASTA) + random_rna,
    }
    qualities = [q for _, q in source_reads()[0] if len(q) >= READ_LENGTH]
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(tmp, "wb", compresslevel=1) as out:
        for lo in range(0, n_reads, chunk):
            n = min(chunk, n_reads - lo)
            reads = [(i + READ_TAIL)[:READ_LENGTH] for i in _serum_inserts(rng, n, pools, model)]
            block = np.frombuffer(b"".join(reads), dtype=np.uint8).reshape(n, READ_LENGTH).copy()
            hit = rng.random(block.shape) < model.error_rate
            codes = np.searchsorted(_BASES, block[hit]) % 4
            block[hit] = _BASES[(codes + rng.integers(1, 4, size=codes.size)) % 4]
            picks = rng.integers(0, len(qualities), size=n)
            out.write(
                b"".join(
                    b"@s%d\n%s\n+\n%s\n"
                    % (lo + k, block[k].tobytes(), qualities[picks[k]][:READ_LENGTH])
                    for k in range(n)
                )
            )
    os.replace(tmp, path)
