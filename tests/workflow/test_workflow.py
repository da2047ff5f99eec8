"""The workflow as a whole: lint, formatting, the full DAG, bad sheets refused before any job."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from workflow_runs import BIN, snakemake_env


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=snakemake_env(),
        check=False,
    )


def test_snakemake_lint_is_clean(repo_root: Path) -> None:
    result = _run([str(BIN / "snakemake"), "--lint"], repo_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


def test_default_profile_is_used(repo_root: Path) -> None:
    """Plain `snakemake` picks up workflow/profiles/default (rerun-incomplete and friends)."""
    result = _run([str(BIN / "snakemake"), "-n", "--quiet", "rules"], repo_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Using workflow specific profile profiles/default" in result.stdout + result.stderr


def test_snakefmt_and_ruff_are_clean(repo_root: Path) -> None:
    for command in (
        [str(BIN / "snakefmt"), "--check", "Snakefile", "workflow"],
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
    ):
        result = _run(command, repo_root)
        assert result.returncode == 0, f"{command[0]}: {result.stdout}{result.stderr}"


def test_dry_run_covers_every_stage(repo_root: Path, tmp_path: Path) -> None:
    """`snakemake -n` builds the full DAG: trim, align, count, DE of both arms, qPCR, survival."""
    result = _run(
        [str(BIN / "snakemake"), "-n", "--forceall", "--quiet", "rules", "--cores", "2"],
        repo_root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    for stage in (
        "smallrna_trim",
        "smallrna_align",
        "smallrna_count",
        "mrna_cutadapt",  # one rule for single- and paired-end units
        "mrna_align_hisat2",
        "mrna_count",
        "diffexp_contrast",
        "qpcr_fold_changes",
        "survival_analysis",
        "mirna_targets",
        "target_shift",
        "report",
    ):
        assert stage in out, f"no rule of stage '{stage}' in the dry run:\n{out}"


def _copy_config(repo_root: Path, tmp_path: Path) -> Path:
    """A throw-away copy of the demo config and sheets whose FASTQ paths still resolve."""
    workdir = tmp_path / "run"
    shutil.copytree(repo_root / "config", workdir / "config")
    os.symlink(repo_root / "resources", workdir / "resources")
    return workdir


@pytest.mark.parametrize(
    ("sheet", "edit", "expected"),
    [
        (
            "samples.tsv",
            lambda t: t.replace("exo_ir_3\t", "exo_ir_2\t", 1),
            "config/samples.tsv, line 7, column 'sample': sample 'exo_ir_2' is already defined",
        ),
        (
            "samples.tsv",
            lambda t: t.replace("exo_ir_3\t", "exo ir;3\t", 1),
            "config/samples.tsv, line 7, column 'sample': 'exo ir;3' is not an allowed name",
        ),
        (
            "samples.tsv",
            lambda t: t.replace("mac_ir_3\tmrna", "mac_ir_3\tatac", 1),
            "config/samples.tsv, line 13, column 'library_type': 'atac' is not one of",
        ),
        (
            "units.tsv",
            lambda t: t.replace("exo_ctrl_2.fastq.gz", "missing.fastq.gz", 1),
            "config/units.tsv, line 3, column 'fq1': FASTQ file",
        ),
    ],
)
def test_bad_sheet_stops_before_any_job(
    repo_root: Path, tmp_path: Path, sheet: str, edit, expected: str
) -> None:
    workdir = _copy_config(repo_root, tmp_path)
    path = workdir / "config" / sheet
    path.write_text(edit(path.read_text()))
    result = _run(
        [str(BIN / "snakemake"), "-s", str(repo_root / "Snakefile"), "-n", "--cores", "1"], workdir
    )
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr
    assert not (workdir / "results").exists()


def test_config_error_is_one_line_before_any_job(repo_root: Path, tmp_path: Path) -> None:
    """A sheet column written into the config: one line naming the key and where it belongs,
    a non-zero exit, no traceback, no job."""
    workdir = _copy_config(repo_root, tmp_path)
    config_file = workdir / "config" / "config.yaml"
    config_file.write_text(config_file.read_text() + "adapter: TGGAATTCTCGGGTGCCAAGG\n")
    result = _run(
        [str(BIN / "snakemake"), "-s", str(repo_root / "Snakefile"), "-n", "--cores", "1"], workdir
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0
    assert (
        "Input error: config key adapter: unknown at the top level of the config; 'adapter' "
        "belongs in the unit sheet (the TSV named by config key 'units'), column 'adapter'"
    ) in out
    assert "Traceback" not in out and "properties:" not in out
    assert len(out.splitlines()) < 10, out
    assert not (workdir / "results").exists()


def test_absent_contrast_level_is_refused(repo_root: Path, tmp_path: Path) -> None:
    workdir = _copy_config(repo_root, tmp_path)
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    name = next(iter(config["diffexp"]["contrasts"]))
    config["diffexp"]["contrasts"][name][2] = "sham"
    config_file.write_text(yaml.safe_dump(config))
    result = _run(
        [str(BIN / "snakemake"), "-s", str(repo_root / "Snakefile"), "-n", "--cores", "1"], workdir
    )
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert f"diffexp.contrasts.{name}" in out and "sham" in out


def _with_patients(samples: Path, patients: dict[str, tuple[str, str]]) -> None:
    """Add the columns patient and timepoint to a sample sheet: ``patients`` maps a sample to
    its (patient, timepoint); the other samples get neither."""
    lines = samples.read_text().splitlines()
    rows = [lines[0] + "\tpatient\ttimepoint"]
    for line in lines[1:]:
        rows.append(line + "\t" + "\t".join(patients.get(line.split("\t")[0], ("", ""))))
    samples.write_text("\n".join(rows) + "\n")


def test_sequencing_marker_joins_the_dag_and_an_unknown_patient_stops_it(
    repo_root: Path, tmp_path: Path
) -> None:
    """survival.sequencing_markers with two small-RNA libraries of patient P01: rule
    survival_sequencing_markers is planned before survival_analysis; a patient the clinical
    table does not hold stops the run before any job, naming the sheet, line and column."""
    workdir = _copy_config(repo_root, tmp_path)
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["survival"]["sequencing_markers"] = ["hsa-let-7a-5p"]
    config_file.write_text(yaml.safe_dump(config))
    samples = workdir / "config" / "samples.tsv"
    original = samples.read_text()
    _with_patients(samples, {"exo_ctrl_1": ("P01", "pre"), "exo_ir_1": ("P01", "post")})
    dry_run = [str(BIN / "snakemake"), "-s", str(repo_root / "Snakefile"), "-n", "--cores", "1"]
    # the survival table only: a smaller DAG than the whole run's, both rules in it
    result = _run([*dry_run, "results/survival/table1.tsv", "--quiet", "rules"], workdir)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "survival_sequencing_markers" in out and "survival_analysis" in out

    samples.write_text(original)
    _with_patients(samples, {"exo_ctrl_1": ("P01", "pre"), "exo_ir_1": ("P99", "post")})
    result = _run(dry_run, workdir)
    assert result.returncode != 0
    assert (
        "config/samples.tsv, line 5, column 'patient': patient 'P99' of sample 'exo_ir_1' is not "
        "in the clinical table config/clinical.tsv"
    ) in result.stdout + result.stderr
    assert not (workdir / "results").exists()
