"""qPCR relative quantification: Ct triplicates -> per-patient fold changes (post vs pre).

The steps, each a small function the rule script and the tests call:

1. :func:`read_ct_table` reads the long Ct table (``patient, timepoint, target, replicate, ct``)
   and turns the configured "no amplification" words (``Undetermined`` ...) into missing Cts.
2. :func:`apply_undetermined_rule` treats undetermined Cts and Cts above the detection limit by
   the configured rule: ``set_to_limit`` (the Ct becomes the limit) or ``exclude`` (the
   replicate is dropped). Every change is recorded.
3. :func:`summarise_replicates` gives the mean and SD per (patient, timepoint, target), flags an
   SD above the threshold and, if asked, drops the replicate farthest from the median.
4. :func:`fold_changes` normalises each target to the mean of the reference miRNAs' mean Cts and
   computes dCt, ddCt = dCt(post) - dCt(pre) and the fold change 2^-ddCt (Livak & Schmittgen
   2001), or the Pfaffl (2001) efficiency-corrected ratio when amplification factors are given.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.errors import InputError, located

CT_COLUMNS = ("patient", "timepoint", "target", "replicate", "ct")
UNDETERMINED_RULES = ("set_to_limit", "exclude")
GROUP_KEYS = ["patient", "timepoint", "target"]
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


@dataclass(frozen=True)
class QpcrSettings:
    """The ``qpcr`` config section, checked (see workflow/schemas/qpcr.schema.yaml)."""

    targets: Sequence[str]
    reference_targets: Sequence[str]
    pre: str = "pre"
    post: str = "post"
    undetermined_tokens: Sequence[str] = ("Undetermined", "undetermined", "NA", "N/A", "")
    ct_limit: float = 40.0
    undetermined: str = "set_to_limit"
    sd_threshold: float = 0.5
    remove_outliers: bool = False
    efficiencies: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: Mapping) -> QpcrSettings:
        """Build from ``config["qpcr"]``, filling defaults and checking the values."""
        keys = {f for f in cls.__dataclass_fields__ if f in section}
        settings = cls(**{k: section[k] for k in keys})
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`InputError` naming the config key of a bad value."""
        if self.undetermined not in UNDETERMINED_RULES:
            raise InputError(
                f"config key qpcr.undetermined: '{self.undetermined}' is not a rule; use one of "
                f"{list(UNDETERMINED_RULES)}."
            )
        if not self.reference_targets:
            raise InputError("config key qpcr.reference_targets: name at least one reference.")
        if not self.targets:
            raise InputError("config key qpcr.targets: name at least one miRNA to quantify.")
        both = sorted(set(self.targets) & set(self.reference_targets))
        if both:
            raise InputError(
                f"config keys qpcr.targets and qpcr.reference_targets both list {both}; a "
                "reference cannot also be a target."
            )
        if self.pre == self.post:
            raise InputError("config keys qpcr.pre and qpcr.post must name different timepoints.")
        for target, factor in self.efficiencies.items():
            if not 1.0 < float(factor) <= 2.5:
                raise InputError(
                    f"config key qpcr.efficiencies.{target}: {factor} is not an amplification "
                    "factor; write E as copies per cycle (2.0 = 100 % efficiency, 1.9 = 90 %)."
                )
        if self.efficiencies:
            missing = [
                t for t in [*self.targets, *self.reference_targets] if t not in self.efficiencies
            ]
            if missing:
                raise InputError(
                    f"config key qpcr.efficiencies: no amplification factor for {missing}. The "
                    "Pfaffl ratio needs one for every target and reference (2.0 = 100 %), or "
                    "leave qpcr.efficiencies empty for 2^-ddCt."
                )


# --------------------------------------------------------------------------- reading


def read_ct_table(path: str | Path, undetermined_tokens: Iterable[str]) -> pd.DataFrame:
    """Read the long Ct table; undetermined words become NaN with ``undetermined`` = True.

    Raises :class:`InputError` for a missing column, an empty identifier, a duplicated
    replicate or a Ct that is neither a number nor one of ``undetermined_tokens`` (naming file,
    line, column and patient).
    """
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, comment=None)
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in CT_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"missing column(s) {missing}; the Ct table needs the columns "
                f"{list(CT_COLUMNS)} (tab-separated, one row per well).",
                line=1,
            )
        )
    table = table[list(CT_COLUMNS)].apply(lambda col: col.str.strip())
    tokens = {str(t).strip().lower() for t in undetermined_tokens}
    for column in ("patient", "timepoint", "target", "replicate"):
        empty = table.index[table[column] == ""]
        if len(empty):
            row = int(empty[0])
            raise InputError(
                located(
                    path,
                    f"empty {column} (patient '{table.at[row, 'patient']}'); every row needs "
                    "patient, timepoint, target and replicate.",
                    line=row + 2,
                    column=column,
                )
            )
    undetermined = table["ct"].str.lower().isin(tokens)
    ct = pd.to_numeric(table["ct"].where(~undetermined), errors="coerce")
    bad = table.index[ct.isna() & ~undetermined]
    if len(bad):
        row = int(bad[0])
        others = table.loc[bad, "patient"].unique().tolist()
        raise InputError(
            located(
                path,
                f"Ct '{table.at[row, 'ct']}' of patient '{table.at[row, 'patient']}' "
                f"(timepoint {table.at[row, 'timepoint']}, target {table.at[row, 'target']}) is "
                f"not a number. Write the Ct as a number, or one of the words configured in "
                f"qpcr.undetermined_tokens {sorted(tokens)} for no amplification. "
                f"{len(bad)} such row(s), patients: {others}.",
                line=row + 2,
                column="ct",
            )
        )
    duplicated = table.duplicated(subset=[*GROUP_KEYS, "replicate"], keep="first")
    if duplicated.any():
        row = int(table.index[duplicated][0])
        raise InputError(
            located(
                path,
                f"replicate {table.at[row, 'replicate']} of patient '{table.at[row, 'patient']}'"
                f", {table.at[row, 'timepoint']}, {table.at[row, 'target']} appears twice; give "
                "each well its own replicate number.",
                line=row + 2,
                column="replicate",
            )
        )
    table["ct"] = ct
    table["undetermined"] = undetermined.to_numpy()
    table["line"] = table.index + 2
    return table


def check_design(table: pd.DataFrame, settings: QpcrSettings, path: str | Path = "") -> None:
    """Check timepoints, targets and references before any computation.

    Raises :class:`InputError` listing the patients concerned when a timepoint is unknown, a
    reference miRNA is absent for a patient/timepoint, or a patient lacks a timepoint for a
    target.
    """
    where = f"{path}: " if path else ""
    unknown = sorted(set(table["timepoint"]) - {settings.pre, settings.post})
    if unknown:
        patients = sorted(table.loc[table["timepoint"].isin(unknown), "patient"].unique())
        raise InputError(
            f"{where}column 'timepoint' has value(s) {unknown} (patients {patients}); only "
            f"'{settings.pre}' and '{settings.post}' (config keys qpcr.pre / qpcr.post) are known."
        )
    patients = sorted(table["patient"].unique())
    present = set(zip(table["patient"], table["timepoint"], table["target"], strict=True))
    checks = [(r, "reference miRNA", "reference_targets") for r in settings.reference_targets]
    checks += [(t, "target", "targets") for t in settings.targets]
    for name, kind, key in checks:
        lacking = [
            f"{p} ({tp})"
            for p in patients
            for tp in (settings.pre, settings.post)
            if (p, tp, name) not in present
        ]
        if lacking:
            raise InputError(
                f"{where}{kind} '{name}' (config key qpcr.{key}) has no Ct for: "
                f"{', '.join(lacking)}. A fold change needs both timepoints: add the wells, "
                f"remove those patients, or remove '{name}' from qpcr.{key}."
            )


# --------------------------------------------------------------------------- replicates


def apply_undetermined_rule(table: pd.DataFrame, rule: str, limit: float) -> pd.DataFrame:
    """Treat undetermined Cts and Cts above ``limit`` by ``rule``; mark them in ``censored``.

    ``set_to_limit`` replaces them with ``limit``; ``exclude`` blanks their Ct (NaN): the row
    stays so the QC counts it, but the replicate is not used. ``censored`` holds the reason
    (``undetermined`` or ``above_limit``), empty for the other wells.
    """
    if rule not in UNDETERMINED_RULES:
        raise InputError(
            f"config key qpcr.undetermined: unknown rule '{rule}'; use one of "
            f"{list(UNDETERMINED_RULES)}."
        )
    table = table.copy()
    affected = table["undetermined"] | (table["ct"] > limit)
    table["censored"] = np.where(
        table["undetermined"], "undetermined", np.where(affected, "above_limit", "")
    )
    table.loc[affected, "ct"] = float(limit) if rule == "set_to_limit" else math.nan
    return table


def _mean_sd(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample SD (ddof=1; NaN SD for a single value)."""
    if len(values) == 0:
        return math.nan, math.nan
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return float(np.mean(values)), sd


def summarise_replicates(
    table: pd.DataFrame,
    sd_threshold: float,
    remove_outliers: bool,
) -> pd.DataFrame:
    """Mean and SD of the replicates per (patient, timepoint, target), with QC flags.

    When the SD exceeds ``sd_threshold`` the group is flagged ``high_sd``; with
    ``remove_outliers`` and at least 3 replicates the replicate farthest from the median is
    dropped once and mean/SD recomputed (recorded in ``outlier_replicate``/``outlier_ct``).
    Replicates whose Ct is NaN (excluded as undetermined) are counted but not used.
    """
    rows = []
    for (patient, timepoint, target), group in table.groupby(GROUP_KEYS, sort=True):
        usable = group["ct"].notna()
        cts = group.loc[usable, "ct"].to_numpy(dtype=float)
        reps = group.loc[usable, "replicate"].to_numpy()
        mean, sd = _mean_sd(cts)
        sd_before = sd
        outlier_rep, outlier_ct = "", math.nan
        if remove_outliers and len(cts) >= 3 and sd > sd_threshold:
            worst = int(np.argmax(np.abs(cts - np.median(cts))))
            outlier_rep, outlier_ct = str(reps[worst]), float(cts[worst])
            cts = np.delete(cts, worst)
            mean, sd = _mean_sd(cts)
        reasons = group["censored"] if "censored" in group else pd.Series("", group.index)
        censored = group.loc[reasons != "", "replicate"] + "(" + reasons[reasons != ""] + ")"
        flags = []
        if sd > sd_threshold:
            flags.append("high_sd")
        if outlier_rep:
            flags.append("outlier_removed")
        if len(censored):
            flags.append("undetermined_or_above_limit")
        if not len(cts):
            flags.append("no_amplification")
        rows.append(
            {
                "patient": patient,
                "timepoint": timepoint,
                "target": target,
                "n_replicates": len(group),
                "n_used": len(cts),
                "mean_ct": mean,
                "sd_ct": sd,
                "sd_before_outlier_removal": sd_before,
                "outlier_replicate": outlier_rep,
                "outlier_ct": outlier_ct,
                "n_undetermined_or_above_limit": len(censored),
                "undetermined_or_above_limit": ",".join(censored),
                "flags": ";".join(flags),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- fold changes


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


def fold_changes(summary: pd.DataFrame, settings: QpcrSettings) -> pd.DataFrame:
    """One row per patient x target: Cts, dCt, ddCt and fold change post vs pre.

    Livak: fold change = 2^-ddCt with ddCt = dCt(post) - dCt(pre), dCt = Ct(target) - Ct(ref),
    and a range 2^-(ddCt +/- s) with s the propagated SD of dCt(post) (as in ABI User Bulletin
    #2). Pfaffl (when ``settings.efficiencies`` is set): E_t^(Ct_t,pre - Ct_t,post) divided by
    the geometric mean of E_r^(Ct_r,pre - Ct_r,post) over the references.
    """
    ref = reference_ct(summary, settings.reference_targets).set_index(["patient", "timepoint"])
    data = summary.set_index(GROUP_KEYS)
    per_ref = data["mean_ct"]
    rows = []
    patients = sorted(summary["patient"].unique())
    for patient in patients:
        for target in settings.targets:
            row: dict[str, object] = {"patient": patient, "target": target}
            flags = []
            values = {}
            for tp, label in ((settings.pre, "pre"), (settings.post, "post")):
                rec = data.loc[(patient, tp, target)]
                values[label] = (float(rec["mean_ct"]), float(rec["sd_ct"]))
                if isinstance(rec["flags"], str) and rec["flags"]:
                    flags += [f"{f}_{label}" for f in rec["flags"].split(";")]
                row[f"ct_{label}"] = values[label][0]
                row[f"ref_ct_{label}"] = float(ref.at[(patient, tp), "ref_ct"])
                row[f"dct_{label}"] = row[f"ct_{label}"] - row[f"ref_ct_{label}"]
            for reference in settings.reference_targets:
                for tp, label in ((settings.pre, "pre"), (settings.post, "post")):
                    ref_flags = data.loc[(patient, tp, reference), "flags"]
                    if isinstance(ref_flags, str) and ref_flags:
                        flags += [f"ref_{f}_{label}" for f in ref_flags.split(";")]
            ddct = float(row["dct_post"]) - float(row["dct_pre"])  # type: ignore[arg-type]
            row["ddct"] = ddct
            post_sd = math.hypot(
                values["post"][1], float(ref.at[(patient, settings.post), "ref_sd"])
            )
            if settings.efficiencies:
                deltas = {
                    r: float(
                        per_ref[(patient, settings.pre, r)] - per_ref[(patient, settings.post, r)]
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


def run(path: str | Path, settings: QpcrSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Whole qPCR step: Ct table -> (fold_changes, replicate_qc)."""
    raw = read_ct_table(path, settings.undetermined_tokens)
    check_design(raw, settings, path)
    treated = apply_undetermined_rule(raw, settings.undetermined, settings.ct_limit)
    summary = summarise_replicates(treated, settings.sd_threshold, settings.remove_outliers)
    summary.insert(3, "undetermined_rule", settings.undetermined)
    return fold_changes(summary, settings), summary


def wide_to_long(
    wide: pd.DataFrame,
    groups: Sequence[str],
    timepoints: Mapping[str, str],
    patient: str = "sample",
) -> pd.DataFrame:
    """Reshape a wide Ct table (one column per target, one row per well) to the long format.

    ``groups`` gives each row's group (e.g. tissue) and ``timepoints`` maps a group to the
    timepoint it plays (e.g. ``{"brain": "pre", "kidney": "post"}``). Replicates are numbered
    within each group. Used to run published tables (R package pcr) through this module.
    """
    frame = wide.copy()
    frame["group"] = list(groups)
    frame["replicate"] = frame.groupby("group").cumcount() + 1
    long = frame.melt(id_vars=["group", "replicate"], var_name="target", value_name="ct")
    long["timepoint"] = long["group"].map(timepoints)
    long["patient"] = patient
    return long[list(CT_COLUMNS)]
