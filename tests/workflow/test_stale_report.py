"""A failed run never leaves an older report looking current (issue #28; esccrt.report.stale).

A qPCR-only study (no survival section) runs to a report (a copy of the session's
``finished_qpcr_without_survival``, where this run finds nothing left to do); its Ct table is
then broken so that
the first qPCR job fails: the rerun fails, results/report/report.html is gone, and the old page is
results/report/report.stale.html with a banner naming the failed rule, its log and Snakemake's
log. With the table repaired, the next run rebuilds the report and removes the stale copy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from workflow_runs import copy_run, run_workflow

pytestmark = pytest.mark.slow


def _run(workdir: Path, should_pass: bool) -> str:
    """Run to the end; the console's text (stdout and stderr)."""
    run = run_workflow(workdir, "--cores", "2")
    text = run.stdout + run.stderr
    assert (run.returncode == 0) is should_pass, text[-4000:]
    return text


def test_a_failed_run_moves_the_old_report_aside_and_says_why(
    finished_qpcr_without_survival: Path, tmp_path: Path
) -> None:
    workdir = copy_run(finished_qpcr_without_survival, tmp_path / "run")
    report = workdir / "results" / "report" / "report.html"
    stale = workdir / "results" / "report" / "report.stale.html"
    _run(workdir, should_pass=True)
    old_page = report.read_text()
    assert 'id="qpcr-fold-changes"' in old_page and not stale.exists()

    ct_table = workdir / "config" / "qpcr_ct.tsv"
    good = ct_table.read_text()
    header, first, *rest = good.splitlines(keepends=True)
    ct_table.write_text(header + re.sub(r"\t[0-9.]+\n$", "\tnot-a-number\n", first) + "".join(rest))
    console = _run(workdir, should_pass=False)

    assert not report.exists()  # nothing at the current report's path
    assert "The last report is out of date: see results/report/report.stale.html" in console
    page = stale.read_text()
    banner_div = re.search(r'<div id="stale-report"[^>]*>(.*?)</div>', page, re.S)
    banner = banner_div.group(1)
    assert banner.startswith("OUT OF DATE: The run that ended at ")
    failed = re.search(r"failed in: (.*?)\. Snakemake&#x27;s log: (\S+)\.", banner)
    assert failed, banner
    # the first job reading the Ct table fails (the qPCR plates' calibration)
    rule = "qpcr_interrun_calibration"
    assert failed.group(1) == f"{rule} (log: results/logs/qpcr/interrun_calibration.log)"
    assert "is not a number" in (workdir / "results/logs/qpcr/interrun_calibration.log").read_text()
    run_log = workdir / failed.group(2)
    assert run_log.is_file() and f"Error in rule {rule}:" in run_log.read_text()
    # the old page is kept whole below the banner, for comparison
    assert page.replace(banner_div.group(0), "", 1) == old_page

    ct_table.write_text(good)
    _run(workdir, should_pass=True)
    assert report.is_file() and not stale.exists()
