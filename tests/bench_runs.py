"""Helper of the benchmark tests (tests/unit/test_bench*.py): one section of ``bench/run.py
--quick`` run as ``make bench`` runs it. Not a test module (``tests`` is in pytest's
``pythonpath`` setting, pyproject.toml)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def run_quick_section(repo_root: Path, work: Path, section: str, **env: str) -> dict:
    """``bench/run.py --quick --only section`` with its work folder ``work`` (and ``env`` added
    to this process's environment); the section's saved result, asserted to be a quick run that
    finished without error."""
    done = subprocess.run(
        [sys.executable, str(repo_root / "bench" / "run.py"), "--quick", "--only", section],
        env={**os.environ, "BENCH_WORK": str(work), **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    saved = json.loads((work / "sections" / f"{section}.json").read_text())
    assert saved["quick"] and "error" not in saved
    return saved
