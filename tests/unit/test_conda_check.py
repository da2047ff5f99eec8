"""`make conda-check` (tests/tools/conda_check.py): one line per environment, solved or not with
the solver's words, and a clear failure without a conda client.

No conda client or channel exists here: the solver is a stand-in script that refuses one file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECK = Path(__file__).resolve().parents[2] / "tests" / "tools" / "conda_check.py"
# A stand-in solver: records its arguments, refuses the mRNA environment like a real solver would.
FAKE_CLIENT = """#!/bin/sh
echo "$@" >> "{log}"
case "$*" in
  *mrna.yaml*) echo "error: nothing provides numpy <2.0a0 needed by htseq-2.1.2" >&2
               exit 1;;
esac
echo "Dry run. Not creating the environment."
"""


def _fake_client(bin_dir: Path, name: str, log: Path) -> Path:
    bin_dir.mkdir(exist_ok=True)
    client = bin_dir / name
    client.write_text(FAKE_CLIENT.format(log=log))
    client.chmod(0o755)
    return client


def _run(path: str, **extra: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "CONDA_CHECK_CLIENT"}
    return subprocess.run(
        [sys.executable, str(CHECK)],
        env={**environ, "PATH": path, **extra},
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_a_client_it_fails_saying_how_to_get_one(tmp_path: Path) -> None:
    result = _run(str(tmp_path))  # a PATH with nothing on it
    assert result.returncode == 2
    assert "no conda client found" in result.stderr
    assert "micromamba" in result.stderr and "https://conda-forge.org/download/" in result.stderr


def test_each_environment_is_solved_or_not_with_the_solvers_message(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    _fake_client(tmp_path / "bin", "micromamba", log)
    result = _run(str(tmp_path / "bin"))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "environment.yml: solved" in lines
    assert "workflow/envs/report.yaml: solved" in lines
    assert "workflow/envs/mrna.yaml: not solved" in lines
    assert "nothing provides numpy <2.0a0 needed by htseq" in result.stdout
    assert lines[-1] == "1 of 7 environments not solved"
    calls = log.read_text().splitlines()
    assert len(calls) == 7
    assert all(call.startswith("create --yes --dry-run -n esccrt-conda-check-") for call in calls)


def test_a_named_conda_client_uses_env_create(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    client = _fake_client(tmp_path / "bin", "conda", log)
    result = _run(str(tmp_path), CONDA_CHECK_CLIENT=str(client))
    assert result.returncode == 1
    assert all(call.startswith("env create --dry-run -n") for call in log.read_text().splitlines())
