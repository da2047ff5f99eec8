"""A one-node SLURM cluster started on this machine, and the small demo run through it.

As root, :func:`running_cluster` installs Debian's ``slurm-wlm`` and ``munge`` when they are
missing, writes a slurm.conf into a temporary folder (``SLURM_CONF`` points to it, nothing under
/etc is changed), starts ``munged`` (as user munge, on its own socket and key), ``slurmctld`` and
``slurmd -N localhost`` in the foreground, and stops the daemons it started, by their process ids,
whatever the outcome. :func:`run_on_slurm` runs the small demo there with
``--workflow-profile workflow/profiles/slurm``. Helpers of ``test_slurm.py`` and of the session's
``finished_mini_demo`` (tests/workflow/conftest.py), which is that SLURM run when the session
holds the SLURM test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prerequisites import TEST_TOOLS, missing
from workflow_runs import REPO_ROOT, run_workflow

SLURM_PROFILE = REPO_ROOT / "workflow" / "profiles" / "slurm"
DAEMONS = {"munged": "munge", "slurmctld": "slurm-wlm", "slurmd": "slurm-wlm"}


def _free_port() -> int:
    """A TCP port nobody listens on now (other SLURM clusters may run beside this one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ensure_packages() -> None:
    """Install slurm-wlm and munge with apt-get when a daemon is missing, or fail saying why."""
    if os.geteuid() != 0:
        missing("root, to start the SLURM daemons (run the tests as root)", TEST_TOOLS)
    if all(shutil.which(name) or Path("/usr/sbin", name).exists() for name in DAEMONS):
        return
    if shutil.which("apt-get") is None:
        missing("slurm-wlm and munge (no apt-get to install them here)", TEST_TOOLS)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "slurm-wlm", "munge"],
    ):
        run = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if run.returncode != 0:
            missing(
                f"slurm-wlm and munge ({' '.join(command)} failed:\n{run.stderr[-2000:]})",
                TEST_TOOLS,
            )


def _memory_mb() -> int:
    """Physical memory in MB (from /proc/meminfo), for the node's RealMemory."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise RuntimeError("no MemTotal in /proc/meminfo")


def slurm_conf(root: Path, ctld_port: int, slurmd_port: int, munge_socket: Path) -> str:
    """slurm.conf of a one-node cluster on localhost, all state and logs under ``root``.

    No accounting database: job states are read with squeue (see the SLURM profile), so jobs
    must stay visible to squeue for a while after they end (MinJobAge).
    """
    node = f"CPUs={os.cpu_count() or 1} RealMemory={_memory_mb()}"
    return f"""\
ClusterName=esccrt-test
SlurmctldHost=localhost
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket}
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
SlurmctldLogFile={root}/slurmctld.log
SlurmdLogFile={root}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=300
SchedulerType=sched/backfill
NodeName=localhost NodeAddr=127.0.0.1 {node} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def _stop(process: subprocess.Popen) -> None:
    """Stop one daemon by its process id: SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


def _wait_for(check, what: str, log: Path, timeout: float = 60) -> None:
    """Poll ``check()`` until it is true; fail with the daemon's log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    text = log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s; log {log}:\n{text}")


def _cluster_folder() -> Path:
    """A new folder with the cluster's state and spool folders, munge key, slurm.conf and srun
    wrapper (``munge/``, ``slurm.conf``, ``bin/srun``)."""
    # Not pytest's tmp_path: munged (user munge) must be able to reach its socket folder.
    root = Path(tempfile.mkdtemp(prefix="esccrt-slurm-"))
    root.chmod(0o755)
    for sub in ("state", "spool"):
        (root / sub).mkdir()
    munge_dir = root / "munge"
    munge_dir.mkdir()
    munge_dir.chmod(0o755)  # munged wants its socket folder executable by all
    key = munge_dir / "munge.key"
    key.write_bytes(os.urandom(128))
    key.chmod(0o600)
    shutil.chown(munge_dir, "munge", "munge")
    shutil.chown(key, "munge", "munge")
    munge_socket = munge_dir / "munge.socket"
    conf = root / "slurm.conf"
    conf.write_text(slurm_conf(root, _free_port(), _free_port(), munge_socket))
    # proctrack/linuxproc and task/none: no cgroup plugin is loaded, so no cgroup.conf is needed
    # (there is no systemd/cgroup delegation for a test to rely on).
    # The jobstep plugin removes SLURM_* variables, SLURM_CONF included, before its srun inside
    # each job; real clusters keep slurm.conf in /etc/slurm, this one passes it through a wrapper.
    bin_dir = root / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "srun"
    wrapper.write_text(f'#!/bin/sh\nexport SLURM_CONF={conf}\nexec {shutil.which("srun")} "$@"\n')
    wrapper.chmod(0o755)
    return root


def _start_munged(munge_dir: Path) -> subprocess.Popen:
    """munged in the foreground as user munge, with the key and socket of ``munge_dir``."""
    key = munge_dir / "munge.key"
    munge_socket = munge_dir / "munge.socket"
    return subprocess.Popen(
        [
            "/usr/sbin/munged",
            "--foreground",
            f"--socket={munge_socket}",
            f"--key-file={key}",
            f"--pid-file={munge_dir / 'munged.pid'}",
            f"--log-file={munge_dir / 'munged.log'}",
            f"--seed-file={munge_dir / 'munged.seed'}",
        ],
        user="munge",
        group="munge",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def running_cluster() -> Iterator[Path]:
    """A running one-node cluster for the block; yields its folder (slurm.conf, logs).

    SLURM_CONF and PATH (the srun wrapper first) are set for the block; the daemons are stopped
    by their process ids afterwards, whatever the outcome."""
    _ensure_packages()
    root = _cluster_folder()
    conf = root / "slurm.conf"
    bin_dir = root / "bin"
    munge_dir = root / "munge"
    env = {**os.environ, "SLURM_CONF": str(conf)}

    started: list[subprocess.Popen] = []
    patch = pytest.MonkeyPatch()
    patch.setenv("SLURM_CONF", str(conf))
    patch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    try:
        started.append(_start_munged(munge_dir))
        _wait_for(
            (munge_dir / "munge.socket").exists, "munged", munge_dir / "munged.log", timeout=20
        )
        daemon_log = (root / "daemons.log").open("w")
        started.append(
            subprocess.Popen(
                ["/usr/sbin/slurmctld", "-D", "-i"], env=env, stdout=daemon_log, stderr=daemon_log
            )
        )
        started.append(
            subprocess.Popen(
                ["/usr/sbin/slurmd", "-D", "-N", "localhost"],
                env=env,
                stdout=daemon_log,
                stderr=daemon_log,
            )
        )

        def node_ready() -> bool:
            state = subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True, env=env
            )
            return state.returncode == 0 and state.stdout.strip() in {"idle", "mixed"}

        _wait_for(node_ready, "the SLURM node", root / "slurmd.log")
        yield root
    finally:
        patch.undo()
        if shutil.which("scancel") and started:
            subprocess.run(
                ["scancel", "--full", "--user", "root"], env=env, capture_output=True, check=False
            )
        for process in reversed(started):
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)


#: The longest the small demo may take on the cluster (s); measured: 342 to 824 s.
RUN_TIMEOUT = 1500

#: Where :func:`run_on_slurm` keeps Snakemake's output and how the run went, in the run folder.
SLURM_RECORD = "slurm_run.log"


def run_on_slurm(workdir: Path) -> subprocess.CompletedProcess[str]:
    """Run the small demo in ``workdir`` through a cluster started for it (:func:`running_cluster`).

    Snakemake's output is kept in ``workdir / SLURM_RECORD`` (first line: the wall time in
    seconds, then the return code, then the output) for ``test_slurm.py``, which may run in
    another pytest-xdist worker than the one that made the run.
    """
    with running_cluster():
        start = time.monotonic()
        # The profile as users get it; only the status checks come sooner than on a busy
        # cluster: the executor checks 1 s after a job ended, then 10 s later each time no job
        # has ended (1, 12, 33, 64 ... s; MinJobAge=300 s >= 3 x 1 s, so squeue still sees
        # every finished job).
        command = [
            "--workflow-profile",
            str(SLURM_PROFILE),
            "--slurm-init-seconds-before-status-checks",
            "1",
            # The node's size: group jobs are laid out so that none asks for more CPUs than this.
            "--cores",
            str(os.cpu_count() or 1),
            "--slurm-keep-successful-logs",  # kept for test_slurm.py (default: deleted)
            # Tiny libraries: all samples of an arm in one SLURM job, as the profile advises
            # for them (each job costs a queue wait and a Snakemake start on the node; inside
            # it, each sample's part runs after the other through one more Snakemake start: the
            # jobstep executor runs one at a time).
            "--group-components",
            "smallrna_sample=6",
            "mrna_unit=6",
            "smallrna_reference=6",
            "mrna_reference=1",
            "diffexp=2",
            "mrna_summary=2",
            "survival=1",
            "report=1",
        ]
        try:
            run = run_workflow(workdir, *command, timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            run = subprocess.CompletedProcess(command, -1, "", f"timed out ({RUN_TIMEOUT} s)\n")
        wall = time.monotonic() - start
    record = f"{wall:.0f}\n{run.returncode}\n{run.stdout}{run.stderr}"
    (workdir / SLURM_RECORD).write_text(record)
    return run


def read_slurm_record(workdir: Path) -> tuple[float, int, str]:
    """The wall time (s), return code and output :func:`run_on_slurm` kept in ``workdir``."""
    wall, returncode, log = (workdir / SLURM_RECORD).read_text().split("\n", 2)
    return float(wall), int(returncode), log
