"""Rule scripts end on a user's input error with its message alone, on a bug with a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import sys
from esccrt.errors import InputError, script_log
script_log({log!r})
print("working", file=sys.stderr)
if {bug}:
    raise KeyError("a bug")
raise InputError("config/units.tsv, line 3, column 'fq1': no such file; fix the path.")
"""


def _run(tmp_path: Path, repo_root: Path, bug: bool) -> tuple[int, str]:
    log = tmp_path / "job.log"
    code = SCRIPT.format(log=str(log), bug=bug)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return run.returncode, log.read_text()


def test_input_error_is_one_sentence_in_the_log(tmp_path: Path, repo_root: Path) -> None:
    status, log = _run(tmp_path, repo_root, bug=False)
    assert status == 1
    assert log == (
        "working\nInput error: config/units.tsv, line 3, column 'fq1': no such file; "
        "fix the path.\n"
    )


def test_a_bug_keeps_its_traceback(tmp_path: Path, repo_root: Path) -> None:
    status, log = _run(tmp_path, repo_root, bug=True)
    assert status == 1
    assert "Traceback (most recent call last)" in log
    assert "KeyError: 'a bug'" in log
