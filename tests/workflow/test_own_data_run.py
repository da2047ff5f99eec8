"""The README's own-data path: `make run CONFIG=site.yaml` runs the user's file as the whole
configuration, started without the virtual environment on PATH.

A site config that leaves out the qPCR and survival sections (a sequencing-only study) must plan
no qPCR or survival job: were the file merged over config/config.yaml, the demo's qPCR section
would come back. An RNA class named by `source` (no `reference` block) plans its download; the
same file saying `demo: false` is refused for its first demo reference, before any job.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
#: A PATH with the system's tools only, as a user who never activated the environment has.
SYSTEM_PATH = "/usr/bin:/bin"

pytestmark = pytest.mark.slow


def _make_run_command(config: Path) -> list[str]:
    """The Snakemake command `make run CONFIG=...` runs (make's dry run prints it last)."""
    printed = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", f"CONFIG={config}", "CORES=1"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return shlex.split(printed.splitlines()[-1])


def test_make_run_uses_the_site_config_alone(tmp_path: Path) -> None:
    config = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    del config["qpcr"], config["survival"]
    config["smallrna"]["rna_classes"][0] = {"name": "rRNA", "source": "ncbi U13369.1"}
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(config))
    command = _make_run_command(site)
    assert command[0].endswith(".venv/bin/snakemake"), command
    assert "--replace-workflow-config" in command
    plan = subprocess.run(
        [*command, "--dry-run", "--quiet", "rules"],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": SYSTEM_PATH},
        capture_output=True,
        text=True,
        check=False,
    )
    assert plan.returncode == 0, plan.stderr[-2000:]
    planned = set(re.findall(r"^(\w+)\s+\d+$", plan.stdout, flags=re.MULTILINE))
    assert {"smallrna_count", "mrna_count", "report"} <= planned, plan.stdout
    assert not {rule for rule in planned if rule.startswith(("qpcr", "survival"))}, planned
    assert re.search(r"^reference_download\s+1$", plan.stdout, flags=re.MULTILINE), plan.stdout

    site.write_text(yaml.safe_dump(config | {"demo": False}))
    refused = subprocess.run(
        [*command, "--dry-run", "--quiet", "rules"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr  # --quiet: Snakemake prints the error on stdout
    assert (
        f"Input error: config key smallrna.mature: '{config['smallrna']['mature']}' is a file of "
        "the simulated demo (resources/demo/), but the config says demo: false."
    ) in output, output[-2000:]
