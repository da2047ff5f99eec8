"""Section de_scale of the scale harness (bench/de_scale.py, issue 26 item 5): its whole code path
at a toy size with the runs replaced by stand-ins (the real ones are `make bench-scale`'s:
minutes of pydeseq2 and R), its agreement check of the glmGamPoi path, the 8 GB budget and the
message naming the command that installs a missing R package."""

from __future__ import annotations

from pathlib import Path

import agreement
import de_scale
import harness
import numpy as np
import pandas as pd
import pytest
import rule_sections
import rules
import run
from esccrt import paths
from settings import Settings

TABLE = paths.fill(paths.DIFFEXP_TABLE, arm="mrna", contrast=de_scale.CONTRAST)


def de_table(features, shift: float = 0.0, flip: int = 0) -> pd.DataFrame:
    """A DE table: baseMean from 0.5 up, log2FC, Wald stat, padj (every 3rd feature called);
    ``shift`` added to each log2FC, the calls of the first ``flip`` features reversed."""
    n = len(features)
    padj = np.where(np.arange(n) % 3 == 0, 0.001, 0.5)
    padj[:flip] = np.where(padj[:flip] < 0.05, 0.5, 0.001)
    return pd.DataFrame(
        {
            "feature": features,
            "baseMean": np.linspace(0.5, 500.0, n),
            "log2FoldChange": np.linspace(-2.0, 2.0, n) + shift,
            "stat": np.linspace(-5.0, 5.0, n),
            "padj": padj,
        }
    )


def fake_rule_run(folder: Path, cores: int, log: Path) -> rules.RuleRun:
    """Stand-in for the Snakemake run of the DE rules: writes the table, returns the times."""
    features = pd.read_csv(folder / paths.fill(paths.ARM_COUNTS, arm="mrna"), sep="\t")["feature"]
    (folder / TABLE).parent.mkdir(parents=True, exist_ok=True)
    de_table(features).to_csv(folder / TABLE, sep="\t", index=False)
    jobs = {de_scale.ARM_JOB: 30.0, de_scale.CONTRAST_JOB: 20.0}
    peaks = {de_scale.ARM_JOB: 900.0, de_scale.CONTRAST_JOB: 1200.0}
    times = rules.RuleTimes(50.0, 60.0, 1200.0, jobs, peaks)
    return rules.RuleRun(times, harness.Measurement(55.0, 700.0, 65.0))


def fake_r_run(command, cores: int, log: Path, cwd: Path) -> harness.Measurement:
    """Stand-in for Rscript: the table of the counts it was given (log2FC moved by 1e-3 on the
    glmGamPoi path) at command[4]."""
    features = pd.read_csv(command[2], sep="\t")["feature"]
    shift = 1e-3 if command[1].endswith("glmgampoi.R") else 0.0
    de_table(features, shift).to_csv(command[4], sep="\t", index=False)
    return harness.Measurement(100.0 if shift == 0.0 else 80.0, 1500.0, 150.0)


def test_section_at_a_toy_size_makes_its_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(de_scale, "missing_r_packages", lambda packages: [])
    monkeypatch.setattr(de_scale, "run_de_rules", fake_rule_run)
    monkeypatch.setattr(rule_sections, "_measure_alternative", fake_r_run)
    s = Settings(work=tmp_path, quick=True, de_scale_memory=(60, 8), de_scale_versus=(50, 6))
    rows, raw = de_scale.de_scale(s)
    memory, deseq2, glmgampoi = rows
    assert memory.size == "60 genes x 8 samples (60 after the pre-filter)"
    assert (
        "diffexp_arm 30.0 s, peak 900 MB; diffexp_contrast 20.0 s, peak 1200 MB" in memory.project
    )
    assert memory.project.endswith("every peak <= 8192 MB: yes") and memory.peak == "1200 MB"
    assert deseq2.ratio.startswith("5.00x") and glmgampoi.ratio.startswith("4.00x")
    assert "R DESeq2 (DESeq + results, BiocParallel 2): 100 s" in deseq2.alternative
    assert "padj < 0.05 calls equal for every feature (17 significant)" in deseq2.note
    ggp = raw["versus"]["agreement"]["glmgampoi_vs_deseq2"]
    assert ggp["call_mismatches"] == 0 and ggp["max_lfc_abs_expressed"] == pytest.approx(1e-3)
    assert raw["memory"]["job_peaks_mb"][de_scale.CONTRAST_JOB] == 1200.0
    # part b's rows are kept before part a runs (its failure is the section's)
    assert "glmGamPoi" in (tmp_path / "de_scale" / "versus.json").read_text()


def test_glmgampoi_agreement_refuses_calls_and_fold_changes_beyond_its_tolerance():
    features = [f"g{k}" for k in range(1000)]
    theirs = de_table(features).set_index("feature")
    within = de_table(features, shift=4e-3, flip=3).set_index("feature")
    measured = de_scale.call_agreement(within, theirs, de_scale.GLMGAMPOI_TOLERANCE)
    assert measured["call_mismatches"] == 3
    with pytest.raises(agreement.DisagreementError, match="called differently"):
        de_scale.call_agreement(
            de_table(features, flip=4).set_index("feature"), theirs, de_scale.GLMGAMPOI_TOLERANCE
        )
    with pytest.raises(agreement.DisagreementError, match=r"log2FC differs by up to 6\.00e-03"):
        de_scale.call_agreement(
            de_table(features, shift=6e-3).set_index("feature"),
            theirs,
            de_scale.GLMGAMPOI_TOLERANCE,
        )
    # features expressed below the tolerance's baseMean are left out of the log2FC check
    low = within.copy()
    low.loc[low["baseMean"] < 5.0, "log2FoldChange"] += 1.0
    assert de_scale.call_agreement(low, theirs, de_scale.GLMGAMPOI_TOLERANCE)["features"] == 1000


def test_budget_names_the_peaks_above_8_gb_and_keeps_the_figures():
    assert de_scale.over_budget({"arm": 8000.0}, 3000.0) == []
    assert de_scale.over_budget({"arm": 9000.0}, 8500.0) == [
        "arm: 9000 MB",
        "largest process of the snakemake command: 8500 MB",
    ]
    jobs = {de_scale.ARM_JOB: 958.0, de_scale.CONTRAST_JOB: 290.0}
    peaks = {de_scale.ARM_JOB: 5539.0, de_scale.CONTRAST_JOB: 8574.0}
    run = rules.RuleRun(
        rules.RuleTimes(1248.0, 733.0, 8574.0, jobs, peaks), harness.Measurement(1252.0, 9028.0)
    )
    (row,), raw = de_scale.memory_row(run, (60_000, 1_000), 2, 59_830, (5.8, 6.3, 6.4))
    assert not raw["budget_met"] and row.peak == "9028 MB"
    assert row.project.endswith(
        "every peak <= 8192 MB: NO: diffexp/mrna_treated_vs_control.tsv: 8574 MB; "
        "largest process of the snakemake command: 9028 MB"
    )


def test_missing_r_package_stops_the_section_with_its_install_command(monkeypatch):
    monkeypatch.setattr(rule_sections, "r_has", lambda package: package != "glmGamPoi")
    monkeypatch.setattr(de_scale.shutil, "which", lambda name: "/usr/bin/" + name)
    with pytest.raises(
        RuntimeError, match="apt-get install --no-install-recommends r-bioc-glmgampoi`"
    ):
        de_scale.check_prerequisites()


def test_section_is_in_bench_scale_only():
    assert "de_scale" in run.ORDER and "de_scale" in run.SCALE_ONLY
    makefile = (rules.REPO / "Makefile").read_text()
    bench_scale = makefile[makefile.index("bench-scale:") :].split("\n\n")[0]
    assert "de_scale" in bench_scale
