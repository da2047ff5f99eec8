"""Planted miRNA targets: the study's mechanism, SIMULATED.

Every gene gets a 3'UTR length (log-normal). Every mature miRNA of the panel gets a target set,
drawn with probability proportional to 3'UTR length (longer UTRs hold more sites, as in real
target tables, so that a background not matched for length would be biased). The target sets of
the miRNAs the study follows (``TargetDesign.shifted``: miR-143-3p and miR-223-3p, planted up in
the irradiated exosomes) are disjoint and drawn from genes without planted differential
expression; their genes are shifted down (``TargetDesign.shift``) in the irradiated macrophages.
Every other miRNA's set, including those of the other up-regulated miRNAs, is drawn from all
genes (DE, shifted or not) and carries no shift of its own: the negative controls (a miRNA going up
in the exosomes is not enough; its targets must move).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TargetDesign:
    """Planted parameters of the target sets."""

    targets_per_mirna: int = 20
    #: miRNAs (planted up in the exosomes) whose targets are shifted in the macrophages.
    shifted: tuple[str, ...] = ("hsa-miR-143-3p", "hsa-miR-223-3p")
    #: log2 shift of their targets in the irradiated macrophages (mean, SD): small enough that
    #: a single target is rarely a DE gene, large enough for the set.
    shift: float = -0.35
    shift_sd: float = 0.05
    utr_median: float = 900.0
    utr_log_sd: float = 0.8
    #: Every ``gene_id_every``-th interaction names its gene by ID, the others by symbol (both
    #: occur in real tables; the workflow maps both through the GTF).
    gene_id_every: int = 4


def utr3_lengths(rng: np.random.Generator, n_genes: int, design: TargetDesign) -> np.ndarray:
    """A 3'UTR length (nt, at least 50) per gene."""
    lengths = rng.lognormal(np.log(design.utr_median), design.utr_log_sd, size=n_genes)
    return np.maximum(np.rint(lengths), 50).astype(int)


def _draw(rng: np.random.Generator, pool: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` genes of ``pool`` without replacement, with probability ~ ``weights``."""
    p = weights[pool] / weights[pool].sum()
    return np.sort(rng.choice(pool, size=min(n, len(pool)), replace=False, p=p))


def plant_targets(
    rng: np.random.Generator,
    gene_lfc: np.ndarray,
    mirna_lfc: Mapping[str, float],
    utr: np.ndarray,
    design: TargetDesign,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(target gene indices per miRNA, log2 shift per gene) for the irradiated macrophages.

    ``gene_lfc`` are the planted DE fold changes (genes with one are never targets);
    ``mirna_lfc`` the exosome miRNAs' planted fold changes, in panel order; only miRNAs of
    ``design.shifted`` planted up get a shifted set.
    """
    free = np.flatnonzero(gene_lfc == 0)
    shift = np.zeros(len(gene_lfc))
    targets: dict[str, np.ndarray] = {}
    available = free.copy()
    shifted = {name for name, lfc in mirna_lfc.items() if lfc > 0 and name in design.shifted}
    for name in mirna_lfc:
        if name in shifted:
            chosen = _draw(rng, available, utr.astype(float), design.targets_per_mirna)
            available = np.setdiff1d(available, chosen)
            shift[chosen] = rng.normal(design.shift, design.shift_sd, size=len(chosen))
            targets[name] = chosen
    every = np.arange(len(gene_lfc))
    for name in mirna_lfc:
        if name not in shifted:
            targets[name] = _draw(rng, every, utr.astype(float), design.targets_per_mirna)
    return targets, shift


def target_table(
    targets: Mapping[str, np.ndarray],
    gene_ids: Sequence[str],
    gene_names: Sequence[str],
    design: TargetDesign,
) -> pd.DataFrame:
    """The user-TSV source of the demo: miRNA, gene (symbol, or ID every few rows), tier."""
    rows = []
    for name, genes in targets.items():
        for g in genes:
            rows.append((name, int(g)))
    frame = pd.DataFrame(rows, columns=["miRNA", "index"])
    by_id = np.arange(len(frame)) % design.gene_id_every == design.gene_id_every - 1
    frame["gene"] = [
        gene_ids[g] if use_id else gene_names[g]
        for g, use_id in zip(frame["index"], by_id, strict=True)
    ]
    return frame.assign(tier="simulated")[["miRNA", "gene", "tier"]]


def truth_table(
    targets: Mapping[str, np.ndarray],
    mirna_lfc: Mapping[str, float],
    shift: np.ndarray,
    gene_ids: Sequence[str],
    shifted: Collection[str],
) -> pd.DataFrame:
    """Planted truth: per miRNA, its exosome fold change, target count, whether its targets were
    shifted (``shifted``) and their mean planted shift."""
    rows = [
        {
            "miRNA": name,
            "exosome_log2_fold_change": mirna_lfc[name],
            "n_targets": len(genes),
            "shifted": name in shifted,
            "mean_planted_shift": float(shift[genes].mean()) if name in shifted else 0.0,
            "targets": ",".join(gene_ids[g] for g in genes),
        }
        for name, genes in targets.items()
    ]
    return pd.DataFrame(rows)
