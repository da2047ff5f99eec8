"""Synthetic genome, GTF and stranded paired-end mRNA reads with planted differential expression.

The genome is random sequence (GC about 45 %) on two chromosomes; genes are multi-exon, on both
strands, never overlapping, with GT...AG introns so that a spliced aligner finds the junctions.
Read pairs come from fragments of spliced transcripts (TruSeq stranded: R1 antisense, R2 sense),
plus a few intergenic/intronic fragments; fragments shorter than the read run into the adapters.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from esccrt.simulate.seqs import (
    add_substitutions,
    as_codes,
    complement,
    fastq_bytes,
    qualities,
    random_codes,
    reverse_complement,
)

READ_LENGTH = 75
#: What follows the insert in R1 and R2 of a TruSeq library (adapter, index, flow-cell tail).
R1_TAIL = "AGATCGGAAGAGCACACGTCTGAACTCCAGTCAC{index}ATCTCGTATGCCGTCTTCTGCTTG"
R2_TAIL = "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGTAGATCTCGGTGGTCGCCGTATCATTAAAAAAAAAA"


@dataclass(frozen=True)
class MrnaDesign:
    """Planted parameters of the mRNA arm."""

    n_genes: int = 320
    chromosomes: tuple[str, ...] = ("chrS1", "chrS2")
    min_genome: int = 2_050_000
    #: Named genes first (M2 macrophage markers); the others get invented names.
    named_genes: tuple[str, ...] = ("CD163", "MRC1", "ARG1", "IL10", "TGFB1", "CCL22", "CD274")
    #: log2 fold changes planted on the named genes (irradiated vs control).
    named_fold_changes: tuple[float, ...] = (2.0, 1.6, 2.4, 1.8, 1.2, 2.2, 1.5)
    n_other_de: int = 23
    expression_sd: float = 1.4
    dispersion: float = 0.05
    library_spread: float = 0.2
    background_fraction: float = 0.03
    short_fragment_fraction: float = 0.04
    batch_sd: float = 0.25
    error_rate: float = 0.003


@dataclass(frozen=True)
class Transcript:
    """A transcript: id and exons as 1-based inclusive genomic (start, end), ascending."""

    transcript_id: str
    exons: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Gene:
    """A gene: id, name, chromosome, strand and its transcripts (first = main isoform)."""

    gene_id: str
    name: str
    chrom: str
    strand: str
    transcripts: tuple[Transcript, ...]

    @property
    def start(self) -> int:
        """First genomic base of the gene (1-based)."""
        return min(t.exons[0][0] for t in self.transcripts)

    @property
    def end(self) -> int:
        """Last genomic base of the gene (1-based, inclusive)."""
        return max(t.exons[-1][1] for t in self.transcripts)


@dataclass(frozen=True)
class Genome:
    """Chromosome sequences (ASCII codes), genes, and the gene-free intervals (0-based)."""

    chromosomes: dict[str, np.ndarray]
    genes: tuple[Gene, ...]
    #: (chrom, start, end) 0-based half-open intervals outside exons: introns and intergenic.
    background: tuple[tuple[str, int, int], ...]


def gene_names(design: MrnaDesign) -> list[str]:
    """Gene names: the named genes, then invented ``SYNG0001``... names."""
    extra = design.n_genes - len(design.named_genes)
    return list(design.named_genes) + [f"SYNG{k:04d}" for k in range(1, extra + 1)]


def build_genome(rng: np.random.Generator, design: MrnaDesign) -> Genome:
    """Random chromosomes holding non-overlapping multi-exon genes on both strands."""
    names = gene_names(design)
    order = rng.permutation(len(names))
    per_chrom = np.array_split(np.arange(len(names)), len(design.chromosomes))
    genes: list[Gene] = []
    background: list[tuple[str, int, int]] = []
    layouts: dict[str, list[tuple[int, str, list[tuple[int, int]]]]] = {}
    lengths: dict[str, int] = {}
    gene_number = 0
    for chrom, slots in zip(design.chromosomes, per_chrom, strict=True):
        cursor = int(rng.integers(3000, 6000))
        layouts[chrom] = []
        for _slot in slots:
            n_exons = int(rng.integers(2, 9))
            exon_len = rng.integers(80, 401, size=n_exons)
            intron_len = np.exp(rng.uniform(np.log(100), np.log(3000), size=n_exons - 1))
            intron_len = intron_len.astype(int)
            exons = []
            pos = cursor
            for k in range(n_exons):
                exons.append((pos, pos + int(exon_len[k])))  # 0-based half-open
                pos += int(exon_len[k])
                if k < n_exons - 1:
                    background.append((chrom, pos, pos + int(intron_len[k])))
                    pos += int(intron_len[k])
            strand = "+" if rng.random() < 0.5 else "-"
            layouts[chrom].append((gene_number, strand, exons))
            gene_number += 1
            gap = int(rng.integers(1500, 5000))
            background.append((chrom, pos, pos + gap))
            cursor = pos + gap
        lengths[chrom] = cursor + int(rng.integers(2000, 4000))
    shortfall = design.min_genome - sum(lengths.values())
    if shortfall > 0:
        last = design.chromosomes[-1]
        background.append((last, lengths[last], lengths[last] + shortfall))
        lengths[last] += shortfall
    chromosomes = {chrom: random_codes(rng, lengths[chrom]) for chrom in design.chromosomes}
    for chrom, layout in layouts.items():
        sequence = chromosomes[chrom]
        for number, strand, exons in layout:
            for (_, left), (right, _) in pairwise(exons):
                donor, acceptor = ("GT", "AG") if strand == "+" else ("CT", "AC")
                sequence[left : left + 2] = as_codes(donor)
                sequence[right - 2 : right] = as_codes(acceptor)
            gene_id = f"SIMG{number + 1:05d}"
            name = names[order[number]]
            one_based = tuple((a + 1, b) for a, b in exons)
            transcripts = [Transcript(f"SIMT{2 * number + 1:05d}", one_based)]
            if len(exons) >= 3 and rng.random() < 0.5:
                skipped = int(rng.integers(1, len(exons) - 1))
                kept = one_based[:skipped] + one_based[skipped + 1 :]
                transcripts.append(Transcript(f"SIMT{2 * number + 2:05d}", kept))
            genes.append(Gene(gene_id, name, chrom, strand, tuple(transcripts)))
    return Genome(chromosomes, tuple(genes), tuple(background))


def gtf_text(genome: Genome) -> str:
    """Ensembl-like GTF: gene, transcript and exon lines, sorted by chromosome and position."""
    lines = ["#!genome-build SIMULATED", "#!genome-version demo"]
    for gene in genome.genes:
        base = f'gene_id "{gene.gene_id}"; gene_name "{gene.name}"; gene_biotype "protein_coding";'
        cols = f"{gene.chrom}\tsimulated\t{{kind}}\t{{start}}\t{{end}}\t.\t{gene.strand}\t.\t"
        lines.append(cols.format(kind="gene", start=gene.start, end=gene.end) + base)
        for transcript in gene.transcripts:
            attrs = (
                f'gene_id "{gene.gene_id}"; transcript_id "{transcript.transcript_id}"; '
                f'gene_name "{gene.name}"; gene_biotype "protein_coding"; '
                f'transcript_biotype "protein_coding";'
            )
            start, end = transcript.exons[0][0], transcript.exons[-1][1]
            lines.append(cols.format(kind="transcript", start=start, end=end) + attrs)
            exons = transcript.exons if gene.strand == "+" else transcript.exons[::-1]
            for number, (a, b) in enumerate(exons, start=1):
                lines.append(
                    cols.format(kind="exon", start=a, end=b) + f'{attrs} exon_number "{number}";'
                )
    return "\n".join(lines) + "\n"


def transcript_sequence(genome: Genome, gene: Gene, transcript: Transcript) -> np.ndarray:
    """Spliced sense sequence of a transcript (ASCII codes)."""
    chrom = genome.chromosomes[gene.chrom]
    spliced = np.concatenate([chrom[a - 1 : b] for a, b in transcript.exons])
    return spliced if gene.strand == "+" else reverse_complement(spliced)


@dataclass(frozen=True)
class Transcriptome:
    """All transcripts concatenated (N-separated) with per-transcript gene, offset and length."""

    sequence: np.ndarray
    gene: np.ndarray
    offset: np.ndarray
    length: np.ndarray


def build_transcriptome(genome: Genome) -> Transcriptome:
    """Concatenate every transcript's spliced sequence for vectorised fragment sampling."""
    pieces, gene_of, offsets, lengths = [], [], [], []
    cursor = 0
    for g, gene in enumerate(genome.genes):
        for transcript in gene.transcripts:
            seq = transcript_sequence(genome, gene, transcript)
            pieces.append(seq)
            pieces.append(np.full(READ_LENGTH, ord("N"), dtype=np.uint8))
            gene_of.append(g)
            offsets.append(cursor)
            lengths.append(len(seq))
            cursor += len(seq) + READ_LENGTH
    return Transcriptome(
        np.concatenate(pieces), np.array(gene_of), np.array(offsets), np.array(lengths)
    )


def baseline_expression(rng: np.random.Generator, genome: Genome, design: MrnaDesign):
    """Relative expression per gene (sums to 1) and isoform shares per transcript."""
    log_expr = rng.normal(0.0, design.expression_sd, size=len(genome.genes))
    named = [k for k, g in enumerate(genome.genes) if g.name in design.named_genes]
    log_expr[named] = np.maximum(log_expr[named], 0.5)  # markers well expressed
    weights = np.exp(log_expr)
    shares = []
    for gene in genome.genes:
        if len(gene.transcripts) == 1:
            shares.append(1.0)
        else:
            main = rng.uniform(0.55, 0.9)
            shares.extend([main, 1.0 - main])
    return weights / weights.sum(), np.array(shares)


def planted_log2_fold_changes(rng: np.random.Generator, genome: Genome, design: MrnaDesign):
    """log2 fold change per gene: the named markers up, ``n_other_de`` others up or down."""
    lfc = np.zeros(len(genome.genes))
    planted = dict(zip(design.named_genes, design.named_fold_changes, strict=True))
    others = []
    for k, gene in enumerate(genome.genes):
        if gene.name in planted:
            lfc[k] = planted[gene.name]
        else:
            others.append(k)
    chosen = rng.choice(others, size=design.n_other_de, replace=False)
    sizes = rng.uniform(1.0, 3.0, size=design.n_other_de)
    signs = np.where(rng.random(design.n_other_de) < 0.5, -1.0, 1.0)
    lfc[np.sort(chosen)] = sizes * signs
    return lfc


def _pair_reads(
    source: np.ndarray, start: np.ndarray, flen: np.ndarray, antisense: np.ndarray, index: str
) -> tuple[np.ndarray, np.ndarray]:
    """R1/R2 of fragments ``source[start:start+flen]`` (sense, or antisense where flagged).

    R2 reads the fragment's sense strand from its 5' end, R1 the antisense strand; past the
    fragment's end both continue into their adapter. Built in blocks of fragments (no random
    draw here, so the reads do not depend on the block size): whole-library index arrays were
    most of the demo simulation's time and memory.
    """
    blocks = [
        _pair_block(source, start[lo:hi], flen[lo:hi], antisense[lo:hi], index)
        for lo, hi in _blocks(len(start), PAIR_BLOCK)
    ]
    if not blocks:
        return _pair_block(source, start, flen, antisense, index)
    return (
        np.concatenate([r1 for r1, _ in blocks]),
        np.concatenate([r2 for _, r2 in blocks]),
    )


#: Fragments per block of :func:`_pair_reads`.
PAIR_BLOCK = 50_000


def _blocks(n: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of consecutive blocks of at most ``size`` covering ``range(n)``."""
    return [(lo, min(lo + size, n)) for lo in range(0, n, size)]


def _pair_block(
    source: np.ndarray, start: np.ndarray, flen: np.ndarray, antisense: np.ndarray, index: str
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pair_reads` of one block of fragments."""
    j = np.arange(READ_LENGTH)
    last = len(source) - 1
    forward = source[np.minimum(start[:, None] + j, last)]
    backward = complement(source[np.clip(start[:, None] + flen[:, None] - 1 - j, 0, last)])
    sense_first = np.where(antisense[:, None], backward, forward)  # sense strand from 5'
    anti_first = np.where(antisense[:, None], forward, backward)  # antisense from 5'
    inside = j < flen[:, None]
    tail1 = as_codes(R1_TAIL.format(index=index))
    tail2 = as_codes(R2_TAIL)
    after = np.maximum(j - flen[:, None], 0)
    r1 = np.where(inside, anti_first, tail1[np.minimum(after, len(tail1) - 1)])
    r2 = np.where(inside, sense_first, tail2[np.minimum(after, len(tail2) - 1)])
    return r1, r2


@dataclass
class MrnaSample:
    """One simulated paired-end library."""

    name: str
    gene_counts: np.ndarray
    n_background: int
    r1: np.ndarray
    r2: np.ndarray
    q1: np.ndarray
    q2: np.ndarray


def _fragment_lengths(rng: np.random.Generator, n: int, short_fraction: float) -> np.ndarray:
    """Fragment lengths: mostly 150-400 nt, a few 35-74 nt (adapter read-through)."""
    lengths = np.clip(np.rint(rng.normal(250, 55, size=n)), 150, 400).astype(int)
    short = rng.random(n) < short_fraction
    lengths[short] = rng.integers(35, 75, size=int(short.sum()))
    return lengths


def simulate_sample(
    rng: np.random.Generator,
    name: str,
    genome: Genome,
    transcriptome: Transcriptome,
    expression: np.ndarray,
    isoform_share: np.ndarray,
    log2_fold_change: np.ndarray,
    batch_shift: np.ndarray,
    index: str,
    n_pairs: int,
    design: MrnaDesign,
) -> MrnaSample:
    """Draw one library: NB fragment counts per gene, fragments, then read pairs."""
    library = round(n_pairs * rng.uniform(1 - design.library_spread, 1 + design.library_spread))
    n_background = int(rng.binomial(library, design.background_fraction))
    weights = expression * np.exp2(log2_fold_change + batch_shift)
    mean = (library - n_background) * weights / weights.sum()
    alpha = design.dispersion
    counts = rng.poisson(rng.gamma(1.0 / alpha, mean * alpha)).astype(np.int64)

    # genic fragments: split each gene's count over its transcripts
    gene_of = transcriptome.gene
    per_transcript = np.zeros(len(gene_of), dtype=np.int64)
    for g in range(len(genome.genes)):
        rows = np.flatnonzero(gene_of == g)
        per_transcript[rows] = rng.multinomial(
            counts[g], isoform_share[rows] / isoform_share[rows].sum()
        )
    tx = np.repeat(np.arange(len(gene_of)), per_transcript)
    flen = np.minimum(
        _fragment_lengths(rng, tx.size, design.short_fragment_fraction), transcriptome.length[tx]
    )
    pos = (rng.random(tx.size) * (transcriptome.length[tx] - flen + 1)).astype(np.int64)
    r1, r2 = _pair_reads(
        transcriptome.sequence, transcriptome.offset[tx] + pos, flen, np.zeros(tx.size, bool), index
    )

    # background fragments inside introns and intergenic gaps, either strand
    chrom_names = list(genome.chromosomes)
    chrom_offset = np.cumsum([0] + [len(genome.chromosomes[c]) for c in chrom_names])[:-1]
    flat = np.concatenate([genome.chromosomes[c] for c in chrom_names])
    intervals = np.array(
        [
            (chrom_offset[chrom_names.index(c)] + a, b - a)
            for c, a, b in genome.background
            if b - a >= 450
        ]
    )
    rows = rng.choice(len(intervals), size=n_background, p=intervals[:, 1] / intervals[:, 1].sum())
    bflen = _fragment_lengths(rng, n_background, design.short_fragment_fraction)
    bpos = intervals[rows, 0] + (
        rng.random(n_background) * (intervals[rows, 1] - bflen + 1)
    ).astype(np.int64)
    b1, b2 = _pair_reads(flat, bpos, bflen, rng.random(n_background) < 0.5, index)

    r1 = np.concatenate([r1, b1])
    r2 = np.concatenate([r2, b2])
    order = rng.permutation(r1.shape[0])
    r1, r2 = r1[order], r2[order]
    r1, e1 = add_substitutions(rng, r1, design.error_rate)
    r2, e2 = add_substitutions(rng, r2, design.error_rate)
    q1 = qualities(rng, r1.shape, e1, start=36.0, end=30.0)
    q2 = qualities(rng, r2.shape, e2, start=35.0, end=28.0)
    return MrnaSample(name, counts, n_background, r1, r2, q1, q2)


def fastq_chunks(sample: MrnaSample, mate: int, chunk: int = 50_000) -> Iterator[bytes]:
    """FASTQ text of mate 1 or 2; pairs are named ``<sample>.<n>/1`` and ``/2``."""
    reads, quals = (sample.r1, sample.q1) if mate == 1 else (sample.r2, sample.q2)
    total = reads.shape[0]
    for lo in range(0, total, chunk):
        hi = min(lo + chunk, total)
        names = [f"{sample.name}.{k}" for k in range(lo + 1, hi + 1)]
        yield fastq_bytes(names, reads[lo:hi], quals[lo:hi], suffix=f"/{mate}")
