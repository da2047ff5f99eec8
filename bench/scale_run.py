"""Section ``scale_run``: the whole workflow on a cohort of N small-RNA samples (issue 26, item 2).

The cohort folder (bench/scale_cohort.py) holds N small-RNA libraries of their own (default
200 x 30,000 reads) and 12 mRNA samples. The section plans it from scratch
(``snakemake -n --forceall``: every job's rule, wildcards and benchmark file), then runs
``snakemake --cores <threads>`` once, pinned to those CPUs, measured with GNU time (wall, the
largest process's peak memory). Every job's own time and peak memory come from its benchmark
file (``benchmark:``: ``s``, ``max_rss``). Reported:

- the whole run: wall time, jobs, peak memory;
- per-job overhead: Snakemake's time outside the jobs, (wall x cores - sum of the jobs' ``s``)
  / jobs (an upper bound: idle cores count), and the floor every job pays (start-up and
  imports), the median wall of the quickest per-sample rule;
- the per-sample rules: median wall and largest peak per rule, and their sum per sample;
- every aggregate rule (a rule downstream of the per-sample rules with no ``sample`` wildcard,
  from ``snakemake --rulegraph``): its job's wall time and peak memory;
- the report's size on disk; its load time in Chromium at 1,000 samples is measured by section
  ``aggregate_scale`` (:func:`report_row`: the hook).

Before a figure is kept every planned job must have left its benchmark file.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import harness
import pandas as pd
import rules
import scale_cohort
import scale_plan
from harness import Row, fmt_mb, fmt_seconds
from settings import Settings


def dry_run(folder: Path, threads: int, *extra: str) -> str:
    """Text of ``snakemake -n <extra>`` in ``folder`` (job blocks, group jobs); raises on error."""
    import sections  # here: sections imports this module for its table of sections

    done = subprocess.run(
        sections._snakemake(folder, "-n", "--cores", str(threads), *extra),
        cwd=folder,
        env=rules.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"dry run in {folder} failed: {done.stderr[-2000:]}")
    return done.stdout + done.stderr


def rule_graph(folder: Path) -> dict[str, set[str]]:
    """The workflow's rule graph in ``folder`` (``snakemake --rulegraph``)."""
    import sections

    done = subprocess.run(
        sections._snakemake(folder, "--rulegraph", "--forceall"),
        cwd=folder,
        env=rules.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return scale_plan.parse_rule_graph(done.stdout)


def benchmark_table(folder: Path, jobs: list[scale_plan.PlannedJob]) -> pd.DataFrame:
    """One row per job: rule, sample, wall ``s`` and ``max_rss`` (MB) of its benchmark file;
    raises when a job left none (jobs without a ``benchmark:`` directive, e.g. ``all``, are left
    out)."""
    jobs = [job for job in jobs if job.benchmark]
    missing = [job.benchmark for job in jobs if not (folder / job.benchmark).exists()]
    if missing:
        raise RuntimeError(f"{len(missing)} jobs left no benchmark file, e.g. {missing[:3]}")
    rows = []
    for job in jobs:
        table = pd.read_csv(folder / job.benchmark, sep="\t")
        rss = pd.to_numeric(table["max_rss"], errors="coerce").fillna(0).iloc[0]
        rows.append((job.rule, job.sample or "", float(table["s"].iloc[0]), float(rss)))
    return pd.DataFrame(rows, columns=["rule", "sample", "s", "max_rss"])


def aggregate_rules(plan: scale_plan.Plan, graph: dict[str, set[str]]) -> list[str]:
    """The aggregate rules of a plan: cohort-wide rules downstream of any per-sample rule."""
    later = scale_plan.downstream(graph, {job.rule for job in plan.jobs if job.sample})
    return sorted({job.rule for job in plan.jobs if not job.sample and job.rule in later})


def overhead(wall: float, threads: int, job_seconds: float, jobs: int) -> float:
    """Snakemake's time outside the jobs per job: (wall x cores - sum of jobs' time) / jobs."""
    return max(wall * threads - job_seconds, 0.0) / max(jobs, 1)


def report_row(folder: Path, n: int) -> Row:
    """Hook for the report's figures (issue 26, item 7): its size here; its size and Chromium
    load time at 1,000 samples are measured by section ``aggregate_scale``."""
    from esccrt import paths

    report = folder / paths.REPORT_HTML
    size = f"{report.stat().st_size / 1e6:.1f} MB" if report.exists() else "not written"
    return Row(
        "report (results/report/report.html)",
        f"{n} small-RNA + {scale_cohort.MRNA_SAMPLES} mRNA samples",
        f"{size} on disk",
        note="Chromium load time: measured by section aggregate_scale",
    )


def _clean(folder: Path) -> None:
    shutil.rmtree(folder / "results", ignore_errors=True)
    shutil.rmtree(folder / ".snakemake", ignore_errors=True)


def scale_run(s: Settings) -> tuple[list[Row], dict]:
    """The whole workflow at ``s.scale_samples`` small-RNA samples: run, overhead, aggregates."""
    import sections

    n, threads = s.scale_samples, s.threads
    work = s.work / "scale_run"
    work.mkdir(parents=True, exist_ok=True)
    folder = scale_cohort.cohort_folder(
        work, n, s.scale_reads, s.scale_mrna_pairs, sections.SCALED_CONFIG
    )
    plan = scale_plan.parse_dry_run(dry_run(folder, threads, "--forceall"))
    graph = rule_graph(folder)
    _clean(folder)
    command = sections._snakemake(folder, "--cores", str(threads), "--quiet", "rules")
    load = [load_average()]
    run = harness.measure(
        harness.pinned(command, threads), cwd=folder, env=rules.env(), log=work / "runs.log"
    )
    load.append(load_average())
    rows, raw = summarise(folder, plan, graph, run, s)
    raw["load_average_before_after"] = load
    rows[0].note += f"; load average (1 min) {load[0]} before, {load[1]} after"
    return rows, raw


def load_average() -> str:
    """The 1-minute load average (on a shared machine above the cores: wall times are upper
    bounds)."""
    return Path("/proc/loadavg").read_text().split()[0]


def summarise(
    folder: Path,
    plan: scale_plan.Plan,
    graph: dict[str, set[str]],
    run: harness.Measurement,
    s: Settings,
) -> tuple[list[Row], dict]:
    """Rows and raw figures of a finished run of ``plan`` in ``folder``."""
    n, threads = s.scale_samples, s.threads
    smallrna = {d.name for d in scale_cohort.sample_design(n)}
    aggregated = aggregate_rules(plan, graph)
    table = benchmark_table(folder, plan.jobs)
    jobs = len(plan.jobs)
    outside = overhead(run.seconds, threads, table["s"].sum(), jobs)
    small = table[table["sample"].isin(smallrna)]
    per_rule = small.groupby("rule").agg(median_s=("s", "median"), peak_mb=("max_rss", "max"))
    floor_rule = per_rule["median_s"].idxmin()
    per_sample = small.groupby("sample")["s"].sum()
    raw = {
        "samples": n,
        "reads_per_sample": s.scale_reads,
        "jobs": jobs,
        "run": {"seconds": run.seconds, "peak_mb": run.peak_mb, "cpu_s": run.cpu_seconds},
        "sum_job_seconds": float(table["s"].sum()),
        "outside_jobs_per_job_s": outside,
        "per_sample_rules": per_rule.to_dict(orient="index"),
        "per_sample_sum_median_s": float(per_sample.median()),
        "aggregates": {},
    }
    rows = [
        Row(
            "scale: whole workflow (snakemake --cores, pinned)",
            f"{n} small-RNA x {s.scale_reads:,} reads + {scale_cohort.MRNA_SAMPLES} mRNA "
            f"({jobs:,} jobs)",
            f"{fmt_seconds(run.seconds)} wall on {threads} cores",
            peak=fmt_mb(run.peak_mb),
            note=f"1 run; sum of the jobs' own times {fmt_seconds(raw['sum_job_seconds'])}",
        ),
        Row(
            "scale: per-job overhead",
            f"{jobs:,} jobs",
            f"outside the jobs <= {fmt_seconds(outside)} per job x core; every job's floor "
            f"(median of the quickest per-sample rule, {floor_rule}) "
            f"{fmt_seconds(per_rule.loc[floor_rule, 'median_s'])}",
            note="outside = (wall x cores - sum of the jobs' benchmark s) / jobs: Snakemake's "
            "scheduling and idle cores; the floor: process start-up and imports",
        ),
        Row(
            "scale: per-sample rules (small RNA)",
            f"{n} samples",
            f"{fmt_seconds(raw['per_sample_sum_median_s'])} per sample (median of the sums): "
            + ", ".join(f"{r} {fmt_seconds(v)}" for r, v in per_rule["median_s"].items()),
            peak=fmt_mb(per_rule["peak_mb"].max()),
            note="median wall per rule from the benchmark files",
        ),
    ]
    aggregates = table[table["rule"].isin(aggregated)]
    figures: dict[str, dict] = defaultdict(dict)
    for rule, group in aggregates.groupby("rule"):
        figures[rule] = {
            "seconds": float(group["s"].max()),
            "peak_mb": float(group["max_rss"].max()),
        }
        rows.append(
            Row(
                f"scale: aggregate rule {rule}",
                f"{n} small-RNA + {scale_cohort.MRNA_SAMPLES} mRNA samples",
                fmt_seconds(figures[rule]["seconds"]),
                peak=fmt_mb(figures[rule]["peak_mb"]),
                note=f"{len(group)} job(s); benchmark file (largest)",
            )
        )
    raw["aggregates"] = dict(figures)
    rows.append(report_row(folder, n))
    return rows, raw
