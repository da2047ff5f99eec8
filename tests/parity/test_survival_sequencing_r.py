"""A sequencing marker (``seq:<miRNA>``, a small-RNA miRNA's normalised-count change post / pre)
through the survival stage (:func:`esccrt.survival.stage.run`, what rule survival_analysis
calls; settings from the validated config) beside a qPCR marker, against R's ``survival`` run
live on the same table (tests/parity/r_sequencing_markers.R; without R it fails, naming `make
test-tools`): the log-rank test of its fold-change groups (``survdiff``), the Cox model of the
groups and of its continuous log2 fold change (``coxph``, Efron ties: HR, 95 % CI, Wald p and
the likelihood-ratio test). The cohort is the synthetic one of
test_survival_sequencing_markers.py (tests/sequencing_cohort.py): 24 patients, four
without a value (a zero count, a library left out by QC, no post library, no library).

Measured 2026-12-07 (relative): log-rank chi-squared and p within 4e-15 of survdiff; the
groups' Cox HR and CI within 4e-11 and p within 1.2e-10 of coxph (R stops Newton-Raphson at
its eps 1e-9; the stage runs to convergence: before it did, lifelines' default stopped 2.4e-6
short); the continuous model's coefficient, SE, HR, CI, Wald and likelihood-ratio tests within
4e-16.
"""

from __future__ import annotations

import subprocess
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.survival.settings import SurvivalSettings
from esccrt.survival.stage import SurvivalInputs, SurvivalOutputs
from esccrt.survival.stage import run as survival_run
from prerequisites import require_r_packages
from schema_sections import validated
from sequencing_cohort import MARKER, MIRNA, QPCR_TARGET, N, sequencing_table, write_cohort

#: The whole stage with its figures: 3-7 s.
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
#: Two factors of the marker: the default cut-off, which separates the groups completely (every
#: patient above it has the event or is censored before anyone at or below it: the Cox HR is
#: infinite, which the stage notes), and one of its own whose groups mix.
CUTOFFS = {"fc_seq": 1.5, "fc_seq_1": 1.0}
#: survdiff and the stage's log-rank: the same sums (4e-15 measured).
LOGRANK_TOLERANCE = 1e-12
#: coxph (eps 1e-9) and the stage's Cox fit stop at different iterations (1.2e-10 measured).
COX_TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.Series]:
    """The stage's tables (by output name), R's numbers (analysis x key) and the marker's fold
    change per patient of the clinical table (NaN without a value)."""
    folder = tmp_path_factory.mktemp("sequencing_r")
    cohort = write_cohort(folder)
    sequencing = sequencing_table(cohort).set_index("patient")
    section = validated(
        "survival",
        {
            "clinical": str(cohort["clinical"]),
            "endpoints": [{"name": "os", "time": "time", "event": "event"}],
            "fold_change_cutoff": CUTOFFS["fc_seq"],
            "factors": [
                {"name": "fc_seq", "type": "fold_change", "targets": [MARKER]},
                {
                    "name": "fc_seq_1",
                    "type": "fold_change",
                    "targets": [MARKER],
                    "cutoff": CUTOFFS["fc_seq_1"],
                    "label": "seq 1",
                },
            ],
            "sequencing_markers": [MIRNA],
            "diagnostic": {
                "endpoint": "os",
                "within": 12,
                "predictors": [QPCR_TARGET, MARKER],
                "bootstrap": 5,
                "cv_repeats": 1,
            },
            "cox": {"multivariate": []},
            "landmarks": [12],
            "calibration": {"bootstrap": 0},
        },
    )
    inputs = SurvivalInputs(
        clinical=cohort["clinical"],
        fold_changes=cohort["fold_changes"],
        haemolysis=cohort["haemolysis"],
        sequencing_fold_changes=cohort["sequencing"],
    )
    outputs = {f.name: folder / "out" / f"{f.name}.tsv" for f in fields(SurvivalOutputs)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)  # the figures go to results/survival/ of the working directory
        survival_run(
            SurvivalSettings.from_config(section), inputs, SurvivalOutputs(**outputs), demo=False
        )
    clinical = pd.read_csv(cohort["clinical"], sep="\t", index_col="patient")
    change = sequencing["fold_change"].reindex(clinical.index)
    marker = clinical.assign(log2fc=np.log2(change))
    for factor, cutoff in CUTOFFS.items():
        marker[f"high_{factor}"] = (change > cutoff).astype(float).where(change.notna())
    marker.to_csv(folder / "marker.tsv", sep="\t", index=False, float_format="%.17g", na_rep="NA")
    run = subprocess.run(
        ["Rscript", str(HERE / "r_sequencing_markers.R"), str(folder)],
        capture_output=True,
        text=True,
    )
    if run.returncode:  # one R start-up less than probing first: the probe names what is missing
        require_r_packages("survival")
    assert run.returncode == 0, run.stderr[-2000:]
    reference = pd.read_csv(folder / "r_marker.tsv", sep="\t").set_index(["analysis", "key"])
    names = ("groups", "logrank", "cox", "continuous", "auc")
    tables = {name: pd.read_csv(outputs[name], sep="\t") for name in names}
    return tables, reference["value"], change


def _close(ours: float, theirs: float, tolerance: float, what: str) -> None:
    assert abs(ours - theirs) <= tolerance * abs(theirs), (what, ours, theirs)


@pytest.mark.parametrize("factor", CUTOFFS)
def test_groups_and_logrank_equal_survdiff(compared, factor: str) -> None:
    tables, reference, change = compared
    groups = tables["groups"].set_index("patient")[factor]
    assert groups.isna().tolist() == change.isna().tolist()  # P03, P22, P23, P24: left out
    cutoff = CUTOFFS[factor]
    expected = np.where(change.dropna() > cutoff, f">{cutoff:g}", f"<={cutoff:g}")
    assert (groups.dropna() == expected).all()
    logrank = tables["logrank"].set_index("factor").loc[factor]
    r = reference[f"logrank_{factor}"]
    assert (logrank["n"], logrank["events"]) == (r["n"], r["events"]) and logrank["n"] == N - 4
    for key in ("chisq", "p"):
        _close(logrank[key], r[key], LOGRANK_TOLERANCE, key)


def test_group_cox_equals_coxph(compared) -> None:
    """The groups of cut-off 1 (above vs at or below); at 1.5 both fits diverge (R warns that
    the coefficient may be infinite), and the stage's row says that it did not converge."""
    tables, reference, _ = compared
    cox = tables["cox"].set_index("contrast")
    row, r = cox.loc[">1 vs <=1"], reference["cox_fc_seq_1"]
    assert (row["n"], row["events"]) == (r["n"], r["events"])
    pairs = (("hr", "hr"), ("ci_low", "ci_low"), ("ci_high", "ci_high"), ("p", "wald_p"))
    for ours, theirs in pairs:
        _close(row[ours], r[theirs], COX_TOLERANCE, ours)
    separated = cox.loc[">1.5 vs <=1.5"]
    assert "convergence" in separated["note"] and reference["cox_fc_seq"]["hr"] > 1e8


def test_continuous_cox_equals_coxph(compared) -> None:
    tables, reference, _ = compared
    continuous = tables["continuous"].set_index("marker")
    assert set(continuous.index) == {QPCR_TARGET, MARKER}
    row, r = continuous.loc[MARKER], reference["cox_continuous"]
    assert (row["n"], row["events"]) == (r["n"], r["events"]) and row["n"] == N - 4
    for ours, theirs in (
        ("coef", "coef"),
        ("se", "se"),
        ("hr_per_doubling", "hr"),
        ("ci_low", "ci_low"),
        ("ci_high", "ci_high"),
        ("wald_p", "wald_p"),
        ("lr_chisq", "lr_chisq"),
        ("lr_p", "lr_p"),
    ):
        _close(row[ours], r[theirs], COX_TOLERANCE, ours)
    auc = tables["auc"]
    assert f"coef_log2fc_{MARKER}" in auc.columns and f"coef_log2fc_{QPCR_TARGET}" in auc.columns
