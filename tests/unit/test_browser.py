"""bench/browser.py's Chromium runner: a run that never exits is killed, process group and all,
and run again with a fresh profile; two hung runs raise. A shell script stands in for Chromium."""

from __future__ import annotations

import re

import browser
import pytest


def _fake_chromium(tmp_path, hang_runs: int):
    """A 'chromium' that hangs (sleeping in a child, as Chromium's renderers do) on its first
    ``hang_runs`` runs and prints its last argument (the URL) after that."""
    script = tmp_path / "chromium"
    count = tmp_path / "runs"
    script.write_text(
        "#!/bin/sh\n"
        f'echo x >> "{count}"\n'
        f'if [ "$(wc -l < "{count}")" -le {hang_runs} ]; then sleep 300 & wait; fi\n'
        'for last in "$@"; do :; done; echo "$last"\n'
    )
    script.chmod(0o755)
    return script, count


def test_a_hung_chromium_is_killed_and_run_again(tmp_path, monkeypatch):
    script, count = _fake_chromium(tmp_path, hang_runs=1)
    monkeypatch.setattr(browser, "CHROMIUM", script)
    monkeypatch.setattr(browser, "TIMEOUT_SECONDS", 1)
    run = browser.chromium("file:///page.html", "--dump-dom", user_dir=tmp_path / "profile")
    assert run.stdout.strip() == "file:///page.html"
    assert count.read_text().count("x") == 2


def test_chromium_hung_in_every_run_raises(tmp_path, monkeypatch):
    script, _ = _fake_chromium(tmp_path, hang_runs=5)
    monkeypatch.setattr(browser, "CHROMIUM", script)
    monkeypatch.setattr(browser, "TIMEOUT_SECONDS", 1)
    with pytest.raises(RuntimeError, match=re.escape("page.html within 1 s, 2 times")):
        browser.chromium("file:///page.html", user_dir=tmp_path / "profile")
