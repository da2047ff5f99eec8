"""Pure helpers of the benchmark harness: timing commands, medians, growth exponents, tables.

Every measurement runs a command in a child process under GNU ``/usr/bin/time -v`` (Debian
package ``time``), which reports the wall time and the peak resident memory (maximum RSS of the
largest process of the tree, as the kernel reports it for waited-for children). When
``/usr/bin/time`` is missing, ``resource.getrusage(RUSAGE_CHILDREN)`` gives the same peak.
"""

from __future__ import annotations

import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

GNU_TIME = "/usr/bin/time"
_MAXRSS = re.compile(r"Maximum resident set size \(kbytes\):\s*(\d+)")
_CPU = re.compile(r"(?:User|System) time \(seconds\):\s*([\d.]+)")
_WALL = re.compile(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\):\s*([\d:.]+)")


@dataclass
class Measurement:
    """One run of a command: wall seconds and peak resident memory in MB."""

    seconds: float
    peak_mb: float
    cpu_seconds: float | None = None  # user + system time (GNU time only)


@dataclass
class Summary:
    """Median wall time and peak memory (max over runs) of repeated runs of one command."""

    label: str
    runs: list[Measurement] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """Median wall time (s)."""
        return median([m.seconds for m in self.runs])

    @property
    def cpu_seconds(self) -> float | None:
        """Median CPU time (user + system, s); None without GNU time."""
        values = [m.cpu_seconds for m in self.runs if m.cpu_seconds is not None]
        return median(values) if values else None

    @property
    def peak_mb(self) -> float:
        """Largest peak memory over the runs (MB)."""
        return max(m.peak_mb for m in self.runs)


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence (mean of the two middle values for an even count)."""
    if not values:
        raise ValueError("median of no values")
    return float(statistics.median(values))


def parse_gnu_time(text: str) -> tuple[float | None, float | None]:
    """(wall seconds, peak RSS in MB) from the report of ``/usr/bin/time -v``."""
    wall = peak = None
    match = _WALL.search(text)
    if match:
        seconds = 0.0
        for part in match.group(1).split(":"):
            seconds = seconds * 60 + float(part)
        wall = seconds
    match = _MAXRSS.search(text)
    if match:
        peak = int(match.group(1)) / 1024
    return wall, peak


def parse_gnu_cpu(text: str) -> float | None:
    """CPU seconds (user + system) from the report of ``/usr/bin/time -v``; None if absent.

    On a shared machine the CPU time of a single-threaded step varies much less than its
    wall time, so it is reported beside it.
    """
    parts = [float(value) for value in _CPU.findall(text)]
    return sum(parts) if len(parts) == 2 else None


def measure(
    command: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    log: str | os.PathLike[str] | None = None,
) -> Measurement:
    """Run ``command`` once; its wall time (timed here) and peak memory. Raises on failure.

    stdout/stderr go to ``log`` (appended) so a failing run can be read afterwards.
    """
    use_gnu = os.access(GNU_TIME, os.X_OK)
    report = Path(log or os.devnull).with_suffix(".time") if log else None
    full = list(command)
    if use_gnu:
        report_path = str(report) if report else "/dev/null"
        full = [GNU_TIME, "-v", "-o", report_path, *full]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(log or os.devnull, "a") as handle:
        started = time.perf_counter()
        done = subprocess.run(
            full, cwd=cwd, env=dict(env) if env else None, stdout=handle, stderr=handle
        )
        seconds = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"benchmark command failed (exit {done.returncode}): {full}; see {log}")
    peak_mb = cpu = None
    if use_gnu and report and report.exists():
        _, peak_mb = parse_gnu_time(report.read_text())
        cpu = parse_gnu_cpu(report.read_text())
    if peak_mb is None:
        # RUSAGE_CHILDREN keeps the maximum over all children so far: exact only if it grew.
        peak_mb = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    return Measurement(seconds, peak_mb, cpu)


def repeat(
    label: str,
    command: Sequence[str],
    reps: int,
    *,
    before_each: Callable[[], None] | None = None,
    **kwargs,
) -> Summary:
    """Run ``command`` ``reps`` times (``before_each`` cleans outputs first); the summary."""
    summary = Summary(label)
    for _ in range(max(1, reps)):
        if before_each:
            before_each()
        summary.runs.append(measure(command, **kwargs))
    return summary


def pinned(command: Sequence[str], cores: int) -> list[str]:
    """``command`` confined to the first ``cores`` CPUs (``taskset -c 0-N``), children included.

    Both sides of a comparison run pinned to the same CPUs, so neither can use more cores than
    the other whatever threads its libraries start (BLAS, numba, R's BiocParallel).
    """
    available = os.cpu_count() or 1
    if cores < 1 or cores > available:
        raise ValueError(f"cannot pin to {cores} cores on a machine with {available}")
    if not shutil.which("taskset"):
        raise RuntimeError("taskset (util-linux) is needed to run both sides on the same cores")
    return ["taskset", "-c", f"0-{cores - 1}", *command]


def thread_env(cores: int) -> dict[str, str]:
    """Thread-count variables of BLAS/OpenMP/numba set to ``cores`` (no oversubscription)."""
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
    return {name: str(cores) for name in names}


def turn_ratios(project: Sequence[float], alternative: Sequence[float]) -> list[float]:
    """alternative / project of each turn (runs made in turns, so both saw the same load)."""
    if len(project) != len(alternative) or not project:
        raise ValueError("turn ratios need the same, non-zero number of runs on both sides")
    if min(project) <= 0:
        raise ValueError("project times must be positive")
    return [b / a for a, b in zip(project, alternative, strict=True)]


def growth_exponent(sizes: Sequence[float], times: Sequence[float]) -> float:
    """k of time ~ size^k: least-squares slope of log(time) on log(size).

    k ~ 1 is linear; k < 1 means fixed costs dominate at the small sizes.
    """
    if len(sizes) != len(times) or len(sizes) < 2:
        raise ValueError("growth exponent needs at least two (size, time) pairs")
    if min(sizes) <= 0 or min(times) <= 0:
        raise ValueError("sizes and times must be positive")
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        raise ValueError("growth exponent needs at least two different sizes")
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx


def fmt_seconds(seconds: float | None) -> str:
    """Seconds with sensible precision ('' for None)."""
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds:.3f} s"
    if seconds < 100:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s"


def fmt_mb(mb: float | None) -> str:
    """Megabytes as an integer ('' for None)."""
    return "" if mb is None else f"{mb:.0f} MB"


@dataclass
class Row:
    """One line of the results table. ``ratio`` = alternative time / this project's time."""

    stage: str
    size: str
    project: str
    alternative: str = ""
    ratio: str = ""
    peak: str = ""
    note: str = ""


def budget_row(stage: str, size: str, verdicts: Sequence[str], quick: bool) -> Row:
    """The row that says whether a section met its budget: each verdict ends in yes or NO."""
    return Row(
        stage,
        size,
        "; ".join(verdicts),
        note="quick run: sizes below the budget's" if quick else "",
    )


def budget_met(verdicts: Sequence[str]) -> bool:
    """Whether every verdict of :func:`budget_row` ends in yes."""
    return all(verdict.endswith("yes") for verdict in verdicts)


def ratio_text(project_seconds: float, alternative_seconds: float) -> str:
    """``alternative / project`` as 'N.NNx' (> 1: this project is faster)."""
    if project_seconds <= 0:
        return ""
    return f"{alternative_seconds / project_seconds:.2f}x"


def turns_text(ratios: Sequence[float]) -> str:
    """The median of per-turn ratios and the turns themselves: '1.75x (turns 1.70, 1.75, 1.80)'."""
    listed = ", ".join(f"{r:.2f}" for r in ratios)
    return f"{median(ratios):.2f}x (turns {listed})"


def rate_text(items: float, seconds: float, unit: str = "reads/s") -> str:
    """Throughput, e.g. '123,456 reads/s'."""
    return f"{items / seconds:,.0f} {unit}" if seconds > 0 else ""


def render_table(rows: Sequence[Row]) -> str:
    """Markdown table: stage, size, this project, alternative, ratio, peak memory, note."""
    header = (
        "| stage | size | this project | alternative | ratio (alt / project) | peak memory "
        "(project / alt) | note |\n|---|---|---|---|---|---|---|\n"
    )

    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| "
        + " | ".join(
            cell(x) for x in (r.stage, r.size, r.project, r.alternative, r.ratio, r.peak, r.note)
        )
        + " |"
        for r in rows
    ]
    return header + "\n".join(lines) + "\n"


def machine_info() -> dict[str, str]:
    """CPU model, cores, RAM, OS and date (UTC) of this machine."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
                break
    except OSError:
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "unknown"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu,
        "cores": str(os.cpu_count() or "unknown"),
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load average at start (1/5/15 min)": load,
    }


def tool_version(command: Sequence[str]) -> str:
    """First line of a tool's version output, or 'not installed'."""
    if not shutil.which(command[0]):
        return "not installed"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"
