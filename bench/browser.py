"""Headless Chromium on a report page: the browser tests of the demo's report
(tests/workflow/test_report_demo.py) and the report's load time in the bench
(bench/aggregate_scale.py) drive it the same way."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

#: Debian's Chromium (``make test-tools``).
CHROMIUM = Path("/usr/bin/chromium")
#: Flags of every run: headless, no network, no first-run chores, a profile of the run's own.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


#: Seconds one Chromium run may take (a report opens in a few), then the runs it gets.
TIMEOUT_SECONDS = 90
ATTEMPTS = 2


def chromium(
    url: str, *args: str, user_dir: Path, virtual_time: bool = True
) -> subprocess.CompletedProcess:
    """Chromium headless on ``url`` with ``args`` (e.g. ``--dump-dom``), its own profile in
    ``user_dir``; with ``virtual_time`` the page's timers run at once (a screenshot or a DOM
    after every script ran), without it the page runs in real time (a load time measured).

    Headless Chromium now and then never exits (seen once in `make test` on a loaded machine:
    a screenshot that takes 1.5 s alone still running after 180 s; the same page at once when
    run again): a run past :data:`TIMEOUT_SECONDS` is killed with all its processes and run
    again with a fresh profile, :data:`ATTEMPTS` runs in all."""
    flags = [*FLAGS]
    if virtual_time:
        flags += ["--run-all-compositor-stages-before-draw", "--virtual-time-budget=10000"]
    for attempt in range(1, ATTEMPTS + 1):
        profile = user_dir if attempt == 1 else user_dir.with_name(f"{user_dir.name}-{attempt}")
        command = [str(CHROMIUM), *flags, f"--user-data-dir={profile}", *args, url]
        # a session of its own, so that the renderer and GPU processes die with it
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT_SECONDS)
            return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    raise RuntimeError(
        f"headless Chromium did not finish {url} within {TIMEOUT_SECONDS} s, {ATTEMPTS} times"
    )


@dataclass(frozen=True)
class PageLoad:
    """How long a page took to open in headless Chromium."""

    #: From navigation start to the page's load event (the page's own ``data-load-ms``).
    load_ms: float
    #: The whole Chromium process: start, parse, layout, scripts, DOM dump, exit.
    process_seconds: float
    #: The page after its scripts ran (Chromium's ``--dump-dom``).
    dom: str


def page_load(page: Path, user_dir: Path) -> PageLoad:
    """Open ``page`` in headless Chromium in real time and read the time of its load event,
    which the report's script writes into ``<body data-load-ms>``; raise when the page did not
    load or its scripts did not finish."""
    start = time.perf_counter()
    run = chromium(page.resolve().as_uri(), "--dump-dom", user_dir=user_dir, virtual_time=False)
    seconds = time.perf_counter() - start
    found = re.search(r'data-load-ms="(\d+)"', run.stdout)
    if not found or 'data-ready="true"' not in run.stdout:
        raise RuntimeError(f"{page}: not loaded in Chromium: {run.stderr[-2000:]}")
    return PageLoad(float(found.group(1)), seconds, run.stdout)


def shown_rows(dom: str, table_id: str) -> tuple[int, int]:
    """(rows shown, rows in all) of table ``table_id`` in a dumped page: a hidden row is
    ``<tr style="display: none;">``, as the report's script hides it."""
    table = re.search(rf'<table id="{re.escape(table_id)}">.*?</table>', dom, re.S)
    if not table:
        raise RuntimeError(f"no table {table_id!r} in the page")
    rows = re.findall(r"<tr( style=\"display: none;\")?><td", table.group(0))
    return sum(not hidden for hidden in rows), len(rows)


#: Appended to a copy of a report page: after load, goes to the next page of a table, sorts it
#: by its second column (a verdict: the worst first) and searches it, and writes what each step
#: showed into ``<body data-paging>`` (JSON).
_PAGING_CHECK = """<script>window.addEventListener("load", () => {
  const table = document.getElementById(TABLE), shown = () => Array.from(table.tBodies[0].rows)
      .filter(r => !r.hasAttribute("style")).map(r => r.cells[0].textContent);
  const result = {first: shown()};
  document.querySelector(`#${TABLE}-pager button[data-step="1"]`).click();
  result.next = shown();
  sortTable(table.tHead.rows[0].cells[1]);
  result.sorted = Array.from(table.tBodies[0].rows).filter(r => !r.hasAttribute("style"))
      .map(r => r.cells[1].textContent);
  const input = document.querySelector(`input[data-table="${TABLE}"]`);
  input.value = NEEDLE; filterTable(input, TABLE); result.searched = shown();
  document.body.dataset.paging = JSON.stringify(result);
});</script>"""


def paging(page: Path, table_id: str, needle: str, user_dir: Path) -> dict[str, list[str]]:
    """What table ``table_id`` of ``page`` shows in headless Chromium: on load (``first``),
    after its pager's next button (``next``), the second column after a sort by it
    (``sorted``), and after a search for ``needle`` (``searched``); the first column's text of
    the shown rows."""
    import html
    import json

    script = _PAGING_CHECK.replace("TABLE", json.dumps(table_id)).replace(
        "NEEDLE", json.dumps(needle)
    )
    checked = user_dir / "paging.html"
    user_dir.mkdir(parents=True, exist_ok=True)
    checked.write_text(page.read_text().replace("</body>", script + "</body>"))
    run = chromium(checked.resolve().as_uri(), "--dump-dom", user_dir=user_dir)
    found = re.search(r'data-paging="([^"]*)"', run.stdout)
    if not found:
        raise RuntimeError(f"{page}: the paging check did not run: {run.stderr[-2000:]}")
    return json.loads(html.unescape(found.group(1)))
