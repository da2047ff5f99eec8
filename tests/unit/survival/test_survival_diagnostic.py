"""The diagnostic logistic model finds a planted signal, reproducibly."""

from __future__ import annotations

import numpy as np
import pandas as pd
from esccrt.survival.diagnostic import diagnostic_model
from esccrt.survival.settings import DiagnosticSettings, Endpoint

OS = Endpoint("os", "time", "event", "Overall survival")


def test_diagnostic_model_separates_a_planted_signal() -> None:
    rng = np.random.default_rng(7)
    n = 60
    fc = pd.DataFrame({"miR-A": 2 ** rng.normal(0, 1, n)}, index=[f"P{i}" for i in range(n)])
    event = (np.log2(fc["miR-A"]) + rng.normal(0, 0.5, n) > 0).astype(int)
    clinical = pd.DataFrame({"time": np.where(event == 1, 5.0, 30.0), "event": event})
    clinical.index = fc.index
    settings = DiagnosticSettings(OS, 12, ["miR-A"], 200, seed=1, cv_folds=5, cv_repeats=4)
    roc, auc = diagnostic_model(clinical, fc, settings)
    row = auc.iloc[0]
    assert row["auc"] > 0.85 and row["ci_low"] < row["auc"] < row["ci_high"] <= 1
    assert roc["fpr"].is_monotonic_increasing and roc.iloc[-1][["fpr", "tpr"]].tolist() == [1, 1]
    assert row["ci_method"] == "DeLong" and row["bootstrap_used"] == 200
    # one predictor, a strong signal: little optimism; cross-validation close to the apparent AUC
    assert row["auc_corrected"] <= row["auc"] and row["auc"] - row["auc_cv"] < 0.05
    _, again = diagnostic_model(clinical, fc, settings)
    assert again.iloc[0]["auc_corrected"] == row["auc_corrected"]  # fixed seed: reproducible
