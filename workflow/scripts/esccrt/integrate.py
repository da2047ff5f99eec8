"""The join: sequencing differential expression meets qPCR survival (the study's central result).

Three tables come out of it (rule ``integrate``, workflow/rules/integrate.smk), each from the
stage tables the report used to join in memory:

- :func:`mirna_evidence`: for each qPCR miRNA, its small-RNA fold change beside its log-rank and
  Cox results, and whether it is a *candidate* (up in sequencing and prognostic);
- :func:`candidate_targets`: targets of the candidates among the significant mRNA DE genes
  (the mapped sources of ``integrate.mirna_targets``, rule mirna_targets);
- :func:`marker_panel` / :func:`marker_table`: the M2 macrophage markers' mRNA fold changes, and
  :func:`marker_plot` their bar chart.

Every study choice (miRNAs, endpoints, thresholds, markers) comes from the validated config
through :class:`JoinSettings`; the report only renders what this module wrote.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from esccrt.errors import InputError, located
from esccrt.integrate_settings import JoinSettings
from esccrt.io import read_tsv, save_figure, write_tsv_atomic
from esccrt.plot_guard import guarded_plot

#: Columns of one marker panel (one row per configured marker).
MARKER_COLUMNS = ["gene", "feature", "baseMean", "log2FoldChange", "padj", "significant", "note"]


# ------------------------------------------------------------------------------------ DE tables


def significant(results: pd.DataFrame) -> pd.DataFrame:
    """Rows of a DE table flagged significant (column ``significant``), by padj."""
    flag = results["significant"].astype(str).eq("True")
    return results[flag].drop(columns="significant").sort_values("padj")


def gene_labels(results: pd.DataFrame) -> pd.Series:
    """Gene names of a DE table (column ``name`` where filled, else ``feature``)."""
    if "name" not in results:
        return results["feature"].astype(str)
    names = results["name"].fillna("").astype(str)
    return names.where(names != "", results["feature"].astype(str))


# ---------------------------------------------------------------------------------- M2 markers


def marker_panel(results: pd.DataFrame, markers: Sequence[str]) -> pd.DataFrame:
    """Fold change and padj of each marker gene, in the configured order.

    A marker is matched by gene name (or feature id); markers absent from the table (not in the
    annotation, or filtered out for low counts) get a row saying so.
    """
    labels = gene_labels(results)
    rows = []
    for marker in markers:
        hit = results[(labels == marker) | (results["feature"].astype(str) == marker)]
        if hit.empty:
            rows.append({"gene": marker, "feature": "", "note": "not in the DE table"})
            continue
        row = hit.iloc[0]
        up = row["log2FoldChange"] > 0
        rows.append(
            {
                "gene": marker,
                "feature": row["feature"],
                "baseMean": row["baseMean"],
                "log2FoldChange": row["log2FoldChange"],
                "padj": row["padj"],
                "significant": str(row["significant"]) == "True",
                "note": ("up" if up else "down") + " in irradiated",
            }
        )
    return pd.DataFrame(rows).reindex(columns=MARKER_COLUMNS)


def marker_table(panels: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The marker panels of every contrast as one table, the contrast in the first column."""
    frames = [panel.assign(contrast=contrast) for contrast, panel in panels.items()]
    columns = ["contrast", *MARKER_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True).reindex(columns=columns)


def marker_plot(panel: pd.DataFrame, path: str | os.PathLike[str], title: str) -> None:
    """A horizontal bar chart of the markers' log2 fold changes (significant ones filled)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = panel.dropna(subset=["log2FoldChange"])
    fig, ax = plt.subplots(figsize=(6, 0.45 * max(len(shown), 2) + 1.2))
    colours = [
        ("#c0392b" if lfc > 0 else "#2e6da4") if sig is True else "#bbbbbb"
        for lfc, sig in zip(shown["log2FoldChange"], shown["significant"], strict=True)
    ]
    ax.barh(shown["gene"], shown["log2FoldChange"], color=colours)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("log2 fold change (irradiated vs control)")
    ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


# ------------------------------------------------------------------------------ miRNA targets


def read_mirna_targets(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A miRNA-target table (TSV with columns miRNA and gene; other columns kept).

    Raises :class:`InputError` naming the file when a column is missing or a cell is empty.
    """
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in ("miRNA", "gene") if c not in frame.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"column(s) {', '.join(missing)} missing (found: {', '.join(frame.columns)}); "
                "the miRNA-target table (rule mirna_targets, from integrate.mirna_targets) needs "
                "a header line with columns 'miRNA' and 'gene', tab-separated",
            )
        )
    for column in ("miRNA", "gene"):
        empty = frame.index[frame[column].str.strip() == ""]
        if len(empty):
            raise InputError(
                located(
                    path,
                    "empty cell; give every row a miRNA and a gene name",
                    line=int(empty[0]) + 2,
                    column=column,
                )
            )
    return frame.assign(miRNA=frame["miRNA"].str.strip(), gene=frame["gene"].str.strip())


def candidate_targets(
    targets: pd.DataFrame, candidates: Sequence[str], mrna_results: pd.DataFrame
) -> pd.DataFrame:
    """Targets of the candidate miRNAs that are significant in the mRNA DE table.

    Genes are matched by gene name or feature id. One row per (miRNA, gene), ordered as the
    candidates, then by padj.
    """
    de = significant(mrna_results.assign(gene=gene_labels(mrna_results)))
    wanted = targets[targets["miRNA"].isin(candidates)]
    by_name = wanted.merge(de, on="gene")
    by_id = wanted.merge(de.drop(columns="gene"), left_on="gene", right_on="feature")
    joined = pd.concat([by_name, by_id]).drop_duplicates(["miRNA", "gene", "feature"])
    order = {m: i for i, m in enumerate(candidates)}
    joined = joined.assign(_order=joined["miRNA"].map(order)).sort_values(["_order", "padj"])
    columns = ["miRNA", "gene", "feature", "baseMean", "log2FoldChange", "padj"]
    return joined.reindex(columns=columns).reset_index(drop=True)


def candidate_mirnas(evidence: pd.DataFrame) -> list[str]:
    """The miRNAs of an evidence table called candidates, in table order."""
    return evidence.loc[evidence["candidate"], "miRNA"].tolist()


# ------------------------------------------------------------------------------ miRNA evidence


def _holds(labels: pd.Series, mirna: str, mirnas: Sequence[str], alone: bool) -> pd.Series:
    """Which factor labels name ``mirna`` (and, if ``alone``, no other of ``mirnas``)."""
    others = [m for m in mirnas if m != mirna]
    mask = labels.str.contains(mirna, regex=False)
    if alone:
        for other in others:
            mask &= ~labels.str.contains(other, regex=False)
    return mask


def _cox_rows(
    cox: pd.DataFrame, mirna: str, settings: JoinSettings
) -> tuple[pd.Series | None, pd.Series | None]:
    """The univariate Cox row of ``mirna`` alone and the best multivariate row holding it."""
    mirnas, endpoint = settings.mirnas, settings.prognostic_endpoint
    multivariate = cox[
        (cox["model"] == "multivariate")
        & (cox["endpoint"] == endpoint)
        & _holds(cox["factor"], mirna, mirnas, alone=False)
    ].sort_values("p")
    univariate = cox[
        (cox["model"] == "univariate")
        & (cox["endpoint"] == endpoint)
        & _holds(cox["factor"], mirna, mirnas, alone=True)
    ]
    uni = univariate.iloc[0] if len(univariate) else None
    best = multivariate.iloc[0] if len(multivariate) else None
    return uni, best


def _ci(row: pd.Series | None) -> str | None:
    """A Cox row's 95 % CI as text (``0.45-1.20``)."""
    return None if row is None else f"{row['ci_low']:.2f}-{row['ci_high']:.2f}"


def _cox_columns(endpoint: str, uni: pd.Series | None, best: pd.Series | None) -> dict[str, object]:
    """The univariate and best multivariate Cox columns of one evidence row."""
    return {
        f"univariate_{endpoint}_hr": None if uni is None else uni["hr"],
        f"univariate_{endpoint}_ci": _ci(uni),
        f"univariate_{endpoint}_p": None if uni is None else uni["p"],
        f"multivariate_{endpoint}_factor": None if best is None else best["factor"],
        f"multivariate_{endpoint}_hr": None if best is None else best["hr"],
        f"multivariate_{endpoint}_ci": _ci(best),
        f"multivariate_{endpoint}_p": None if best is None else best["p"],
    }


def _evidence_row(
    mirna: str,
    de: pd.DataFrame,
    table1: pd.DataFrame,
    cox: pd.DataFrame,
    settings: JoinSettings,
) -> dict[str, object]:
    """One row of :func:`mirna_evidence`: the miRNA's sequencing and survival results."""
    endpoint, threshold = settings.prognostic_endpoint, settings.survival_p_threshold
    seq = de.loc[mirna] if mirna in de.index else None
    single = table1[_holds(table1["factor"], mirna, settings.mirnas, alone=True)]
    uni, best = _cox_rows(cox, mirna, settings)
    single_p = single[f"{endpoint}_p"].min() if len(single) else float("nan")
    up = bool(
        seq is not None
        and pd.notna(seq["padj"])
        and seq["padj"] < settings.padj_threshold
        and seq["log2FoldChange"] >= settings.lfc_threshold
    )
    prognostic = bool(
        (pd.notna(single_p) and single_p < threshold)
        or (best is not None and pd.notna(best["p"]) and best["p"] < threshold)
    )
    return {
        "miRNA": mirna,
        "seq_log2FoldChange": None if seq is None else seq["log2FoldChange"],
        "seq_padj": None if seq is None else seq["padj"],
        # One log-rank column per configured endpoint (logrank_p_os, logrank_p_pfs, ...).
        **{
            f"logrank_p_{name}": single[f"{name}_p"].min() if len(single) else None
            for name in settings.endpoints
        },
        **_cox_columns(endpoint, uni, best),
        "up_in_sequencing": up,
        "prognostic": prognostic,
        "candidate": up and prognostic,
    }


def mirna_evidence(
    de_results: pd.DataFrame,
    table1: pd.DataFrame,
    cox: pd.DataFrame,
    settings: JoinSettings,
) -> pd.DataFrame:
    """Join, for each qPCR miRNA, its sequencing fold change with its survival results.

    A miRNA is *up in sequencing* when its padj is below and its log2 fold change at or above the
    thresholds; it is *prognostic* for ``settings.prognostic_endpoint`` when its own fold-change
    group separates survival (log-rank p below ``survival_p_threshold``) or when a fold-change
    factor holding it is an independent predictor in the multivariate Cox model (p below the same
    threshold), as the study reports for miR-143-3p with miR-223-3p. A candidate is both.
    """
    de = de_results.set_index("feature")
    rows = [_evidence_row(mirna, de, table1, cox, settings) for mirna in settings.mirnas]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------- the stage: rule integrate


@dataclass(frozen=True)
class IntegrateSettings:
    """The settings of rule integrate, from its ``params`` (:func:`join_params`)."""

    #: The evidence join's settings; None when the small-RNA or the qPCR arm does not run.
    join: JoinSettings | None
    #: M2 marker genes (``report.m2_markers``), in table order.
    m2_markers: tuple[str, ...]
    #: The mRNA arm's contrasts, in the order of ``IntegrateInputs.mrna_de``.
    contrasts: tuple[str, ...]

    @classmethod
    def from_params(cls, params: Mapping, contrasts: Sequence[str]) -> IntegrateSettings:
        """From :func:`join_params`' values and the rule's contrasts."""
        join = JoinSettings(**params["join"]) if "join" in params else None
        return cls(join, tuple(params["m2_markers"]), tuple(contrasts))


@dataclass(frozen=True)
class IntegrateInputs:
    """The stage tables the join reads; None / empty when their part of the join is absent."""

    smallrna_de: Path | None
    table1: Path | None
    cox: Path | None
    mirna_targets: Path | None
    #: The mRNA arm's DE tables, one per contrast in ``IntegrateSettings.contrasts`` order.
    mrna_de: tuple[Path, ...]


@dataclass(frozen=True)
class IntegrateOutputs:
    """The join's tables and figures; None / empty when their part of the join is absent."""

    evidence: Path | None
    targets: Path | None
    markers: Path | None
    #: One bar chart per contrast (none when ``report.m2_markers`` is empty).
    m2_plots: tuple[Path, ...]


def _one(files: Sequence[object]) -> Path | None:
    """The single file of a rule's list input or output, None when the list is empty."""
    return Path(str(files[0])) if files else None


def stage_paths(given: Mapping, made: Mapping) -> tuple[IntegrateInputs, IntegrateOutputs]:
    """The rule's named inputs and outputs (each a list, empty when its part is absent)."""
    inputs = IntegrateInputs(
        smallrna_de=_one(given["smallrna_de"]),
        table1=_one(given["table1"]),
        cox=_one(given["cox"]),
        mirna_targets=_one(given["mirna_targets"]),
        mrna_de=tuple(Path(str(p)) for p in given["mrna_de"]),
    )
    outputs = IntegrateOutputs(
        evidence=_one(made["evidence"]),
        targets=_one(made["targets"]),
        markers=_one(made["markers"]),
        m2_plots=tuple(Path(str(p)) for p in made["m2_plots"]),
    )
    return inputs, outputs


def run(settings: IntegrateSettings, inputs: IntegrateInputs, outputs: IntegrateOutputs) -> None:
    """Rule integrate: the miRNA evidence and the candidates' targets (small-RNA and qPCR arms),
    the M2 marker table and plots (mRNA arm); each part only when its outputs are declared."""
    if outputs.evidence and settings.join and inputs.smallrna_de and inputs.table1 and inputs.cox:
        evidence = mirna_evidence(
            read_tsv(inputs.smallrna_de),
            read_tsv(inputs.table1),
            read_tsv(inputs.cox),
            settings.join,
        )
        write_tsv_atomic(evidence, outputs.evidence)
        print(f"candidates: {candidate_mirnas(evidence) or 'none'}", file=sys.stderr)
        if outputs.targets and inputs.mirna_targets:
            targets = candidate_targets(
                read_mirna_targets(inputs.mirna_targets),
                candidate_mirnas(evidence),
                read_tsv(inputs.mrna_de[0]),
            )
            write_tsv_atomic(targets, outputs.targets)
    if outputs.markers:
        panels = {
            contrast: marker_panel(read_tsv(path), settings.m2_markers)
            for contrast, path in zip(settings.contrasts, inputs.mrna_de, strict=True)
        }
        write_tsv_atomic(marker_table(panels), outputs.markers)
        if not outputs.m2_plots:  # none are declared when report.m2_markers is empty
            return
        # The table is written: a figure that fails becomes a placeholder (esccrt.plot_guard).
        for (contrast, panel), png in zip(panels.items(), outputs.m2_plots, strict=True):
            title = f"M2 markers: {contrast}"
            guarded_plot(f"marker plot {contrast}", png, partial(marker_plot, panel, png, title))
