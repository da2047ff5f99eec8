"""Fixtures of the workflow tests: every test here runs Snakemake, so every test here is slow.

The runs are shared where tests only read them: one full demo (``demo_results``) and one
finished small demo (``finished_mini_demo``) per session, both in temporary folders. Tests that
change a run (a new batch, a kill and resume) work on a copy (:func:`workflow_runs.copy_run`).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from workflow_runs import REPO_ROOT, copy_run, make_demo_run, make_mini_demo, run_workflow

HERE = Path(__file__).resolve().parent
#: A folder where the full demo has finished (e.g. a checkout after `make demo`): the demo tests
#: read its results/ instead of running the demo once more. Unset: the demo runs in a temporary
#: folder, once per session.
DEMO_RUN_VARIABLE = "ESCCRT_DEMO_RUN"


#: Tests sharing a session-wide run stay on one pytest-xdist worker (``--dist loadgroup``), so
#: each run is made once; the SLURM test waits on the cluster's queue while another worker runs.
SHARED_RUNS = {
    "demo_results": "demo",
    "finished_mini_demo": "mini_demo",
    "mini_demo_inputs": "mini_demo",
    "slurm_cluster": "slurm",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder slow (before ``-m "not slow"`` deselects by mark), and
    group the tests of one shared run for pytest-xdist."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)
            groups = [SHARED_RUNS[name] for name in item.fixturenames if name in SHARED_RUNS]
            if groups:
                item.add_marker(pytest.mark.xdist_group(groups[0]))


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
        pytest.skip("the simulated demo data is absent: run `make demo-data` (make test does)")
    workdir = make_demo_run(tmp_path_factory.mktemp("demo") / "run")
    run = run_workflow(workdir, "--cores", str(os.cpu_count() or 2), timeout=3600)
    _assert_finished(run, "the demo workflow")
    return workdir / "results"


@pytest.fixture(scope="session")
def mini_demo_inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small simulated demo, simulated once per session; never run: copy it first."""
    return make_mini_demo(tmp_path_factory.mktemp("mini_demo") / "run")


@pytest.fixture()
def mini_demo(mini_demo_inputs: Path, tmp_path: Path) -> Path:
    """A fresh run folder with the small simulated demo (see :func:`make_mini_demo`)."""
    return copy_run(mini_demo_inputs, tmp_path / "run")


@pytest.fixture(scope="session")
def finished_mini_demo(mini_demo_inputs: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small demo run to the end once per session (all targets, 2 cores).

    Shared: tests only read it. A test that changes a run copies it first with
    :func:`workflow_runs.copy_run`, which keeps what Snakemake needs to see it finished.
    """
    workdir = copy_run(mini_demo_inputs, tmp_path_factory.mktemp("finished_mini_demo") / "run")
    _assert_finished(run_workflow(workdir, "--cores", "2"), "the small demo workflow")
    return workdir
