"""A changed study choice reruns exactly the rules that read it (each rule script receives what it
reads from the config through ``params``, so Snakemake's params trigger sees the change).

Both plans are made with ``--dry-run`` on a copy of the finished small demo, the choice changed
in its config/mini.yaml (loaded after config/config.yaml). ``provenance`` is in both plans on
purpose: it records the whole configuration (values and config files' checksums), so any change
of the config must rewrite results/provenance.json, and the report, which shows the versions
and checksums that record holds, follows it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from workflow_runs import copy_run, run_workflow

pytestmark = pytest.mark.slow

#: Rules of the sequencing arms and the qPCR step, upstream of every choice changed here.
UPSTREAM_RULE = re.compile(r"^(smallrna|mrna|diffexp|multiqc|qpcr|samtools|reference)")


def _planned_rules(workdir: Path) -> set[str]:
    """The rules of the jobs a dry run plans (Snakemake's "Job stats" table, without ``all``)."""
    run = run_workflow(workdir, "--dry-run")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    if "Job stats:" not in run.stdout:
        return set()  # nothing to do
    table = run.stdout.split("Job stats:", 1)[1].split("total", 1)[0]
    rules = {line.split()[0] for line in table.splitlines()[3:] if line.strip()}
    return rules - {"all"}


def _changed(finished: Path, workdir: Path, section: str, key: str, value: object) -> Path:
    """A copy of the finished run with ``section.key`` set to ``value`` in config/mini.yaml."""
    copy_run(finished, workdir)
    mini = workdir / "config" / "mini.yaml"
    config = yaml.safe_load(mini.read_text())
    config.setdefault(section, {})[key] = value
    mini.write_text(yaml.safe_dump(config))
    return workdir


def test_the_finished_demo_plans_nothing(finished_mini_demo: Path) -> None:
    assert _planned_rules(finished_mini_demo) == set()


def test_survival_p_threshold_reruns_the_join_and_the_report(
    finished_mini_demo: Path, tmp_path: Path
) -> None:
    workdir = _changed(finished_mini_demo, tmp_path / "run", "report", "survival_p_threshold", 0.2)
    # target_shift too: its candidate table carries the join's survival columns.
    assert _planned_rules(workdir) == {"integrate", "target_shift", "provenance", "report"}


def test_fold_change_cutoff_reruns_survival_and_what_follows(
    finished_mini_demo: Path, tmp_path: Path
) -> None:
    workdir = _changed(finished_mini_demo, tmp_path / "run", "survival", "fold_change_cutoff", 1.3)
    planned = _planned_rules(workdir)
    assert planned == {"survival_analysis", "integrate", "target_shift", "provenance", "report"}
    assert not {rule for rule in planned if UPSTREAM_RULE.match(rule)}
