"""Every arm is optional: a qPCR-only study and a sequencing-only study each run to a report.

qPCR-only (the study's validation phase: serum Ct values and clinical data, no sequencing): the
demo's Ct table and clinical sheet with sample and unit sheets that hold a header only, run from
nothing (the session's ``finished_qpcr_only``, whose Ct table lacks one patient's pre-treatment
sample); the same with no sheets configured at all, planned (dry run). Sequencing-only: the
session's finished small demo with the qPCR and survival sections removed from its config.
An absent arm leaves no rule in the DAG, no file in results/ and no section in the report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from workflow_runs import copy_run, make_qpcr_only_run, run_workflow

pytestmark = pytest.mark.slow

#: Rules of the sequencing arms (any of them in a qPCR-only run is a fault).
SEQUENCING_RULE = re.compile(r"^(smallrna|mrna|diffexp|multiqc|integrate)")


def _planned_rules(run_output: str) -> set[str]:
    """Rule names of the job table Snakemake prints before it runs (or plans) the jobs."""
    table = run_output.split("Job stats:", 1)[1].split("total", 1)[0]
    return {line.split()[0] for line in table.splitlines()[3:] if line.strip()}


def test_qpcr_only_study_runs_to_a_report(finished_qpcr_only: Path) -> None:
    results = finished_qpcr_only / "results"
    for table in (
        "qpcr/fold_changes.tsv",
        "survival/table1.tsv",
        "survival/cox.tsv",
        "survival/auc.tsv",
        "survival/continuous_markers.tsv",
        "survival/sample_size.tsv",
        "survival/time_dependent_accuracy.tsv",
        "survival/decision_curves.tsv",
        "survival/prognostic_model.json",
        "survival/external_validation.tsv",
        "survival/calibration.tsv",
        "survival/calibration_curve.tsv",
        "survival/missingness.tsv",
        "survival/mice_pooled.tsv",
        "report/report.html",
        "provenance.json",
    ):
        assert (results / table).stat().st_size > 0, table
    assert sorted(p.name for p in results.iterdir() if p.is_dir()) == [
        "benchmarks",
        "logs",
        "qpcr",
        "report",
        "survival",
    ]
    page = (results / "report" / "report.html").read_text()
    assert 'id="survival"' in page and "Kaplan-Meier" in page
    # the markers as continuous covariates and the sample size verdict, from the stage's tables
    assert 'id="continuous_markers"' in page and 'id="sample_size"' in page
    assert "<strong>exploratory</strong>" in page or "<strong>large enough</strong>" in page
    assert 'id="missingness"' in page  # missing values per variable (complete-case default)
    for absent in ("differential-expression", 'id="quality-control"', "MultiQC", "pydeseq2 "):
        assert absent not in page, absent
    record = yaml.safe_load((results / "provenance.json").read_text())
    assert record["tools"] == {} and record["inputs"]["fastq"] == []  # no sequencing tool ran


def test_qpcr_only_study_needs_no_sheets(tmp_path: Path) -> None:
    workdir = make_qpcr_only_run(tmp_path / "run", sheets="absent")
    run = run_workflow(workdir, "--dry-run")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    rules = _planned_rules(run.stdout)
    assert {"qpcr_fold_changes", "survival_analysis", "report", "provenance"} <= rules
    assert not {rule for rule in rules if SEQUENCING_RULE.match(rule)}


def test_no_arm_at_all_is_refused(tmp_path: Path) -> None:
    workdir = make_qpcr_only_run(tmp_path / "run", sheets="absent")
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config.pop("qpcr"), config.pop("survival")
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    run = run_workflow(workdir, "--dry-run")
    assert run.returncode != 0
    assert "nothing to analyse" in run.stdout + run.stderr


def test_sequencing_only_study_runs_to_a_report(finished_mini_demo: Path, tmp_path: Path) -> None:
    workdir = copy_run(finished_mini_demo, tmp_path / "run")
    for name in ("config.yaml", "mini.yaml"):  # the small demo's overlay sets survival keys too
        config_file = workdir / "config" / name
        config = yaml.safe_load(config_file.read_text())
        config.pop("qpcr", None), config.pop("survival", None)
        config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    run = run_workflow(workdir, "--cores", "2")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    done = _planned_rules(run.stdout + run.stderr)
    assert "report" in done and not {r for r in done if r.startswith(("qpcr", "survival"))}
    results = workdir / "results"
    assert list((results / "diffexp" / "smallrna").glob("*.tsv"))
    page = (results / "report" / "report.html").read_text()
    assert "smallrna-differential-expression" in page and "mrna-differential-expression" in page
    # (the reporting checklists name Kaplan-Meier plots among the user's items: figures only)
    for absent in ('id="survival"', "sequencing-meets-survival", "<figcaption>Kaplan-Meier"):
        assert absent not in page, absent
    # The two sequencing arms still meet: the target-set shift test needs no qPCR.
    assert 'id="mirna-targets"' in page and '<table id="target-candidates">' in page
    record = yaml.safe_load((results / "provenance.json").read_text())
    assert record["inputs"]["tables"] == []
