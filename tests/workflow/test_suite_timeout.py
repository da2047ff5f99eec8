"""The suite's per-test limit (pytest-timeout, configured in pyproject.toml).

A hung test must fail by name long before CI's own 90-minute limit ends the job with nothing
said, and the workflow runs the fixtures start must have their own, shorter, limits, so that a
slow run fails with Snakemake's output rather than with the plugin's stack dump.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
from pathlib import Path

from slurm_cluster import RUN_TIMEOUT
from workflow_runs import DEMO_RUN_TIMEOUT, REPO_ROOT

#: CI's limit for the whole `make test` (s): `.ci/run` is stopped after 90 minutes.
CI_LIMIT = 90 * 60


def _pytest_settings() -> dict:
    """``[tool.pytest.ini_options]`` of the repository's pyproject.toml."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["tool"]["pytest"]["ini_options"]


def test_limit_leaves_room_for_the_suite_and_exceeds_the_runs_own_limits() -> None:
    settings = _pytest_settings()
    limit = int(settings["timeout"])
    assert settings["timeout_method"] == "signal"
    assert limit > max(DEMO_RUN_TIMEOUT, RUN_TIMEOUT)
    # A hung test found near the end of a normal run (about 13 minutes) still fails in time.
    assert 15 * 60 + limit < CI_LIMIT


def test_a_hanging_test_fails_by_name(tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(
        "import time\n\ndef test_sleeps_forever():\n    time.sleep(600)\n"
    )
    start = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-o",
            "timeout=2",
            "-o",
            "timeout_method=signal",
            "test_hangs.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - start
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Timeout (>2.0s) from pytest-timeout" in run.stdout, run.stdout
    assert "FAILED test_hangs.py::test_sleeps_forever" in run.stdout, run.stdout
    assert elapsed < 60
