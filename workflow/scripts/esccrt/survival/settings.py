"""The ``survival`` config section: endpoints, factors (Table 1 rows) and the model settings.

:class:`Factor` holds one configured grouping; :class:`SurvivalSettings` is the whole section,
built once from the validated config (defaults only in survival.schema.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from esccrt.errors import InputError

FACTOR_TYPES = ("numeric", "categorical", "fold_change")


@dataclass(frozen=True)
class Endpoint:
    """One time-to-event endpoint: its name (``os``), label and clinical columns.

    ``competing`` names the endpoint's competing event (``survival.endpoints[].competing``):
    empty, the event column holds 0/1; set, it holds 0/1/2 with 2 = that competing event.
    """

    name: str
    time: str
    event: str
    label: str
    competing: str = ""

    @property
    def status(self) -> str:
        """Column of the clinical frame holding the 0/1/2 status of an endpoint with a
        competing event (the event column itself holds 0/1, the competing event censored)."""
        return f"{self.event} (0/1/2)"


@dataclass(frozen=True)
class Factor:
    """One configured grouping of the patients (a row block of Table 1).

    ``kind`` is ``numeric`` (``column`` split at ``cutoff``; ``high`` is ``>=`` or ``>``),
    ``categorical`` (``levels``: ordered label -> raw values) or ``fold_change`` (``targets``:
    one miRNA, or several for "all <= / any > cut-off").

    The configured choices (``high``, ``unit``, ``high_first``, ``reference``) have no default
    here: :meth:`from_config` takes them from the validated entry, whose schema fills them in.
    The fields with a default are those a kind does not have (a categorical factor has no
    ``cutoff``, a fold-change factor no ``column``): empty, never a study choice.
    """

    name: str
    kind: str
    label: str
    high: str
    unit: str
    high_first: bool
    reference: str
    column: str = ""
    cutoff: float = math.nan
    levels: Mapping[str, Sequence[str]] = field(default_factory=dict)
    targets: Sequence[str] = ()
    #: Where ``cutoff`` came from: ``config`` (the factor's own ``cutoff``), ``default`` (the
    #: section's ``survival.fold_change_cutoff``), empty for a categorical factor.
    cutoff_source: str = ""

    @classmethod
    def from_config(cls, spec: Mapping, fold_change_cutoff: float) -> Factor:
        """Build from one validated entry of ``survival.factors`` (see survival.schema.yaml)."""
        name = str(spec.get("name", ""))
        key = f"config key survival.factors ({name or 'unnamed'})"
        kind = spec.get("type", "")
        if kind not in FACTOR_TYPES:
            raise InputError(f"{key}: type '{kind}' is unknown; use one of {list(FACTOR_TYPES)}.")
        if kind == "fold_change":
            return cls._fold_change(spec, name, key, fold_change_cutoff)
        if not spec.get("column"):
            raise InputError(f"{key}: give the clinical `column` the factor is read from.")
        if kind == "numeric":
            return cls._numeric(spec, name, key)
        return cls._categorical(spec, name, key)

    @classmethod
    def _fold_change(cls, spec: Mapping, name: str, key: str, fold_change_cutoff: float) -> Factor:
        """A ``fold_change`` factor; its own ``cutoff`` overrides the section's cut-off."""
        targets = list(spec.get("targets", []))
        if not targets:
            raise InputError(f"{key}: a fold_change factor needs `targets` (miRNA names).")
        default = f"Fold change {targets[0]}" if len(targets) == 1 else " and ".join(targets)
        return cls(
            name=name,
            kind="fold_change",
            label=spec.get("label") or default,
            targets=tuple(targets),
            cutoff=float(spec.get("cutoff", fold_change_cutoff)),
            cutoff_source="config" if "cutoff" in spec else "default",
            **_configured_fields(spec),
        )

    @classmethod
    def _numeric(cls, spec: Mapping, name: str, key: str) -> Factor:
        """A ``numeric`` factor: ``column`` split at ``cutoff``."""
        if spec.get("cutoff") is None:
            raise InputError(f"{key}: a numeric factor needs a `cutoff`.")
        high = spec["high"]
        if high not in (">=", ">"):
            raise InputError(f"{key}: `high` must be '>=' or '>', not '{high}'.")
        return cls(
            kind="numeric",
            cutoff=float(spec["cutoff"]),
            cutoff_source="config",
            **_clinical_fields(spec, name),
        )

    @classmethod
    def _categorical(cls, spec: Mapping, name: str, key: str) -> Factor:
        """A ``categorical`` factor: ordered levels, each holding raw values of ``column``."""
        raw_levels = spec.get("levels") or []
        levels: dict[str, list[str]] = {}
        for level in raw_levels:
            values = level.get("values") or [level["label"]]
            levels[str(level["label"])] = [str(v) for v in values]
        if len(levels) < 2:
            raise InputError(f"{key}: a categorical factor needs at least two `levels`.")
        return cls(kind="categorical", levels=levels, **_clinical_fields(spec, name))

    def level_labels(self) -> list[str]:
        """Level labels in Table 1 order."""
        if self.kind == "categorical":
            return list(self.levels)
        low, high = self.low_high_labels()
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
        return self.low_high_labels()[0]

    def low_high_labels(self) -> tuple[str, str]:
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


def _configured_fields(spec: Mapping) -> dict[str, str | bool]:
    """The choices every validated factor entry holds (the schema's defaults filled in)."""
    return {
        "high": spec["high"],
        "unit": spec["unit"],
        "high_first": spec["order"] == "high_first",
        "reference": spec["reference"],
    }


def _clinical_fields(spec: Mapping, name: str) -> dict[str, str | bool]:
    """The fields a numeric and a categorical factor share: name, label, column and the
    configured choices."""
    return {
        "name": name,
        "label": spec.get("label") or name,
        "column": spec["column"],
        **_configured_fields(spec),
    }


def endpoints_from_config(section: Mapping) -> list[Endpoint]:
    """The endpoints of ``survival.endpoints``."""
    return [
        Endpoint(
            name=str(e["name"]),
            time=str(e["time"]),
            event=str(e["event"]),
            label=str(e.get("label", e["name"])),
            competing=str(e["competing"]),
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


@dataclass(frozen=True)
class DiagnosticSettings:
    """The ``survival.diagnostic`` section: outcome "event of ``endpoint`` within ``within``"."""

    endpoint: Endpoint
    within: float
    predictors: Sequence[str]
    bootstrap: int
    seed: int
    cv_folds: int
    cv_repeats: int


@dataclass(frozen=True)
class ContinuousSettings:
    """The ``survival.continuous`` section: markers analysed as continuous log2 fold changes."""

    #: qPCR targets; empty = every target with fold changes.
    markers: Sequence[str]
    #: Knots of the restricted cubic spline (rms::rcs placement).
    knots: int


@dataclass(frozen=True)
class SampleSizeSettings:
    """The ``survival.sample_size`` section: Riley et al.'s minimum sample size criteria."""

    endpoint: Endpoint
    timepoint: float
    #: Candidate predictor parameters; None = one per continuous marker.
    parameters: int | None
    #: Anticipated Cox-Snell R²; None = from the markers' joint Cox model.
    r2_cs: float | None
    shrinkage: float
    r2_difference: float
    margin: float

    @classmethod
    def from_config(
        cls, section: Mapping, endpoints: Sequence[Endpoint], diagnostic: DiagnosticSettings
    ) -> SampleSizeSettings:
        """Build from the validated ``survival.sample_size`` (empty endpoint / no time point:
        the diagnostic model's endpoint and window, as the schema describes)."""
        by_name = {e.name: e for e in endpoints}
        name = section["endpoint"] or diagnostic.endpoint.name
        if name not in by_name:
            raise InputError(
                f"config key survival.sample_size.endpoint: '{name}' is not an endpoint "
                f"({list(by_name)})."
            )
        timepoint = section["timepoint"]
        parameters, r2_cs = section["parameters"], section["r2_cs"]
        return cls(
            endpoint=by_name[name],
            timepoint=float(diagnostic.within if timepoint is None else timepoint),
            parameters=None if parameters is None else int(parameters),
            r2_cs=None if r2_cs is None else float(r2_cs),
            shrinkage=float(section["shrinkage"]),
            r2_difference=float(section["r2_difference"]),
            margin=float(section["margin"]),
        )


@dataclass(frozen=True)
class CalibrationSettings:
    """The marker Cox model's calibration at the landmarks (``survival.calibration``), with
    the bootstrap seed of ``survival.diagnostic.seed``."""

    landmarks: Sequence[float]
    #: Bootstrap resamples of the optimism correction (the marker Cox model refitted on each).
    bootstrap: int
    seed: int


@dataclass(frozen=True)
class MissingDataSettings:
    """How missing values are handled (``survival.missing_data``): complete-case analyses
    always; with ``method`` ``mice`` also the markers' Cox models after multiple imputation."""

    #: ``complete_case`` or ``mice``.
    method: str
    #: Imputed data sets (m), cycles of the chained equations per data set, and their seed.
    imputations: int
    iterations: int
    seed: int
    #: Donors of predictive mean matching.
    donors: int

    @property
    def mice(self) -> bool:
        """Whether the markers' Cox models are also fitted after multiple imputation."""
        return self.method == "mice"


@dataclass(frozen=True)
class SurvivalSettings:
    """The validated ``survival`` config section as typed values (defaults from the schema)."""

    endpoints: Sequence[Endpoint]
    factors: Sequence[Factor]
    time_unit: str
    multivariate: Sequence[str] | str
    p_threshold: float
    diagnostic: DiagnosticSettings
    cutpoint_min_prop: float
    cutpoint_max_prop: float
    continuous: ContinuousSettings
    sample_size: SampleSizeSettings
    #: Landmark times of the time-dependent accuracy and the decision curves.
    landmarks: Sequence[float]
    #: Threshold probabilities of the decision curves: 0, step, ... up to max.
    decision_threshold_max: float
    decision_threshold_step: float
    #: A locked model to validate (survival.validate_model), or None: develop and lock one.
    validate_model: Path | None
    calibration: CalibrationSettings
    missing_data: MissingDataSettings
    #: The Fine-Gray models' estimator: finegray (survival::finegray + coxph) or crr.
    competing_estimator: str

    @classmethod
    def from_config(cls, section: Mapping) -> SurvivalSettings:
        """Build from the validated ``config["survival"]`` (Snakemake filled in the defaults)."""
        endpoints = endpoints_from_config(section)
        diag = section["diagnostic"]
        diagnostic = DiagnosticSettings(
            endpoint={e.name: e for e in endpoints}[diag["endpoint"]],
            within=float(diag["within"]),
            predictors=diag["predictors"],
            bootstrap=int(diag["bootstrap"]),
            seed=int(diag["seed"]),
            cv_folds=int(diag["cv_folds"]),
            cv_repeats=int(diag["cv_repeats"]),
        )
        return cls(
            endpoints=endpoints,
            factors=factors_from_config(section),
            time_unit=section["time_unit"],
            multivariate=section["cox"]["multivariate"],
            p_threshold=float(section["cox"]["p_threshold"]),
            diagnostic=diagnostic,
            cutpoint_min_prop=float(section["cutpoints"]["min_prop"]),
            cutpoint_max_prop=float(section["cutpoints"]["max_prop"]),
            continuous=ContinuousSettings(
                markers=list(section["continuous"]["markers"]),
                knots=int(section["continuous"]["knots"]),
            ),
            sample_size=SampleSizeSettings.from_config(
                section["sample_size"], endpoints, diagnostic
            ),
            landmarks=[float(t) for t in section["landmarks"]],
            decision_threshold_max=float(section["decision_curve"]["threshold_max"]),
            decision_threshold_step=float(section["decision_curve"]["threshold_step"]),
            validate_model=Path(section["validate_model"]) if section["validate_model"] else None,
            calibration=CalibrationSettings(
                landmarks=[float(t) for t in section["landmarks"]],
                bootstrap=int(section["calibration"]["bootstrap"]),
                seed=diagnostic.seed,
            ),
            missing_data=MissingDataSettings(
                method=section["missing_data"]["method"],
                imputations=int(section["missing_data"]["imputations"]),
                iterations=int(section["missing_data"]["iterations"]),
                seed=int(section["missing_data"]["seed"]),
                donors=int(section["missing_data"]["donors"]),
            ),
            competing_estimator=str(section["competing_risks"]["estimator"]),
        )
