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


def failed_jobs(run_log: str | os.PathLike[str] | None) -> list[tuple[str, str]]:
    """(rule, its log file(s)) of every job the run's Snakemake log reports as failed, in order;
    the log is '' for a rule that has none. Empty when there is no log to read."""
    if not run_log or not Path(run_log).is_file():
        return []
    failed: list[tuple[str, str]] = []
    for line in Path(run_log).read_text(errors="replace").splitlines():
        if match := _ERROR_RULE.match(line):
            failed.append((match.group(1), ""))
        elif failed and not failed[-1][1] and (match := _JOB_LOG.match(line)):
            failed[-1] = (failed[-1][0], match.group(1))
    return list(dict.fromkeys(failed))


def rebuilding_reason(run_log: str | os.PathLike[str] | None) -> str:
    """The banner's text while a run rebuilds the report."""
    return (
        f"A run started at {_now()} is rebuilding this report (Snakemake's log: {run_log}). "
        "If this page is still here, that run did not finish: this is the report of an earlier "
        "run and does not reflect the current inputs."
    )


def failed_reason(run_log: str | os.PathLike[str] | None, failed: Sequence[tuple[str, str]]) -> str:
    """The banner's text after a failed run: its log and each failed rule with its log."""
    jobs = "; ".join(f"{rule} (log: {log})" if log else rule for rule, log in failed)
    return (
        f"The run that ended at {_now()} failed"
        + (f" in: {jobs}" if jobs else "")
        + f". Snakemake's log: {run_log}. This is the report of an earlier run and does not "
        "reflect the current inputs; fix the cause and run the workflow again to rebuild it."
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


def _now() -> str:
    """The time now in UTC, as the banners show it (runs on a cluster span time zones)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
