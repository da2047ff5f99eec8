"""The benchmark sections: each measures one stage against its alternative and returns rows.

A section returns ``(rows, raw)``: table rows (:class:`harness.Row`) and the raw numbers, which
run.py saves as JSON next to the table. The like-for-like sections (small RNA, mRNA, DE: the
workflow's rules vs the alternatives) are in bench/rule_sections.py; here are the survival
comparison with R and the whole-workflow timings (demo, Snakemake overhead and scaling).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import aggregate_scale
import agreement
import de_scale
import harness
import inputs
import mrna_aggregate_scale
import pandas as pd
import persample_cost
import persample_sizes
import planning
import qpcr_scale
import rule_sections
import rules
import scale_batches
import scale_run
from harness import Row, fmt_mb, fmt_seconds, ratio_text, repeat
from settings import Settings

REPO = inputs.REPO
BENCH = REPO / "bench"
PYTHON = sys.executable
TASKS = str(BENCH / "tasks.py")
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    """Environment of the measured commands (see :func:`rules.env`)."""
    return rules.env()


def _clean(path: Path):
    def clean() -> None:
        shutil.rmtree(path, ignore_errors=True)

    return clean


def _summary_dict(summary: harness.Summary) -> dict:
    return {
        "label": summary.label,
        "median_s": summary.seconds,
        "median_cpu_s": summary.cpu_seconds,
        "peak_mb": summary.peak_mb,
        "runs": [asdict(m) for m in summary.runs],
    }


#: R packages of the R comparisons -> the Debian packages that bring them (installed by the
#: bench only, when run as root): DESeq2 and survival, and section de_scale's.
R_PACKAGES = {"DESeq2": "r-bioc-deseq2", "survival": "r-cran-survival", **de_scale.R_PACKAGES}


def install_gnu_time() -> str:
    """Install GNU time (Debian ``time``) when missing and root; a status message."""
    if os.access(harness.GNU_TIME, os.X_OK):
        return "GNU time present"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "GNU time missing: peak memory from getrusage(RUSAGE_CHILDREN)"
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "time"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        check=False,
        capture_output=True,
    )
    return "installed GNU time" if done.returncode == 0 else "apt-get install time failed"


def install_r_packages() -> str:
    """Install the R packages of :data:`R_PACKAGES` from Debian when root and missing; a status
    message."""
    missing = de_scale.missing_r_packages(R_PACKAGES)
    if not missing:
        return f"R {', '.join(R_PACKAGES)} present"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return (
            f"R packages missing and not root: R comparisons will fail (apt-get install "
            f"--no-install-recommends {' '.join(missing)})"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
        env=env,
        check=False,
        capture_output=True,
    )
    return f"installed {' '.join(missing)}" if done.returncode == 0 else "apt failed"


# --------------------------------------------------------------------------- survival

SURVIVAL_R = r"""
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.delim(args[1])
loops <- as.integer(args[3])
t0 <- proc.time()[["elapsed"]]
for (i in seq_len(loops)) {
  lr <- survdiff(Surv(time, event) ~ group, data = d)
  cx <- coxph(Surv(time, event) ~ high, data = d, ties = "efron")
}
elapsed <- (proc.time()[["elapsed"]] - t0) / loops
s <- summary(cx)$coefficients
cat(sprintf(paste0('{"logrank_chisq": %.10g, "logrank_p": %.10g, "cox_coef": %.10g, ',
    '"cox_hr": %.10g, "cox_p": %.10g, "seconds_per_analysis": %.10g}'),
    lr$chisq, pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE),
    s[1, "coef"], s[1, "exp(coef)"], s[1, "Pr(>|z|)"], elapsed), file = args[2])
"""


def survival(s: Settings) -> tuple[list[Row], dict]:
    """Log-rank + Cox (esccrt.survival / lifelines) vs R survival on the demo cohort."""
    work = s.work / "survival"
    work.mkdir(parents=True, exist_ok=True)
    clinical = pd.read_csv(REPO / "config" / "clinical.tsv", sep="\t", keep_default_na=False)
    groups_path = REPO / "results" / "survival" / "groups.tsv"
    if groups_path.exists():
        groups = pd.read_csv(groups_path, sep="\t", keep_default_na=False)
        factor = "fc_mir143"
        group = clinical["patient"].map(groups.set_index("patient")[factor])
        label = f"PFS by {factor} (results/survival/groups.tsv)"
    else:
        factor = "kps"
        group = clinical["kps"].astype(float).ge(90).map({True: ">=90", False: "<90"})
        label = "PFS by KPS >= 90 (run `make demo` for the miRNA groups)"
    levels = sorted(group.unique())
    table = pd.DataFrame(
        {
            "time": clinical["pfs_months"].astype(float),
            "event": clinical["pfs_event"].astype(int),
            "group": group,
            "high": (group == levels[-1]).astype(int),
        }
    )
    path = work / "cohort.tsv"
    table.to_csv(path, sep="\t", index=False)
    log = work / "runs.log"
    loops = 20
    ours_out = work / "project.json"
    cmd = [PYTHON, TASKS, "survival-project", "--table", str(path), "--out", str(ours_out)]
    ours = repeat("lifelines", [*cmd, "--loops", str(loops)], s.reps, env=_env(), log=log)
    ours_numbers = json.loads(ours_out.read_text())
    raw = {"project": _summary_dict(ours), "project_numbers": ours_numbers, "groups": label}
    rows = []
    if not (shutil.which("Rscript") and rule_sections.r_has("survival")):
        raise RuntimeError(
            "R with survival is needed for the survival comparison: run `make test-tools`"
        )
    script = work / "survival.R"
    script.write_text(SURVIVAL_R)
    r_out = work / "r.json"
    r_cmd = ["Rscript", str(script), str(path), str(r_out), str(loops)]
    theirs = repeat("R survival", r_cmd, s.reps, env=_env(), log=log)
    r_numbers = json.loads(r_out.read_text())
    raw.update(r=_summary_dict(theirs), r_numbers=r_numbers)
    differences = agreement.survival_statistics(ours_numbers, r_numbers)  # before any ratio
    n, events = len(table), int(table["event"].sum())
    for key, name in (
        ("logrank_chisq", "log-rank chi-square"),
        ("logrank_p", "log-rank p"),
        ("cox_hr", f"Cox HR ({levels[-1]} vs {levels[0]})"),
        ("cox_p", "Cox Wald p"),
    ):
        rows.append(
            Row(
                f"survival: {name}",
                f"{n} patients, {events} events",
                f"{ours_numbers[key]:.6g}",
                f"R survival: {r_numbers[key]:.6g}",
                note=f"relative difference {differences[key]:.1e}",
            )
        )
    per_ours = ours_numbers["seconds_per_analysis"]
    alt_time = (
        f"R: {fmt_seconds(r_numbers['seconds_per_analysis'])} per analysis, "
        f"{fmt_seconds(raw['r']['median_s'])} per Rscript process"
    )
    ratio = ratio_text(per_ours, r_numbers["seconds_per_analysis"])
    rows.append(
        Row(
            "survival: log-rank + Cox time",
            f"{n} patients; {label}",
            f"{fmt_seconds(per_ours)} per analysis, {fmt_seconds(ours.seconds)} per process "
            f"({loops} analyses + imports)",
            alt_time,
            ratio,
            f"{fmt_mb(ours.peak_mb)} / {fmt_mb(raw['r']['peak_mb'])}",
        )
    )
    return rows, raw


# --------------------------------------------------------------------------- workflow

NOOP_SNAKEFILE = """
N = {n}
rule all:
    input: expand("out/{{i}}.txt", i=range(N))
rule job:
    output: "out/{{i}}.txt"
    shell: "touch {{output}}"
"""

SCALED_CONFIG = """
qc:
  criteria:
    transcriptome_reads: {fail: 0}
mrna:
  qc:
    min_assigned_reads: 1
    min_assignment_rate: 0.0
"""


def _snakemake(workdir: Path, *args: str) -> list[str]:
    cmd = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile")]
    if (workdir / "config" / "bench.yaml").exists():
        cmd += ["--configfile", "config/config.yaml", "config/bench.yaml"]
    return [*cmd, *args]


def _scaled_run_folder(work: Path, n_samples: int, reads: int) -> Path:
    """A run folder with ``n_samples`` samples per arm (small RNA and mRNA) of tiny libraries.

    Reads come from a small simulated demo; sample k of an arm reuses demo sample k mod 6's
    reads, subsampled to ``reads`` reads (pairs). Conditions alternate; batch b1 throughout
    except every third replicate (b2), as in the demo (6 samples per arm = the demo's layout).
    """
    folder = work / f"samples_{n_samples}_reads_{reads}"
    if (folder / ".ready").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    base = work / f"demo_source_{reads}"
    if not (base / "resources" / "demo" / ".complete").exists():
        shutil.rmtree(base, ignore_errors=True)
        shutil.copytree(REPO / "config", base / "config")
        subprocess.run(
            [
                PYTHON,
                str(REPO / "workflow" / "scripts" / "simulate_demo.py"),
                *("--outdir", str(base / "resources" / "demo")),
                *("--cohort-dir", str(base / "config")),
                *("--smallrna-reads", str(max(reads, 100))),
                *("--mrna-pairs", str(max(reads, 100))),
            ],
            check=True,
            capture_output=True,
        )
    shutil.copytree(base / "config", folder / "config")
    shutil.copytree(base / "resources", folder / "resources")
    (folder / "config" / "bench.yaml").write_text(SCALED_CONFIG)
    samples = pd.read_csv(folder / "config" / "samples.tsv", sep="\t", dtype=str).fillna("")
    units = pd.read_csv(folder / "config" / "units.tsv", sep="\t", dtype=str).fillna("")
    per_arm = n_samples
    new_samples, new_units = [], []
    for arm in ("smallrna", "mrna"):
        template = samples[samples["library_type"] == arm].reset_index(drop=True)
        for k in range(per_arm):
            row = template.iloc[k % len(template)].copy()
            unit = units[units["sample"] == row["sample"]].iloc[0].copy()
            condition = "control" if k % 2 == 0 else "irradiated"
            name = f"{row['sample'].split('_')[0]}_{condition[:4]}_{k + 1:03d}"
            row["sample"], row["condition"] = name, condition
            row["batch"] = "b2" if (k // 2) % 3 == 2 else "b1"
            unit["sample"] = name
            for column in ("fq1", "fq2"):  # one file per unit: the sheet check forbids reuse
                if unit[column]:
                    source = folder / unit[column]
                    copy = folder / "resources" / "bench_reads" / f"{name}_{column}.fastq.gz"
                    copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, copy)
                    unit[column] = str(copy.relative_to(folder))
            new_samples.append(row)
            new_units.append(unit)
    pd.DataFrame(new_samples).to_csv(folder / "config" / "samples.tsv", sep="\t", index=False)
    pd.DataFrame(new_units).to_csv(folder / "config" / "units.tsv", sep="\t", index=False)
    (folder / ".ready").write_text("ok\n")
    return folder


def workflow(s: Settings) -> tuple[list[Row], dict]:
    """Snakemake's own overhead (DAG build, per-job start) and the workflow at N samples."""
    work = s.work / "workflow"
    work.mkdir(parents=True, exist_ok=True)
    log = work / "runs.log"
    rows, raw = [], {}
    # Per-job start: a Snakefile of no-op jobs, one core.
    noop = work / "noop"
    noop.mkdir(exist_ok=True)
    (noop / "Snakefile").write_text(NOOP_SNAKEFILE.format(n=s.noop_jobs))
    noop_cmd = [str(BIN / "snakemake"), "--cores", "1", "--quiet", "all"]
    noop_run = repeat(
        "noop", noop_cmd, s.reps, before_each=_clean(noop / "out"), cwd=noop, env=_env(), log=log
    )
    per_job = noop_run.seconds / s.noop_jobs
    raw["noop"] = _summary_dict(noop_run) | {"jobs": s.noop_jobs, "per_job_s": per_job}
    rows.append(
        Row(
            "Snakemake per-job start (no-op shell jobs, 1 core)",
            f"{s.noop_jobs} jobs",
            f"{fmt_seconds(per_job)} per job ({fmt_seconds(noop_run.seconds)} in all)",
            peak=fmt_mb(noop_run.peak_mb),
            note="includes DAG build and start-up of the Snakemake process",
        )
    )
    dag, total, jobs = {}, {}, {}
    for n in s.workflow_samples:
        folder = _scaled_run_folder(work, n, s.workflow_reads)
        dry = _snakemake(folder, "-n", "--forceall", "--cores", str(s.threads), "--quiet", "rules")
        dag[n] = repeat(f"dag {n}", dry, s.reps, cwd=folder, env=_env(), log=log)
        jobs[n] = _planned_jobs(folder, s.threads)
        raw[f"samples_{n}"] = {"dag": _summary_dict(dag[n]), "jobs": jobs[n]}
        measured = ""
        if n in s.workflow_total_samples:
            run = _snakemake(folder, "--cores", str(s.threads), "--quiet", "rules")
            total[n] = repeat(
                f"workflow {n}",
                run,
                s.workflow_reps,
                before_each=_clean_results(folder),
                cwd=folder,
                env=_env(),
                log=log,
            )
            raw[f"samples_{n}"]["total"] = _summary_dict(total[n])
            measured = (
                f"total {fmt_seconds(total[n].seconds)} "
                f"({total[n].seconds / max(jobs[n], 1):.2f} s per job on {s.threads} cores); "
            )
        rows.append(
            Row(
                "workflow (both arms, DE, qPCR, survival, report)",
                f"{n} + {n} samples ({jobs[n]} jobs; {s.workflow_reads:,} reads/sample)",
                f"{measured}DAG build (snakemake -n) {fmt_seconds(dag[n].seconds)}",
                peak=fmt_mb(total[n].peak_mb) if n in total else "",
                note=(f"total: {s.workflow_reps} run(s)" if n in total else "total not run")
                + f"; DAG: median of {s.reps}",
            )
        )
    sizes = list(s.workflow_samples)
    if len(sizes) >= 2:
        k_dag = harness.growth_exponent(sizes, [dag[n].seconds for n in sizes])
        raw["growth_dag"] = k_dag
        text = f"DAG build k = {k_dag:.2f} ({sizes[0]} .. {sizes[-1]} samples)"
        timed = sorted(total)
        if len(timed) >= 2:
            k_total = harness.growth_exponent(timed, [total[n].seconds for n in timed])
            raw["growth_total"] = k_total
            text += f"; total time k = {k_total:.2f} ({timed[0]} .. {timed[-1]} samples)"
        rows.append(
            Row(
                "workflow scaling: growth exponent",
                f"{sizes[0]} .. {sizes[-1]} samples per arm",
                text,
                note="time ~ samples^k",
            )
        )
    return rows, raw


def _count_jobs(text: str) -> int:
    """Total job count from Snakemake's dry-run job table ('total  N')."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "total" and parts[1].isdigit():
            return int(parts[1])
    return 0


def _planned_jobs(folder: Path, threads: int) -> int:
    """Jobs a full run of the workflow in ``folder`` would start (from a dry run)."""
    listed = subprocess.run(
        _snakemake(folder, "-n", "--forceall", "--cores", str(threads)),
        cwd=folder,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    return _count_jobs(listed.stdout + listed.stderr)


def _clean_results(folder: Path):
    def clean() -> None:
        shutil.rmtree(folder / "results", ignore_errors=True)
        shutil.rmtree(folder / ".snakemake", ignore_errors=True)

    return clean


def demo_wall_time(s: Settings) -> tuple[list[Row], dict]:
    """Wall time of the full demo (`make demo` = snakemake --cores N), in a copy of the repo's
    config and demo data so the repository's results/ are left alone."""
    work = s.work / "demo"
    folder = work / "run"
    if not folder.exists():
        folder.mkdir(parents=True)
        shutil.copytree(REPO / "config", folder / "config")
        os.symlink(REPO / "resources", folder / "resources")
    clean = _clean_results(folder)
    run = _snakemake(folder, "--cores", str(s.threads), "--quiet", "rules")
    summary = repeat(
        "demo", run, 1, before_each=clean, cwd=folder, env=_env(), log=work / "runs.log"
    )
    jobs = _planned_jobs(folder, s.threads)
    bench_dir = folder / "results" / "benchmarks"
    job_seconds = 0.0
    for tsv in bench_dir.rglob("*.tsv"):
        try:
            job_seconds += float(pd.read_csv(tsv, sep="\t")["s"].iloc[0])
        except (KeyError, IndexError, ValueError):
            continue
    raw = {"demo": _summary_dict(summary), "jobs": jobs, "sum_job_seconds": job_seconds}
    overhead = summary.seconds * s.threads - job_seconds
    rows = [
        Row(
            "whole demo workflow (make demo)",
            f"{jobs} jobs, 6 + 6 samples",
            f"{fmt_seconds(summary.seconds)} wall on {s.threads} cores",
            peak=fmt_mb(summary.peak_mb),
            note=f"sum of the jobs' own times {fmt_seconds(job_seconds)}; outside jobs "
            f"<= {fmt_seconds(max(overhead, 0) / max(jobs, 1))} per job x core; 1 run",
        )
    ]
    return rows, raw


SECTIONS = {
    "smallrna": rule_sections.smallrna,
    "mrna": rule_sections.mrna,
    "persample_cost": persample_cost.persample_cost,
    "persample_sizes": persample_sizes.persample_sizes,
    "diffexp": rule_sections.diffexp,
    "survival": survival,
    "workflow": workflow,
    "demo": demo_wall_time,
    "qpcr_scale": qpcr_scale.qpcr_scale,
    "planning": planning.planning,
    "aggregate_scale": aggregate_scale.aggregate_scale,
    "mrna_aggregate_scale": mrna_aggregate_scale.mrna_aggregate_scale,
    "scale_run": scale_run.scale_run,
    "scale_plan": scale_batches.scale_plan_section,
    "de_scale": de_scale.de_scale,
}
