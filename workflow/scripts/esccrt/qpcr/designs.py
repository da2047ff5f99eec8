"""Designs beyond pre/post (config key ``qpcr.design``): unpaired groups and time courses.

- unpaired (:func:`group_comparison`): two groups of subjects (e.g. ESCC serum vs healthy
  donors), one sample each. Per target, the subject's dCt = Ct(target) - mean Ct of the
  references (efficiency-weighted as -log2 relative quantity when ``qpcr.efficiencies`` is set);
  the group fold change 2^-(mean dCt case - mean dCt control); Welch's t-test and the
  Mann-Whitney test (p as R's ``wilcox.test``) on dCt; Benjamini-Hochberg q over the targets;
  and a diagnostic ROC per target (AUC with DeLong's interval, :mod:`esccrt.survival.delong`),
  the marker read in the direction of the group difference (as ``pROC``'s ``direction =
  "auto"``).
- timecourse (:func:`timepoint_comparisons`): per patient, the change between each pair of
  named timepoints (``qpcr.comparisons``), by the same computation as the pre/post fold changes.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import stats

from esccrt.errors import InputError
from esccrt.qpcr.cohort import samples
from esccrt.qpcr.fold_changes import FOLD_CHANGE_COLUMNS, fold_changes, reference_ct
from esccrt.qpcr.settings import QpcrSettings
from esccrt.survival.delong import delong_auc
from esccrt.survival.multiplicity import bh_qvalues

#: Columns of results/qpcr/group_comparison.tsv: one row per target.
GROUP_COLUMNS = (
    "target",
    "case",
    "control",
    "n_case",
    "n_control",
    "mean_dct_case",
    "sd_dct_case",
    "mean_dct_control",
    "sd_dct_control",
    "ddct",
    "fold_change",
    "welch_t",
    "welch_p",
    "welch_q",
    "mannwhitney_u",
    "mannwhitney_p",
    "mannwhitney_q",
    "roc_direction",
    "auc",
    "auc_se",
    "auc_ci_low",
    "auc_ci_high",
    "method",
)
#: Columns of results/qpcr/timepoint_comparisons.tsv: the fold-change columns per comparison.
TIMECOURSE_COLUMNS = ("comparison", "from", "to", *FOLD_CHANGE_COLUMNS)


def subject_groups(raw: pd.DataFrame, settings: QpcrSettings) -> pd.Series:
    """Group of each subject (patient) from column ``group`` of the Ct table.

    Raises :class:`InputError` when the column is absent, a subject has no group, two groups
    or a group not named in ``qpcr.groups``, or more than one sample.
    """
    if "group" not in raw:
        raise InputError(
            "config key qpcr.design is 'unpaired' but the Ct table has no column 'group' (add "
            "it to the long table, or column group to the sample map)."
        )
    named = (settings.groups["case"], settings.groups["control"])
    per_subject = raw.groupby("patient")["group"].unique()
    for patient, values in per_subject.items():
        if len(values) != 1 or values[0] not in named:
            raise InputError(
                f"column 'group' of the Ct table: subject '{patient}' has group(s) "
                f"{sorted(values)}; each subject needs one of {list(named)} (config keys "
                "qpcr.groups.case / qpcr.groups.control)."
            )
    counts = pd.Series([p for p, _ in samples(raw)]).value_counts()
    repeated = sorted(counts.index[counts > 1])
    if repeated:
        raise InputError(
            f"design unpaired: subject(s) {repeated} have samples at several timepoints; the "
            "unpaired design compares one sample per subject (use design: paired or "
            "timecourse for repeated samples)."
        )
    return per_subject.map(lambda values: values[0])


def sample_dct(summary: pd.DataFrame, settings: QpcrSettings) -> pd.DataFrame:
    """Subjects x targets of dCt, the efficiency-weighted log2 quantity of the references minus
    that of the target (plain Ct(target) - mean Ct(references) without efficiencies)."""
    references = list(settings.reference_targets)
    log2_e = {t: math.log2(float(settings.efficiencies.get(t, 2.0))) for t in settings.targets}
    cts = summary.pivot_table(index="patient", columns="target", values="mean_ct")
    if settings.efficiencies:
        ref_log2 = np.mean(
            [cts[r] * math.log2(float(settings.efficiencies[r])) for r in references], axis=0
        )
        ref = pd.Series(ref_log2, index=cts.index)
    else:
        ref = reference_ct(summary, references).set_index("patient")["ref_ct"]
    return pd.DataFrame({t: cts[t] * log2_e[t] - ref for t in settings.targets})


def mann_whitney(a: np.ndarray, b: np.ndarray):
    """Two-sided Mann-Whitney test as R's ``wilcox.test`` computes it: the exact p when both
    groups have fewer than 50 values and no ties, else the normal approximation with tie and
    continuity correction (SciPy's own switch to the exact p is at 8 values)."""
    exact = len(a) < 50 and len(b) < 50 and len(np.unique(np.r_[a, b])) == len(a) + len(b)
    method = "exact" if exact else "asymptotic"
    return stats.mannwhitneyu(a, b, alternative="two-sided", method=method)


def _roc(y: np.ndarray, dct: np.ndarray, ddct: float) -> tuple[str, object]:
    """DeLong AUC of the marker read in the direction of the group difference (a lower dCt
    means more of the target: the score is -dCt when the target is higher in the cases)."""
    higher = ddct <= 0
    score = -dct if higher else dct
    return ("higher in case" if higher else "lower in case"), delong_auc(y, score)


def group_comparison(
    summary: pd.DataFrame, groups: pd.Series, settings: QpcrSettings
) -> pd.DataFrame:
    """One row per target: group fold change (case vs control), Welch and Mann-Whitney tests on
    dCt with BH q over the targets, and the diagnostic AUC with DeLong's 95 % interval."""
    dct = sample_dct(summary, settings)
    case, control = settings.groups["case"], settings.groups["control"]
    group = groups.reindex(dct.index)
    rows = []
    for target in settings.targets:
        a = dct.loc[group == case, target].dropna().to_numpy()
        b = dct.loc[group == control, target].dropna().to_numpy()
        ddct = float(a.mean() - b.mean()) if len(a) and len(b) else math.nan
        welch = stats.ttest_ind(a, b, equal_var=False) if min(len(a), len(b)) >= 2 else None
        mann = mann_whitney(a, b) if len(a) and len(b) else None
        y = np.r_[np.ones(len(a)), np.zeros(len(b))]
        direction, roc = _roc(y, np.r_[a, b], ddct)
        rows.append(
            {
                "target": target,
                "case": case,
                "control": control,
                "n_case": len(a),
                "n_control": len(b),
                "mean_dct_case": float(np.mean(a)) if len(a) else math.nan,
                "sd_dct_case": float(np.std(a, ddof=1)) if len(a) > 1 else math.nan,
                "mean_dct_control": float(np.mean(b)) if len(b) else math.nan,
                "sd_dct_control": float(np.std(b, ddof=1)) if len(b) > 1 else math.nan,
                "ddct": ddct,
                "fold_change": 2.0**-ddct,
                "welch_t": float(welch.statistic) if welch else math.nan,
                "welch_p": float(welch.pvalue) if welch else math.nan,
                "mannwhitney_u": float(mann.statistic) if mann else math.nan,
                "mannwhitney_p": float(mann.pvalue) if mann else math.nan,
                "roc_direction": direction,
                "auc": roc.auc,
                "auc_se": roc.se,
                "auc_ci_low": roc.ci_low,
                "auc_ci_high": roc.ci_high,
                "method": "pfaffl" if settings.efficiencies else "livak",
            }
        )
    table = pd.DataFrame(rows)
    table["welch_q"] = bh_qvalues(table["welch_p"])
    table["mannwhitney_q"] = bh_qvalues(table["mannwhitney_p"])
    return table[list(GROUP_COLUMNS)]


def timepoint_comparisons(summary: pd.DataFrame, settings: QpcrSettings) -> pd.DataFrame:
    """The fold changes of every configured comparison (``to`` relative to ``from``), per
    patient with both samples, computed as the pre/post fold changes are."""
    tables = []
    for comparison in settings.comparisons:
        first, second = comparison["from"], comparison["to"]
        table = fold_changes(summary, replace(settings, pre=first, post=second))
        table.insert(0, "to", second)
        table.insert(0, "from", first)
        table.insert(0, "comparison", f"{second} vs {first}")
        tables.append(table)
    if not tables:
        return pd.DataFrame(columns=list(TIMECOURSE_COLUMNS))
    return pd.concat(tables, ignore_index=True)[list(TIMECOURSE_COLUMNS)]
