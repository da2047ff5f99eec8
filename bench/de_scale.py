"""Section ``de_scale``: differential expression at cohort scale (issue 26, item 5).

a. **Memory at 1,000 samples.** The DE rules ``diffexp_arm`` and ``diffexp_contrast`` (pydeseq2,
   the schema's settings, ``lfc_shrink: false`` as in section ``diffexp``) run by Snakemake on
   simulated negative-binomial counts of 60,000 genes x 1,000 samples (bench/inputs.py
   ``de_counts``), 2 cores, in the bench folder of section ``diffexp``
   (bench/rule_sections.py). Each job's wall time and peak memory come from its benchmark file
   (Snakemake's ``max_rss``: the job's whole process tree, summed, but sampled); the snakemake
   command's largest single process (GNU time) is exact. The row says whether every peak is
   <= 8 GB (yes, or NO naming the peaks), as the other budget rows do: not raised, so that
   the figures are kept when it is not met.
b. **Against R at 200 samples.** On 60,000 genes x 200 samples and the same 2 pinned CPUs, in
   turns: the rules (the time compared is ``diffexp_contrast``'s benchmark file, the job that
   fits the model and tests), R DESeq2 (``DESeq()`` + ``results(alpha = 0.05)``,
   BiocParallel ``MulticoreParam(2)``: section ``diffexp``'s script) and R DESeq2 on its
   glmGamPoi path (``DESeq(fitType = "glmGamPoi")`` + ``results()``). The glmGamPoi path is
   DESeq2's and not ``glmGamPoi::glm_gp`` + ``test_de``: it computes the same statistic as the
   other two sides (the Wald test of the contrast, DESeq2's size factors, Cook's outliers and
   independent filtering), with glmGamPoi estimating the gene-wise dispersions, their trend
   and the GLM fits; ``test_de`` is a quasi-likelihood F test whose calls are not expected to
   match a Wald test's. DESeq2 does not parallelise this path (it warns and runs serially).
   The results must agree before any ratio: the rule and R DESeq2 within section ``diffexp``'s
   tolerance; the glmGamPoi path against R DESeq2 within :data:`GLMGAMPOI_TOLERANCE` (a
   different dispersion estimator: close, not equal).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import agreement
import harness
import inputs
import numpy as np
import pandas as pd
import rule_sections
import rules
from esccrt import paths
from harness import Row, fmt_mb, fmt_seconds
from settings import Settings

#: Issue 26, item 5: pydeseq2 at 60,000 genes x 1,000 samples within 8 GB (MiB, as max_rss).
BUDGET_MB = 8 * 1024.0
#: The R packages of part b and the Debian packages that bring them.
R_PACKAGES = {
    "DESeq2": "r-bioc-deseq2",
    "BiocParallel": "r-bioc-biocparallel",
    "glmGamPoi": "r-bioc-glmgampoi",
}
CONTRAST = rule_sections.CONTRAST
#: The DE rules' benchmark files (results/benchmarks/...).
ARM_JOB = "diffexp/mrna.tsv"
CONTRAST_JOB = f"diffexp/mrna_{CONTRAST}.tsv"

GLMGAMPOI_R = r"""
suppressPackageStartupMessages(library(DESeq2))
args <- commandArgs(trailingOnly = TRUE)
counts <- as.matrix(read.delim(args[1], row.names = 1, check.names = FALSE))
samples <- read.delim(args[2], row.names = 1)
samples$condition <- factor(samples$condition, levels = c("control", "treated"))
counts <- counts[rowSums(counts) >= as.integer(args[4]), colnames(counts) %in% rownames(samples)]
dds <- DESeqDataSetFromMatrix(counts, samples[colnames(counts), , drop = FALSE], ~condition)
# DESeq2's glmGamPoi path with its Wald test (DESeq2 warns that it recommends the LRT here and
# that this path is not parallelised)
dds <- suppressWarnings(DESeq(dds, quiet = TRUE, fitType = "glmGamPoi"))
res <- results(dds, contrast = c("condition", "treated", "control"), alpha = 0.05)
out <- data.frame(feature = rownames(res), as.data.frame(res))
write.table(out, args[3], sep = "\t", quote = FALSE, row.names = FALSE)
"""


@dataclass(frozen=True)
class CallTolerance:
    """Agreement of two DESeq2 Wald tests made with different dispersion estimators."""

    lfc_abs: float  # max |log2FC difference| over features with baseMean >= min_base_mean
    min_base_mean: float  # below it the dispersion estimators' difference moves log2FC more
    calls_fraction: float  # largest share of features called differently at padj < alpha
    alpha: float = 0.05


#: R DESeq2's glmGamPoi path vs its default, about twice the measured (R 4.2.2, DESeq2 1.38.3,
#: glmGamPoi 1.10.2, 20,000 x 200 simulated, 2026-12-07): log2FC 2.1e-3 where baseMean >= 5
#: (0.23 from 1 to 5, 2.6 below 1: near-zero counts, where the estimators' dispersions part),
#: 25 of 19,994 calls (0.13 %) differ at padj < 0.05 (2,116 vs 2,109 significant).
GLMGAMPOI_TOLERANCE = CallTolerance(lfc_abs=5e-3, min_base_mean=5.0, calls_fraction=0.003)


def missing_r_packages(packages: dict[str, str]) -> list[str]:
    """The Debian packages of the R ``packages`` (name -> Debian package) R cannot load."""
    if not shutil.which("Rscript"):
        return ["r-base-core", *packages.values()]
    return [debian for name, debian in packages.items() if not rule_sections.r_has(name)]


def check_prerequisites() -> None:
    """R with DESeq2, BiocParallel and glmGamPoi, or RuntimeError naming the command."""
    missing = missing_r_packages(R_PACKAGES)
    if missing:
        raise RuntimeError(
            "R packages missing for section de_scale: install them as root with `apt-get "
            f"install --no-install-recommends {' '.join(missing)}` (bench/run.py does it when "
            "run as root)"
        )


def call_agreement(ours: pd.DataFrame, theirs: pd.DataFrame, tolerance: CallTolerance) -> dict:
    """Two DE tables (indexed by feature: baseMean, log2FoldChange, padj) agree within
    ``tolerance``, or agreement.DisagreementError. Returns the measured differences."""
    if set(ours.index) != set(theirs.index):
        only = sorted(set(ours.index) ^ set(theirs.index))
        raise agreement.DisagreementError(f"DE: features on one side only ({len(only)})")
    theirs = theirs.loc[ours.index]
    expressed = theirs["baseMean"] >= tolerance.min_base_mean
    lfc = (ours["log2FoldChange"] - theirs["log2FoldChange"]).abs()
    lfc_expressed = float(np.nan_to_num(lfc[expressed].max()))
    calls_ours = ours["padj"].fillna(1.0) < tolerance.alpha
    calls_theirs = theirs["padj"].fillna(1.0) < tolerance.alpha
    mismatched = int((calls_ours != calls_theirs).sum())
    problems = []
    if lfc_expressed > tolerance.lfc_abs:
        problems.append(
            f"log2FC differs by up to {lfc_expressed:.2e} where baseMean >= "
            f"{tolerance.min_base_mean:g} (allowed {tolerance.lfc_abs:.0e})"
        )
    if mismatched > tolerance.calls_fraction * len(ours):
        problems.append(
            f"{mismatched} of {len(ours)} features called differently at padj < "
            f"{tolerance.alpha} (allowed {tolerance.calls_fraction:.1%})"
        )
    if problems:
        raise agreement.DisagreementError("DE (glmGamPoi path vs DESeq2): " + "; ".join(problems))
    return {
        "features": len(ours),
        "max_lfc_abs_expressed": lfc_expressed,
        "max_lfc_abs_all": float(np.nan_to_num(lfc.max())),
        "median_lfc_abs": float(np.nan_to_num(lfc.median())),
        "significant": int(calls_ours.sum()),
        "significant_theirs": int(calls_theirs.sum()),
        "call_mismatches": mismatched,
    }


def over_budget(job_peaks_mb: dict[str, float], command_peak_mb: float) -> list[str]:
    """The peaks above :data:`BUDGET_MB` (each job's, and the command's largest process)."""
    peaks = {**job_peaks_mb, "largest process of the snakemake command": command_peak_mb}
    return [f"{name}: {fmt_mb(mb)}" for name, mb in peaks.items() if mb > BUDGET_MB]


def _folder(work: Path, n_genes: int, n_samples: int) -> tuple[Path, Path, Path]:
    """Counts, sample sheet and the DE bench folder (section diffexp's) of one size."""
    counts, samples = inputs.de_counts(work, n_genes, n_samples)
    folder = work / f"run_{n_genes}x{n_samples}"
    demo = rules.REPO / "resources" / "demo" / "mrna"
    rule_sections._de_folder(folder, counts, samples, demo / "genome.fa", demo / "genes.gtf")
    return counts, samples, folder


def run_de_rules(folder: Path, cores: int, log: Path) -> rules.RuleRun:
    """Both DE rules of the mRNA arm, re-made (``--forcerun``), on ``cores`` pinned CPUs."""
    table = paths.fill(paths.DIFFEXP_TABLE, arm="mrna", contrast=CONTRAST)
    run = rules.run_rules(
        folder,
        cores,
        [table],
        log=log,
        forcerun=["diffexp_arm", "diffexp_contrast"],
        extra=["--allowed-rules", "diffexp_arm", "diffexp_contrast"],
    )
    rules.check_jobs(run.rules, {ARM_JOB, CONTRAST_JOB})
    return run


def memory(s: Settings, work: Path, log: Path) -> tuple[list[Row], dict]:
    """Part a: both DE rules at ``s.de_scale_memory``; every peak checked against 8 GB."""
    n_genes, n_samples = s.de_scale_memory
    _, _, folder = _folder(work, n_genes, n_samples)
    run = run_de_rules(folder, s.threads, log)
    table = folder / paths.fill(paths.DIFFEXP_TABLE, arm="mrna", contrast=CONTRAST)
    features = len(pd.read_csv(table, sep="\t", usecols=["feature"]))
    return memory_row(run, (n_genes, n_samples), s.threads, features, os.getloadavg())


def memory_row(
    run: rules.RuleRun, size: tuple[int, int], cores: int, features: int, load: Sequence[float]
) -> tuple[list[Row], dict]:
    """Part a's row and raw figures from the run of both rules: each job's time and peak and
    the budget's verdict (like the other budget rows: yes or NO, never raised, so that the
    figures are kept when the budget is not met)."""
    beyond = over_budget(run.rules.job_peaks_mb, run.command.peak_mb or 0.0)
    raw = {
        "jobs_s": run.rules.jobs,
        "job_peaks_mb": run.rules.job_peaks_mb,
        "command": asdict(run.command),
        "features": features,
        "load_average": list(load),
        "budget_met": not beyond,
        "over_budget": beyond,
    }
    jobs, peaks = run.rules.jobs, run.rules.job_peaks_mb
    verdict = "yes" if not beyond else "NO: " + "; ".join(beyond)
    row = Row(
        f"DE at scale: rules diffexp_arm + diffexp_contrast (pydeseq2) via Snakemake, "
        f"{cores} cores (issue 26, item 5: <= 8 GB)",
        f"{size[0]:,} genes x {size[1]:,} samples ({features:,} after the pre-filter)",
        f"diffexp_arm {fmt_seconds(jobs[ARM_JOB])}, peak {fmt_mb(peaks[ARM_JOB])}; "
        f"diffexp_contrast {fmt_seconds(jobs[CONTRAST_JOB])}, peak "
        f"{fmt_mb(peaks[CONTRAST_JOB])} (benchmark files); every peak <= "
        f"{fmt_mb(BUDGET_MB)}: {verdict}",
        "",
        "",
        f"{fmt_mb(max(*peaks.values(), run.command.peak_mb or 0.0))}",
        "1 run; peaks: Snakemake's max_rss of each job (its whole process tree, summed, but "
        "sampled: every 30 s after the first 15 s) and the snakemake command's largest single "
        f"process, exact (GNU time: the kernel's high-water mark) "
        f"{fmt_mb(run.command.peak_mb)}; whole command {fmt_seconds(run.command.seconds)} "
        f"wall; load average {' '.join(f'{x:.1f}' for x in load)} at the end",
    )
    return [row], raw


def _r_command(work: Path, script: str, counts: Path, samples: Path, out: Path) -> list[str]:
    min_count = str(rules.base_config()["diffexp"].get("min_total_count", 10))
    rscript = shutil.which("Rscript") or "Rscript"
    return [rscript, str(work / script), str(counts), str(samples), str(out), min_count]


def versus_r(s: Settings, work: Path, log: Path) -> tuple[list[Row], dict]:
    """Part b: the rules vs R DESeq2 vs its glmGamPoi path at ``s.de_scale_versus``, in turns
    on the same pinned cores; agreement asserted before the ratios."""
    n_genes, n_samples = s.de_scale_versus
    counts, samples, folder = _folder(work, n_genes, n_samples)
    cores = s.threads
    (work / "deseq2.R").write_text(rule_sections.DESEQ2_R)
    (work / "glmgampoi.R").write_text(GLMGAMPOI_R)
    key = f"{n_genes}x{n_samples}"
    deseq2_out, glmgampoi_out = work / f"deseq2_{key}.tsv", work / f"glmgampoi_{key}.tsv"
    deseq2 = [*_r_command(work, "deseq2.R", counts, samples, deseq2_out), str(cores)]
    glmgampoi = _r_command(work, "glmgampoi.R", counts, samples, glmgampoi_out)
    turns: dict[str, list] = {"project": [], "deseq2": [], "glmgampoi": []}
    for _ in range(s.de_scale_reps):
        turns["project"].append(run_de_rules(folder, cores, log))
        turns["deseq2"].append(rule_sections._measure_alternative(deseq2, cores, log, work))
        turns["glmgampoi"].append(rule_sections._measure_alternative(glmgampoi, cores, log, work))
    table = folder / paths.fill(paths.DIFFEXP_TABLE, arm="mrna", contrast=CONTRAST)
    ours = pd.read_csv(table, sep="\t", index_col="feature")
    r_default = pd.read_csv(deseq2_out, sep="\t", index_col="feature")
    r_glmgampoi = pd.read_csv(glmgampoi_out, sep="\t", index_col="feature")
    measured = {
        "rule_vs_deseq2": agreement.de_results(ours, r_default, rule_sections.DE_TOLERANCE),
        "glmgampoi_vs_deseq2": call_agreement(r_glmgampoi, r_default, GLMGAMPOI_TOLERANCE),
        "glmgampoi_vs_rule": call_agreement(r_glmgampoi, ours, GLMGAMPOI_TOLERANCE),
    }
    return versus_rows(n_genes, n_samples, cores, turns, measured)


def versus_rows(n_genes: int, n_samples: int, cores: int, turns: dict, measured: dict):
    """The rows of part b from the turns' measurements and the agreement figures."""
    ours = [run.rules.jobs[CONTRAST_JOB] for run in turns["project"]]
    arm = [run.rules.jobs[ARM_JOB] for run in turns["project"]]
    peak = max(run.rules.job_peaks_mb[CONTRAST_JOB] for run in turns["project"])
    same = measured["rule_vs_deseq2"]
    ggp = measured["glmgampoi_vs_deseq2"]
    ggp_rule = measured["glmgampoi_vs_rule"]
    size = f"{n_genes:,} genes x {n_samples} samples ({same['features']:,} after the pre-filter)"
    runs = f"{len(ours)} run(s) per side, in turns (rule, DESeq2, glmGamPoi path)"
    project_text = (
        f"{fmt_seconds(harness.median(ours))} (diffexp_contrast's benchmark file; diffexp_arm "
        f"{fmt_seconds(harness.median(arm))} besides)"
    )
    alternatives = {
        "deseq2": (
            f"R DESeq2 (DESeq + results, BiocParallel {cores})",
            f"agree (asserted): log2FC within {same['max_lfc_abs']:.1e} (allowed "
            f"{rule_sections.DE_TOLERANCE.lfc_abs:.0e}), Wald stat within "
            f"{same['max_stat_rel']:.1e} of max(|R's|, 1), padj < 0.05 calls equal for every "
            f"feature ({same['significant']:,} significant)",
        ),
        "glmgampoi": (
            'R DESeq2, fitType = "glmGamPoi" (DESeq + results; serial: DESeq2 does not '
            "parallelise this path)",
            f"glmGamPoi path vs R DESeq2 (asserted): log2FC within "
            f"{ggp['max_lfc_abs_expressed']:.1e} where baseMean >= "
            f"{GLMGAMPOI_TOLERANCE.min_base_mean:g} (allowed {GLMGAMPOI_TOLERANCE.lfc_abs:g}; "
            f"{ggp['max_lfc_abs_all']:.1e} over all), {ggp['call_mismatches']} padj < 0.05 "
            f"calls differ (allowed {GLMGAMPOI_TOLERANCE.calls_fraction:.1%}); vs the rule: "
            f"{ggp_rule['call_mismatches']} calls differ, log2FC within "
            f"{ggp_rule['max_lfc_abs_expressed']:.1e}",
        ),
    }
    rows, raw = [], {"agreement": measured, "rule_contrast_s": ours, "rule_arm_s": arm}
    for side, (name, note) in alternatives.items():
        theirs = [m.seconds for m in turns[side]]
        ratios = harness.turn_ratios(ours, theirs)
        rows.append(
            Row(
                f"DE vs {name.split(' (')[0]}: the rule diffexp_contrast (pydeseq2) via "
                f"Snakemake, {cores} cores",
                size,
                project_text,
                f"{name}: {fmt_seconds(harness.median(theirs))} "
                f"({fmt_seconds(harness.median([m.cpu_seconds or 0.0 for m in turns[side]]))} CPU)",
                harness.turns_text(ratios),
                f"{fmt_mb(peak)} / {fmt_mb(max(m.peak_mb for m in turns[side]))}",
                f"{runs}; both pinned to the same {cores} CPUs; {note}",
            )
        )
        raw[side] = {
            "seconds": theirs,
            "turn_ratios": ratios,
            "peaks_mb": [m.peak_mb for m in turns[side]],
        }
    return rows, raw


def de_scale(s: Settings) -> tuple[list[Row], dict]:
    """Section de_scale: part a (memory at 1,000 samples), then part b (vs R at 200)."""
    check_prerequisites()
    work = s.work / "de_scale"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    rows, raw = [], {}
    if "versus" in s.de_scale_parts:
        versus, raw["versus"] = versus_r(s, work, log)
        # kept should part a fail (its error is the section's): rows of part b measured
        kept = {"rows": [asdict(row) for row in versus], "raw": raw["versus"]}
        (work / "versus.json").write_text(json.dumps(kept, indent=1, default=str))
        rows += versus
    if "memory" in s.de_scale_parts:
        memory_rows, raw["memory"] = memory(s, work, log)
        rows = memory_rows + rows
    return rows, raw
