"""Faults on a real (small) run: SIGKILL and resume, a second Snakemake refused, injection attempts.

On the 10x smaller simulated demo: a copy of the session's uninterrupted run
(``finished_mini_demo``), then the per-sample steps redone (forced from the trimming on) and
killed with SIGKILL in the middle, then resumed: the final tables must be byte-identical to the
uninterrupted run's. Copies of that folder are then used for short targeted runs (a FASTQ path and a
config value built to run a command; a truncated FASTQ).
Budget: about 5 minutes on 2 cores (more when the machine is shared).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from workflow_runs import (
    copy_run,
    run_workflow,
    shared_run,
    snakemake_command,
    snakemake_env,
)

pytestmark = pytest.mark.slow

#: The outputs compared between the killed-and-resumed run and the uninterrupted one.
FINAL_TABLES = [
    "results/smallrna/counts.tsv",
    "results/mrna/counts.tsv",
    "results/diffexp/smallrna/irradiated_vs_control.tsv",
    "results/diffexp/mrna/irradiated_vs_control.tsv",
    "results/survival/table1.tsv",
]
LOCKED = "Directory cannot be locked"
#: Snakemake builds its DAG before it takes the lock: when the running Snakemake deletes an output
#: it is about to redo inside that window, the second one stops there, with this message.
CONCURRENT = "a concurrent process has deleted it while Snakemake was running"


def _checksums(workdir: Path) -> dict[str, str]:
    return {p: hashlib.sha256((workdir / p).read_bytes()).hexdigest() for p in FINAL_TABLES}


def _start(workdir: Path, *args: str) -> subprocess.Popen:
    """Start Snakemake like :func:`workflow_runs.run_workflow`, in its own process group."""
    return subprocess.Popen(
        [*snakemake_command(workdir), *args],
        cwd=workdir,
        env=snakemake_env(),
        stdout=(workdir / "killed_run.out").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _out(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


#: The rules that trim reads (one mRNA cutadapt rule serves single- and paired-end units).
TRIMMING_RULES = ["smallrna_trim", "mrna_cutadapt"]


#: What the fault sequence saw (return codes, output, checksums), beside its shared folder.
SEEN_FILE = "seen.json"


def _kill_and_resume(finished: Path, folder: Path) -> None:
    """In ``folder / 'run'`` (a copy of the uninterrupted run ``finished``): a second full run of
    the per-sample steps (forced from the trimming on) killed with SIGKILL mid-way, a second
    Snakemake meanwhile, then the resume; what was seen goes to ``folder / SEEN_FILE``."""
    workdir = copy_run(finished, folder / "run")
    seen: dict[str, object] = {"baseline": _checksums(workdir)}

    # Redo every per-sample step, with the final tables gone so that they must be rebuilt after
    # the kill. (Merely newer per-sample files would not make Snakemake redo them: it skips
    # jobs whose newer small inputs have the checksum it recorded, and our outputs are the same.)
    for path in FINAL_TABLES[:4]:
        (workdir / path).unlink()
    force = ["--forcerun", *TRIMMING_RULES]
    started = time.time()
    process = _start(workdir, "--cores", "2", *force, *FINAL_TABLES)
    collapsed = workdir / "results" / "smallrna" / "collapsed"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and process.poll() is None:
        redone = [p for p in collapsed.glob("*.json") if p.stat().st_mtime > started]
        if len(redone) >= 2:  # the middle: some samples redone, the tables not yet
            break
        time.sleep(1)
    assert process.poll() is None, (workdir / "killed_run.out").read_text()[-3000:]
    # A second Snakemake while the first runs, even told to redo incomplete files.
    runs = {"second": run_workflow(workdir, "--cores", "1", "--rerun-incomplete", *FINAL_TABLES)}
    seen["running_after_second"] = process.poll() is None
    os.killpg(process.pid, signal.SIGKILL)  # the whole group: Snakemake and its running jobs
    process.wait()

    runs["plain_after_kill"] = run_workflow(workdir, "--cores", "2", *FINAL_TABLES)
    runs["stale_lock"] = run_workflow(workdir, "--cores", "2", "--rerun-incomplete", *FINAL_TABLES)
    runs["unlock"] = run_workflow(workdir, "--unlock")
    runs["resumed"] = run_workflow(workdir, "--cores", "2", "--rerun-incomplete", *FINAL_TABLES)
    rebuilt = [workdir / p for p in FINAL_TABLES[:4]]
    seen["redone"] = [str(p.relative_to(workdir)) for p in rebuilt if p.is_file()]
    seen["runs"] = {name: [run.returncode, run.stdout, run.stderr] for name, run in runs.items()}
    (folder / SEEN_FILE).write_text(json.dumps(seen))


@pytest.fixture(scope="session")
def runs(finished_mini_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """What :func:`_kill_and_resume` saw, and its folder (``workdir``: read it, or copy it before
    changing it). Made once per session, also with pytest-xdist workers (a module fixture would
    be made again by each worker that runs one of this file's tests)."""
    folder = shared_run(
        tmp_path_factory, "faults", lambda f: _kill_and_resume(finished_mini_demo, f)
    )
    seen = json.loads((folder / SEEN_FILE).read_text())
    for name, (returncode, stdout, stderr) in seen.pop("runs").items():
        seen[name] = subprocess.CompletedProcess([name], returncode, stdout, stderr)
    return {**seen, "workdir": folder / "run"}


def test_second_snakemake_in_the_same_folder_is_refused(runs) -> None:
    """Refused by the lock or, when the first run deletes a file to redo it while the second
    builds its DAG (before locking), by Snakemake's concurrent-process message: both name the
    cause and stop before any job (CI of stop 40 met the second)."""
    second = runs["second"]
    refusal = _out(second)
    assert second.returncode != 0, refusal[-3000:]
    assert LOCKED in refusal or CONCURRENT in refusal, refusal[-3000:]
    assert "Select jobs to execute" not in refusal, "the refused run must not start a job"
    assert runs["running_after_second"], "the refused second run must not stop the first one"


def test_killed_run_resumes_to_identical_final_tables(runs) -> None:
    """SIGKILL mid-run; the stale lock is reported with its fix (--unlock); the resumed run
    (with --rerun-incomplete, as the default profile sets) redoes the tables byte-identically."""
    plain = _out(runs["plain_after_kill"])
    assert runs["plain_after_kill"].returncode != 0
    assert "--rerun-incomplete" in plain or "--unlock" in plain, plain[-3000:]
    stale = _out(runs["stale_lock"])
    assert runs["stale_lock"].returncode != 0 and LOCKED in stale
    assert "--unlock" in stale and "kill signal" in stale
    assert runs["unlock"].returncode == 0, _out(runs["unlock"])
    assert runs["resumed"].returncode == 0, _out(runs["resumed"])[-5000:]
    # The count matrices and DE tables were rebuilt after the kill.
    assert runs["redone"] == FINAL_TABLES[:4]
    # pydeseq2 is deterministic for the same counts (no random step in its Wald test path), so
    # even the DE tables are byte-identical, not just numerically close.
    assert _checksums(runs["workdir"]) == runs["baseline"]


def test_fastq_path_built_to_run_a_command_is_only_data(runs, tmp_path: Path) -> None:
    """A FASTQ named '$(touch MARKER);`touch MARKER2`.fastq.gz' is trimmed as a file."""
    workdir = copy_run(runs["workdir"], tmp_path / "run")
    reads = workdir / "resources" / "demo" / "smallrna" / "reads"
    weird = reads / "$(touch MARKER);`touch MARKER2`.fastq.gz"
    shutil.copy(reads / "exo_ctrl_1.fastq.gz", weird)
    units = workdir / "config" / "units.tsv"
    original = units.read_text()
    units.write_text(
        original + f"exo_ctrl_1\tlane2\t{weird.relative_to(workdir)}\t\tillumina\t\t\n"
    )
    try:
        target = "results/smallrna/trimmed/exo_ctrl_1/lane2.trim.json"
        result = run_workflow(workdir, "--cores", "2", target)
        assert result.returncode == 0, _out(result)[-5000:]
        assert (workdir / target).exists()
        assert not list(workdir.rglob("MARKER*")) and not list(Path.cwd().glob("MARKER*"))

        # The same unit with a truncated file: an error naming sample, unit, file and fix.
        whole = weird.read_bytes()
        weird.write_bytes(whole[: len(whole) // 3])
        (workdir / target).unlink()
        failed = run_workflow(workdir, "--cores", "2", target)
        assert failed.returncode != 0
        assert "sample exo_ctrl_1, unit lane2: the reads in" in _out(failed)
        assert "the gzip file is truncated" in _out(failed)
        assert not (workdir / target).exists()
        assert not list((workdir / "results/smallrna/trimmed/exo_ctrl_1").glob(".*"))
        assert not list((workdir / "results/smallrna/trimmed/exo_ctrl_1").glob("lane2.*"))
    finally:
        units.write_text(original)


@pytest.mark.parametrize(
    "value", ["--no-softclip $(touch MARKER)", "--no-softclip;touch MARKER"], ids=["$()", ";"]
)
def test_config_option_built_to_run_a_command_is_refused_before_any_job(
    runs, value, tmp_path: Path
) -> None:
    workdir = copy_run(runs["workdir"], tmp_path / "run")
    mini = workdir / "config" / "mini.yaml"
    original = mini.read_text()
    settings = yaml.safe_load(original)
    settings["mrna"]["hisat2"] = {"extra": value}
    mini.write_text(yaml.safe_dump(settings))
    try:
        result = run_workflow(workdir, "--cores", "2", "--forcerun", "mrna_align_hisat2")
    finally:
        mini.write_text(original)
    assert result.returncode != 0
    assert "Input error: config key mrna.hisat2.extra:" in _out(result)
    assert "characters a shell would interpret" in _out(result)
    assert "Select jobs to execute" not in _out(result)
    assert not list(workdir.rglob("MARKER*")) and not list(Path.cwd().glob("MARKER*"))
