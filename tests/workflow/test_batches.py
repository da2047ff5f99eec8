"""A new sequencing batch: append its rows to the sheets, rerun, and only new work is done.

On the small demo: a finished run with batch b1 only, then add batch b2's rows to samples.tsv and
units.tsv and run again. The second run must consist of exactly the new samples' per-sample jobs
plus the aggregate steps (count matrices, QC tables, DE, the join, MultiQC, report, provenance); the
references, qPCR and survival are not redone; every finished per-sample output (results, logs,
benchmarks) keeps its bytes and its modification time; and DE switches to the design
``~batch + condition``.

The batch-1 run is not run from scratch: it is a copy of the session's finished small demo
(``finished_mini_demo``) without b2's rows in the sheets and without every file naming a b2
sample, brought up to date (Snakemake redoes the aggregate steps on batch 1 alone). What a
batch-1 run from scratch would do is counted with ``--forceall --dry-run``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from workflow_runs import copy_run, run_workflow

pytestmark = pytest.mark.slow

NEW_BATCH = "b2"
#: Steps that read every sample (directly or through another aggregate): they must run again.
AGGREGATE_RULES = {
    "smallrna_summary",
    "smallrna_sample_qc",
    "mrna_strandedness_table",
    "mrna_count_matrix",
    "mrna_qc",
    "mrna_insert_sizes",
    "diffexp_arm",
    "diffexp_contrast",
    # the isomiR matrix of the merged mirGFF3 and its DE (smallrna.isomirs)
    "smallrna_isomirs",
    "diffexp_isomirs",
    "integrate",
    # the target sources mapped onto the run's DE tables, and the shift test on them
    "mirna_targets",
    "target_shift",
    "multiqc",
    # the QC page: every sample's gate and verdicts
    "report_qc",
    "report",
    "provenance",
    "all",
}


def job_stats(output: str) -> dict[str, int]:
    """Jobs per rule from Snakemake's "Job stats" table (dry run or real run)."""
    match = re.search(r"Job stats:\n(.*?)\n\s*\n", output, re.S)
    assert match, f"no job stats table in Snakemake's output:\n{output[-3000:]}"
    stats = {}
    for line in match.group(1).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
            stats[parts[0]] = int(parts[1])
    return stats


def steps_done(output: str) -> int:
    """The number of jobs a finished run executed ("N of N steps (100%) done")."""
    done = re.findall(r"(\d+) of (\d+) steps \(100%\) done", output)
    return int(done[-1][1]) if done else 0


def sample_files(results: Path, names: list[str]) -> list[Path]:
    """Every file under results/ whose path names one of the samples (results, logs, benchmarks)."""
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, names)) + r")(?![0-9])")
    return [
        path
        for path in sorted(results.rglob("*"))
        if path.is_file() and pattern.search(str(path.relative_to(results)))
    ]


def per_sample_files(results: Path, names: list[str]) -> dict[str, tuple[str, int]]:
    """SHA-256 and mtime (ns) of every file under results/ whose path names one of the samples."""
    return {
        str(path.relative_to(results)): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mtime_ns,
        )
        for path in sample_files(results, names)
    }


def design_line(log: Path) -> str:
    """The design formula the DE step logged ("...; design ~batch + condition; ...")."""
    match = re.search(r"design (~[^;]+);", log.read_text())
    assert match, f"no design in {log}"
    return match.group(1)


def run_ok(workdir: Path, *args: str) -> str:
    """Run the workflow; fail with its output if it fails; return stdout + stderr."""
    run = run_workflow(workdir, "--cores", "2", *args)
    output = run.stdout + run.stderr
    assert run.returncode == 0, f"snakemake {' '.join(args)} failed:\n{output[-6000:]}"
    return output


def test_new_batch_reuses_finished_work(finished_mini_demo: Path, tmp_path: Path) -> None:
    workdir = copy_run(finished_mini_demo, tmp_path / "run")
    sheets = {name: workdir / "config" / f"{name}.tsv" for name in ("samples", "units")}
    full = {
        name: pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
        for name, path in sheets.items()
    }
    new_samples = full["samples"].loc[full["samples"]["batch"] == NEW_BATCH, "sample"].tolist()
    old_samples = full["samples"].loc[full["samples"]["batch"] != NEW_BATCH, "sample"].tolist()
    assert new_samples and old_samples

    # Every job of the complete data set, counted as from scratch (as if no file existed yet).
    everything = job_stats(run_ok(workdir, "--dry-run", "--forceall"))

    # Batch 1 only: the sheets without b2's rows, the finished run without b2's files.
    for name, path in sheets.items():
        frame = full[name]
        frame[~frame["sample"].isin(new_samples)].to_csv(path, sep="\t", index=False)
    results = workdir / "results"
    removed = sample_files(results, new_samples)
    assert removed
    for path in removed:
        path.unlink()
    first_plan = job_stats(run_ok(workdir, "--dry-run", "--forceall"))
    # Left to do in the copy: the aggregate steps, now on batch 1 alone.
    first_left = job_stats(run_ok(workdir, "--dry-run"))
    assert set(first_left) <= AGGREGATE_RULES, first_left
    first = run_ok(workdir)
    first_jobs = steps_done(first)
    assert first_jobs == sum(first_left.values())
    before = per_sample_files(results, old_samples)
    assert len(before) > 10 * len(old_samples), sorted(before)
    for arm in ("smallrna", "mrna"):
        assert design_line(results / "logs" / "diffexp" / f"{arm}.log") == "~condition"

    # Batch 2 arrives: its rows are appended to the sheets as a user would.
    for name, path in sheets.items():
        frame = full[name]
        with path.open("a") as handle:
            frame[frame["sample"].isin(new_samples)].to_csv(
                handle, sep="\t", index=False, header=False
            )
    second_plan = job_stats(run_ok(workdir, "--dry-run"))

    # Expected: the new samples' per-sample jobs (all jobs minus those of batch 1 alone, for
    # the rules that run per sample) plus every aggregate step once more.
    per_sample = {
        rule: everything[rule] - first_plan.get(rule, 0)
        for rule in everything
        if everything[rule] > first_plan.get(rule, 0)
    }
    assert per_sample, "no per-sample rule found"
    assert not set(per_sample) & AGGREGATE_RULES
    expected = {**per_sample, **{r: everything[r] for r in AGGREGATE_RULES if r in everything}}
    assert second_plan == expected, (
        f"second run plans {second_plan}, expected {expected}; "
        f"unexpected reruns: {set(second_plan) - set(expected)}"
    )
    second = run_ok(workdir)
    second_jobs = steps_done(second)
    assert second_jobs == sum(expected.values())

    after = per_sample_files(results, old_samples)
    changed = [path for path, seen in before.items() if after.get(path) != seen]
    assert not changed, f"finished per-sample outputs were rewritten or removed: {changed}"
    for arm in ("smallrna", "mrna"):
        assert design_line(results / "logs" / "diffexp" / f"{arm}.log") == "~batch + condition"
        counts = pd.read_csv(results / arm / "counts.tsv", sep="\t", nrows=1)
        assert set(new_samples) & set(counts.columns), f"{arm} counts lack batch 2"
    print(
        f"\nnew batch: first run {sum(first_plan.values())} jobs from scratch "
        f"({first_jobs} redone on the copy), second run {second_jobs} jobs "
        f"({sum(per_sample.values())} per-sample jobs of {len(new_samples)} new samples + "
        f"{second_jobs - sum(per_sample.values())} aggregate jobs); "
        f"complete data set from scratch: {sum(everything.values())} jobs",
        flush=True,
    )
