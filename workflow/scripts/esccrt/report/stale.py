"""An older report never looks current: the Snakefile's ``onstart``, ``onerror`` and ``onsuccess``
handlers move it aside and say why.

Snakemake deletes a job's outputs only when the job starts, and the report is the last job: a
run that fails (or is killed) before it would leave the previous results/report/report.html in
place, looking like the result of the run that just failed. So:

- ``onstart`` (jobs are about to run, and the report is one of them): :func:`mark_stale` moves
  the report to results/report/report.stale.html with a banner saying a run is rebuilding it;
- ``onerror`` (a job failed): :func:`mark_stale` again (also when the report was not going to
  be rebuilt), the banner naming the run's log and the failed rules with their logs
  (:func:`failed_jobs`);
- ``onsuccess``: :func:`clear_stale` removes the stale copy once a current report exists.

The missing report.html is also what makes the next run rebuild it.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Sequence
from pathlib import Path

#: The banner's element, found again to replace it when a second reason comes.
_BANNER = re.compile(r'<div id="stale-report".*?</div>', re.S)
#: Snakemake's log of a failed job: "Error in rule NAME:" then, among its fields, "log: PATHS
#: (check log file(s) for error details)".
_ERROR_RULE = re.compile(r"^Error in rule (\S+?):\s*$")
_JOB_LOG = re.compile(r"^\s+log: (.+?)(?: \(check log file\(s\) for error details\))?\s*$")


def failed_jobs(run_logs: Sequence[str]) -> list[tuple[str, str]]:
    """(rule, its log file(s)) of every job the run's Snakemake logs (the handlers' ``log``, a
    list in Snakemake 9) report as failed, in order; the log is '' for a rule that has none."""
    failed: list[tuple[str, str]] = []
    lines = [
        line
        for run_log in run_logs
        if Path(run_log).is_file()
        for line in Path(run_log).read_text(errors="replace").splitlines()
    ]
    for line in lines:
        if match := _ERROR_RULE.match(line):
            failed.append((match.group(1), ""))
        elif failed and not failed[-1][1] and (match := _JOB_LOG.match(line)):
            failed[-1] = (failed[-1][0], match.group(1))
    return list(dict.fromkeys(failed))


def rebuilding_reason(run_logs: Sequence[str]) -> str:
    """The banner's text while a run rebuilds the report."""
    return (
        f"A run started at {_now()} is rebuilding this report (Snakemake's log: "
        f"{_names(run_logs)}). "
        "If this page is still here, that run did not finish: this is the report of an earlier "
        "run and does not reflect the current inputs."
    )


def failed_reason(run_logs: Sequence[str], failed: Sequence[tuple[str, str]]) -> str:
    """The banner's text after a failed run: its log and each failed rule with its log."""
    jobs = "; ".join(f"{rule} (log: {log})" if log else rule for rule, log in failed)
    return (
        f"The run that ended at {_now()} failed"
        + (f" in: {jobs}" if jobs else "")
        + f". Snakemake's log: {_names(run_logs)}. This is the report of an earlier run and does "
        "not reflect the current inputs; fix the cause and run the workflow again to rebuild it."
    )


def mark_stale(
    report: str | os.PathLike[str], stale: str | os.PathLike[str], reason: str
) -> Path | None:
    """Move ``report`` (if any) to ``stale`` and put ``reason`` in a banner at the top of it (an
    earlier banner there is replaced). Returns the stale copy, or None when there is neither."""
    report, stale = Path(report), Path(stale)
    if report.is_file():
        os.replace(report, stale)
    if not stale.is_file():
        return None
    page = _BANNER.sub("", stale.read_text(errors="replace"), count=1)
    banner = (
        '<div id="stale-report" style="background:#fdecea;border:3px solid #c62828;'
        'padding:.8em 1em;margin:.5em 0;font-weight:bold">OUT OF DATE: '
        f"{html.escape(reason)}</div>"
    )
    body = re.search(r"<body[^>]*>", page)
    at = body.end() if body else 0
    stale.write_text(page[:at] + banner + page[at:])
    return stale


def clear_stale(report: str | os.PathLike[str], stale: str | os.PathLike[str]) -> None:
    """Remove the stale copy once ``report`` exists again (a run rebuilt it)."""
    if Path(report).is_file():
        Path(stale).unlink(missing_ok=True)


def _names(run_logs: Sequence[str]) -> str:
    """The run's log files for a sentence ('none kept' when Snakemake wrote none)."""
    return ", ".join(str(log) for log in run_logs) or "none kept"


def _now() -> str:
    """The time now in UTC, as the banners show it (runs on a cluster span time zones)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
