"""Fold changes post vs pre: reference Ct, 2^-ddCt (Livak) or the Pfaffl ratio.

:func:`fold_changes` normalises each target to the mean of the reference miRNAs' mean Cts and
computes dCt, ddCt = dCt(post) - dCt(pre) and the fold change 2^-ddCt (Livak & Schmittgen
2001), or the Pfaffl (2001) efficiency-corrected ratio when amplification factors are given.
:func:`esccrt.qpcr.pipeline.run_qpcr` chains the whole qPCR step for the rule script.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.cohort import paired_patients
from esccrt.qpcr.ct_table import GROUP_KEYS
from esccrt.qpcr.replicates import apply_undetermined_rule, summarise_replicates
from esccrt.qpcr.settings import QpcrSettings

FOLD_CHANGE_COLUMNS = (
    "patient",
    "target",
    "ct_pre",
    "ct_post",
    "ref_ct_pre",
    "ref_ct_post",
    "dct_pre",
    "dct_post",
    "ddct",
    "fold_change",
    "fold_change_low",
    "fold_change_high",
    "method",
    "flags",
)


def reference_ct(summary: pd.DataFrame, references: Sequence[str]) -> pd.DataFrame:
    """Mean of the reference miRNAs' mean Cts per (patient, timepoint) with its propagated SD.

    Raises :class:`InputError` listing patients whose reference has no usable Ct.
    """
    refs = summary[summary["target"].isin(references)]
    lost = refs[refs["mean_ct"].isna()]
    if len(lost):
        where = [f"{r.patient} ({r.timepoint}, {r.target})" for r in lost.itertuples()]
        raise InputError(
            f"reference miRNA without any usable Ct (all replicates undetermined or excluded) "
            f"for: {where}. Check those wells, choose qpcr.undetermined: set_to_limit, or use "
            "another reference (qpcr.reference_targets)."
        )
    grouped = refs.groupby(["patient", "timepoint"])
    out = grouped["mean_ct"].mean().rename("ref_ct").to_frame()
    # SD of a mean of k independent means: sqrt(sum sd^2) / k
    out["ref_sd"] = grouped["sd_ct"].apply(
        lambda s: float(np.sqrt(np.nansum(np.square(s))) / len(s))
    )
    return out.reset_index()


def _pfaffl_log2(
    delta_target: float,
    delta_refs: Mapping[str, float],
    efficiencies: Mapping[str, float],
    target: str,
) -> float:
    """log2 of the Pfaffl ratio; Ct deltas are Ct(pre) - Ct(post).

    ratio = E_target^dCt_target / (geometric mean over references of E_ref^dCt_ref).
    """
    num = delta_target * math.log2(float(efficiencies[target]))
    den = float(np.mean([d * math.log2(float(efficiencies[r])) for r, d in delta_refs.items()]))
    return num - den


def _by_key(table: pd.DataFrame, keys: Sequence[str]) -> dict[tuple, dict[str, object]]:
    """The rows of ``table`` as dicts by their ``keys`` values: a dict lookup per patient and
    target instead of a pandas ``.loc`` (about 100 times slower; a cohort makes thousands)."""
    index = zip(*(table[key] for key in keys), strict=True)
    return dict(zip(index, table.to_dict("records"), strict=True))


def fold_changes(summary: pd.DataFrame, settings: QpcrSettings) -> pd.DataFrame:
    """One row per patient with both timepoints x target: Cts, dCt, ddCt, fold change post vs pre.

    Livak: fold change = 2^-ddCt with ddCt = dCt(post) - dCt(pre), dCt = Ct(target) - Ct(ref),
    and a range 2^-(ddCt +/- s) with s the propagated SD of dCt(post) (as in ABI User Bulletin
    #2). Pfaffl (when ``settings.efficiencies`` is set): E_t^(Ct_t,pre - Ct_t,post) divided by
    the geometric mean of E_r^(Ct_r,pre - Ct_r,post) over the references.
    """
    ref = _by_key(reference_ct(summary, settings.reference_targets), ["patient", "timepoint"])
    data = _by_key(summary, GROUP_KEYS)
    rows = []
    # Patients missing a timepoint have no pair (listed by esccrt.qpcr.cohort.unpaired_samples).
    patients = paired_patients(summary, settings.pre, settings.post)
    for patient in patients:
        for target in settings.targets:
            row: dict[str, object] = {"patient": patient, "target": target}
            flags = []
            values = {}
            for tp, label in ((settings.pre, "pre"), (settings.post, "post")):
                rec = data[(patient, tp, target)]
                values[label] = (float(rec["mean_ct"]), float(rec["sd_ct"]))
                if isinstance(rec["flags"], str) and rec["flags"]:
                    flags += [f"{f}_{label}" for f in rec["flags"].split(";")]
                row[f"ct_{label}"] = values[label][0]
                row[f"ref_ct_{label}"] = float(ref[(patient, tp)]["ref_ct"])
                row[f"dct_{label}"] = row[f"ct_{label}"] - row[f"ref_ct_{label}"]
            for reference in settings.reference_targets:
                for tp, label in ((settings.pre, "pre"), (settings.post, "post")):
                    ref_flags = data[(patient, tp, reference)]["flags"]
                    if isinstance(ref_flags, str) and ref_flags:
                        flags += [f"ref_{f}_{label}" for f in ref_flags.split(";")]
            ddct = float(row["dct_post"]) - float(row["dct_pre"])  # type: ignore[arg-type]
            row["ddct"] = ddct
            post_sd = math.hypot(values["post"][1], float(ref[(patient, settings.post)]["ref_sd"]))
            if settings.efficiencies:
                deltas = {
                    r: float(
                        data[(patient, settings.pre, r)]["mean_ct"]
                        - data[(patient, settings.post, r)]["mean_ct"]
                    )
                    for r in settings.reference_targets
                }
                log2_ratio = _pfaffl_log2(
                    values["pre"][0] - values["post"][0], deltas, settings.efficiencies, target
                )
                row["method"] = "pfaffl"
            else:
                log2_ratio = -ddct
                row["method"] = "livak"
            row["fold_change"] = 2.0**log2_ratio
            spread = post_sd if math.isfinite(post_sd) else 0.0
            row["fold_change_low"] = 2.0 ** (log2_ratio - spread)
            row["fold_change_high"] = 2.0 ** (log2_ratio + spread)
            if not math.isfinite(values["pre"][0]) or not math.isfinite(values["post"][0]):
                flags.append("fold_change_not_computable")
            row["flags"] = ";".join(dict.fromkeys(flags))
            rows.append(row)
    return pd.DataFrame(rows, columns=list(FOLD_CHANGE_COLUMNS))


def replicate_summary(table: pd.DataFrame, settings: QpcrSettings) -> pd.DataFrame:
    """The read Ct table -> replicate summary (undetermined rule, mean, SD, QC flags)."""
    treated = apply_undetermined_rule(table, settings.undetermined, settings.ct_limit)
    summary = summarise_replicates(
        treated, settings.sd_threshold, settings.remove_outliers, grubbs_alpha=settings.grubbs_alpha
    )
    summary.insert(3, "undetermined_rule", settings.undetermined)
    return summary
