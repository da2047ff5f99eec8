"""qPCR designs beyond pre/post (qpcr.design): unpaired groups and time courses.

Unpaired: on a simulated case-control cohort (13 ESCC, 11 healthy donors, 4 targets, 3
replicates), the dCt of every subject is recomputed here from the wells, and the stage's group
fold change, Welch t-test, Mann-Whitney test, BH q and DeLong AUC are checked against R
(t.test(var.equal = FALSE), wilcox.test, p.adjust(method = "BH"), pROC::auc / ci.auc(method =
"delong"), direction auto) and scikit-learn's roc_auc_score. Time course: each comparison equals
the pre/post computation run on that pair alone.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.pipeline import run_qpcr
from prerequisites import require_commands, require_r_packages
from schema_sections import qpcr_settings
from scipy import stats
from sklearn.metrics import roc_auc_score

TARGETS = ["miR-1", "miR-2", "miR-3", "miR-4"]
REFERENCES = ["ref1", "ref2"]
#: Shift of each target's Ct in the cases (cycles): up, down, none, slight.
SHIFTS = {"miR-1": -1.5, "miR-2": 1.0, "miR-3": 0.0, "miR-4": 0.3}

R_SCRIPT = r"""
suppressMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
d <- read.delim(args[1], check.names = FALSE)
out <- list()
for (t in setdiff(names(d), c("patient", "group"))) {
  a <- d[d$group == "ESCC", t]; b <- d[d$group == "healthy", t]
  w <- t.test(a, b, var.equal = FALSE)
  m <- wilcox.test(a, b)
  r <- roc(d$group, d[[t]], levels = c("healthy", "ESCC"), direction = "auto", quiet = TRUE)
  ci <- ci.auc(r, method = "delong")
  out[[t]] <- list(t = unname(w$statistic), p = w$p.value, u = unname(m$statistic),
                   mw_p = m$p.value, auc = as.numeric(auc(r)), lo = ci[1], hi = ci[3])
}
ps <- sapply(out, function(x) x$p); mps <- sapply(out, function(x) x$mw_p)
q <- p.adjust(ps, "BH"); mq <- p.adjust(mps, "BH")
for (t in names(out)) { out[[t]]$q <- q[[t]]; out[[t]]$mw_q <- mq[[t]] }
cat(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE))
"""


def _case_control(rng: np.random.Generator) -> pd.DataFrame:
    """Long Ct table with column group: 13 ESCC and 11 healthy subjects, one sample each."""
    rows = []
    subjects = [(f"E{i:02d}", "ESCC") for i in range(13)] + [
        (f"H{i:02d}", "healthy") for i in range(11)
    ]
    for subject, group in subjects:
        level = rng.normal(0, 0.4)  # input amount: moves every miRNA of the subject
        for target in [*TARGETS, *REFERENCES]:
            base = 26.0 + level + (SHIFTS.get(target, 0.0) if group == "ESCC" else 0.0)
            base += rng.normal(0, 0.8 if target in TARGETS else 0.1)
            for replicate in (1, 2, 3):
                ct = round(base + rng.normal(0, 0.08), 3)
                rows.append((subject, "serum", target, replicate, ct, group))
    return pd.DataFrame(
        rows, columns=["patient", "timepoint", "target", "replicate", "ct", "group"]
    )


def _dct_by_hand(table: pd.DataFrame) -> pd.DataFrame:
    """Subjects x targets of mean Ct(target) - mean of the references' mean Cts."""
    means = table.groupby(["patient", "target"])["ct"].mean().unstack()
    dct = means[TARGETS].sub(means[REFERENCES].mean(axis=1), axis=0)
    dct["group"] = table.groupby("patient")["group"].first()
    return dct


@pytest.fixture(scope="module")
def case_control(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the stage's group comparison, the subjects' dCt by hand)."""
    folder = tmp_path_factory.mktemp("unpaired")
    table = _case_control(np.random.default_rng(30))
    table.to_csv(folder / "ct.tsv", sep="\t", index=False)
    settings = qpcr_settings(
        TARGETS, REFERENCES, design="unpaired", groups={"case": "ESCC", "control": "healthy"}
    )
    results = run_qpcr(folder / "ct.tsv", settings)
    assert results.fold_changes.empty and results.unpaired.empty
    return results.group_comparison.set_index("target"), _dct_by_hand(table)


def test_group_fold_change_and_tests_equal_scipy_and_sklearn(case_control) -> None:
    table, dct = case_control
    case, control = dct[dct["group"] == "ESCC"], dct[dct["group"] == "healthy"]
    for target in TARGETS:
        row = table.loc[target]
        a, b = case[target].to_numpy(), control[target].to_numpy()
        assert (row["n_case"], row["n_control"]) == (13, 11)
        assert row["fold_change"] == pytest.approx(2.0 ** -(a.mean() - b.mean()), rel=1e-12)
        welch = stats.ttest_ind(a, b, equal_var=False)
        assert row["welch_p"] == pytest.approx(welch.pvalue, rel=1e-12)
        labels = np.r_[np.ones(len(a)), np.zeros(len(b))]
        auc = roc_auc_score(labels, -np.r_[a, b])  # lower dCt = more of the miRNA
        assert row["auc"] == pytest.approx(max(auc, 1 - auc), rel=1e-12)
    # the planted shifts: miR-1 up (fold change > 1), miR-2 down, both clearly separated
    assert table.loc["miR-1", "fold_change"] > 1.5 and table.loc["miR-1", "welch_q"] < 0.01
    assert table.loc["miR-2", "fold_change"] < 0.75 and table.loc["miR-2", "auc"] > 0.8
    assert table.loc["miR-1", "roc_direction"] == "higher in case"
    assert table.loc["miR-2", "roc_direction"] == "lower in case"


def test_group_comparison_equals_r(case_control, tmp_path: Path) -> None:
    """Welch t and p, Mann-Whitney U and p, both BH q, AUC and DeLong limits equal R to 1e-10."""
    require_commands("Rscript")
    require_r_packages("pROC", "jsonlite")
    table, dct = case_control
    dct.reset_index().to_csv(tmp_path / "dct.tsv", sep="\t", index=False)
    (tmp_path / "compare.R").write_text(R_SCRIPT)
    run = subprocess.run(
        ["Rscript", str(tmp_path / "compare.R"), str(tmp_path / "dct.tsv")],
        capture_output=True,
        text=True,
        check=True,
    )
    reference = json.loads(run.stdout)
    pairs = {
        "welch_t": "t",
        "welch_p": "p",
        "welch_q": "q",
        "mannwhitney_u": "u",
        "mannwhitney_p": "mw_p",
        "mannwhitney_q": "mw_q",
        "auc": "auc",
        "auc_ci_low": "lo",
        "auc_ci_high": "hi",
    }
    for target in TARGETS:
        for ours, theirs in pairs.items():
            assert table.loc[target, ours] == pytest.approx(
                reference[target][theirs], rel=1e-10, abs=1e-12
            ), (target, ours)


def test_unpaired_design_needs_groups(tmp_path: Path) -> None:
    table = _case_control(np.random.default_rng(1))
    settings = qpcr_settings(
        TARGETS, REFERENCES, design="unpaired", groups={"case": "ESCC", "control": "healthy"}
    )
    table.drop(columns="group").to_csv(tmp_path / "a.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match="no column 'group'"):
        run_qpcr(tmp_path / "a.tsv", settings)
    table.loc[table["patient"] == "H03", "group"] = "donor"
    table.to_csv(tmp_path / "b.tsv", sep="\t", index=False)
    with pytest.raises(InputError, match=r"subject 'H03' has group\(s\) \['donor'\]"):
        run_qpcr(tmp_path / "b.tsv", settings)
    with pytest.raises(InputError, match=r"qpcr\.groups\.case and qpcr\.groups\.control"):
        qpcr_settings(TARGETS, REFERENCES, design="unpaired", groups={"case": "x", "control": "x"})


def _timecourse_table(rng: np.random.Generator) -> pd.DataFrame:
    """Six patients at before, during, after; P5 misses during."""
    rows = []
    for p in range(6):
        for timepoint, shift in (("before", 0.0), ("during", -1.0), ("after", 0.5)):
            if p == 5 and timepoint == "during":
                continue
            for target in ["miR-1", *REFERENCES]:
                base = 25.0 + (shift if target == "miR-1" else 0.0) + rng.normal(0, 0.3)
                for replicate in (1, 2, 3):
                    rows.append((f"P{p}", timepoint, target, replicate, base + rng.normal(0, 0.05)))
    return pd.DataFrame(rows, columns=["patient", "timepoint", "target", "replicate", "ct"])


def test_timecourse_comparisons_equal_the_paired_computation(tmp_path: Path) -> None:
    table = _timecourse_table(np.random.default_rng(7))
    table.to_csv(tmp_path / "ct.tsv", sep="\t", index=False)
    comparisons = [{"from": "before", "to": "during"}, {"from": "during", "to": "after"}]
    settings = qpcr_settings(
        ["miR-1"],
        REFERENCES,
        design="timecourse",
        pre="before",
        post="after",
        comparisons=comparisons,
    )
    results = run_qpcr(tmp_path / "ct.tsv", settings)
    changes = results.timepoint_comparisons
    assert sorted(changes["comparison"].unique()) == ["after vs during", "during vs before"]
    for comparison in comparisons:
        pair = table[table["timepoint"].isin([comparison["from"], comparison["to"]])]
        pair.to_csv(tmp_path / "pair.tsv", sep="\t", index=False)
        alone = qpcr_settings(["miR-1"], REFERENCES, pre=comparison["from"], post=comparison["to"])
        expected = run_qpcr(tmp_path / "pair.tsv", alone).fold_changes
        got = changes[changes["from"] == comparison["from"]].drop(
            columns=["comparison", "from", "to"]
        )
        pd.testing.assert_frame_equal(got.reset_index(drop=True), expected)
        assert "P5" not in set(got["patient"])  # P5 has no "during" sample
    # fold_changes.tsv stays the pre/post pair (before -> after), P5 included there
    assert sorted(results.fold_changes["patient"]) == [f"P{p}" for p in range(6)]
    unpaired = results.unpaired.set_index("comparison")
    assert set(unpaired.index) == {"during vs before", "after vs during"}
    assert set(unpaired["patient"]) == {"P5"}
    with pytest.raises(InputError, match="need design: timecourse"):
        qpcr_settings(["miR-1"], REFERENCES, comparisons=comparisons)
