"""Per-sample QC verdicts of the small-RNA libraries (rule smallrna_sample_qc): one row per
sample in results/qc/sample_qc.tsv, with each criterion's value, thresholds and verdict.

The criteria are miRTrace's five (Phred, length, QC-passed reads, miRNA share, miRNA
complexity; Kang et al. 2018, Genome Biol 19:213), exceRpt's two (transcriptome reads and the
transcriptome/genome ratio; exceRpt_smallRNA's QC_result), a robust-z outlier test on the
first principal components of the miRNA matrix and DraculR's haemolysis metric of plasma
libraries (Smith et al. 2022, Genes 13:1288; :mod:`esccrt.smallrna.haemolysis`). Thresholds
come from the config section ``qc`` (workflow/schemas/qc.schema.yaml holds the defaults and
their sources). Every value is computed from what the arm's steps wrote: the trimming reports
(Phred tally, insert lengths), each sample's counts (read fate, mature and hairpin counts) and
the count matrix. The arm's QC gate (results/smallrna/qc_gate.tsv, read by differential
expression) follows from the overall verdicts and ``qc.exclude``.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from esccrt.errors import InputError
from esccrt.qc_criteria import (
    CRITERIA,
    EXCLUDED_VERDICTS,
    FAIL,
    NA,
    NO_GENOME,
    PASS,
    SEVERITY,
    WARN,
)

if TYPE_CHECKING:  # pandas is imported where used
    import pandas as pd

log = logging.getLogger(__name__)

#: Scales the median absolute deviation to the standard deviation of a normal distribution.
MAD_TO_SD = 1.4826
#: The robust z needs a median and a spread among the other samples.
MIN_OUTLIER_SAMPLES = 3


def share(part: float, whole: float) -> float:
    """``part / whole``; NaN when there is nothing to share."""
    return part / whole if whole > 0 else math.nan


def phred_share(phred: Mapping[int, int], min_phred: int) -> float:
    """Share of the nucleotides tallied (score -> nt) with a score of at least ``min_phred``."""
    return share(sum(n for score, n in phred.items() if score >= min_phred), sum(phred.values()))


def length_share(lengths: Mapping[int, int], reads: int, window: tuple[int, int]) -> float:
    """Share of ``reads`` whose insert length (length -> reads) is inside ``window``."""
    return share(sum(n for length, n in lengths.items() if window[0] <= length <= window[1]), reads)


def passing_filters_share(
    lengths: Mapping[int, int], no_adapter: int, reads: int, min_length: int
) -> float:
    """miRTrace's share of QC-passed reads: of ``reads``, those whose insert (length -> reads:
    adapter removed, or the whole read where none was found) is at least ``min_length`` nt,
    and the ``no_adapter`` reads discarded for want of an adapter (kept whole by miRTrace).

    miRTrace reads only the first 50 nt of a read, so it has no upper limit: a longer insert
    is cut to 50 nt and passes (AnalysisPipeline.java, Config.READ_LENGTH_CUTOFF).
    """
    passed = sum(n for length, n in lengths.items() if length >= min_length)
    return share(passed + no_adapter, reads)


def mirna_reads(fate: Mapping[str, int]) -> int:
    """Reads of the miRNA steps (mature, and hairpin only)."""
    return fate["mature"] + fate["hairpin_only"]


def mirna_share(fate: Mapping[str, int]) -> float:
    """Share of the screened reads (filters passed, UMI duplicates removed) that are miRNAs."""
    screened = sum(fate["rna_classes"].values()) + mirna_reads(fate) + fate["unassigned"]
    return share(mirna_reads(fate), screened)


def transcriptome_reads(fate: Mapping[str, int], not_transcriptome: Iterable[str]) -> int:
    """miRNA reads and the reads of the RNA classes other than ``not_transcriptome``."""
    left_out = set(not_transcriptome)
    classes = sum(n for name, n in fate["rna_classes"].items() if name not in left_out)
    return mirna_reads(fate) + classes


def detected_genes(
    mature: Mapping[str, float],
    hairpin: Mapping[str, float],
    arms: Mapping[str, Sequence[tuple[str, int, int]]],
) -> set[str]:
    """Hairpins (miRNA genes) with a read: in the hairpin step, or through a mature miRNA they
    hold (a mature sequence in several hairpins detects each, as miRTrace's hairpin search)."""
    found = {name for name, reads in mature.items() if reads > 0}
    genes = {name for name, reads in hairpin.items() if reads > 0}
    genes |= {gene for gene, regions in arms.items() if any(m in found for m, _, _ in regions)}
    return genes


def robust_z(values: Sequence[float]) -> list[float]:
    """(value - median) / (1.4826 x MAD) of each value; NaN for all when the MAD is 0."""
    import statistics

    centre = statistics.median(values)
    mad = statistics.median(abs(v - centre) for v in values) * MAD_TO_SD
    return [(v - centre) / mad if mad > 0 else math.nan for v in values]


def outlier_scores(counts: pd.DataFrame, components: int) -> pd.DataFrame:
    """Per sample (rows), the robust z of its score on each of the first ``components``
    principal components of the log2(CPM + 1) matrix (features x samples; features without
    reads left out). Empty columns with fewer than :data:`MIN_OUTLIER_SAMPLES` samples."""
    import numpy as np
    import pandas as pd

    samples = list(counts.columns)
    kept = counts.loc[counts.sum(axis=1) > 0]
    usable = min(components, len(samples) - 1)
    if len(samples) < MIN_OUTLIER_SAMPLES or kept.empty or usable < 1:
        return pd.DataFrame(index=samples)
    totals = kept.sum(axis=0).replace(0, np.nan)
    logged = np.log2(kept.div(totals, axis=1).fillna(0.0) * 1e6 + 1).T.to_numpy()
    centred = logged - logged.mean(axis=0)
    left, singular, _ = np.linalg.svd(centred, full_matrices=False)
    scores = left[:, :usable] * singular[:usable]
    return pd.DataFrame(
        {f"PC{k + 1}": robust_z(scores[:, k].tolist()) for k in range(usable)}, index=samples
    )


@dataclass(frozen=True)
class SampleValues:
    """Every criterion's value for one sample (NaN where it cannot be computed)."""

    sample: str
    values: dict[str, float]
    notes: dict[str, str]


def sample_values(
    sample: str,
    counts: Mapping,
    phred: Mapping[int, int],
    lengths: Mapping[int, int],
    genes: int,
    arms: Mapping[str, Sequence[tuple[str, int, int]]],
    criteria: Mapping[str, Mapping],
) -> SampleValues:
    """The values of one sample from its counts JSON (``fate``, ``mature``, ``hairpin``), its
    units' Phred tally and insert lengths, and the number of the species' miRNA ``genes``."""
    fate = counts["fate"]
    length = criteria["length_share"]
    values = {
        "phred_q30_share": phred_share(phred, criteria["phred_q30_share"]["min_phred"]),
        "length_share": length_share(
            lengths, fate["input"], (length["min_length"], length["max_length"])
        ),
        "passing_filters_share": passing_filters_share(
            lengths,
            fate["no_adapter_discarded"],
            fate["input"],
            criteria["passing_filters_share"]["min_length"],
        ),
        "mirna_share": mirna_share(fate),
        "mirna_complexity": share(
            len(detected_genes(counts["mature"], counts["hairpin"], arms)), genes
        ),
        "transcriptome_reads": float(
            transcriptome_reads(fate, criteria["transcriptome_reads"]["not_transcriptome"])
        ),
        "transcriptome_genome_ratio": math.nan,
        "outlier_robust_z": math.nan,
        "haemolysis_draculr": math.nan,
    }
    notes = {"transcriptome_genome_ratio": NO_GENOME}
    if not phred:
        notes["phred_q30_share"] = "no base qualities (FASTA input or no reads)"
    return SampleValues(sample, values, notes)


def add_outliers(
    samples: list[SampleValues], counts: pd.DataFrame, components: int
) -> pd.DataFrame:
    """Fill each sample's outlier value (its largest |robust z|) and say on which component;
    returns the per-component robust z table."""
    scores = outlier_scores(counts, components)
    for entry in samples:
        if scores.empty or entry.sample not in scores.index:
            entry.notes["outlier_robust_z"] = f"needs at least {MIN_OUTLIER_SAMPLES} samples"
            continue
        row = scores.loc[entry.sample].abs()
        if row.isna().all():
            entry.notes["outlier_robust_z"] = "no spread between samples (MAD 0)"
            continue
        entry.values["outlier_robust_z"] = float(row.max())
        entry.notes["outlier_robust_z"] = f"largest on {row.idxmax()}"
    return scores


def add_haemolysis(samples: list[SampleValues], counts: pd.DataFrame, criterion: Mapping) -> None:
    """Fill each sample's DraculR haemolysis metric from the mature count matrix (miRNAs x
    samples), with a note where it has none."""
    from esccrt.smallrna.haemolysis import sample_haemolysis

    metric, notes = sample_haemolysis(counts, [entry.sample for entry in samples], criterion)
    for entry in samples:
        entry.values["haemolysis_draculr"] = metric[entry.sample]
        if entry.sample in notes:
            entry.notes["haemolysis_draculr"] = notes[entry.sample]


def _format(value: float) -> str:
    """A value for a reason: a count as an integer, a share with 4 significant digits."""
    return f"{value:.0f}" if value >= 1000 else f"{value:.4g}"


def verdict_table(samples: Sequence[SampleValues], criteria: Mapping[str, Mapping]) -> pd.DataFrame:
    """One row per sample: overall verdict, its reasons, then per criterion its value, warn and
    fail thresholds, verdict, and a note where the value is NA or needs one."""
    import pandas as pd

    rows = []
    for entry in sorted(samples, key=lambda e: e.sample):
        row: dict[str, object] = {"sample": entry.sample}
        verdicts, reasons = [], []
        for criterion in CRITERIA:
            name = criterion.name
            value, levels = entry.values[name], criteria[name]
            verdict = criterion.verdict(value, levels["warn"], levels["fail"])
            verdicts.append(verdict)
            if verdict in (WARN, FAIL):
                threshold = levels[verdict]
                reasons.append(
                    f"{name} {_format(value)} {criterion.flag_sign} {threshold:g} "
                    f"({verdict}, {criterion.source})"
                )
            row.update(
                {
                    name: value,
                    f"{name}_warn": levels["warn"],
                    f"{name}_fail": levels["fail"],
                    f"{name}_verdict": verdict,
                    f"{name}_note": entry.notes.get(name, ""),
                }
            )
        worst = max(verdicts, key=SEVERITY.__getitem__)
        row["overall"] = PASS if worst == NA else worst
        row["reasons"] = "; ".join(reasons)
        rows.append(row)
    table = pd.DataFrame(rows)
    front = ["sample", "overall", "reasons"]
    return table[front + [c for c in table.columns if c not in front]]


def multiqc_table(table: pd.DataFrame) -> str:
    """MultiQC custom content (``_mqc.tsv``, a table) of the verdict table: overall verdict,
    then each criterion's value and verdict."""
    header = (
        "# id: 'smallrna_sample_qc'\n"
        "# section_name: 'Small RNA: sample QC verdicts'\n"
        "# description: 'Per-sample QC: miRTrace criteria (Phred, length, QC-passed reads "
        "(>= 18 nt), miRNA share, miRNA complexity), exceRpt criteria (transcriptome reads, "
        "transcriptome/genome ratio), outliers (robust z on principal components) and DraculR "
        "haemolysis (plasma; Smith et al. 2022); values, "
        "thresholds and verdicts in results/qc/sample_qc.tsv.'\n"
        "# plot_type: 'table'\n"
        "# pconfig:\n"
        "#     id: 'smallrna_sample_qc_table'\n"
        "#     title: 'Small RNA: sample QC verdicts'\n"
    )
    columns = ["sample", "overall"]
    for criterion in CRITERIA:
        columns += [criterion.name, f"{criterion.name}_verdict"]
    body = table[columns].rename(columns={"sample": "Sample"})
    return header + body.to_csv(sep="\t", index=False, na_rep="NA")


def qc_gate(table: pd.DataFrame, exclude: str) -> pd.DataFrame:
    """The arm's QC gate (:mod:`esccrt.qc_gate`) from the verdict table: a sample is left out of
    differential expression when its overall verdict is one ``exclude`` names
    (:data:`EXCLUDED_VERDICTS`), with its failed criteria as the reason. The reason says why the
    gate failed the sample, not what follows from it: an arm without a contrast (QC only) runs
    no differential expression, and the DE stage writes whom it left out (excluded_samples.tsv)."""
    from esccrt.qc_gate import PASSED, REASON, SAMPLE, gate_table

    rows = []
    for row in table.itertuples(index=False):
        excluded = row.overall in EXCLUDED_VERDICTS[exclude]
        reason = (
            f"QC verdict {row.overall} (qc.exclude: {exclude}): {row.reasons}" if excluded else ""
        )
        rows.append(
            {SAMPLE: row.sample, PASSED: not excluded, "overall": row.overall, REASON: reason}
        )
    return gate_table(rows, measures=["overall"])


@dataclass(frozen=True)
class SampleQCInputs:
    """Each sample's counts JSON (``samples`` order), every trimming report (any order; the
    sample is read from the path's folder), the mature/hairpin table, the hairpin reference and
    the mature count matrix."""

    counts: tuple[Path, ...]
    trim_reports: tuple[Path, ...]
    arms: Path
    hairpin: Path
    matrix: Path


@dataclass(frozen=True)
class SampleQCOutputs:
    """The verdict table, its MultiQC custom content and the arm's QC gate."""

    table: Path
    multiqc: Path
    gate: Path


def trim_tallies(
    reports: Iterable[str | os.PathLike[str]],
) -> dict[str, tuple[dict[int, int], dict[int, int]]]:
    """Per sample (the report's folder, as rule smallrna_trim writes it): the Phred tally and
    the insert lengths of its units, added up."""
    from collections import Counter

    from esccrt.smallrna.trim import read_trim_report

    tallies: dict[str, tuple[Counter, Counter]] = {}
    for path in reports:
        report = read_trim_report(path)
        phred, lengths = tallies.setdefault(Path(path).parent.name, (Counter(), Counter()))
        phred.update(report.phred)
        lengths.update(report.lengths)
    return {sample: (dict(p), dict(n)) for sample, (p, n) in tallies.items()}


def sample_qc(
    settings: Mapping[str, object],
    samples: Sequence[str],
    inputs: SampleQCInputs,
    outputs: SampleQCOutputs,
) -> pd.DataFrame:
    """Rule smallrna_sample_qc's entry point: the verdict table of ``samples`` (validated config
    section ``qc``: its criteria and ``exclude``), written with its MultiQC custom content and
    the arm's QC gate, each sample's decision in the log; the table is returned."""
    from esccrt.io import atomic_write, read_tsv, write_tsv_atomic
    from esccrt.smallrna.arms import read_arms
    from esccrt.smallrna.reference import read_fasta

    criteria = settings["criteria"]
    arms = read_arms(inputs.arms)
    genes = sum(1 for _ in read_fasta(inputs.hairpin))
    tallies = trim_tallies(inputs.trim_reports)
    values = []
    for sample, path in zip(samples, inputs.counts, strict=True):
        if sample not in tallies:
            raise InputError(f"sample QC: no trimming report of sample '{sample}' among the inputs")
        with open(path) as handle:
            counts = json.load(handle)
        phred, lengths = tallies[sample]
        values.append(sample_values(sample, counts, phred, lengths, genes, arms, criteria))
    matrix = read_tsv(inputs.matrix).set_index("feature")[list(samples)]
    add_outliers(values, matrix, criteria["outlier_robust_z"]["components"])
    add_haemolysis(values, matrix, criteria["haemolysis_draculr"])
    table = verdict_table(values, criteria)
    write_tsv_atomic(table, outputs.table)
    with atomic_write(outputs.multiqc) as handle:
        handle.write(multiqc_table(table))
    gate = qc_gate(table, str(settings["exclude"]))
    for row in gate.itertuples(index=False):
        if row.passed:
            log.info("QC gate: sample %s passed (QC verdict %s)", row.sample, row.overall)
        else:
            log.warning("QC gate: sample %s FAILED: %s", row.sample, row.reason)
    write_tsv_atomic(gate, outputs.gate)
    return table
