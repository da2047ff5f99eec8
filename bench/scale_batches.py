"""Section ``scale_plan``: SLURM submissions and a new batch at 1,000 samples (issue 26, items 2
and 6), from Snakemake's plans alone (dry runs; nothing is computed).

The study is a planning cohort folder (bench/planning.py: N small-RNA samples whose FASTQ files
are hard links of the demo's, + 12 mRNA samples), default N = 1,000.

- **SLURM submissions**: ``snakemake -n --forceall --workflow-profile profiles/slurm``; Snakemake
  forms the group jobs of the profile's ``group-components`` in a dry run as a cluster run
  submits them, so submissions = group jobs + ungrouped jobs that have outputs (rule ``all``
  runs nothing). Beside it the same count without the profile (each rule's ``group:``, one
  group job per connected component) and without any grouping (one submission per job).
- **A new batch**: the study is made "finished": every output of the plan from scratch is
  written (an empty file or folder), then touched by ``snakemake --touch``, which also records
  each job's metadata as a real run does (:func:`finish_study`); a dry run must then plan
  nothing. Then
  ``new`` samples (default 100) are added to the sheets and the dry run's plan must hold exactly
  their per-sample jobs plus aggregate jobs, none reading a BAM or a FASTQ
  (:func:`scale_plan.check_new_batch`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import planning
import rules
import scale_plan
import scale_run
from harness import Row
from settings import Settings

SLURM_PROFILE = rules.REPO / "workflow" / "profiles" / "slurm"
_DIRECTORY = re.compile(r"directory\(paths\.(\w+)\)")


def directory_patterns() -> list[re.Pattern]:
    """Regexes of the outputs the rules declare as folders (``directory(paths.NAME)``)."""
    from esccrt import paths

    names = {
        name
        for smk in (rules.REPO / "workflow" / "rules").glob("*.smk")
        for name in _DIRECTORY.findall(smk.read_text())
    }
    return [
        re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(getattr(paths, name))) + "$")
        for name in sorted(names)
    ]


def study_folder(work: Path, n: int) -> Path:
    """The planning cohort folder of ``n`` samples (bench/planning.py), with resources/ a folder
    of its own: the rules' outputs under resources/ (target sources) stay in it, and the demo's
    references are copies a day old (rebuilding the repository's demo does not touch them)."""
    folder = planning.cohort_folder(work, n)
    resources = folder / "resources"
    if resources.is_symlink():
        resources.unlink()
        shutil.copytree(rules.REPO / "resources" / "demo", resources / "demo")
        old = time.time() - 86_400
        for path in resources.rglob("*"):
            os.utime(path, (old, old))
    return folder


def finish_study(folder: Path, plan: scale_plan.Plan, threads: int) -> int:
    """Make the study in ``folder`` finished: every output of ``plan`` written (empty files;
    folders for the rules' ``directory`` outputs), then ``snakemake --touch --forceall``, which
    touches them in the order of the jobs' dependencies and records every job's metadata (its
    input files, parameters, code) as a real run does; the number of outputs written."""
    import sections  # here: sections imports this module for its table of sections

    folders = directory_patterns()

    def write(output: str) -> None:
        path = folder / output
        if any(pattern.search(output) for pattern in folders):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()

    outputs = [output for job in plan.jobs for output in job.outputs]
    for output in outputs:
        write(output)
    command = sections._snakemake(folder, "--touch", "--forceall", "--cores", str(threads))
    done = subprocess.run(
        [*command, "--quiet", "all"], cwd=folder, env=rules.env(), capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"snakemake --touch in {folder} failed: {done.stderr[-2000:]}")
    # The workflow's onstart moves a report page aside (report.html -> report.stale.html) when
    # a run rebuilds it, as the touching run does: such pages are written again, last.
    # (Temporary outputs the touching run removed stay removed, as after a real run.)
    for output in outputs:
        page = folder / output
        if not page.exists() and page.with_suffix(f".stale{page.suffix}").exists():
            write(output)
    return len(outputs)


def add_samples(folder: Path, n_study: int, n_new: int) -> set[str]:
    """Rewrite the sheets of ``folder`` with ``n_new`` small-RNA samples more (a sheet whose
    text is unchanged is left alone, so a finished study stays finished); their names."""
    samples, units = planning._cohort_sheets(n_study + n_new, folder / "reads")
    for name, table in (("samples", samples), ("units", units)):
        path = folder / "config" / f"{name}.tsv"
        text = table.to_csv(sep="\t", index=False)
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    small = samples["sample"][samples["library_type"] == "smallrna"]
    return set(small.iloc[n_study:])


def scale_plan_section(s: Settings) -> tuple[list[Row], dict]:
    """SLURM submissions at ``s.batch_study`` samples; adding ``s.batch_new`` samples to the
    finished study plans only theirs and the aggregates."""
    n, new, threads = s.batch_study, s.batch_new, s.threads
    folder = study_folder(s.work / "scale_plan", n)
    add_samples(folder, n, 0)  # the study's own sheets (an earlier run added a batch)
    label = f"{n:,} small-RNA + {planning.MRNA_SAMPLES} mRNA samples"
    slurm = scale_plan.parse_dry_run(
        scale_run.dry_run(folder, threads, "--forceall", "--workflow-profile", str(SLURM_PROFILE))
    )
    full = scale_plan.parse_dry_run(scale_run.dry_run(folder, threads, "--forceall"))
    runnable = sum(1 for j in full.jobs if j.outputs)
    raw: dict = {
        "study_samples": n,
        "slurm": {
            "jobs": len(slurm.jobs),
            "groups": slurm.groups,
            "submissions": slurm.submissions(),
        },
        "rule_groups_only": {"groups": full.groups, "submissions": full.submissions()},
        "jobs_with_outputs": runnable,
    }
    rows = [
        Row(
            "scale: SLURM submissions (snakemake -n --workflow-profile profiles/slurm)",
            f"{label} ({len(slurm.jobs):,} jobs)",
            f"{slurm.submissions():,} submissions ({slurm.groups:,} group jobs + "
            f"{slurm.submissions() - slurm.groups} single jobs)",
            note=f"without the profile's group-components {full.submissions():,}; without "
            f"grouping {runnable:,} (one per job)",
        )
    ]
    left = scale_plan.parse_dry_run(scale_run.dry_run(folder, threads))
    written = sum(len(job.outputs) for job in full.jobs)
    if left.jobs:  # not finished by an earlier run of this section: finished now
        for path in (folder / "results", folder / ".snakemake"):
            shutil.rmtree(path, ignore_errors=True)
        written = finish_study(folder, full, threads)
        left = scale_plan.parse_dry_run(scale_run.dry_run(folder, threads))
    if left.jobs:
        reasons = sorted({f"{j.rule}: {j.reason}" for j in left.jobs})[:5]
        raise RuntimeError(f"the finished study still plans {len(left.jobs)} jobs: {reasons}")
    added = add_samples(folder, n, new)
    graph = scale_run.rule_graph(folder)
    batch = scale_plan.parse_dry_run(scale_run.dry_run(folder, threads))
    sheets = {"config/samples.tsv", "config/units.tsv"}
    check = scale_plan.check_new_batch(batch, added, full, "smallrna_0001", graph, sheets)
    raw["new_batch"] = vars(check) | {"outputs_written": written, "planned": len(batch.jobs)}
    inputs = ", ".join(f"{count:,} {kind}" for kind, count in check.aggregate_inputs.items())
    rows.append(
        Row(
            f"scale: a new batch of {new} samples (issue 26, item 6)",
            f"{label}, finished ({written:,} outputs)",
            f"planned {len(batch.jobs):,} jobs: {check.per_sample_jobs:,} of the {new} new "
            f"samples ({', '.join(check.per_sample_rules)}) + {check.aggregate_jobs} aggregate "
            f"jobs ({', '.join(check.aggregate_rules)}); asserted: no finished sample, "
            "reference, qPCR or survival job",
            note=f"the aggregates' inputs: {inputs}; no BAM or FASTQ",
        )
    )
    for rule, files in check.sheet_readers.items():
        rows.append(
            Row(
                f"scale: a new batch, rule {rule} (reads the sample sheets)",
                f"{label} + {new}",
                f"rerun; its inputs name {files:,} FASTQ/BAM files"
                + (
                    ", of which it reads (hashes) only those whose size or modification time "
                    "changed: the new batch's"
                    if files
                    else ""
                ),
                note="planned because the sheets changed; the checksums of unchanged files are "
                "remembered (esccrt.provenance.ChecksumCache, results/provenance_checksums.tsv; "
                "tests/unit/test_provenance.py)",
            )
        )
    return rows, raw
