"""The locked prognostic model: a fitted Cox model written to a file so that another cohort can
be judged by it unchanged (issue 27, item 6; TRIPOD's "full model equation").

A model is a list of :class:`Term` (how each covariate is computed from a cohort's table: the
column, log2 or not, an indicator of one level, a winsorising upper bound, a restricted cubic
spline basis column with fixed knots), the Cox coefficients, and the baseline survival
S0(t) = exp(-H0(t)) at every landmark, Breslow at covariates 0 (R's ``basehaz(fit, centered =
FALSE)``), so that each patient's predicted risk is 1 - S0(t)^exp(x'b), the prediction of
:func:`esccrt.survival.prognostic.cox_risks`.

The file (JSON) holds one model per endpoint, the package versions and the config values of the
development run, and the SHA-256 of its canonical content (keys sorted, no spaces, floats as
Python writes them, which read back bit for bit); reading verifies it, so a model edited by
hand or damaged in transit is refused instead of silently judged.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

from esccrt.errors import InputError
from esccrt.io import atomic_write
from esccrt.survival.cox import fit_cox
from esccrt.survival.prognostic import risk_at
from esccrt.survival.splines import rcs_basis

#: What the file says it is; a reader refuses any other format.
FORMAT = "esccrt locked Cox model, version 1"
#: Packages whose versions the file records (the fit and the arithmetic behind it).
RECORDED_PACKAGES = ("lifelines", "numpy", "pandas", "scipy")


@dataclass(frozen=True)
class Term:
    """One covariate of the model and how its value is computed from a cohort's table.

    In order: the ``column`` (``level`` set: 1 where it equals that level, else 0), ``log2``
    (non-positive values are missing), values above ``upper`` set to ``upper`` (winsorising),
    and with ``knots`` column ``basis`` of the restricted cubic spline of rms::rcs (0: the value
    itself, 1...: the non-linear columns, Hmisc::rcspline.eval's normalisation).
    """

    name: str
    column: str
    transform: str = "identity"
    level: str | None = None
    upper: float | None = None
    knots: tuple[float, ...] = ()
    basis: int = 0

    def values(self, table: pd.DataFrame) -> np.ndarray:
        """The covariate for every row of ``table`` (NaN where it cannot be computed)."""
        raw = table[self.column]
        if self.level is not None:
            return np.where(raw.isna(), np.nan, (raw.astype(str) == self.level).astype(float))
        x = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        if self.transform == "log2":
            x = np.log2(np.where(x > 0, x, np.nan))
        elif self.transform != "identity":
            raise InputError(f"model term {self.name}: unknown transform '{self.transform}'.")
        if self.upper is not None:
            x = np.where(np.isnan(x), np.nan, np.minimum(x, self.upper))
        if self.knots:
            x = rcs_basis(x, self.knots)[:, self.basis]
        return x


def winsorised(term: Term, development: pd.DataFrame, quantile: float) -> Term:
    """``term`` capped at the ``quantile`` of its development values (R's ``quantile(type =
    1)``, the inverse of the empirical distribution), the bound frozen into the model."""
    values = term.values(development)
    bound = np.quantile(values[~np.isnan(values)], quantile, method="inverted_cdf")
    return replace(term, upper=float(bound))


def design(terms: Sequence[Term], table: pd.DataFrame) -> pd.DataFrame:
    """The covariates (one column per term, named by it) of every row of ``table``."""
    return pd.DataFrame({t.name: t.values(table) for t in terms}, index=table.index)


@dataclass(frozen=True)
class LockedModel:
    """The Cox model of one endpoint as it was fitted: terms, coefficients (one per term) and
    the baseline survival S0 at each landmark (covariates 0)."""

    endpoint: str
    terms: tuple[Term, ...]
    coefficients: tuple[float, ...]
    landmarks: tuple[float, ...]
    baseline_survival: tuple[float, ...]
    n: int
    events: int

    def linear_predictor(self, table: pd.DataFrame) -> np.ndarray:
        """x'b of every row (NaN where a covariate is missing)."""
        return design(self.terms, table).to_numpy() @ np.asarray(self.coefficients)

    def risks(self, linear_predictor: np.ndarray) -> np.ndarray:
        """Predicted risks 1 - S0(t)^exp(x'b), patients x landmarks."""
        hazard_ratio = np.exp(np.asarray(linear_predictor, dtype=float))[:, None]
        return 1 - np.asarray(self.baseline_survival)[None, :] ** hazard_ratio


def develop(
    endpoint: str,
    data: pd.DataFrame,
    duration: str,
    event: str,
    terms: Sequence[Term],
    landmarks: Sequence[float],
) -> LockedModel:
    """Fit the Cox model of ``terms`` on the complete cases of ``data`` (the fit of the stage's
    models, :func:`esccrt.survival.cox.fit_cox`) and lock it."""
    covariates = design(terms, data)
    frame = pd.concat([data[[duration, event]].astype(float), covariates], axis=1).dropna()
    names = [t.name for t in terms]
    _, fit = fit_cox(frame, duration, event, names)
    zero = pd.DataFrame(np.zeros((1, len(names))), columns=names)
    baseline = fit.predict_survival_function(zero)
    return LockedModel(
        endpoint=endpoint,
        terms=tuple(terms),
        coefficients=tuple(float(fit.params_[name]) for name in names),
        landmarks=tuple(float(t) for t in landmarks),
        baseline_survival=tuple(float(1 - risk_at(baseline, float(t))[0]) for t in landmarks),
        n=len(frame),
        events=int(frame[event].sum()),
    )


@dataclass(frozen=True)
class ModelFile:
    """The content of the locked-model file: the models and where they came from."""

    models: tuple[LockedModel, ...]
    #: Config values of the development run (key -> value), for the record.
    config: Mapping[str, object] = field(default_factory=dict)
    #: Cut-points applied in the development run (results/survival/cutoffs.tsv rows).
    cutpoints: Sequence[Mapping[str, object]] = ()
    versions: Mapping[str, str] = field(default_factory=dict)

    def model(self, endpoint: str, path: Path) -> LockedModel:
        """The model of ``endpoint``; an InputError naming ``path`` when it has none."""
        for model in self.models:
            if model.endpoint == endpoint:
                return model
        have = [m.endpoint for m in self.models]
        raise InputError(f"{path}: no locked model for endpoint '{endpoint}' (it has {have}).")


def package_versions() -> dict[str, str]:
    """Python's and the recorded packages' versions."""
    return {"python": platform.python_version()} | {
        name: metadata.version(name) for name in RECORDED_PACKAGES
    }


def _jsonable(value: object) -> object:
    """NaN (no value) as JSON null, so that the canonical text is strict JSON."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def canonical(content: Mapping[str, object]) -> str:
    """The text the checksum is taken of: keys sorted, no whitespace, strict JSON."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)


def checksum(content: Mapping[str, object]) -> str:
    """SHA-256 (hex) of the canonical text of ``content``."""
    return hashlib.sha256(canonical(content).encode()).hexdigest()


def to_document(model_file: ModelFile) -> dict[str, object]:
    """The file's JSON document, its checksum included."""
    content = _jsonable(
        {
            "format": FORMAT,
            "models": [asdict(m) for m in model_file.models],
            "config": dict(model_file.config),
            "cutpoints": [dict(c) for c in model_file.cutpoints],
            "versions": dict(model_file.versions),
        }
    )
    return content | {"sha256": checksum(content)}


def model_json(model_file: ModelFile) -> str:
    """The locked-model file's text (indented for the reader; the checksum is of the content)."""
    return json.dumps(to_document(model_file), indent=2, sort_keys=True) + "\n"


def write_model_file(model_file: ModelFile, path: Path) -> None:
    """Write the locked-model file."""
    with atomic_write(path) as handle:
        handle.write(model_json(model_file))


def _model_from(entry: Mapping) -> LockedModel:
    """A :class:`LockedModel` from its JSON object."""
    terms = tuple(Term(**(t | {"knots": tuple(t["knots"])})) for t in entry["terms"])
    return LockedModel(
        endpoint=entry["endpoint"],
        terms=terms,
        coefficients=tuple(entry["coefficients"]),
        landmarks=tuple(entry["landmarks"]),
        baseline_survival=tuple(entry["baseline_survival"]),
        n=int(entry["n"]),
        events=int(entry["events"]),
    )


def read_model_file(path: Path) -> ModelFile:
    """Read and verify a locked-model file: an InputError naming ``path`` when it is not one,
    or when its content does not match its SHA-256 (changed since it was written)."""
    try:
        document = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not a readable locked-model file ({error}).") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{path}: not a locked-model file (format is not '{FORMAT}').")
    content = {k: v for k, v in document.items() if k != "sha256"}
    if checksum(content) != document.get("sha256"):
        raise InputError(
            f"{path}: the SHA-256 of its content does not match the recorded 'sha256': the "
            "model was changed after it was written; use the file the development run wrote."
        )
    try:
        models = tuple(_model_from(entry) for entry in content["models"])
    except (KeyError, TypeError) as error:
        raise InputError(f"{path}: a model entry lacks {error}.") from error
    return ModelFile(models, content["config"], content["cutpoints"], content["versions"])


def check_columns(model: LockedModel, table: pd.DataFrame, path: Path, where: str) -> None:
    """An InputError naming the model file when ``table`` lacks a column the model needs."""
    absent = sorted({t.column for t in model.terms} - set(table.columns))
    if absent:
        raise InputError(
            f"{path}: the locked model of '{model.endpoint}' needs the covariate(s) {absent}, "
            f"which {where} does not have."
        )


def marker_terms(predictors: Sequence[str]) -> list[Term]:
    """The stage's prognostic model: the log2 fold change of each marker, linear."""
    return [Term(f"log2 FC {marker}", marker, transform="log2") for marker in predictors]


def marker_cohort(clinical: pd.DataFrame, fold_changes: pd.DataFrame) -> pd.DataFrame:
    """One row per patient: the clinical columns and the markers' fold changes (patients x
    targets), the table the marker models' terms are computed from."""
    return pd.concat([clinical, fold_changes.reindex(clinical.index)], axis=1)
