"""Predicted risks the survival parity tests judge: the stage's marker Cox model on the demo
cohort, and Cox models on real data sets (lifelines' copies of gbsg2 and lung), as the long
table the stage writes (esccrt.survival.prognostic.RISK_COLUMNS)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from esccrt.survival.prognostic import RISK_COLUMNS, cox_risks, marker_cox_risks

#: Real data sets: time and event columns, covariates of the Cox model, landmarks in days.
REAL = {
    "gbsg2": ("time", "cens", ["horTh", "age", "tsize", "pnodes", "progrec"], [365, 1000, 2000]),
    "lung": ("time", "status", ["age", "sex", "ph.ecog"], [180, 365, 540]),
}


def demo_risks(cohort) -> pd.DataFrame:
    """The stage's model on the demo cohort, at the landmarks of the validated config."""
    settings = cohort.settings
    risks, notes = marker_cox_risks(
        cohort.clinical,
        cohort.fold_changes,
        settings.endpoints,
        settings.diagnostic.predictors,
        settings.landmarks,
    )
    assert notes == {}, notes
    return risks


def real_risks(shared_data: Path, name: str) -> pd.DataFrame:
    """Predicted risks of a Cox model fitted on a real data set (complete cases), with the
    data set's name as the endpoint."""
    duration, event, covariates, landmarks = REAL[name]
    data = pd.read_csv(shared_data / "lifelines" / "datasets" / f"{name}.csv")
    data = data[[duration, event, *covariates]].dropna()
    if "horTh" in covariates:
        data["horTh"] = (data["horTh"] == "yes").astype(float)
    risk = cox_risks(data, duration, event, covariates, landmarks)
    frames = [
        pd.DataFrame(
            {
                "endpoint": name,
                "model": f"Cox: {' + '.join(covariates)}",
                "landmark": float(landmark),
                "patient": data.index.astype(str),
                "time": data[duration].to_numpy(float),
                "event": data[event].to_numpy(int),
                "risk": risk[:, column],
            }
        )
        for column, landmark in enumerate(landmarks)
    ]
    return pd.concat(frames, ignore_index=True)[RISK_COLUMNS]


def all_risks(cohort, shared_data: Path) -> pd.DataFrame:
    """The demo's and every real data set's predicted risks, one long table."""
    frames = [demo_risks(cohort), *(real_risks(shared_data, name) for name in REAL)]
    return pd.concat(frames, ignore_index=True)
