"""The demo through a real one-node SLURM cluster started on this machine
(:mod:`slurm_cluster`: the daemons as root, state and configuration in a temporary folder,
stopped by their process ids whatever the outcome).

The small demo's SLURM run is the session's ``finished_mini_demo`` (tests/workflow/conftest.py)
when the session holds this test: made once, by whichever pytest-xdist worker asks first, and
read by the tests that need a finished small demo. Here: every job ran as a SLURM job and the
report was written. Measured on the shared 2-core machine (mini demo): 108 jobs in 9 SLURM jobs,
342 s at load 2-3, 561 s at load 4-5, 824 s at load 5-6 (locally about 3 minutes). The node
runs one group job at a time (each asks for both CPUs), and inside a job each part of the group
(one per sample) runs after the other through a Snakemake start of its own: 34 starts in all.

It fails, naming `make test-tools`, when not run as root or when the packages cannot be
installed.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prerequisites import TEST_TOOLS, missing
from slurm_cluster import SLURM_RECORD, read_slurm_record, running_cluster

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture()
def slurm_cluster() -> Iterator[Path]:
    """A running one-node cluster; yields its folder (slurm.conf, logs); SLURM_CONF is set.
    Stopped after the test: the demo's SLURM run starts a cluster of its own."""
    with running_cluster() as root:
        yield root


def test_cluster_runs_a_job(slurm_cluster: Path) -> None:
    """The cluster itself works: a batch job runs on the node and squeue knows its id."""
    out = slurm_cluster / "hello.out"
    submit = subprocess.run(
        ["sbatch", "--parsable", f"--output={out}", "--wrap", "echo hello from $SLURM_JOB_ID"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert submit.returncode == 0, submit.stderr
    job_id = submit.stdout.strip().split(";")[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and out.read_text().strip()):
        time.sleep(1)
    assert out.read_text().strip() == f"hello from {job_id}"
    queue = subprocess.run(
        ["squeue", "-h", "-j", job_id, "-t", "all", "-o", "%i %T"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert queue.stdout.split()[0] == job_id


def _local_jobs(log: str) -> int:
    """The job count of a finished run, from Snakemake's "N of N steps (100%) done" line."""
    done = re.findall(r"(\d+) of (\d+) steps \(100%\) done", log)
    assert done, f"no completion line in the Snakemake log:\n{log[-3000:]}"
    return int(done[-1][1])


def test_demo_runs_on_slurm(finished_mini_demo: Path) -> None:
    """Every job of the small demo was submitted with sbatch and finished on the cluster."""
    workdir = finished_mini_demo
    if not (workdir / SLURM_RECORD).is_file():
        reason = (workdir / "slurm_unavailable.txt").read_text(errors="replace")
        missing(f"a SLURM cluster for the small demo ({reason})", TEST_TOOLS)
    wall, returncode, log = read_slurm_record(workdir)
    assert returncode == 0, f"the SLURM run failed:\n{log[-6000:]}"
    steps = _local_jobs(log)
    print(f"\nSLURM run: {steps} jobs in {wall:.0f} s", flush=True)

    # Snakemake's own record: each submitted (group) job gets a SLURM job id.
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert submitted, f"no job was submitted to SLURM:\n{log[-3000:]}"
    # The executor's per-job logs under .snakemake/slurm_logs carry the same ids.
    slurm_logs = list((workdir / ".snakemake" / "slurm_logs").rglob("*.log"))
    log_ids = {path.stem for path in slurm_logs}
    assert set(submitted) <= log_ids, f"jobs without a SLURM log: {set(submitted) - log_ids}"
    # No rule ran on the submitting host: every rule execution happened inside a SLURM job,
    # so the jobs inside the submitted ones are all jobs of the run but the target rule `all`.
    assert "localrule" not in log.replace("localrule all", ""), log[-3000:]
    # Inside a SLURM job Snakemake runs twice: the job's own instance announces each rule as
    # "rule X:", the srun step that executes it as "localrule X:"; count each execution once.
    inner = 0
    for path in slurm_logs:
        text = path.read_text(errors="replace")
        inner += max(
            len(re.findall(r"^\s*rule \w+:", text, re.M)),
            len(re.findall(r"^\s*localrule \w+:", text, re.M)),
        )
    assert inner == steps - 1, f"{inner} rule executions in SLURM logs, {steps} jobs in the run"
    assert (workdir / "results" / "report" / "report.html").stat().st_size > 0
    print(
        f"\nSLURM: {steps} jobs ({len(submitted)} SLURM submissions) in {wall:.0f} s",
        flush=True,
    )
