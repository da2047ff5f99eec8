"""The workflow's own rules, run by Snakemake in a bench folder, timed by their benchmark files.

A bench folder holds config/ (the repository's config/config.yaml with the arm sections
replaced by what a user must set, so that everything else, e.g. the 3' non-templated tails and
the RNA classes, is the schemas' default), the sample and unit sheets, and the results/ of the
runs. The timed sample comes with three tiny companion samples, because the validated config's
contrast needs two replicates of each level; only the timed sample's files are targets.
A first, untimed run builds the references (and warms the caches); each timed run then
re-makes only the sample's outputs (``--forcerun`` of its first rule) and its time is the sum of
the benchmark files (``benchmark:`` directive: columns ``s`` and ``cpu_time``) of the jobs run.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import harness
import pandas as pd
import yaml
from esccrt.config_check import is_demo_file, reference_files

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"
BIN = Path(sys.executable).parent
#: The timed sample and its companions (two replicates per level of the config's contrast).
SAMPLE = "bench"
COMPANIONS = ("companion1", "companion2", "companion3")
UNIT = "lane1"
BENCHMARKS = Path("results") / "benchmarks"


@dataclass(frozen=True)
class RuleTimes:
    """Sum of the benchmark files of one Snakemake run: wall (``s``) and CPU (``cpu_time``)."""

    seconds: float
    cpu_seconds: float
    peak_mb: float = 0.0  # largest max_rss of a job
    jobs: dict[str, float] = field(default_factory=dict)  # benchmark file -> s
    job_peaks_mb: dict[str, float] = field(default_factory=dict)  # benchmark file -> max_rss


def sum_benchmarks(tables: Mapping[str, pd.DataFrame]) -> RuleTimes:
    """Add up Snakemake benchmark tables (one per job, keyed by its file's relative path).

    ``cpu_time`` and ``max_rss`` are NA when the job ended before Snakemake's first sample:
    counted as 0. Snakemake samples a job's CPU time every 0.5 s for its first 15 s, then every
    30 s: the CPU sum is a lower bound (the whole command's CPU, from GNU time, an upper one).
    """
    if not tables:
        raise ValueError("no benchmark files: the run made no job")

    def first(table: pd.DataFrame, column: str) -> float:
        return float(pd.to_numeric(table[column], errors="coerce").fillna(0).iloc[0])

    jobs = {name: first(table, "s") for name, table in tables.items()}
    cpu = sum(first(table, "cpu_time") for table in tables.values())
    peaks = {name: first(table, "max_rss") for name, table in tables.items()}
    return RuleTimes(sum(jobs.values()), cpu, max(peaks.values()), jobs, peaks)


def read_benchmarks(folder: Path) -> RuleTimes:
    """:func:`sum_benchmarks` of every benchmark file under ``folder``/results/benchmarks."""
    root = folder / BENCHMARKS
    tables = {
        str(path.relative_to(root)): pd.read_csv(path, sep="\t")
        for path in sorted(root.rglob("*.tsv"))
    }
    return sum_benchmarks(tables)


def check_jobs(times: RuleTimes, expected: Iterable[str]) -> None:
    """The jobs run are exactly the sample's (benchmark files ``expected``): otherwise the
    timed run rebuilt a reference or skipped a step, and its sum is not the sample's time."""
    wanted, ran = set(expected), set(times.jobs)
    if ran != wanted:
        raise RuntimeError(
            f"the timed run made jobs {sorted(ran)}, expected exactly {sorted(wanted)}: "
            "a reference was rebuilt or a step of the sample did not run"
        )


def base_config() -> dict:
    """The repository's config/config.yaml without its arms, qPCR and survival sections."""
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for section in ("smallrna", "mrna", "qpcr", "survival"):
        config.pop(section, None)
    config.update(demo=False, samples="config/samples.tsv", units="config/units.tsv")
    return config


def contrast_levels(config: Mapping) -> tuple[str, str, str]:
    """(column, tested level, reference level) of the config's first contrast."""
    column, tested, reference = next(iter(config["diffexp"]["contrasts"].values()))
    return column, tested, reference


def write_folder(
    folder: Path,
    arm: str,
    section: Mapping,
    units: Sequence[Mapping[str, str]],
    config_changes: Mapping | None = None,
) -> Path:
    """A bench run folder for ``arm`` with the config ``section`` and the unit rows ``units``.

    The samples (in the order of their units) alternate between the reference and the tested
    level of the config's contrast. ``config_changes`` replace top-level sections.
    """
    config = base_config()
    config[arm] = dict(section)
    config.update(config_changes or {})
    # a folder reading the simulated demo's references (when the shared ones are absent) is a
    # demo run: the workflow refuses them with demo: false
    config["demo"] = any(is_demo_file(path) for _, path in reference_files(config, [arm]) if path)
    column, tested, reference = contrast_levels(config)
    (folder / "config").mkdir(parents=True, exist_ok=True)
    (folder / "config" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    names = list(dict.fromkeys(unit["sample"] for unit in units))
    samples = pd.DataFrame(
        {
            "sample": names,
            "library_type": arm,
            column: [(reference, tested)[k % 2] for k in range(len(names))],
            "batch": "b1",
        }
    )
    columns = ["sample", "unit", "fq1", "fq2", "protocol", "adapter", "strandedness"]
    table = pd.DataFrame([{key: unit.get(key, "") for key in columns} for unit in units])
    samples.to_csv(folder / "config" / "samples.tsv", sep="\t", index=False)
    table.to_csv(folder / "config" / "units.tsv", sep="\t", index=False)
    return folder


def snakemake_command(
    cores: int, targets: Sequence[str], forcerun: Sequence[str] = (), extra: Sequence[str] = ()
) -> list[str]:
    """``snakemake --cores N`` making ``targets`` with the repository's Snakefile.

    The targets come first: ``--forcerun``, ``--allowed-rules`` and ``--quiet`` take lists.
    """
    command = [str(BIN / "snakemake"), "-s", str(SNAKEFILE), *targets, "--cores", str(cores)]
    if forcerun:
        command += ["--forcerun", *forcerun]
    return [*command, *extra, "--quiet", "rules"]


def env(cores: int | None = None) -> dict[str, str]:
    """The runs' environment: the venv's bin first, this checkout's library first on the
    PYTHONPATH (the rule scripts' processes import it, not another checkout's editable
    install), and the thread variables set to ``cores`` when given."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO / "workflow" / "scripts"), os.environ.get("PYTHONPATH")])
        ),
        **(harness.thread_env(cores) if cores else {}),
    }


@dataclass(frozen=True)
class RuleRun:
    """One timed Snakemake run: the sum of its jobs' benchmark files, and the whole command
    (Snakemake's start-up and DAG build included) as GNU time measured it."""

    rules: RuleTimes
    command: harness.Measurement


def run_rules(
    folder: Path,
    cores: int,
    targets: Sequence[str],
    *,
    log: Path,
    forcerun: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> RuleRun:
    """Run Snakemake in ``folder`` on the first ``cores`` CPUs; its benchmark sums."""
    shutil.rmtree(folder / BENCHMARKS, ignore_errors=True)
    command = snakemake_command(cores, targets, forcerun, extra)
    measured = harness.measure(harness.pinned(command, cores), cwd=folder, env=env(cores), log=log)
    return RuleRun(read_benchmarks(folder), measured)
