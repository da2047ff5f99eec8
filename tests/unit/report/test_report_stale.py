"""An older report never looks current (esccrt.report.stale): moved aside with a banner saying
why, the failed rules and their logs read from Snakemake's log, removed once rebuilt."""

from __future__ import annotations

from pathlib import Path

from esccrt.report.stale import (
    clear_stale,
    failed_jobs,
    failed_reason,
    mark_stale,
    rebuilding_reason,
)

PAGE = "<html><head><title>r</title></head><body><h1>Report</h1></body></html>"
#: Snakemake 9's lines for two failed jobs, one with a log and one without.
RUN_LOG = """\
[Mon Dec  7 01:20:00 2026]
localrule qpcr_fold_changes:
    input: config/qpcr_ct.tsv
Error in rule qpcr_fold_changes:
    message: None
    jobid: 3
    input: config/qpcr_ct.tsv
    output: results/qpcr/fold_changes.tsv
    log: results/logs/qpcr/fold_changes.log (check log file(s) for error details)
Error in rule plain:
    jobid: 4
    output: results/x.tsv
Shutting down, this might take some time.
"""


def _report(folder: Path) -> tuple[Path, Path]:
    report = folder / "report" / "report.html"
    report.parent.mkdir(parents=True)
    report.write_text(PAGE)
    return report, folder / "report" / "report.stale.html"


def test_failed_jobs_are_read_from_the_run_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(RUN_LOG)
    assert failed_jobs([str(log)]) == [
        ("qpcr_fold_changes", "results/logs/qpcr/fold_changes.log"),
        ("plain", ""),
    ]
    assert failed_jobs([str(tmp_path / "absent.log")]) == [] and failed_jobs([]) == []


def test_a_failed_run_moves_the_report_aside_naming_why(tmp_path: Path) -> None:
    report, stale = _report(tmp_path)
    reason = failed_reason(["run.log"], [("qpcr_fold_changes", "results/logs/qpcr/f.log")])
    assert mark_stale(report, stale, reason) == stale
    assert not report.exists()
    page = stale.read_text()
    assert page.startswith('<html><head><title>r</title></head><body><div id="stale-report"')
    assert "OUT OF DATE: The run that ended at " in page
    assert "failed in: qpcr_fold_changes (log: results/logs/qpcr/f.log). " in page
    assert "Snakemake&#x27;s log: run.log" in page and "<h1>Report</h1>" in page


def test_a_second_reason_replaces_the_first_banner(tmp_path: Path) -> None:
    report, stale = _report(tmp_path)
    mark_stale(report, stale, rebuilding_reason(["run.log"]))
    assert "is rebuilding this report" in stale.read_text()
    mark_stale(report, stale, failed_reason([], []))  # no report.html any more
    page = stale.read_text()
    assert page.count('id="stale-report"') == 1
    assert "is rebuilding" not in page and "failed. Snakemake&#x27;s log: none kept." in page


def test_nothing_to_mark_without_a_report(tmp_path: Path) -> None:
    assert mark_stale(tmp_path / "report.html", tmp_path / "stale.html", "why") is None
    assert not (tmp_path / "stale.html").exists()


def test_the_stale_copy_goes_once_the_report_is_rebuilt(tmp_path: Path) -> None:
    report, stale = _report(tmp_path)
    mark_stale(report, stale, "why")
    clear_stale(report, stale)  # not rebuilt yet: kept
    assert stale.exists()
    report.write_text(PAGE)
    clear_stale(report, stale)
    assert not stale.exists() and report.read_text() == PAGE
