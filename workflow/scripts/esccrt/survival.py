"""Survival analysis of the qPCR cohort: groups, Kaplan-Meier, log-rank, Cox, diagnostic model.

The steps, each a small function the rule scripts and the tests call:

1. :func:`read_clinical` and :func:`check_patients` read and check the clinical table (times,
   events, patients matching the Ct table); :class:`Factor` holds one configured grouping.
2. :func:`derive_groups` turns clinical columns and qPCR fold changes into ordered groups:
   numeric factors at a cut-off, categorical factors by level mapping, fold changes per miRNA
   (<= / > cut-off) and pairs (all <= / any > cut-off).
3. :func:`kaplan_meier`, :func:`km_medians` and :func:`logrank` per factor and endpoint; a
   comparison that cannot be tested (no event, one group) gives p = NA with the reason.
4. :func:`fit_cox` (lifelines CoxPHFitter, Efron ties, with the Schoenfeld-residual test of
   proportional hazards) behind :func:`cox_univariate` and :func:`cox_multivariate`.
5. :func:`table1` / :func:`table1_markdown` lay the results out as the study's Table 1.
6. :func:`diagnostic_model`: logistic regression of "event within N months" on the log2 fold
   changes, ROC curve and AUC with a percentile-bootstrap 95 % CI.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from lifelines.statistics import logrank_test, multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times

from esccrt.errors import InputError, located

FACTOR_TYPES = ("numeric", "categorical", "fold_change")
LOGRANK_COLUMNS = ("endpoint", "factor", "label", "test", "n", "events", "chisq", "df", "p", "note")
COX_COLUMNS = (
    "model",
    "endpoint",
    "factor",
    "contrast",
    "n",
    "events",
    "hr",
    "ci_low",
    "ci_high",
    "p",
    "ph_test_p",
    "note",
)


@dataclass(frozen=True)
class Endpoint:
    """One time-to-event endpoint: its name (``os``), label and clinical columns."""

    name: str
    time: str
    event: str
    label: str = ""


@dataclass(frozen=True)
class Factor:
    """One configured grouping of the patients (a row block of Table 1).

    ``kind`` is ``numeric`` (``column`` split at ``cutoff``; ``high`` is ``>=`` or ``>``),
    ``categorical`` (``levels``: ordered label -> raw values) or ``fold_change`` (``targets``:
    one miRNA, or several for "all <= / any > cut-off").
    """

    name: str
    kind: str
    label: str
    column: str = ""
    cutoff: float = math.nan
    high: str = ">="
    unit: str = ""
    high_first: bool = False
    levels: Mapping[str, Sequence[str]] = field(default_factory=dict)
    targets: Sequence[str] = ()
    reference: str = ""

    @classmethod
    def from_config(cls, spec: Mapping, fold_change_cutoff: float) -> Factor:
        """Build from one entry of ``survival.factors`` (see survival.schema.yaml)."""
        name = str(spec.get("name", ""))
        key = f"config key survival.factors ({name or 'unnamed'})"
        kind = spec.get("type", "")
        if kind not in FACTOR_TYPES:
            raise InputError(f"{key}: type '{kind}' is unknown; use one of {list(FACTOR_TYPES)}.")
        if kind == "fold_change":
            targets = list(spec.get("targets", []))
            if not targets:
                raise InputError(f"{key}: a fold_change factor needs `targets` (miRNA names).")
            default = f"Fold change {targets[0]}" if len(targets) == 1 else " and ".join(targets)
            return cls(
                name=name,
                kind=kind,
                label=spec.get("label") or default,
                targets=tuple(targets),
                cutoff=float(spec.get("cutoff", fold_change_cutoff)),
                reference=spec.get("reference", ""),
            )
        if not spec.get("column"):
            raise InputError(f"{key}: give the clinical `column` the factor is read from.")
        if kind == "numeric":
            if spec.get("cutoff") is None:
                raise InputError(f"{key}: a numeric factor needs a `cutoff`.")
            high = spec.get("high", ">=")
            if high not in (">=", ">"):
                raise InputError(f"{key}: `high` must be '>=' or '>', not '{high}'.")
            return cls(
                name=name,
                kind=kind,
                label=spec.get("label") or name,
                column=spec["column"],
                cutoff=float(spec["cutoff"]),
                high=high,
                unit=spec.get("unit", ""),
                high_first=spec.get("order", "low_first") == "high_first",
                reference=spec.get("reference", ""),
            )
        raw_levels = spec.get("levels") or []
        levels: dict[str, list[str]] = {}
        for level in raw_levels:
            values = level.get("values") or [level["label"]]
            levels[str(level["label"])] = [str(v) for v in values]
        if len(levels) < 2:
            raise InputError(f"{key}: a categorical factor needs at least two `levels`.")
        return cls(
            name=name,
            kind=kind,
            label=spec.get("label") or name,
            column=spec["column"],
            levels=levels,
            reference=spec.get("reference", ""),
        )

    def level_labels(self) -> list[str]:
        """Level labels in Table 1 order."""
        if self.kind == "categorical":
            return list(self.levels)
        low, high = self._split_labels()
        return [high, low] if self.high_first else [low, high]

    def reference_level(self) -> str:
        """Reference level of Cox contrasts: configured, else the low side / the first level."""
        if self.reference:
            if self.reference not in self.level_labels():
                raise InputError(
                    f"config key survival.factors ({self.name}).reference: '{self.reference}' "
                    f"is not one of its levels {self.level_labels()}."
                )
            return self.reference
        if self.kind == "categorical":
            return self.level_labels()[0]
        return self._split_labels()[0]

    def _split_labels(self) -> tuple[str, str]:
        """(low, high) labels of a numeric or fold-change factor."""
        cut = f"{self.cutoff:g}"
        if self.kind == "fold_change":
            if len(self.targets) == 1:
                return f"<={cut}", f">{cut}"
            every = "both" if len(self.targets) == 2 else "all"
            return f"{every} <={cut}", f"any >{cut}"
        unit = f" {self.unit}" if self.unit else ""
        low = "<" if self.high == ">=" else "<="
        return f"{low}{cut}{unit}", f"{self.high}{cut}{unit}"


def endpoints_from_config(section: Mapping) -> list[Endpoint]:
    """The endpoints of ``survival.endpoints``."""
    return [
        Endpoint(
            name=str(e["name"]),
            time=str(e["time"]),
            event=str(e["event"]),
            label=str(e.get("label", e["name"])),
        )
        for e in section["endpoints"]
    ]


def factors_from_config(section: Mapping) -> list[Factor]:
    """The factors of ``survival.factors``, in Table 1 order (names must be unique)."""
    factors = [
        Factor.from_config(f, float(section["fold_change_cutoff"])) for f in section["factors"]
    ]
    names = [f.name for f in factors]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise InputError(f"config key survival.factors: name(s) {duplicated} used twice.")
    return factors


def km_plot_path(folder: str | Path, endpoint: str, factor: str) -> str:
    """Path of the Kaplan-Meier figure of one endpoint and factor."""
    return f"{folder}/km/{endpoint}_{factor}.png"


def plot_files(section: Mapping, folder: str = "results/survival") -> list[str]:
    """Every figure the survival rule writes: KM per endpoint x factor, forest.png, roc.png."""
    km = [
        km_plot_path(folder, endpoint["name"], factor["name"])
        for endpoint in section["endpoints"]
        for factor in section["factors"]
    ]
    return [*km, f"{folder}/forest.png", f"{folder}/roc.png"]


# --------------------------------------------------------------------------- reading and checks


def _patients(frame: pd.DataFrame, mask: pd.Series) -> list[str]:
    return frame.loc[mask, "patient"].astype(str).tolist()


def _refuse_rows(path: str | Path, bad: pd.Series, column: str, message: str) -> None:
    """Raise an InputError at the first bad row (file line = row + 2: header, 1-based)."""
    if bad.any():
        raise InputError(located(path, message, line=int(bad.idxmax()) + 2, column=column))


def read_clinical(
    path: str | Path, endpoints: Sequence[Endpoint], factors: Sequence[Factor]
) -> pd.DataFrame:
    """Read and check the clinical table (``NA`` stays a level: keep_default_na=False).

    Raises :class:`InputError` listing the patients for: missing or negative times, events other
    than 0/1, non-numeric values of a numeric factor, values of a categorical factor that no
    configured level holds and configured levels that no patient has.
    """
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    table = table.apply(lambda col: col.str.strip())
    needed = ["patient"]
    needed += [c for e in endpoints for c in (e.time, e.event)]
    needed += [f.column for f in factors if f.kind != "fold_change"]
    missing = [c for c in dict.fromkeys(needed) if c not in table.columns]
    if missing:
        raise InputError(
            located(
                path,
                f"missing column(s) {missing} named in config section survival "
                f"(endpoints/factors). Columns present: {list(table.columns)}.",
                line=1,
            )
        )
    duplicated = table["patient"].duplicated(keep=False)
    if duplicated.any() or (table["patient"] == "").any():
        raise InputError(
            located(
                path,
                "patient identifiers must be unique and non-empty; repeated or empty: "
                f"{sorted(set(_patients(table, duplicated | (table['patient'] == ''))))}.",
                column="patient",
            )
        )
    for endpoint in endpoints:
        time = pd.to_numeric(table[endpoint.time], errors="coerce")
        bad = time.isna() | (time < 0)
        _refuse_rows(
            path,
            bad,
            endpoint.time,
            f"follow-up time missing, not a number or negative for patients "
            f"{_patients(table, bad)} (values {table.loc[bad, endpoint.time].tolist()}). "
            "Give the time from the start of radiotherapy to the event or last contact.",
        )
        event = table[endpoint.event]
        bad = ~event.isin(["0", "1"])
        _refuse_rows(
            path,
            bad,
            endpoint.event,
            f"event must be 0 (censored) or 1 (event); patients {_patients(table, bad)} "
            f"have {event[bad].tolist()}.",
        )
        table[endpoint.time] = time
        table[endpoint.event] = event.astype(int)
    for factor in factors:
        if factor.kind == "numeric":
            values = pd.to_numeric(table[factor.column], errors="coerce")
            bad = values.isna()
            _refuse_rows(
                path,
                bad,
                factor.column,
                f"factor '{factor.name}' needs numbers; patients {_patients(table, bad)} "
                f"have {table.loc[bad, factor.column].tolist()}.",
            )
        elif factor.kind == "categorical":
            known = {v for values in factor.levels.values() for v in values}
            bad = ~table[factor.column].isin(known)
            _refuse_rows(
                path,
                bad,
                factor.column,
                f"value(s) {sorted(set(table.loc[bad, factor.column]))} of patients "
                f"{_patients(table, bad)} belong to no level of factor '{factor.name}' "
                f"(config survival.factors: {dict(factor.levels)}). Add them to a level "
                "or correct the table.",
            )
    return table.set_index("patient", drop=False)


def check_patients(clinical: Iterable[str], qpcr: Iterable[str], where: str = "") -> None:
    """Raise :class:`InputError` unless the clinical and qPCR patients are the same set."""
    clinical, qpcr = set(map(str, clinical)), set(map(str, qpcr))
    only_clinical, only_qpcr = sorted(clinical - qpcr), sorted(qpcr - clinical)
    if only_clinical or only_qpcr:
        raise InputError(
            f"{where}the clinical table and the qPCR Ct table do not hold the same patients: "
            f"only in the clinical table: {only_clinical}; only in the Ct table: {only_qpcr}. "
            "Every patient needs both (check the spelling of the identifiers)."
        )


def fold_change_matrix(fold_changes: pd.DataFrame) -> pd.DataFrame:
    """Patients x targets of fold changes from the long results/qpcr/fold_changes.tsv."""
    return fold_changes.pivot(index="patient", columns="target", values="fold_change")


# --------------------------------------------------------------------------- groups


def derive_groups(
    clinical: pd.DataFrame, fold_changes: pd.DataFrame, factors: Sequence[Factor]
) -> pd.DataFrame:
    """One ordered categorical column per factor, indexed by patient.

    ``fold_changes`` is patients x targets (:func:`fold_change_matrix`). A patient without a
    value (fold change not computable) is left out of that factor only (NaN).
    Raises :class:`InputError` when a configured level has no patient or a target is missing.
    """
    groups = pd.DataFrame(index=clinical.index)
    for factor in factors:
        low, high = ("", "") if factor.kind == "categorical" else factor._split_labels()
        if factor.kind == "numeric":
            values = pd.to_numeric(clinical[factor.column])
            is_high = values >= factor.cutoff if factor.high == ">=" else values > factor.cutoff
            labels = pd.Series(np.where(is_high, high, low), index=clinical.index)
        elif factor.kind == "categorical":
            mapping = {v: label for label, values in factor.levels.items() for v in values}
            labels = clinical[factor.column].map(mapping)
        else:
            absent = [t for t in factor.targets if t not in fold_changes.columns]
            if absent:
                raise InputError(
                    f"config key survival.factors ({factor.name}): no qPCR fold change for "
                    f"{absent}; the Ct table / qpcr.targets hold {list(fold_changes.columns)}."
                )
            fc = fold_changes.reindex(clinical.index)[list(factor.targets)]
            any_high = (fc > factor.cutoff).any(axis=1)
            labels = pd.Series(np.where(any_high, high, low), index=clinical.index)
            labels[fc.isna().any(axis=1) & ~any_high] = np.nan
        order = factor.level_labels()
        groups[factor.name] = pd.Categorical(labels, categories=order, ordered=True)
        empty = [level for level in order if not (groups[factor.name] == level).any()]
        if empty:
            raise InputError(
                f"config key survival.factors ({factor.name}): level(s) {empty} have no patient"
                f" ({len(clinical)} patients). Merge the level with another or remove it."
            )
    return groups


# --------------------------------------------------------------------------- Kaplan-Meier, log-rank


@dataclass(frozen=True)
class TestResult:
    """A log-rank test, or why it could not be done (p = NaN and ``note``)."""

    test: str
    n: int
    events: int
    chisq: float
    df: int
    p: float
    note: str = ""


def logrank(durations: Sequence[float], events: Sequence[int], groups: Sequence) -> TestResult:
    """Log-rank test of survival between groups (NaN groups left out).

    Two groups: lifelines ``logrank_test``; more: ``multivariate_logrank_test`` (k-1 df). No
    event at all, or fewer than two non-empty groups, gives p = NaN with the reason.
    """
    frame = pd.DataFrame({"t": durations, "e": events, "g": groups}).dropna(subset=["g"])
    frame["g"] = frame["g"].astype(str)
    present = sorted(frame["g"].unique())
    n, n_events = len(frame), int(frame["e"].sum())
    if len(present) < 2:
        return TestResult("logrank", n, n_events, math.nan, 0, math.nan, "fewer than two groups")
    if n_events == 0:
        return TestResult(
            "logrank", n, n_events, math.nan, len(present) - 1, math.nan, "no events in any group"
        )
    if len(present) == 2:
        a, b = (frame[frame["g"] == g] for g in present)
        res = logrank_test(a["t"], b["t"], event_observed_A=a["e"], event_observed_B=b["e"])
        name = "logrank"
    else:
        res = multivariate_logrank_test(frame["t"], frame["g"], frame["e"])
        name = "multivariate_logrank"
    return TestResult(
        name,
        n,
        n_events,
        float(res.test_statistic),
        int(res.degrees_of_freedom),
        float(res.p_value),
    )


def kaplan_meier(
    durations: Sequence[float], events: Sequence[int], groups: Sequence, order: Sequence[str] = ()
) -> dict[str, KaplanMeierFitter]:
    """One fitted Kaplan-Meier estimator per group (log-log, i.e. exponential Greenwood, CI)."""
    frame = pd.DataFrame({"t": durations, "e": events, "g": groups}).dropna(subset=["g"])
    frame["g"] = frame["g"].astype(str)
    levels = [str(x) for x in order] or sorted(frame["g"].unique())
    fitters = {}
    for level in levels:
        part = frame[frame["g"] == level]
        if len(part):
            fitters[level] = KaplanMeierFitter(label=level).fit(part["t"], part["e"])
    return fitters


def km_medians(fitters: Mapping[str, KaplanMeierFitter]) -> pd.DataFrame:
    """Median survival and its 95 % CI per group (NaN and a note when not reached)."""
    rows = []
    for level, kmf in fitters.items():
        ci = median_survival_times(kmf.confidence_interval_)
        median = float(kmf.median_survival_time_)
        low, high = float(ci.iloc[0, 0]), float(ci.iloc[0, 1])
        notes = []
        if not math.isfinite(median):
            notes.append("median not reached")
        if not math.isfinite(high):
            notes.append("upper CI not reached")
        rows.append(
            {
                "level": level,
                "n": int(kmf.event_observed.size),
                "events": int(kmf.event_observed.sum()),
                "median": median if math.isfinite(median) else math.nan,
                "ci_low": low if math.isfinite(low) else math.nan,
                "ci_high": high if math.isfinite(high) else math.nan,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def logrank_table(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Log-rank tests and KM medians for every endpoint x factor: (logrank, medians)."""
    tests, medians = [], []
    for endpoint in endpoints:
        t, e = clinical[endpoint.time], clinical[endpoint.event]
        for factor in factors:
            g = groups[factor.name]
            res = logrank(t, e, g)
            tests.append(
                {"endpoint": endpoint.name, "factor": factor.name, "label": factor.label}
                | {k: getattr(res, k) for k in LOGRANK_COLUMNS[3:]}
            )
            med = km_medians(kaplan_meier(t, e, g, factor.level_labels()))
            med.insert(0, "factor", factor.name)
            med.insert(0, "endpoint", endpoint.name)
            medians.append(med)
    return pd.DataFrame(tests, columns=list(LOGRANK_COLUMNS)), pd.concat(medians, ignore_index=True)


# --------------------------------------------------------------------------- Cox models


def fit_cox(
    data: pd.DataFrame, duration: str, event: str, covariates: Sequence[str]
) -> tuple[pd.DataFrame, CoxPHFitter]:
    """Cox proportional-hazards fit (Efron ties) with the Schoenfeld test per covariate.

    Returns a table indexed by covariate with coef, se, hr, ci_low, ci_high, p, ph_test_p (the
    rank-time proportional-hazards test, lifelines ``proportional_hazard_test``), and the fit.
    Convergence warnings (e.g. collinear covariates) are kept in ``table.attrs["warnings"]``.
    """
    frame = data[[duration, event, *covariates]].astype(float)
    cph = CoxPHFitter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cph.fit(frame, duration_col=duration, event_col=event)
        ph = proportional_hazard_test(cph, frame, time_transform="rank").summary
    s = cph.summary
    out = pd.DataFrame(
        {
            "coef": s["coef"],
            "se": s["se(coef)"],
            "hr": s["exp(coef)"],
            "ci_low": s["exp(coef) lower 95%"],
            "ci_high": s["exp(coef) upper 95%"],
            "p": s["p"],
            "ph_test_p": ph["p"].reindex(s.index),
        }
    )
    out.index = list(covariates)
    out.attrs["warnings"] = sorted(
        {str(w.message).split(".")[0] for w in caught if issubclass(w.category, ConvergenceWarning)}
    )
    return out, cph


def _dummies(group: pd.Series, reference: str) -> tuple[pd.DataFrame, list[str]]:
    """Treatment-coded indicator columns (x0, x1, ...) and their 'level vs reference' names."""
    levels = [str(c) for c in group.cat.categories if str(c) != reference]
    cols = {f"x{i}": (group.astype(str) == lv).astype(float) for i, lv in enumerate(levels)}
    return pd.DataFrame(cols, index=group.index), [f"{lv} vs {reference}" for lv in levels]


def _cox_rows(
    model: str,
    endpoint: Endpoint,
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    factors: Sequence[Factor],
) -> list[dict]:
    """Rows of cox.tsv for one model; a model that cannot be fitted gives NA with the reason."""
    parts, names, owners = [], [], []
    for factor in factors:
        dummies, contrasts = _dummies(groups[factor.name], factor.reference_level())
        dummies.columns = [f"{factor.name}__{c}" for c in dummies.columns]
        parts.append(dummies.where(groups[factor.name].notna()))
        names += contrasts
        owners += [factor] * len(contrasts)
    design = pd.concat(parts, axis=1)
    data = pd.concat(
        [
            clinical[[endpoint.time, endpoint.event]].rename(
                columns={endpoint.time: "T", endpoint.event: "E"}
            ),
            design,
        ],
        axis=1,
    ).dropna()
    base = {"model": model, "endpoint": endpoint.name}
    note, dropped = "", {}  # dropped: indicator column -> reason (event-free level)
    if int(data["E"].sum()) == 0:
        note = "no events"
    for column, contrast, factor in zip(design.columns, names, owners, strict=True):
        level = contrast.split(" vs ")[0]
        in_level = groups.loc[data.index, factor.name].astype(str) == level
        if not note and in_level.any() and data.loc[in_level, "E"].sum() == 0:
            dropped[column] = f"no events in group '{level}' of {factor.label}: HR not estimable"
            data = data[~in_level]
    for factor in factors if not note else []:
        reference = factor.reference_level()
        in_ref = groups.loc[data.index, factor.name].astype(str) == reference
        if in_ref.any() and data.loc[in_ref, "E"].sum() == 0:
            note = f"no events in reference group '{reference}' of {factor.label}: HR not estimable"
    kept = [c for c in design.columns if c not in dropped]
    fit = None
    if not note and kept:
        try:
            fit, _ = fit_cox(data, "T", "E", kept)
            note = "; ".join(fit.attrs["warnings"])
        except (ConvergenceError, np.linalg.LinAlgError, ValueError) as error:
            note = f"Cox model did not converge: {str(error).splitlines()[0][:120]}"
    if dropped and fit is not None:
        left_out = ", ".join(
            reason.split(":")[0].removeprefix("no events in ") for reason in dropped.values()
        )
        note = "; ".join(filter(None, [note, f"fitted without the event-free {left_out}"]))
    n, n_events = len(data), int(data["E"].sum())
    rows = []
    for i, (column, contrast, factor) in enumerate(zip(design.columns, names, owners, strict=True)):
        row = base | {"factor": factor.label, "contrast": contrast, "n": n, "events": n_events}
        if fit is None or column in dropped:
            row |= dict.fromkeys(("hr", "ci_low", "ci_high", "p", "ph_test_p"), math.nan)
            row["note"] = dropped.get(column, note)
        else:
            r = fit.loc[column]
            row |= {k: float(r[k]) for k in ("hr", "ci_low", "ci_high", "p", "ph_test_p")}
            row["note"] = note
        row["_factor"] = factor.name
        row["_order"] = i
        rows.append(row)
    return rows


def cox_univariate(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
) -> pd.DataFrame:
    """One Cox model per endpoint x factor (HR of each level against the reference level)."""
    rows = [
        row
        for endpoint in endpoints
        for factor in factors
        for row in _cox_rows("univariate", endpoint, clinical, groups, [factor])
    ]
    return pd.DataFrame(rows)


def select_multivariate(
    univariate: pd.DataFrame,
    endpoint: str,
    factors: Sequence[Factor],
    configured: Sequence[str] | str,
    p_threshold: float,
) -> list[Factor]:
    """Factors of the multivariate model: the configured names, or with ``auto`` those whose
    smallest univariate Cox p for this endpoint is below ``p_threshold``."""
    by_name = {f.name: f for f in factors}
    if isinstance(configured, str):
        if configured != "auto":
            raise InputError(
                f"config key survival.cox.multivariate: '{configured}' is neither 'auto' nor a "
                "list of factor names."
            )
        uni = univariate[univariate["endpoint"] == endpoint]
        best = uni.groupby("_factor")["p"].min()
        return [f for f in factors if best.get(f.name, math.nan) < p_threshold]
    unknown = [name for name in configured if name not in by_name]
    if unknown:
        raise InputError(
            f"config key survival.cox.multivariate: {unknown} are not factor names "
            f"(survival.factors: {list(by_name)})."
        )
    return [by_name[name] for name in configured]


def cox_table(
    clinical: pd.DataFrame,
    groups: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    factors: Sequence[Factor],
    multivariate: Sequence[str] | str = "auto",
    p_threshold: float = 0.05,
) -> pd.DataFrame:
    """cox.tsv: univariate models for every factor, then one multivariate model per endpoint."""
    uni = cox_univariate(clinical, groups, endpoints, factors)
    frames = [uni]
    for endpoint in endpoints:
        chosen = select_multivariate(uni, endpoint.name, factors, multivariate, p_threshold)
        if chosen:
            frames.append(
                pd.DataFrame(_cox_rows("multivariate", endpoint, clinical, groups, chosen))
            )
    table = pd.concat(frames, ignore_index=True)
    return table[list(COX_COLUMNS)]


# --------------------------------------------------------------------------- Table 1


def format_p(p: float) -> str:
    """A p-value as printed in Table 1: 3 decimals, '<0.001', or 'NA'."""
    if p is None or not math.isfinite(p):
        return "NA"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def table1(
    groups: pd.DataFrame,
    logrank_results: pd.DataFrame,
    factors: Sequence[Factor],
    endpoints: Sequence[Endpoint],
) -> pd.DataFrame:
    """One row per factor level: factor, level, n, percent (1 decimal), <endpoint>_p, note."""
    rows = []
    tests = logrank_results.set_index(["endpoint", "factor"])
    for factor in factors:
        column = groups[factor.name]
        total = int(column.notna().sum())
        notes = []
        if total < len(column):
            notes.append(f"{len(column) - total} patient(s) without a value left out")
        for endpoint in endpoints:
            note = tests.at[(endpoint.name, factor.name), "note"]
            if note:
                notes.append(f"{endpoint.name}: {note}")
        for level in factor.level_labels():
            n = int((column == level).sum())
            row = {
                "factor": factor.label,
                "level": level,
                "n": n,
                "percent": round(100.0 * n / total, 1) if total else math.nan,
            }
            for endpoint in endpoints:
                row[f"{endpoint.name}_p"] = tests.at[(endpoint.name, factor.name), "p"]
            row["note"] = "; ".join(notes)
            rows.append(row)
    return pd.DataFrame(rows)


def table1_markdown(table: pd.DataFrame, endpoints: Sequence[Endpoint], demo: bool) -> str:
    """Table 1 in the study's layout (levels joined by ' / '), with a note on the p-values."""
    header = ["factor", "level", "N", "%"] + [f"{e.name.upper()} p" for e in endpoints]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for factor, block in table.groupby("factor", sort=False):
        cells = [
            str(factor),
            " / ".join(block["level"]),
            " / ".join(str(n) for n in block["n"]),
            " / ".join(f"{p:.1f}" for p in block["percent"]),
        ] + [format_p(float(block[f"{e.name}_p"].iloc[0])) for e in endpoints]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(
        "P-values are univariate log-rank tests computed from the data given to this workflow"
        " (" + ", ".join(e.label for e in endpoints) + ")."
    )
    if demo:
        lines.append(
            "The cohort is SIMULATED (built-in demo): these p-values describe simulated patients,"
            " not the study's."
        )
    notes = table.drop_duplicates("factor")
    for factor, note in zip(notes["factor"], notes["note"], strict=True):
        if note:
            lines.append(f"- {factor}: {note}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- diagnostic model


def binary_outcome(
    clinical: pd.DataFrame, endpoint: Endpoint, within: float
) -> tuple[pd.Series, list[str]]:
    """1 = event by ``within`` time units, 0 = followed beyond it without (or after) the event.

    Patients censored before ``within`` have an unknown outcome: returned separately, left out.
    """
    t, e = clinical[endpoint.time].astype(float), clinical[endpoint.event].astype(int)
    outcome = pd.Series(np.where((e == 1) & (t <= within), 1, 0), index=clinical.index)
    unknown = (e == 0) & (t <= within)
    return outcome[~unknown], clinical.index[unknown].astype(str).tolist()


def logistic_fit(
    X: np.ndarray, y: np.ndarray, ridge: float = 1e-6, iterations: int = 100
) -> np.ndarray:
    """Coefficients (intercept first) of a logistic regression by Newton/IRLS.

    A tiny ridge keeps the fit finite under complete separation.
    """
    design = np.column_stack([np.ones(len(X)), X])
    beta = np.zeros(design.shape[1])
    penalty = ridge * np.eye(design.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(iterations):
        prob = 1.0 / (1.0 + np.exp(-(design @ beta)))
        w = prob * (1.0 - prob)
        hessian = design.T @ (design * w[:, None]) + penalty
        gradient = design.T @ (y - prob) - penalty @ beta
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return beta


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney; ties count one half)."""
    pos, neg = score[y == 1], score[y == 0]
    if not len(pos) or not len(neg):
        return math.nan
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def roc_curve(y: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """ROC points (threshold, fpr, tpr) from the highest threshold down, starting at (0, 0)."""
    thresholds = np.unique(score)[::-1]
    n_pos, n_neg = max(int((y == 1).sum()), 1), max(int((y == 0).sum()), 1)
    rows = [{"threshold": math.inf, "fpr": 0.0, "tpr": 0.0}]
    for thr in thresholds:
        called = score >= thr
        rows.append(
            {
                "threshold": float(thr),
                "fpr": float((called & (y == 0)).sum() / n_neg),
                "tpr": float((called & (y == 1)).sum() / n_pos),
            }
        )
    return pd.DataFrame(rows)


def diagnostic_model(
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    endpoint: Endpoint,
    within: float,
    predictors: Sequence[str],
    n_bootstrap: int = 1000,
    seed: int = 1,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Logistic model of "event within ``within``" on log2 fold changes; (roc, auc summary).

    The AUC is that of the fitted probabilities (apparent AUC, as commonly reported), with a
    percentile 95 % CI from ``n_bootstrap`` resamples of the patients (fixed ``seed``).
    """
    outcome, unknown = binary_outcome(clinical, endpoint, within)
    absent = [p for p in predictors if p not in fold_changes.columns]
    if absent:
        raise InputError(
            f"config key survival.diagnostic.predictors: no qPCR fold change for {absent}."
        )
    fc = fold_changes.reindex(outcome.index)[list(predictors)]
    keep = fc.notna().all(axis=1) & (fc > 0).all(axis=1)
    X = np.log2(fc[keep].to_numpy(dtype=float))
    y = outcome[keep].to_numpy(dtype=float)
    summary = {
        "endpoint": endpoint.name,
        "outcome": f"{endpoint.event}=1 with {endpoint.time} <= {within:g}",
        "n": len(y),
        "n_outcome": int(y.sum()),
        "n_left_out": len(unknown) + int((~keep).sum()),
        "left_out": ",".join(unknown + outcome.index[~keep].astype(str).tolist()),
    }
    if len(np.unique(y)) < 2:
        summary |= {"auc": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        summary["note"] = "outcome has a single class: no model"
        return pd.DataFrame(columns=["threshold", "fpr", "tpr"]), pd.DataFrame([summary])
    beta = logistic_fit(X, y)
    score = np.column_stack([np.ones(len(X)), X]) @ beta
    auc = roc_auc(y, score)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(n_bootstrap):
        idx = rng.integers(0, len(y), len(y))
        value = roc_auc(y[idx], score[idx])
        if math.isfinite(value):
            boots.append(value)
    low, high = np.percentile(boots, [2.5, 97.5]) if boots else (math.nan, math.nan)
    summary |= {
        "auc": auc,
        "ci_low": float(low),
        "ci_high": float(high),
        "bootstrap": n_bootstrap,
        "seed": seed,
        "intercept": float(beta[0]),
    }
    summary |= {f"coef_log2fc_{p}": float(b) for p, b in zip(predictors, beta[1:], strict=True)}
    summary["note"] = "apparent AUC of the fitted model (no validation set)"
    return roc_curve(y, score), pd.DataFrame([summary])
