"""The session check of tests/prerequisites.py: a skip outside the allow-list fails the run,
naming the commands that bring what is missing; an allow-listed skip does not.

Each case runs pytest in a child process on a tiny test file in a temporary folder, with the
plugin ``prerequisites`` loaded alone (``-p prerequisites``), as ``tests/conftest.py`` loads it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prerequisites import (
    ALLOWED_SKIPS,
    R_DEBIAN_PACKAGES,
    TEST_DATA,
    TEST_TOOLS,
    require_r_packages,
)

TESTS = Path(__file__).resolve().parents[1]
ALLOWED = next(iter(ALLOWED_SKIPS))


def _pytest(folder: Path, source: str) -> subprocess.CompletedProcess[str]:
    """Run pytest with the plugin on ``source`` written as ``folder/test_tiny.py``."""
    (folder / "test_tiny.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ["PYTHONPATH"]])}
    command = [sys.executable, "-m", "pytest", "-p", "prerequisites", "-p", "no:cacheprovider"]
    command += ["-p", "no:xdist", "-q", "-rA", "test_tiny.py"]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)


def test_a_skip_for_missing_r_fails_the_run_naming_the_commands(tmp_path: Path) -> None:
    run = _pytest(
        tmp_path,
        "import pytest\n\n"
        "def test_passes():\n    pass\n\n"
        "def test_needs_r():\n    pytest.skip('Rscript is not installed')\n",
    )
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "skipped for a reason outside the allow-list" in run.stdout
    assert "Rscript is not installed" in run.stdout
    assert f"`{TEST_DATA}`" in run.stdout and f"`{TEST_TOOLS}`" in run.stdout


def test_skip_markers_and_module_skips_fail_too(tmp_path: Path) -> None:
    run = _pytest(
        tmp_path,
        "import pytest\n\n"
        "pytest.importorskip('no_such_module_here')\n\n"
        "def test_never_collected():\n    pass\n",
    )
    # a collection error: pytest stops with exit status 2 ("Interrupted: 1 error")
    assert run.returncode == 2 and "skipped for a reason outside" in run.stdout, run.stdout
    run = _pytest(
        tmp_path,
        "import pytest\n\n"
        "@pytest.mark.skipif(True, reason='chromium is absent')\n"
        "def test_marked():\n    pass\n",
    )
    assert run.returncode == 1 and "1 error" in run.stdout, run.stdout  # failed at setup


def test_an_allowed_skip_passes_the_run(tmp_path: Path) -> None:
    run = _pytest(
        tmp_path,
        "import pytest\n\n"
        "def test_passes():\n    pass\n\n"
        f"@pytest.mark.skipif(True, reason={ALLOWED!r})\n"
        "def test_as_root():\n    pass\n",
    )
    assert run.returncode == 0, run.stdout
    assert "1 passed, 1 skipped" in run.stdout, run.stdout
    assert ALLOWED in run.stdout  # -rA lists the reason


def test_commands_marker_and_missing_fail_naming_the_command(tmp_path: Path) -> None:
    run = _pytest(
        tmp_path,
        "import pytest\nfrom prerequisites import TEST_DATA, missing\n\n"
        "@pytest.mark.commands('sh', 'no-such-tool-here')\n"
        "def test_tool():\n    pass\n\n"
        "@pytest.mark.commands('sh')\n"
        "def test_present_tool():\n    pass\n\n"
        "def test_data():\n    missing('reference data in /nowhere', TEST_DATA)\n",
    )
    # the marker fails the test's setup (an error), missing() the test itself
    assert run.returncode == 1 and "1 failed, 1 passed, 1 error" in run.stdout, run.stdout
    assert f"no-such-tool-here (not on PATH). `{TEST_TOOLS}` brings it" in run.stdout
    assert f"missing: reference data in /nowhere. `{TEST_DATA}` brings it" in run.stdout


def test_r_packages_name_their_debian_packages_as_the_makefile_installs_them() -> None:
    """``R_DEBIAN_PACKAGES`` is the Makefile's TEST_R_PACKAGES -> TEST_R_DEBIAN_PACKAGES, and a
    missing R package fails naming ``make test-tools`` and its Debian package."""
    lines = (TESTS.parent / "Makefile").read_text().splitlines()
    make = dict(line.split(" := ", 1) for line in lines if line.startswith("TEST_R_"))
    r_packages = [name.strip(' "') for name in make["TEST_R_PACKAGES"].split(",")]
    assert list(R_DEBIAN_PACKAGES) == r_packages
    assert list(R_DEBIAN_PACKAGES.values()) == make["TEST_R_DEBIAN_PACKAGES"].split()[1:]
    with pytest.raises(pytest.fail.Exception) as failure:
        require_r_packages("noSuchPackageHere")
    message = str(failure.value)
    assert "'noSuchPackageHere' (Debian: apt-get install r-cran-nosuchpackagehere)" in message
    assert f"`{TEST_TOOLS}` brings it" in message
