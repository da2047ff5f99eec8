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
