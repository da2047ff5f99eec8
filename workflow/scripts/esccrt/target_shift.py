"""Do the targets of the miRNAs that change in the exosomes move in the recipient cells?

For each differentially expressed miRNA (small-RNA arm) and each target source and evidence tier
(:mod:`esccrt.mirna_targets`), the log2 fold changes of its targets among the expressed genes
of the mRNA arm are compared with those of non-targets drawn to match the targets' 3'UTR length
and expression (quantile bins; :func:`matched_background`): a one-sided Wilcoxon rank-sum test
(:func:`scipy.stats.mannwhitneyu`; targets expected down for a miRNA that goes up and up for one
that goes down), the difference in medians with a bootstrap CI, and BH q-values over the miRNAs
of each source and tier. Long 3'UTRs carry more sites and are regulated differently, and
expression level shapes how far a fold change can move: an unmatched background confounds both
with targeting.

Where the two arms come from the same samples (a pairing column in the sample sheet),
:func:`paired_correlations` gives each target's Spearman correlation with its miRNA across the
paired samples, beside the shift test.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from esccrt.integrate_settings import ShiftSettings

#: Columns of results/integrate/target_shift.tsv.
SHIFT_COLUMNS = [
    "miRNA",
    "miRNA_log2FoldChange",
    "miRNA_padj",
    "source",
    "tier",
    "alternative",
    "n_targets",
    "n_background",
    "targets_not_tested",
    "matched_on",
    "median_targets",
    "median_background",
    "median_difference",
    "ci_low",
    "ci_high",
    "U",
    "p",
    "q",
    "significant",
    "median_rho_targets",
    "median_rho_background",
    "note",
    "plot",
]
#: Columns of the per-gene table (which genes each test compared).
GENE_COLUMNS = [
    "miRNA",
    "source",
    "tier",
    "role",
    "feature",
    "gene",
    "log2FoldChange",
    "baseMean",
    "utr3_length",
    "stratum",
    "rho",
]


# --------------------------------------------------------------------------- the genes tested


def gene_table(mrna_de: pd.DataFrame, utr: pd.DataFrame | None, settings: ShiftSettings):
    """Expressed genes of the mRNA DE table with their 3'UTR length and matching stratum.

    Expressed: a fold change and baseMean at or above ``min_base_mean``. Strata are quantile
    bins of 3'UTR length and of log baseMean (``utr_bins`` x ``expression_bins``); without UTR
    lengths (``utr`` None or empty) the strata are expression bins only. Genes without a UTR
    length are left out when lengths are given. Returns (table indexed by feature, matched_on).
    """
    genes = mrna_de.dropna(subset=["log2FoldChange"])
    genes = genes[genes["baseMean"] >= settings.min_base_mean].copy()
    name = genes["name"].fillna("").astype(str) if "name" in genes else genes["feature"]
    genes["gene"] = name.where(name != "", genes["feature"].astype(str))
    genes = genes.set_index(genes["feature"].astype(str))
    expression = _bins(np.log2(genes["baseMean"] + 1), settings.expression_bins)
    if utr is not None and len(utr):
        lengths = utr.set_index(utr["gene"].astype(str))["utr3_length"]
        genes["utr3_length"] = lengths.reindex(genes.index)
        genes = genes.dropna(subset=["utr3_length"])
        utr_bin = _bins(genes["utr3_length"], settings.utr_bins)
        genes["stratum"] = utr_bin.astype(str) + "/" + expression.reindex(genes.index).astype(str)
        return genes, "3'UTR length and expression"
    genes["utr3_length"] = np.nan
    genes["stratum"] = "-/" + expression.astype(str)
    return genes, "expression"


def _bins(values: pd.Series, n: int) -> pd.Series:
    """Quantile bin (0..n-1) of each value; ties broken by order so every bin is filled."""
    ranks = values.rank(method="first")
    return np.ceil(ranks / len(values) * n).clip(1, n).astype(int) - 1


def matched_background(
    strata: pd.Series, targets: Sequence[str], per_target: int, rng: np.random.Generator
) -> list[str]:
    """Non-targets drawn to match the targets' strata (``strata``: gene -> stratum).

    Each stratum gives ``per_target`` non-targets per target it holds, or all it has when it
    holds fewer (the background's composition then departs from the targets' in that stratum
    only; a ratio bounded by the scarcest stratum would throw most of the background away).
    Drawn without replacement, in a fixed order, with ``rng``.
    """
    is_target = strata.index.isin(list(targets))
    held = strata[is_target].value_counts()
    chosen: list[str] = []
    for stratum in sorted(held.index):
        pool = sorted(strata.index[(strata == stratum) & ~is_target])
        take = min(len(pool), per_target * int(held[stratum]))
        chosen += [pool[i] for i in sorted(rng.choice(len(pool), size=take, replace=False))]
    return chosen


def shift_test(
    targets: np.ndarray,
    background: np.ndarray,
    alternative: str,
    n_boot: int,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Rank-sum test of ``targets`` against ``background`` and the difference in medians.

    ``U`` and ``p`` are :func:`scipy.stats.mannwhitneyu`'s (U of the targets); the 95 % CI of
    the median difference is the percentile interval of ``n_boot`` bootstrap resamples of each
    group.
    """
    test = stats.mannwhitneyu(targets, background, alternative=alternative)
    boot_t = rng.choice(targets, size=(n_boot, len(targets)), replace=True)
    boot_b = rng.choice(background, size=(n_boot, len(background)), replace=True)
    differences = np.median(boot_t, axis=1) - np.median(boot_b, axis=1)
    low, high = np.percentile(differences, [2.5, 97.5])
    return {
        "median_targets": float(np.median(targets)),
        "median_background": float(np.median(background)),
        "median_difference": float(np.median(targets) - np.median(background)),
        "ci_low": float(low),
        "ci_high": float(high),
        "U": float(test.statistic),
        "p": float(test.pvalue),
    }


def rng_for(seed: int, *labels: str) -> np.random.Generator:
    """A generator for one test, from the configured seed and the test's labels: a test's
    background does not depend on which other tests run."""
    key = zlib.crc32("\t".join(labels).encode())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, key])))


# ------------------------------------------------------------------------------- every test


def de_mirnas(smallrna_de: pd.DataFrame, settings: ShiftSettings) -> pd.DataFrame:
    """miRNAs with padj below and |log2FC| at or above the DE thresholds, up first."""
    de = smallrna_de.dropna(subset=["padj", "log2FoldChange"])
    de = de[
        (de["padj"] < settings.padj_threshold)
        & (de["log2FoldChange"].abs() >= settings.lfc_threshold)
    ]
    return de.sort_values(["log2FoldChange"], ascending=False).reset_index(drop=True)


def _tiers(interactions: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """('all', every pair), then each evidence tier when the source has more than one."""
    present = sorted(
        set(interactions["tier"]),
        key=lambda t: ("strong", "weak").index(t) if t in ("strong", "weak") else 2,
    )
    tiers = [("all", interactions)]
    if len(present) > 1:
        tiers += [(tier, interactions[interactions["tier"] == tier]) for tier in present]
    return tiers


def shift_tests(
    mirnas: pd.DataFrame,
    interactions: pd.DataFrame,
    genes: pd.DataFrame,
    matched_on: str,
    settings: ShiftSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every test: (results, the genes each compared). One row per miRNA x source x tier."""
    rows, members = [], []
    for source, by_source in interactions.groupby("source", sort=False):
        for _, mirna in mirnas.iterrows():
            name = str(mirna["feature"])
            for tier, pairs in _tiers(by_source):
                wanted = set(pairs.loc[pairs["miRNA"] == name, "gene"])
                row, used = _one_test(name, mirna, str(source), tier, wanted, genes, settings)
                rows.append({**row, "matched_on": matched_on})
                members.append(used)
    results = pd.DataFrame(rows, columns=SHIFT_COLUMNS)
    results["q"] = np.nan
    for _, index in results.groupby(["source", "tier"], sort=False).groups.items():
        tested = results.loc[index, "p"].dropna()
        if len(tested):
            results.loc[tested.index, "q"] = stats.false_discovery_control(tested, method="bh")
    results["significant"] = results["q"] < settings.q_threshold
    used = pd.concat(members, ignore_index=True) if members else pd.DataFrame()
    return results, used.reindex(columns=GENE_COLUMNS)


def _one_test(
    name: str,
    mirna: pd.Series,
    source: str,
    tier: str,
    wanted: set[str],
    genes: pd.DataFrame,
    settings: ShiftSettings,
) -> tuple[dict[str, object], pd.DataFrame]:
    """One miRNA x source x tier: its row of the results and the genes it compared."""
    targets = sorted(wanted & set(genes.index))
    alternative = "less" if mirna["log2FoldChange"] > 0 else "greater"
    row: dict[str, object] = {
        "miRNA": name,
        "miRNA_log2FoldChange": mirna["log2FoldChange"],
        "miRNA_padj": mirna["padj"],
        "source": source,
        "tier": tier,
        "alternative": alternative,
        "n_targets": len(targets),
        "targets_not_tested": len(wanted) - len(targets),
        "note": "",
    }
    if len(targets) < settings.min_targets:
        row["note"] = f"fewer than {settings.min_targets} expressed targets; not tested"
        return row, pd.DataFrame()
    rng = rng_for(settings.seed, name, source, tier)
    background = matched_background(genes["stratum"], targets, settings.background_per_target, rng)
    row["n_background"] = len(background)
    lfc = genes["log2FoldChange"]
    row |= shift_test(
        lfc[targets].to_numpy(), lfc[background].to_numpy(), alternative, settings.bootstrap, rng
    )
    used = pd.concat(
        [
            genes.loc[targets].assign(role="target"),
            genes.loc[background].assign(role="background"),
        ]
    )
    used = used.assign(miRNA=name, source=source, tier=tier, feature=used.index)
    return row, used.reindex(columns=GENE_COLUMNS)


# ------------------------------------------------------------------- paired samples


def paired_correlations(
    smallrna_counts: pd.DataFrame,
    mrna_counts: pd.DataFrame,
    pairs: Mapping[str, str],
    used: pd.DataFrame,
) -> pd.Series:
    """Spearman rho of each compared gene with its miRNA across paired samples.

    ``pairs`` maps a small-RNA sample to the mRNA sample of the same pair (sample sheet's
    pairing column); counts are normalised tables (feature column, one column per sample).
    Returns rho per row of ``used`` (NaN when fewer than 3 pairs or either is constant).
    """
    small = smallrna_counts.set_index(smallrna_counts["feature"].astype(str))
    large = mrna_counts.set_index(mrna_counts["feature"].astype(str))
    left = [s for s in pairs if s in small.columns and pairs[s] in large.columns]
    right = [pairs[s] for s in left]
    rho = pd.Series(np.nan, index=used.index)
    if len(left) < 3:
        return rho
    for index, row in used.iterrows():
        if row["miRNA"] in small.index and row["feature"] in large.index:
            x = np.log2(small.loc[row["miRNA"], left].astype(float).to_numpy() + 1)
            y = np.log2(large.loc[row["feature"], right].astype(float).to_numpy() + 1)
            if np.ptp(x) > 0 and np.ptp(y) > 0:
                rho[index] = stats.spearmanr(x, y).statistic
    return rho


def add_correlation_summary(results: pd.DataFrame, used: pd.DataFrame) -> pd.DataFrame:
    """Median rho of targets and of the background, per test, beside its shift result."""
    medians = used.groupby(["miRNA", "source", "tier", "role"])["rho"].median().unstack("role")
    out = results.copy()
    for role, column in (("target", "median_rho_targets"), ("background", "median_rho_background")):
        if role in medians:
            key = list(zip(out["miRNA"], out["source"], out["tier"], strict=True))
            out[column] = [medians[role].get(k, np.nan) for k in key]
    return out


# ----------------------------------------------------------------------- candidates


def top_down_targets(used: pd.DataFrame, mirna: str, source: str, n: int) -> str:
    """The ``n`` targets with the lowest fold change (``GENE (-1.23)``), of tier 'all'."""
    rows = used[
        (used["miRNA"] == mirna)
        & (used["source"] == source)
        & (used["tier"] == "all")
        & (used["role"] == "target")
    ].nsmallest(n, "log2FoldChange")
    return ", ".join(
        f"{g} ({v:.2f})" for g, v in zip(rows["gene"], rows["log2FoldChange"], strict=True)
    )


def marker_summary(markers: pd.DataFrame | None) -> str:
    """The M2 marker panel of the first contrast as text: ``CD163 +2.01*`` (* significant)."""
    if markers is None or markers.empty:
        return ""
    first = markers[markers["contrast"] == markers["contrast"].iloc[0]]
    parts = []
    for _, row in first.iterrows():
        if pd.isna(row["log2FoldChange"]):
            parts.append(f"{row['gene']} n/a")
        else:
            star = "*" if str(row["significant"]) == "True" else ""
            parts.append(f"{row['gene']} {row['log2FoldChange']:+.2f}{star}")
    return ", ".join(parts)


def candidate_table(
    results: pd.DataFrame,
    used: pd.DataFrame,
    evidence: pd.DataFrame | None,
    markers: pd.DataFrame | None,
    top: int,
) -> pd.DataFrame:
    """Per tested miRNA up in the exosomes: fold change, survival, shift and top targets.

    The survival columns are the join's (results/integrate/mirna_evidence.tsv) where the qPCR
    arm runs; the shift is that of each source's 'all' tier; the M2 marker panel stands beside.
    """
    shown = results[(results["tier"] == "all") & (results["miRNA_log2FoldChange"] > 0)]
    survival = [
        c
        for c in (evidence.columns if evidence is not None else [])
        if c.startswith(("logrank_p_", "univariate_", "multivariate_"))
    ] + (["candidate"] if evidence is not None else [])
    rows = []
    for _, row in shown.iterrows():
        joined = {}
        if evidence is not None:
            hit = evidence[evidence["miRNA"] == row["miRNA"]]
            joined = {c: (hit.iloc[0][c] if len(hit) else None) for c in survival}
        rows.append(
            {
                "miRNA": row["miRNA"],
                "exosome_log2FoldChange": row["miRNA_log2FoldChange"],
                "exosome_padj": row["miRNA_padj"],
                **joined,
                "source": row["source"],
                "n_targets": row["n_targets"],
                "median_difference": row["median_difference"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "p": row["p"],
                "q": row["q"],
                "top_down_targets": top_down_targets(used, row["miRNA"], row["source"], top),
                "m2_markers": marker_summary(markers),
            }
        )
    columns = [
        "miRNA",
        "exosome_log2FoldChange",
        "exosome_padj",
        *survival,
        "source",
        "n_targets",
        "median_difference",
        "ci_low",
        "ci_high",
        "p",
        "q",
        "top_down_targets",
        "m2_markers",
    ]
    return pd.DataFrame(rows, columns=columns)  # the header even when no miRNA went up


# ----------------------------------------------------------------------------- the figure


def cdf_plot(used: pd.DataFrame, row: pd.Series, path: str | os.PathLike[str]) -> None:
    """Cumulative distributions of the targets' and the matched background's fold changes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from esccrt.io import save_figure

    fig, ax = plt.subplots(figsize=(5, 4))
    for role, colour, label in (
        ("background", "#888888", "matched non-targets"),
        ("target", "#c0392b", "targets"),
    ):
        values = np.sort(used.loc[used["role"] == role, "log2FoldChange"].to_numpy())
        ax.step(
            values,
            np.arange(1, len(values) + 1) / len(values),
            where="post",
            color=colour,
            label=f"{label} (n={len(values)})",
        )
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel("log2 fold change in the recipient cells")
    ax.set_ylabel("cumulative fraction")
    ax.set_title(
        f"{row['miRNA']} ({row['source']}): p={row['p']:.2g}, q={row['q']:.2g}", fontsize=9
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
