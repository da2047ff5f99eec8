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
