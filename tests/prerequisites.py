"""What tests need from outside the repository, the command that brings each, and the
session's check that no test passes without its proof (a pytest plugin: its hooks are
registered by ``tests/conftest.py``, and loaded alone by ``test_prerequisites.py``).

A test never skips because something is missing: it fails, naming the command that brings it
(tests/README.md, "Skips"). Any other skip is reported as a failure too, unless its reason is in
:data:`ALLOWED_SKIPS`: the few cases where the test does not apply. The ``commands`` marker
(``@pytest.mark.commands("STAR")``) fails a test whose command-line tools are not on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from typing import NoReturn

import pytest

#: The commands that bring what tests need (Makefile targets).
TEST_DATA = "make test-data"  #: the reference data (../shared/data or $ESCCRT_TEST_DATA)
TEST_TOOLS = "make test-tools"  #: R with its packages, Chromium, SLURM, the Debian tools
DEMO_DATA = "make demo-data"  #: the simulated demo (resources/demo, config/*.tsv)
SETUP = "make setup"  #: the pinned Python packages of requirements.lock

#: The Debian package of each R package the live-R tests load: the Makefile's TEST_R_PACKAGES
#: and TEST_R_DEBIAN_PACKAGES, which ``make test-tools`` installs (any other, such as prodlim and
#: Hmisc that come with r-cran-riskregression, is named r-cran-<name in lower case>).
R_DEBIAN_PACKAGES = {
    "DESeq2": "r-bioc-deseq2",
    "edgeR": "r-bioc-edger",
    "survival": "r-cran-survival",
    "pROC": "r-cran-proc",
    "maxstat": "r-cran-maxstat",
    "rms": "r-cran-rms",
    "riskRegression": "r-cran-riskregression",
    "mice": "r-cran-mice",
    "cmprsk": "r-cran-cmprsk",
}

#: Skip reasons that mean "this test does not apply here", never "something is missing".
#: Each is documented in tests/README.md ("Skips"); keep this list short.
ALLOWED_SKIPS = {
    "root can read a chmod 000 file; see the next test": (
        "as root a file without permissions is still readable, so the real-permission test "
        "cannot happen; the next test checks the same refusal with a normal user's answer"
    ),
}

#: What the session check says about any other skip.
HOW_TO_BRING = (
    f"`{TEST_DATA}` (reference data), `{TEST_TOOLS}` (R and its packages, Chromium, SLURM, the "
    f"Debian tools), `{DEMO_DATA}` (simulated demo), `{SETUP}` (Python packages)"
)


def missing(what: str, command: str) -> NoReturn:
    """Fail the test: ``what`` is missing and ``command`` brings it."""
    pytest.fail(f"missing: {what}. `{command}` brings it (tests/README.md, 'Skips')", False)


def require_commands(*names: str, command: str = TEST_TOOLS) -> None:
    """Fail the test unless every one of the command-line tools ``names`` is on PATH."""
    absent = [name for name in names if shutil.which(name) is None]
    if absent:
        missing(f"command(s) {', '.join(absent)} (not on PATH)", command)


def require_r_packages(*packages: str) -> None:
    """Fail the test unless Rscript runs and loads every one of the R ``packages``."""
    require_commands("Rscript")
    listed = ", ".join(f"'{package}'" for package in packages)
    probe = f"quit(status = !all(sapply(c({listed}), requireNamespace, quietly = TRUE)))"
    if subprocess.run(["Rscript", "-e", probe], capture_output=True).returncode:
        debian = " ".join(
            R_DEBIAN_PACKAGES.get(package, f"r-cran-{package.lower()}") for package in packages
        )
        missing(f"R package(s) {listed} (Debian: apt-get install {debian})", TEST_TOOLS)


def skip_reason(longrepr: object) -> str:
    """The reason of a skip report (``Skipped: `` prefix removed)."""
    text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return text.removeprefix("Skipped: ")


def unallowed_skip_message(reason: str) -> str | None:
    """The failure message for a skip whose ``reason`` is not allow-listed, else None."""
    if reason in ALLOWED_SKIPS:
        return None
    return (
        f"skipped for a reason outside the allow-list of tests/README.md ('Skips'): {reason}\n"
        f"A test may not pass without its proof; bring what is missing: {HOW_TO_BRING}."
    )


def _fail_unallowed_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip outside the allow-list into a failure whose message names the commands."""
    if report.skipped and not hasattr(report, "wasxfail"):
        message = unallowed_skip_message(skip_reason(report.longrepr))
        if message:
            report.outcome = "failed"
            report.longrepr = message


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "commands(*names): the test fails (never skips) where a tool is not on PATH"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a test marked ``commands`` whose tools are absent, naming ``make test-tools``."""
    for mark in item.iter_markers("commands"):
        require_commands(*mark.args)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Every test phase's report: an unallowed skip becomes a failure."""
    outcome = yield
    _fail_unallowed_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """A module skipped while collected (``allow_module_level``) fails the same way."""
    outcome = yield
    _fail_unallowed_skip(outcome.get_result())
