"""The qPCR QC tables: one row per well (results/qpcr/well_qc.tsv) and one per sample
(results/qpcr/sample_qc.tsv).

:func:`well_qc` lists every well of the long Ct table with its Cq as read, whether the fold
changes used it, and each flag with its reason: undetermined or above ``ct_limit`` (and what the
undetermined rule did), the replicate removed as an outlier (Grubbs' G, critical value and p, or
the farthest-from-median rule), a replicate group whose SD stays above ``sd_threshold``, more
than one melt peak (:mod:`esccrt.qpcr.melt`) and a Cq beyond the target's limit of detection
(:mod:`esccrt.qpcr.detection_limit`). :func:`sample_qc` grades each sample (patient and
timepoint) per criterion as pass, warn, fail or not_assessed (:data:`CRITERIA`).
Nothing here changes a fold change: the tables say what the stage saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.qpcr.ct_table import GROUP_KEYS, SOURCE_COLUMNS, read_ct_table
from esccrt.qpcr.detection_limit import LIMIT_COLUMNS, beyond_limit, detection_limits
from esccrt.qpcr.melt_table import MELT_COLUMNS, MULTIPLE_PEAKS
from esccrt.qpcr.outliers import grubbs_test
from esccrt.qpcr.replicates import apply_undetermined_rule
from esccrt.qpcr.settings import QpcrSettings

WELL_QC_COLUMNS = (
    "plate",
    "well",
    "sample",
    "patient",
    "timepoint",
    "target",
    "replicate",
    "cq",
    "used",
    "flags",
    "reasons",
)
#: Criteria of results/qpcr/sample_qc.tsv, in column order, and what fails or warns.
CRITERIA = {
    "amplification": "fail: a target without any usable Ct; warn: undetermined/above-limit wells",
    "replicate_sd": "warn: a target's replicate SD above qpcr.sd_threshold",
    "outliers": "warn: a replicate removed as an outlier",
    "melt_curve": "warn: a well with more than one melt peak",
    "detection_limit": "warn: a used Ct beyond its target's limit of detection",
    "haemolysis": "fail: haemolysed (qpcr.haemolysis)",
}
GRADES = ("pass", "warn", "fail", "not_assessed")
SAMPLE_KEYS = ["patient", "timepoint"]


def _sources(path: str | Path, rows: int) -> pd.DataFrame:
    """file, run, well and sample of each row of the long Ct table (empty when the table does
    not carry them, i.e. a hand-made long table rather than an import)."""
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {c: table[c] if c in table else pd.Series("", range(rows)) for c in SOURCE_COLUMNS}
    )


def _outlier_reason(cts: np.ndarray, sd_before: float, settings: QpcrSettings) -> str:
    """Why an outlier was removed from a group with the usable Cts ``cts`` (the rule's numbers)."""
    if settings.qc["outlier_method"] == "grubbs":
        result = grubbs_test(cts, settings.qc["outlier_alpha"])
        return (
            f"Grubbs' test: G {result.statistic:.4f} > G_crit {result.critical:.4f} "
            f"(alpha {result.alpha:g}, n {len(cts)}, p {result.p_value:.3g})"
        )
    return (
        f"farthest from the median; replicate SD {sd_before:.3f} "
        f"> qpcr.sd_threshold {settings.sd_threshold:g}"
    )


def _melt_reasons(wells: pd.DataFrame, melt: pd.DataFrame) -> pd.Series:
    """Per well: the melt peaks when there are several (matched on file, run, well, target)."""
    if melt.empty:
        return pd.Series("", wells.index)
    several = melt[melt["flags"] == MULTIPLE_PEAKS]
    keys = ["file", "run", "well", "target"]
    text = dict(
        zip(
            map(tuple, several[keys].astype(str).to_numpy()),
            "melt peaks at " + several["peak_temperatures"] + " °C (RDML-Tools)",
            strict=True,
        )
    )
    return pd.Series([text.get(tuple(k), "") for k in wells[keys].to_numpy()], wells.index)


def _outlier_reasons(
    wells: pd.DataFrame, merged: pd.DataFrame, removed: np.ndarray, settings: QpcrSettings
) -> pd.Series:
    """Per well: why it was removed as an outlier (empty for the others). The reason needs the
    usable Cts of the removed well's group, looked up only for the removed wells."""
    reasons = pd.Series("", wells.index)
    if not removed.any():
        return reasons
    positions = wells.groupby(GROUP_KEYS, sort=False).indices
    cts = wells["ct"].to_numpy(float)
    keys = wells.loc[removed, GROUP_KEYS].itertuples(index=False, name=None)
    sd_before = merged["sd_before_outlier_removal"].to_numpy(float)
    for i, key in zip(np.flatnonzero(removed), keys, strict=True):
        group = cts[positions[key]]
        reasons.iloc[i] = _outlier_reason(group[~np.isnan(group)], sd_before[i], settings)
    return reasons


def _beyond_limit_reasons(
    wells: pd.DataFrame, used: np.ndarray, limits: pd.DataFrame
) -> tuple[np.ndarray, pd.Series]:
    """(wells whose used Ct is beyond their target's limit of detection, the reason per well)."""
    beyond = beyond_limit(wells["target"], wells["ct"].where(used), limits)
    limit = wells["target"].map(dict(zip(limits["target"], limits["lod_cq"], strict=True)))
    text = pd.Series("", wells.index)
    text[beyond] = [
        f"Ct {ct:.2f} > limit of detection Cq {lod:.2f}"
        for ct, lod in zip(wells.loc[beyond, "ct"], limit[beyond], strict=True)
    ]
    return beyond, text


def well_qc(
    ct_path: str | Path,
    raw: pd.DataFrame,
    summary: pd.DataFrame,
    settings: QpcrSettings,
    melt: pd.DataFrame,
    limits: pd.DataFrame,
) -> pd.DataFrame:
    """One row per well of the long Ct table (``raw``, as read) with flags and reasons."""
    treated = apply_undetermined_rule(raw, settings.undetermined, settings.ct_limit)
    # where each well came from: the import's source columns (the Ct table may carry some)
    measured = treated.drop(columns=[c for c in SOURCE_COLUMNS if c in treated])
    wells = pd.concat([measured.reset_index(drop=True), _sources(ct_path, len(raw))], axis=1)
    flags = [[] for _ in range(len(wells))]
    reasons = [[] for _ in range(len(wells))]

    def add(mask: pd.Series | np.ndarray, flag: str, reason: pd.Series | str) -> None:
        texts = reason if isinstance(reason, pd.Series) else pd.Series(reason, wells.index)
        for i in np.flatnonzero(np.asarray(mask)):
            flags[i].append(flag)
            reasons[i].append(texts.iloc[i])

    action = (
        f"Ct set to qpcr.ct_limit {settings.ct_limit:g}"
        if settings.undetermined == "set_to_limit"
        else "replicate excluded"
    )
    add(wells["censored"] == "undetermined", "undetermined", f"no Cq; {action}")
    add(
        wells["censored"] == "above_limit",
        "above_ct_limit",
        f"Cq above {settings.ct_limit:g}; {action}",
    )
    # The group's summary on each of its wells (one merge: no per-group lookups at cohort scale).
    group_columns = ["outlier_replicate", "flags", "sd_ct", "sd_before_outlier_removal"]
    merged = wells[GROUP_KEYS].merge(
        summary[[*GROUP_KEYS, *group_columns]], on=GROUP_KEYS, how="left", validate="m:1"
    )
    removed = (merged["outlier_replicate"].fillna("") != "").to_numpy() & (
        wells["replicate"].astype(str).to_numpy()
        == merged["outlier_replicate"].astype(str).to_numpy()
    )
    add(removed, "outlier_removed", _outlier_reasons(wells, merged, removed, settings))
    high_sd = merged["flags"].fillna("").str.split(";").map(lambda f: "high_sd" in f)
    sd_text = merged["sd_ct"].map(
        lambda sd: f"replicate SD {sd:.3f} > qpcr.sd_threshold {settings.sd_threshold:g}"
    )
    add(high_sd.to_numpy(), "high_sd", sd_text)
    melt_text = _melt_reasons(wells, melt)
    add(melt_text != "", MULTIPLE_PEAKS, melt_text)
    used = wells["ct"].notna().to_numpy() & ~removed
    if not limits.empty:
        beyond, text = _beyond_limit_reasons(wells, used, limits)
        add(beyond, "beyond_detection_limit", text)
    return pd.DataFrame(
        {
            # the import's plate (the run, named with its file where two files share a run name)
            "plate": wells["plate"].where(wells["plate"] != "", wells["run"]),
            "well": wells["well"],
            "sample": wells["sample"],
            "patient": wells["patient"],
            "timepoint": wells["timepoint"],
            "target": wells["target"],
            "replicate": wells["replicate"],
            "cq": raw["ct"].to_numpy(),
            "used": used,
            "flags": [";".join(f) for f in flags],
            "reasons": ["; ".join(r) for r in reasons],
        },
        columns=list(WELL_QC_COLUMNS),
    )


def _overall(grades: pd.DataFrame) -> pd.Series:
    """fail if any criterion fails, else warn if any warns, else pass."""
    failed = (grades == "fail").any(axis=1)
    warned = (grades == "warn").any(axis=1)
    return pd.Series(np.where(failed, "fail", np.where(warned, "warn", "pass")), grades.index)


def sample_qc(
    wells: pd.DataFrame,
    summary: pd.DataFrame,
    haemolysis: pd.DataFrame,
    assessed: Mapping[str, bool],
) -> pd.DataFrame:
    """One row per sample (patient, timepoint): a grade per criterion of :data:`CRITERIA`, the
    overall grade and the flagged wells. ``assessed`` says whether melt curves and limits of
    detection were available (else those criteria are ``not_assessed``)."""

    def joined(frame: pd.DataFrame, text: pd.Series) -> pd.Series:
        """``text`` of the rows of ``frame`` joined per sample (every sample of the summary)."""
        return text.groupby([frame["patient"], frame["timepoint"]]).agg(", ".join)

    samples = summary[SAMPLE_KEYS].drop_duplicates().sort_values(SAMPLE_KEYS)
    index = pd.MultiIndex.from_frame(samples)
    group_flags = joined(summary, summary["flags"].fillna("")).reindex(index, fill_value="")
    well_flags = joined(wells, wells["flags"]).reindex(index, fill_value="")
    listed = wells[wells["flags"] != ""]
    described = listed["target"] + " rep " + listed["replicate"].astype(str)
    flagged_wells = joined(listed, described + " (" + listed["flags"] + ")")

    def grade(flags: pd.Series, fail: str | None, warn: str) -> np.ndarray:
        failed = flags.str.contains(fail, regex=False) if fail else pd.Series(False, flags.index)
        warned = flags.str.contains(warn, regex=False)
        return np.where(failed, "fail", np.where(warned, "warn", "pass"))

    status = haemolysis.set_index(SAMPLE_KEYS)["status"].reindex(index, fill_value="not_measured")
    table = samples.reset_index(drop=True)
    table["amplification"] = grade(group_flags, "no_amplification", "undetermined_or_above_limit")
    table["replicate_sd"] = grade(group_flags, None, "high_sd")
    table["outliers"] = grade(group_flags, None, "outlier_removed")
    table["melt_curve"] = (
        grade(well_flags, None, MULTIPLE_PEAKS) if assessed["melt_curve"] else "not_assessed"
    )
    table["detection_limit"] = (
        grade(well_flags, None, "beyond_detection_limit")
        if assessed["detection_limit"]
        else "not_assessed"
    )
    table["haemolysis"] = (
        status.map({"haemolysed": "fail", "ok": "pass"}).fillna("not_assessed").to_numpy()
    )
    table["flagged_wells"] = flagged_wells.reindex(index, fill_value="").to_numpy()
    table.insert(2, "overall", _overall(table[list(CRITERIA)]))
    return table


def read_melt_peaks(path: Path | None) -> pd.DataFrame:
    """The melt peaks table (rule qpcr_melt_curves), or an empty one without RDML input."""
    if path is None:
        return pd.DataFrame(columns=list(MELT_COLUMNS))
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def limits_of_detection(control_wells: Path | None, settings: QpcrSettings) -> pd.DataFrame:
    """The targets' limits of detection from the standards among the control wells (empty
    without configured standards). Raises :class:`InputError` when standards are configured
    but the Ct table is not imported from instrument files (no standard wells to read)."""
    config = settings.qc["detection_limit"]
    if not config["standards"]:
        return pd.DataFrame(columns=list(LIMIT_COLUMNS))
    if control_wells is None:
        raise InputError(
            "config key qpcr.qc.detection_limit.standards: the dilution series is read from the "
            "standard wells of instrument files; with qpcr.format long there are none. Use the "
            "instrument files (qpcr.format rdml, abi_sds, ...) or leave the standards empty."
        )
    wells = pd.read_csv(control_wells, sep="\t", dtype={"sample": str, "target": str})
    wells["omitted"] = wells["omitted"].astype(str).eq("True")
    return detection_limits(wells, config["standards"], config["detection_rate"])


def quality_tables(
    ct_path: str | Path,
    summary: pd.DataFrame,
    haemolysis: pd.DataFrame,
    settings: QpcrSettings,
    melt_peaks: Path | None,
    control_wells: Path | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(well QC, sample QC, limits of detection) of the stage's Ct table and results."""
    raw = read_ct_table(ct_path, settings.undetermined_tokens)
    melt = read_melt_peaks(melt_peaks)
    limits = limits_of_detection(control_wells, settings)
    wells = well_qc(ct_path, raw, summary, settings, melt, limits)
    assessed = {"melt_curve": not melt.empty, "detection_limit": limits["lod_cq"].notna().any()}
    return wells, sample_qc(wells, summary, haemolysis, assessed), limits
