"""Shared pytest fixtures: import path of the workflow library and the real reference data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS_DIR = REPO_ROOT / "workflow" / "scripts"
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

if str(SCRIPTS_DIR) not in sys.path:
    sys.path.insert(0, str(SCRIPTS_DIR))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top-level folder."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Real reads and reference results beside the project (never copied into it).

    Tests that need them skip, saying why, on a checkout without ``../shared/data``.
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (it lives beside the repo)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_results() -> Path:
    """Run the whole workflow on the simulated demo (as `make demo` does) and return results/.

    Finished outputs are reused, so after `make demo` this costs only Snakemake's check.
    """
    import os
    import subprocess

    if not (REPO_ROOT / "resources" / "demo" / ".complete").exists():
        pytest.skip("the simulated demo data is absent: run `make demo-data` (make test does)")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        [str(bin_dir / "snakemake"), "--cores", str(os.cpu_count() or 2)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, (
        f"the demo workflow failed:\n{run.stdout[-5000:]}{run.stderr[-5000:]}"
    )
    return REPO_ROOT / "results"


#: Overrides that let the small demo pass the QC gates (its libraries are 10 times smaller).
MINI_DEMO_CONFIG = """
smallrna:
  min_mirna_reads: 1000
mrna:
  qc:
    min_assigned_reads: 5000
"""


def make_mini_demo(workdir: Path, smallrna_reads: int = 20000, mrna_pairs: int = 20000) -> Path:
    """A self-contained run folder: the demo's config and sheets, a 10x smaller simulated demo.

    Tests that run the workflow several times (SLURM, new batches, kill and resume) use it so
    that the suite stays within its time budget. Run Snakemake in it with :func:`run_workflow`.
    """
    import shutil
    import subprocess

    shutil.copytree(REPO_ROOT / "config", workdir / "config")
    (workdir / "config" / "mini.yaml").write_text(MINI_DEMO_CONFIG)
    subprocess.run(
        [
            sys.executable,
            str(SCRIPTS_DIR / "simulate_demo.py"),
            "--outdir",
            str(workdir / "resources" / "demo"),
            "--cohort-dir",
            str(workdir / "config"),
            "--smallrna-reads",
            str(smallrna_reads),
            "--mrna-pairs",
            str(mrna_pairs),
        ],
        check=True,
        capture_output=True,
    )
    return workdir


def run_workflow(workdir: Path, *args: str, timeout: int = 1200, **kwargs):
    """Run the repository's Snakefile in ``workdir`` (with the mini config if present)."""
    import os
    import subprocess

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    command = [str(bin_dir / "snakemake"), "-s", str(REPO_ROOT / "Snakefile")]
    if (workdir / "config" / "mini.yaml").exists():
        command += ["--configfile", "config/config.yaml", "config/mini.yaml"]
    return subprocess.run(
        [*command, *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        **kwargs,
    )


@pytest.fixture()
def mini_demo(tmp_path: Path) -> Path:
    """A fresh run folder with the small simulated demo (see :func:`make_mini_demo`)."""
    return make_mini_demo(tmp_path / "run")
