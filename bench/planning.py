"""Section ``planning``: how long Snakemake takes to plan a cohort (issue 26, item 3).

A cohort folder holds the repository's config and demo data with N small-RNA samples whose
FASTQ files are hard links of the demo's six small-RNA libraries (sample k reads demo library k
mod 6: one file per unit, as the sheet check demands, no bytes copied) and the demo's mRNA
libraries twice over (12 mRNA samples). The timed command is what a user runs first on a new
cohort, ``snakemake -n --forceall --cores <threads> --quiet rules`` (start-up, config and sheet
checks, DAG, every job's input, params and resource functions), measured with GNU time (wall,
peak memory), the median of ``reps`` runs per size. Before a figure is kept the plan is checked:
every small-RNA sample adds the same number of jobs (the per-sample rules, one each), so no
sample was left out or planned twice.
"""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path

import harness
import pandas as pd
import rules
from harness import Row, fmt_mb, fmt_seconds
from settings import Settings

#: The budget of issue 26, item 3 (2 cores), at the largest size.
BUDGET_SECONDS = 20.0
BUDGET_MB = 500.0
#: Largest growth exponent (time ~ samples^k) between the sizes: at most linear.
BUDGET_GROWTH = 1.0
#: mRNA samples of every cohort folder (the demo's, twice over).
MRNA_SAMPLES = 12


def _cohort_sheets(n_smallrna: int, reads: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample and unit sheets of ``n_smallrna`` small-RNA samples and :data:`MRNA_SAMPLES` mRNA
    samples, their FASTQ files hard links (or copies across file systems) under ``reads``."""
    samples = pd.read_csv(rules.REPO / "config" / "samples.tsv", sep="\t", dtype=str)
    units = pd.read_csv(rules.REPO / "config" / "units.tsv", sep="\t", dtype=str)
    samples, units = samples.fillna(""), units.fillna("")
    rows, unit_rows = [], []
    for arm, count in (("smallrna", n_smallrna), ("mrna", MRNA_SAMPLES)):
        template = samples[samples["library_type"] == arm].reset_index(drop=True)
        for k in range(count):
            row = template.iloc[k % len(template)].copy()
            unit = units[units["sample"] == row["sample"]].iloc[0].copy()
            name = f"{arm}_{k + 1:04d}"
            row["sample"], unit["sample"] = name, name
            # one pairing value per sample: the demo's pairs small-RNA with mRNA samples
            row["exosome_pair"] = f"{row['exosome_pair']}_{k}" if row["exosome_pair"] else ""
            for column in ("fq1", "fq2"):
                if unit[column]:
                    link = reads / f"{name}_{column}.fastq.gz"
                    if not link.exists():
                        try:
                            os.link(rules.REPO / unit[column], link)
                        except OSError:  # another file system: a copy
                            shutil.copyfile(rules.REPO / unit[column], link)
                    unit[column] = str(link)
            rows.append(row)
            unit_rows.append(unit)
    return pd.DataFrame(rows), pd.DataFrame(unit_rows)


def cohort_folder(work: Path, n_smallrna: int) -> Path:
    """A run folder planning ``n_smallrna`` small-RNA + 12 mRNA samples (made once, reused)."""
    folder = work / f"cohort_{n_smallrna}"
    if (folder / ".ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(rules.REPO / "config", folder / "config")
    os.symlink(rules.REPO / "resources", folder / "resources")
    reads = folder / "reads"
    reads.mkdir()
    samples, units = _cohort_sheets(n_smallrna, reads)
    samples.to_csv(folder / "config" / "samples.tsv", sep="\t", index=False)
    units.to_csv(folder / "config" / "units.tsv", sep="\t", index=False)
    (folder / ".ready").write_text("ok\n")
    return folder


def jobs_per_sample(sizes: list[int], jobs: dict[int, int]) -> int:
    """Jobs each small-RNA sample adds; raises unless every step between sizes adds the same."""
    steps = {(jobs[b] - jobs[a]) / (b - a) for a, b in itertools.pairwise(sizes) if b > a}
    if len(steps) != 1 or not float(next(iter(steps))).is_integer():
        raise RuntimeError(f"planned jobs per size {jobs}: samples added unequal numbers of jobs")
    return int(next(iter(steps)))


def planning(s: Settings) -> tuple[list[Row], dict]:
    """Dry-run time and peak memory at each size of ``s.planning_samples``; the budget check."""
    import sections  # here: sections imports this module for its table of sections

    work = s.work / "planning"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    sizes = sorted(s.planning_samples)
    summaries, jobs, raw, rows = {}, {}, {}, []
    for n in sizes:
        folder = cohort_folder(work, n)
        dry = sections._snakemake(
            folder, "-n", "--forceall", "--cores", str(s.threads), "--quiet", "rules"
        )
        summaries[n] = harness.repeat(
            f"plan {n}", harness.pinned(dry, s.threads), s.reps, cwd=folder, log=log
        )
        jobs[n] = sections._planned_jobs(folder, s.threads)
        raw[f"samples_{n}"] = {"plan": sections._summary_dict(summaries[n]), "jobs": jobs[n]}
    per_sample = jobs_per_sample(sizes, jobs) if len(sizes) > 1 else None
    raw["jobs_per_smallrna_sample"] = per_sample
    for n in sizes:
        rows.append(
            Row(
                "planning (snakemake -n, both arms, DE, qPCR, survival, report)",
                f"{n} small-RNA + {MRNA_SAMPLES} mRNA samples ({jobs[n]:,} jobs)",
                f"{fmt_seconds(summaries[n].seconds)} on {s.threads} cores",
                peak=fmt_mb(summaries[n].peak_mb),
                note=f"median of {len(summaries[n].runs)}; {per_sample} jobs per small-RNA sample",
            )
        )
    largest = sizes[-1]
    verdicts = [
        f"{fmt_seconds(summaries[largest].seconds)} <= {BUDGET_SECONDS:.0f} s: "
        + ("yes" if summaries[largest].seconds <= BUDGET_SECONDS else "NO"),
        f"{fmt_mb(summaries[largest].peak_mb)} <= {BUDGET_MB:.0f} MB: "
        + ("yes" if summaries[largest].peak_mb <= BUDGET_MB else "NO"),
    ]
    if len(sizes) > 1:
        growth = harness.growth_exponent(sizes, [summaries[n].seconds for n in sizes])
        raw["growth"] = growth
        verdicts.append(
            f"growth k = {growth:.2f} <= {BUDGET_GROWTH:.0f}: "
            + ("yes" if growth <= BUDGET_GROWTH else "NO")
        )
    rows.append(
        harness.budget_row(
            "planning budget (issue 26: <= 20 s, <= 500 MB at 1,000 samples, at most linear)",
            f"{largest} small-RNA samples",
            verdicts,
            s.quick,
        )
    )
    raw["budget_met"] = harness.budget_met(verdicts)
    return rows, raw
