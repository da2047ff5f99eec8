"""The prognostic model whose predicted risks the time-dependent accuracy and the decision curves
judge: per endpoint, a Cox model on the log2 fold changes of the markers
(``survival.diagnostic.predictors``), continuous, and each patient's predicted risk of the event
by each landmark, 1 - S(t | x) = 1 - exp(-H0(t) exp(x'b)) with the Breslow baseline of the fit.

The model is fitted and judged on the same patients (apparent performance). Patients without a
positive fold change of every marker are left out (complete cases).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from lifelines.exceptions import ConvergenceError

from esccrt.errors import InputError
from esccrt.survival.cox import fit_cox
from esccrt.survival.settings import Endpoint

#: Columns of results/survival/predicted_risks.tsv.
RISK_COLUMNS = ["endpoint", "model", "landmark", "patient", "time", "event", "risk"]


def model_label(predictors: Sequence[str]) -> str:
    """How the tables name the model, e.g. ``Cox: log2 FC miR-A + miR-B``."""
    return "Cox: log2 FC " + " + ".join(predictors)


def marker_data(
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    endpoint: Endpoint,
    predictors: Sequence[str],
) -> pd.DataFrame:
    """time, event and the markers' log2 fold changes of the complete cases."""
    absent = [p for p in predictors if p not in fold_changes.columns]
    if absent:
        raise InputError(
            f"config key survival.diagnostic.predictors: no fold change (qPCR or seq:) "
            f"for {absent}."
        )
    fc = fold_changes.reindex(clinical.index)[list(predictors)].astype(float)
    keep = fc.notna().all(axis=1) & (fc > 0).all(axis=1)
    data = pd.DataFrame(
        {
            "time": clinical.loc[keep, endpoint.time].astype(float),
            "event": clinical.loc[keep, endpoint.event].astype(int),
        }
    )
    markers = np.log2(fc[keep])
    markers.columns = [f"x{i}" for i in range(len(predictors))]
    return pd.concat([data, markers], axis=1)


def risk_at(survival: pd.DataFrame, landmark: float) -> np.ndarray:
    """1 - S(landmark) per patient from a survival-function frame (times x patients), read as
    the step function it is (S = 1 before the first time)."""
    known = survival.index.to_numpy(dtype=float) <= landmark
    if not known.any():
        return np.zeros(survival.shape[1])
    return 1 - survival.to_numpy()[np.flatnonzero(known)[-1]]


def cox_risks(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str],
    landmarks: Sequence[float],
) -> np.ndarray:
    """Predicted risks (patients x landmarks) of the Cox model of ``covariates`` fitted on
    ``data`` (:func:`esccrt.survival.cox.fit_cox`, Efron ties, Breslow baseline)."""
    _, fit = fit_cox(data, duration, event, covariates)
    survival = fit.predict_survival_function(data[list(covariates)])
    return np.column_stack([risk_at(survival, float(t)) for t in landmarks])


def marker_cox_risks(
    clinical: pd.DataFrame,
    fold_changes: pd.DataFrame,
    endpoints: Sequence[Endpoint],
    predictors: Sequence[str],
    landmarks: Sequence[float],
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Predicted risks (long table, :data:`RISK_COLUMNS`) of the marker Cox model per endpoint
    and landmark, and a note per endpoint whose model could not be fitted."""
    label, frames, notes = model_label(predictors), [], {}
    for endpoint in endpoints:
        data = marker_data(clinical, fold_changes, endpoint, predictors)
        covariates = [c for c in data.columns if c.startswith("x")]
        if data["event"].sum() == 0:
            notes[endpoint.name] = "no events: no model"
            continue
        try:
            risk = cox_risks(data, "time", "event", covariates, landmarks)
        except (ConvergenceError, np.linalg.LinAlgError, ValueError) as error:
            notes[endpoint.name] = f"Cox model did not converge: {str(error).splitlines()[0]}"
            continue
        for column, landmark in enumerate(landmarks):
            frames.append(
                pd.DataFrame(
                    {
                        "endpoint": endpoint.name,
                        "model": label,
                        "landmark": float(landmark),
                        "patient": data.index.astype(str),
                        "time": data["time"].to_numpy(),
                        "event": data["event"].to_numpy(),
                        "risk": risk[:, column],
                    }
                )
            )
    risks = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return risks.reindex(columns=RISK_COLUMNS), notes
