"""Fixtures of the workflow tests: every test here runs Snakemake, so every test here is slow.

The runs are shared where tests only read them: one full demo (``demo_results``), one finished
small demo (``finished_mini_demo``) and two finished qPCR-only studies (``finished_qpcr_only``,
``finished_qpcr_without_survival``) per session, all in temporary folders. Tests that change a run
(a new batch, a kill and resume, a broken Ct table) work on a copy (:func:`workflow_runs.copy_run`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from prerequisites import DEMO_DATA, missing
from slurm_cluster import run_on_slurm
from workflow_runs import (
    DEMO_RUN_TIMEOUT,
    REPO_ROOT,
    copy_run,
    drop_config_section,
    drop_ct_sample,
    make_demo_run,
    make_mini_demo,
    make_qpcr_only_run,
    run_workflow,
    shared_run,
)

HERE = Path(__file__).resolve().parent
#: A folder where the full demo has finished (e.g. a checkout after `make demo`): the demo tests
#: read its results/ instead of running the demo once more. Unset: the demo runs in a temporary
#: folder, once per session.
DEMO_RUN_VARIABLE = "ESCCRT_DEMO_RUN"


#: Test files that start first: the SLURM test mostly waits on the queue, so with two pytest-xdist
#: workers (``make test``) the other worker runs the demos meanwhile.
STARTS_FIRST = ("test_slurm.py",)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder slow (before ``-m "not slow"`` deselects by mark), and
    order the session for pytest-xdist workers (``--dist worksteal``).

    worksteal gives each of n workers a contiguous n-th of the list; an idle worker steals the
    end of another's. So: the SLURM tests first (the first worker), then the tests of the
    finished small demo, which that run makes (``finished_mini_demo``): the same worker goes on
    with them as soon as it is made (the new batch and the faults' kill-and-resume, four
    minutes and more: last in the list they started when the SLURM worker was busy with short
    tests and ran on alone for the session's last 1.5 minutes); the other workflow runs from
    the start of the second worker's part on (it starts the demos at once, not after its share
    of the unit tests), and short unit and parity tests elsewhere, where stealing evens out the
    last minutes (``make test`` has three workers, the fast tier two). Stealing takes the end
    of a worker's part, so no other worker takes a small-demo test before the demo is made.
    Without xdist the order is harmless.
    """
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
    first = [item for item in items if item.path.name in STARTS_FIRST]
    runs = [item for item in items if HERE in item.path.parents and item not in first]
    small_demo = [i for i in runs if "finished_mini_demo" in getattr(i, "fixturenames", ())]
    runs = [item for item in runs if item not in small_demo]
    rest = [item for item in items if HERE not in item.path.parents and item not in first]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "2"))
    middle = max(len(items) // max(workers, 2) - len(first) - len(small_demo), 0)
    # each part keeps its order
    items[:] = first + small_demo + rest[:middle] + runs + rest[middle:]


def _assert_finished(run, what: str) -> None:
    """Fail with the end of Snakemake's output when a run did not finish."""
    assert run.returncode == 0, f"{what} failed:\n{run.stdout[-5000:]}{run.stderr[-5000:]}"


@pytest.fixture(scope="session")
def demo_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """results/ of the whole workflow run on the simulated demo (as `make demo` does).

    Runs once per session in a temporary folder (see :func:`workflow_runs.make_demo_run`), or
    reuses the finished run named by the environment variable ``ESCCRT_DEMO_RUN``.
    """
    if os.environ.get(DEMO_RUN_VARIABLE):
        results = Path(os.environ[DEMO_RUN_VARIABLE]).resolve() / "results"
        assert (results / "report" / "report.html").is_file(), (
            f"{DEMO_RUN_VARIABLE}={os.environ[DEMO_RUN_VARIABLE]} is not a finished demo run "
            "(no results/report/report.html)"
        )
        return results
    if not (REPO_ROOT / "resources" / "demo" / ".complete").exists():
        missing("the simulated demo data (resources/demo)", DEMO_DATA)

    def build(folder: Path) -> None:
        make_demo_run(folder / "run")
        run = run_workflow(
            folder / "run", "--cores", str(os.cpu_count() or 2), timeout=DEMO_RUN_TIMEOUT
        )
        _assert_finished(run, "the demo workflow")

    return shared_run(tmp_path_factory, "demo", build) / "run" / "results"


@pytest.fixture(scope="session")
def mini_demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small simulated demo, simulated once per session; never run: copy it first."""
    return shared_run(tmp_path_factory, "mini_demo", lambda f: make_mini_demo(f / "run")) / "run"


@pytest.fixture()
def mini_demo(mini_demo_inputs: Path, tmp_path: Path) -> Path:
    """A fresh run folder with the small simulated demo (see :func:`make_mini_demo`)."""
    return copy_run(mini_demo_inputs, tmp_path / "run")


#: The test whose SLURM run is the session's finished small demo when the session holds it.
SLURM_RUN_TEST = "test_slurm.py::test_demo_runs_on_slurm"


def _holds_slurm_run(session: pytest.Session) -> bool:
    """Whether the session runs the SLURM test (selected, not deselected)."""
    return any(item.nodeid.endswith(SLURM_RUN_TEST) for item in session.items)


def _run_on_slurm_or_here(workdir: Path) -> None:
    """The small demo in ``workdir`` through a one-node SLURM cluster.

    Where none can be started (not root, no packages, a daemon that does not come up), the
    reason goes to ``slurm_unavailable.txt`` and the run is made here instead, so that only the
    SLURM test fails. A SLURM run that fails or times out is finished here too (its record says
    how it failed; the SLURM test reports it).
    """
    try:
        run = run_on_slurm(workdir)
    except (pytest.fail.Exception, RuntimeError) as error:  # missing packages; daemons down
        (workdir / "slurm_unavailable.txt").write_text(str(error))
    else:
        if run.returncode == 0:
            return
    run_workflow(workdir, "--unlock")  # a timed-out run was killed holding the folder's lock
    run = run_workflow(workdir, "--cores", "2", "--rerun-incomplete")
    _assert_finished(run, "the small demo workflow")


@pytest.fixture(scope="session")
def finished_mini_demo(
    mini_demo_inputs: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Path:
    """The small demo run to the end once per session (all targets).

    When the session holds the SLURM test (``make test``), this is its run: every job through a
    one-node SLURM cluster (:func:`slurm_cluster.run_on_slurm`), which that test checks; the
    demo is then not run a second time here. Otherwise a local run on 2 cores.

    Shared: tests only read it. A test that changes a run copies it first with
    :func:`workflow_runs.copy_run`, which keeps what Snakemake needs to see it finished.
    """
    on_slurm = _holds_slurm_run(request.session)

    def build(folder: Path) -> None:
        workdir = copy_run(mini_demo_inputs, folder / "run")
        if on_slurm:
            _run_on_slurm_or_here(workdir)
        else:
            _assert_finished(run_workflow(workdir, "--cores", "2"), "the small demo workflow")

    return shared_run(tmp_path_factory, "finished_mini_demo", build) / "run"


#: The sample taken out of the shared qPCR-only study's Ct table: P06 has no pre-treatment serum.
UNPAIRED_SAMPLE = ("P06", "pre")


@pytest.fixture(scope="session")
def finished_qpcr_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A qPCR-only study (:func:`workflow_runs.make_qpcr_only_run`, header-only sheets) run to its
    report once per session, with :data:`UNPAIRED_SAMPLE` taken out of the Ct table: a patient
    missing a timepoint, as cohorts have.

    Shared (tests only read it): the qPCR-only study runs to a report (test_optional_arms.py),
    and the unpaired patient leaves only the pairs (test_qpcr_cohorts.py).
    """

    def build(folder: Path) -> None:
        workdir = make_qpcr_only_run(folder / "run", sheets="header")
        drop_ct_sample(workdir, *UNPAIRED_SAMPLE)
        _assert_finished(run_workflow(workdir, "--cores", "2"), "the qPCR-only study")

    return shared_run(tmp_path_factory, "finished_qpcr_only", build) / "run"


@pytest.fixture(scope="session")
def finished_qpcr_without_survival(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's qPCR experiment alone (header-only sheets, no survival section) run to its
    report once per session: the report needs only the qPCR stages, a quick run.

    Shared: test_qpcr_cohorts.py reads it; test_stale_report.py breaks a copy of it.
    """

    def build(folder: Path) -> None:
        workdir = make_qpcr_only_run(folder / "run", sheets="header")
        drop_config_section(workdir, "survival")
        _assert_finished(run_workflow(workdir, "--cores", "2"), "the qPCR study without survival")

    return shared_run(tmp_path_factory, "finished_qpcr_without_survival", build) / "run"
