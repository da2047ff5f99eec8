"""Small-RNA reads: isomiRs of a synthetic panel plus background, with planted fold changes.

A read is ``insert + TGGAATTCTCGGGTGCCAAGG + AACTCCAGTCAC + index + ATCTCGTATG...`` cut to
51 nt (TruSeq small-RNA layout). Inserts are isomiRs of mature miRNAs (mostly canonical; 3'
trimmed, 3' A/U-tailed, or shifted by 1 nt at the 5' end; the first tail nt always differs
from the hairpin's next nt, so tails are truly non-templated) or background: fragments of rRNA-,
tRNA-, Y RNA- and snoRNA-like sequences (one FASTA per RNA class), stem-loop fragments from the
loop, adapter dimers, too short inserts and reads without adapter. Counts per miRNA are negative
binomial around a skewed serum-like abundance profile, scaled by planted fold changes, a batch
effect and library size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from esccrt.simulate.mirna_panel import Panel
from esccrt.simulate.seqs import (
    add_substitutions,
    as_codes,
    as_text,
    fastq_bytes,
    qualities,
    random_codes,
)

ADAPTER = "TGGAATTCTCGGGTGCCAAGG"
INDEX_PREFIX = "AACTCCAGTCAC"
INDEX_SUFFIX = "ATCTCGTATGCCGTCTTCTGCTTG"
READ_LENGTH = 51
#: Background read classes, in the order they are drawn ("contaminant" reads are reported by RNA
#: class, see :func:`rna_class_of`).
BACKGROUND_CLASSES = ("contaminant", "loop", "adapter_dimer", "too_short", "no_adapter")
#: isomiR kinds: (5' shift, 3' trim, 3' non-templated addition).
ISOMIR_KINDS = ((0, 0, 0), (0, 1, 0), (0, 2, 0), (0, 0, 1), (0, 0, 2), (-1, 0, 0), (1, 0, 0))
#: Columns of the isomiR truth table, one per element of an isomiR kind.
ISOMIR_KIND_COLUMNS = ("shift_5p", "trim_3p", "added_3p")


@dataclass(frozen=True)
class SmallRnaDesign:
    """Planted parameters of the small-RNA arm (miRNA names refer to the panel)."""

    top_mirna: str = "hsa-miR-486-5p"
    #: log-normal spread (natural log) of baseline abundances.
    abundance_sd: float = 2.2
    #: miRNAs placed at a given quantile of the abundance distribution (0 = rarest, 1 = top).
    pinned_quantiles: tuple[tuple[str, float], ...] = (
        ("hsa-miR-92a-3p", 0.99),
        ("hsa-miR-451a", 0.98),
        ("hsa-let-7a-5p", 0.97),
        ("hsa-miR-16-5p", 0.96),
        ("hsa-miR-223-3p", 0.9),
        ("hsa-miR-191-5p", 0.88),
        ("hsa-miR-143-3p", 0.86),
        ("hsa-miR-484", 0.84),
        ("hsa-miR-21-5p", 0.82),
        ("hsa-miR-181a-5p", 0.8),
        ("hsa-miR-423-5p", 0.78),
        ("hsa-miR-126-3p", 0.75),
        ("hsa-miR-155-5p", 0.7),
        ("hsa-miR-375-3p", 0.68),
        ("hsa-miR-10b-5p", 0.66),
        ("hsa-miR-34a-5p", 0.64),
        ("hsa-miR-122-5p", 0.62),
        ("hsa-miR-200c-3p", 0.6),
    )
    #: Planted log2 fold changes, irradiated vs control; every other miRNA is unchanged.
    fold_changes: tuple[tuple[str, float], ...] = (
        ("hsa-miR-143-3p", 1.8),
        ("hsa-miR-223-3p", 1.6),
        ("hsa-miR-21-5p", 1.3),
        ("hsa-miR-155-5p", 1.4),
        ("hsa-miR-34a-5p", 1.1),
        ("hsa-miR-181a-5p", 1.0),
        ("hsa-miR-10b-5p", -1.5),
        ("hsa-miR-375-3p", -1.8),
        ("hsa-miR-126-3p", -1.2),
        ("hsa-miR-122-5p", -1.0),
        ("hsa-miR-200c-3p", 1.2),
    )
    dispersion: float = 0.03
    library_spread: float = 0.2
    background_fraction: tuple[float, float] = (0.15, 0.25)
    background_mix: tuple[float, ...] = (0.45, 0.15, 0.15, 0.15, 0.10)
    isomir_probabilities: tuple[float, ...] = (0.70, 0.10, 0.04, 0.08, 0.03, 0.025, 0.025)
    #: Standard deviation (log2) of the per-miRNA shift of batch ``b2``.
    batch_sd: float = 0.3
    error_rate: float = 0.002


def contaminant_sequences(rng: np.random.Generator) -> tuple[tuple[str, str], ...]:
    """Synthetic rRNA-, tRNA-, Y RNA- and snoRNA-like sequences (DNA alphabet)."""
    spec = (
        ("sim_rRNA_5S", 121, 0.55),
        ("sim_rRNA_5.8S", 157, 0.55),
        ("sim_rRNA_18S_part", 420, 0.5),
        ("sim_rRNA_28S_part", 420, 0.6),
        ("sim_tRNA_Gly_GCC", 71, 0.55),
        ("sim_tRNA_Glu_CTC", 72, 0.55),
        ("sim_tRNA_Val_CAC", 73, 0.55),
        ("sim_tRNA_Lys_CTT", 73, 0.5),
        ("sim_YRNA_4", 95, 0.45),
        ("sim_snoRNA_U3", 217, 0.45),
    )
    records = []
    for name, length, gc in spec:
        sequence = as_text(random_codes(rng, length, gc=gc))
        if "tRNA" in name:
            sequence = sequence[:-3] + "CCA"
        records.append((name, sequence))
    return tuple(records)


def rna_class_of(name: str) -> str:
    """RNA class of a simulated contaminant sequence, from its name ``sim_<class>_...``."""
    return name.split("_")[1]


def rna_class_fastas(
    contaminants: tuple[tuple[str, str], ...],
) -> dict[str, list[tuple[str, str]]]:
    """The contaminant sequences grouped by RNA class, classes in first-seen order."""
    by_class: dict[str, list[tuple[str, str]]] = {}
    for name, sequence in contaminants:
        by_class.setdefault(rna_class_of(name), []).append((name, sequence))
    return by_class


def baseline_abundance(
    rng: np.random.Generator, panel: Panel, design: SmallRnaDesign
) -> np.ndarray:
    """Relative abundance (sums to 1) per mature miRNA, in panel order: skewed, serum-like."""
    names = [m.name for m in panel.matures]
    n = len(names)
    values = np.sort(rng.normal(0.0, design.abundance_sd, size=n))
    pinned = dict(design.pinned_quantiles)
    slots = {name: round(q * (n - 2)) for name, q in pinned.items()}
    free_slots = [k for k in range(n - 1) if k not in set(slots.values())]
    free_names = [name for name in names if name not in pinned and name != design.top_mirna]
    order = rng.permutation(len(free_names))
    log_abundance = np.empty(n)
    for name, slot in slots.items():
        log_abundance[names.index(name)] = values[slot]
    for k, name_index in enumerate(order):
        log_abundance[names.index(free_names[name_index])] = values[free_slots[k]]
    log_abundance[names.index(design.top_mirna)] = values[-1] + 0.7
    weights = np.exp(log_abundance)
    return weights / weights.sum()


def planted_log2_fold_changes(panel: Panel, design: SmallRnaDesign) -> np.ndarray:
    """Planted log2 fold change (irradiated vs control) per mature miRNA, in panel order."""
    planted = dict(design.fold_changes)
    return np.array([planted.get(m.name, 0.0) for m in panel.matures])


@dataclass
class SmallRnaSample:
    """What one simulated small-RNA library holds."""

    name: str
    mirna_counts: np.ndarray
    #: reads per mature miRNA (rows, panel order) and isomiR kind (columns, ISOMIR_KINDS order)
    isomir_counts: np.ndarray
    class_counts: dict[str, int]
    reads: np.ndarray
    quals: np.ndarray


def _pad_matrix(sequences: list[str], width: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ASCII codes padded with N to ``width`` and the true lengths."""
    matrix = np.full((len(sequences), width), ord("N"), dtype=np.uint8)
    lengths = np.array([len(s) for s in sequences])
    for k, sequence in enumerate(sequences):
        matrix[k, : len(sequence)] = as_codes(sequence)
    return matrix, lengths


def _gather(source: np.ndarray, rows: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """``source[row, start:start+width]`` for every read (indices clipped to the row)."""
    columns = np.minimum(starts[:, None] + np.arange(width), source.shape[1] - 1)
    return source[rows[:, None], columns]


def _mirna_inserts(
    rng: np.random.Generator,
    panel: Panel,
    hairpins: np.ndarray,
    counts: np.ndarray,
    probabilities: tuple[float, ...],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """isomiR inserts for ``counts[i]`` reads of each mature miRNA ``i``, their lengths and the
    reads per miRNA and isomiR kind (:data:`ISOMIR_KINDS`)."""
    hairpin_row = {h.name: k for k, h in enumerate(panel.hairpins)}
    m_row = np.array([hairpin_row[m.hairpin] for m in panel.matures])
    m_start = np.array([m.start for m in panel.matures])
    m_len = np.array([len(m.sequence) for m in panel.matures])
    mature = np.repeat(np.arange(len(panel.matures)), counts)
    kind = rng.choice(len(ISOMIR_KINDS), size=mature.size, p=probabilities)
    per_kind = np.zeros((len(panel.matures), len(ISOMIR_KINDS)), dtype=np.int64)
    np.add.at(per_kind, (mature, kind), 1)
    kinds = np.array(ISOMIR_KINDS)[kind]
    shift5, trim3, add3 = kinds[:, 0], kinds[:, 1], kinds[:, 2]
    start = m_start[mature] + shift5
    core = m_len[mature] - shift5 - trim3
    inserts = _gather(hairpins, m_row[mature], start, READ_LENGTH)
    tails = np.where(rng.random(inserts.shape) < 0.6, ord("A"), ord("T")).astype(np.uint8)
    # the first added nt must not be the hairpin's own next nt (else it is a templated
    # extension): A and U swap where they would match
    templated = (np.arange(READ_LENGTH) == core[:, None]) & (tails == inserts)
    swapped = np.where(tails == ord("A"), ord("T"), ord("A")).astype(np.uint8)
    tails = np.where(templated, swapped, tails)
    inserts = np.where(np.arange(READ_LENGTH) < core[:, None], inserts, tails)
    return inserts, core + add3, per_kind


def _background_inserts(
    rng: np.random.Generator,
    panel: Panel,
    hairpins: np.ndarray,
    contaminants: tuple[tuple[str, str], ...],
    numbers: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Inserts of the background classes (:data:`BACKGROUND_CLASSES`), ``numbers`` of each.

    Also returns how many contaminant fragments each RNA class gave (:func:`rna_class_of`).
    """
    blocks: list[np.ndarray] = []
    lengths: list[np.ndarray] = []
    # contaminant fragments, 16-35 nt, rRNA and tRNA weighted by length
    cont, cont_len = _pad_matrix([s for _, s in contaminants], max(len(s) for _, s in contaminants))
    n = int(numbers[0])
    rows = rng.choice(len(contaminants), size=n, p=cont_len / cont_len.sum())
    flen = rng.integers(16, 36, size=n)
    starts = (rng.random(n) * (cont_len[rows] - flen + 1)).astype(int)
    blocks.append(_gather(cont, rows, starts, READ_LENGTH))
    lengths.append(flen)
    per_class: dict[str, int] = {}
    for (name, _), drawn in zip(contaminants, np.bincount(rows, minlength=len(cont)), strict=True):
        per_class[rna_class_of(name)] = per_class.get(rna_class_of(name), 0) + int(drawn)
    # stem-loop fragments centred on the loop (at most 2 nt into each arm)
    n = int(numbers[1])
    loop_start = np.array([h.loop_start for h in panel.hairpins])
    loop_len = np.array([h.loop_end - h.loop_start for h in panel.hairpins])
    rows = rng.integers(0, len(panel.hairpins), size=n)
    flen = np.minimum(rng.integers(16, 25, size=n), loop_len[rows] + 4)
    slack = loop_len[rows] + 4 - flen
    starts = loop_start[rows] - 2 + (rng.random(n) * (slack + 1)).astype(int)
    blocks.append(_gather(hairpins, rows, starts, READ_LENGTH))
    lengths.append(flen)
    # adapter dimers: empty insert
    n = int(numbers[2])
    blocks.append(np.zeros((n, READ_LENGTH), dtype=np.uint8))
    lengths.append(np.zeros(n, dtype=int))
    # too short inserts, 5-15 nt of random sequence
    n = int(numbers[3])
    blocks.append(random_codes(rng, (n, READ_LENGTH), gc=0.5))
    lengths.append(rng.integers(5, 16, size=n))
    # no adapter: 51 random nucleotides
    n = int(numbers[4])
    blocks.append(random_codes(rng, (n, READ_LENGTH), gc=0.5))
    lengths.append(np.full(n, READ_LENGTH))
    return np.concatenate(blocks), np.concatenate(lengths), per_class


def simulate_sample(
    rng: np.random.Generator,
    name: str,
    panel: Panel,
    contaminants: tuple[tuple[str, str], ...],
    abundance: np.ndarray,
    log2_fold_change: np.ndarray,
    batch_shift: np.ndarray,
    index: str,
    n_reads: int,
    design: SmallRnaDesign,
) -> SmallRnaSample:
    """Draw one library: counts per miRNA, background, read sequences and qualities.

    ``log2_fold_change`` and ``batch_shift`` are already set to zero where they do not apply
    (control sample, batch ``b1``).
    """
    library = round(n_reads * rng.uniform(1 - design.library_spread, 1 + design.library_spread))
    fraction = rng.uniform(*design.background_fraction)
    weights = abundance * np.exp2(log2_fold_change + batch_shift)
    mean = library * (1.0 - fraction) * weights / weights.sum()
    alpha = design.dispersion
    counts = rng.poisson(rng.gamma(1.0 / alpha, mean * alpha)).astype(np.int64)
    # background relative to the drawn miRNA reads, so its fraction is the one drawn
    n_background = round(counts.sum() * fraction / (1.0 - fraction))
    numbers = rng.multinomial(n_background, design.background_mix)

    hairpins, _ = _pad_matrix([h.sequence for h in panel.hairpins], 128)
    mi_inserts, mi_lengths, per_kind = _mirna_inserts(
        rng, panel, hairpins, counts, design.isomir_probabilities
    )
    bg_inserts, bg_lengths, per_rna_class = _background_inserts(
        rng, panel, hairpins, contaminants, numbers
    )
    inserts = np.concatenate([mi_inserts, bg_inserts])
    lengths = np.concatenate([mi_lengths, bg_lengths])
    order = rng.permutation(len(lengths))
    inserts, lengths = inserts[order], lengths[order]

    tail = as_codes(ADAPTER + INDEX_PREFIX + index + INDEX_SUFFIX)
    position = np.arange(READ_LENGTH)
    after = np.clip(position - lengths[:, None], 0, len(tail) - 1)
    reads = np.where(position < lengths[:, None], inserts, tail[after])
    reads, errors = add_substitutions(rng, reads, design.error_rate)
    quals = qualities(rng, reads.shape, errors)
    class_counts = {"mirna": int(counts.sum())}
    class_counts.update({cls: int(k) for cls, k in zip(BACKGROUND_CLASSES, numbers, strict=True)})
    del class_counts["contaminant"]  # reported per RNA class instead
    class_counts.update(per_rna_class)
    return SmallRnaSample(name, counts, per_kind, class_counts, reads, quals)


def fastq_chunks(sample: SmallRnaSample, chunk: int = 50_000) -> Iterator[bytes]:
    """FASTQ text of a sample in chunks; reads are named ``<sample>.<n>`` from 1."""
    total = sample.reads.shape[0]
    for lo in range(0, total, chunk):
        hi = min(lo + chunk, total)
        names = [f"{sample.name}.{k}" for k in range(lo + 1, hi + 1)]
        yield fastq_bytes(names, sample.reads[lo:hi], sample.quals[lo:hi])
