"""Calibration at the landmarks against the R code of McLernon et al. 2023 (Ann Intern Med
176:105; github.com/danielegiardiello/Prediction_performance_survival, 01_predsurv_minimal.R
and 02_predsurv.Rmd), run live by r_calibration.R (without R, survival or rms it fails, naming
`make test-tools`).

The predicted risks are the stage's (:func:`esccrt.survival.prognostic.marker_cox_risks` on the
demo cohort with the landmarks of the validated config; Cox models on lifelines' copies of R's
gbsg and lung); R gets the same risks and the same curve grid, so that what is compared is the
calibration: observed and expected risk, O/E with its CI, the slope with its CI, ICI, E50, E90,
Emax and the smoothed curve. The only change to McLernon et al.'s code: ``cph(..., eps =
1e-12)``: cph's default eps = 1e-4 stops Newton-Raphson early (coefficients off by about 5e-4,
the curve by 1e-3 on lung); converged, the curves agree to 2e-14. Measured 2026-12-07: slope
within 1e-8 (coxph's default eps 1e-9), everything else within 2e-14.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.survival.calibration import calibration_at, confidence_limits, curve_grid
from prerequisites import require_r_packages
from survival_risks import REAL, all_risks

#: R (rms loads slowly) and the demo cohort: about 20 s.
pytestmark = pytest.mark.slow

R_SCRIPT = Path(__file__).with_name("r_calibration.R")
#: The slope's fit stops at coxph's eps = 1e-9 in R (measured gap 7e-9); the rest is exact.
SLOPE_TOLERANCE, TOLERANCE = 1e-7, 1e-10


@pytest.fixture(scope="module")
def compared(tmp_path_factory, demo_cohort, shared_data: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our calibration merged with R's (columns *_r): the measures (one row per data set x
    landmark x metric) and the curves (one row per grid point)."""
    require_r_packages("survival", "rms")
    risks = all_risks(demo_cohort, shared_data)
    folder = tmp_path_factory.mktemp("r_calibration")
    measures, curves = [], []
    for endpoint, group in risks.groupby("endpoint"):
        group[["time", "event", "landmark", "risk"]].to_csv(
            folder / f"risks_{endpoint}.tsv", sep="\t", index=False, float_format="%.17g"
        )
        grids = []
        for landmark, rows in group.groupby("landmark"):
            grid = curve_grid(rows["risk"])
            ours = calibration_at(rows["time"], rows["event"], rows["risk"], landmark, grid)
            measures += [
                {"name": endpoint, "landmark": landmark, "metric": metric, "ours": value}
                | dict(
                    zip(("ours_lower", "ours_upper"), confidence_limits(metric, ours), strict=True)
                )
                for metric, value in ours.metrics.items()
            ]
            curves.append(
                pd.DataFrame(
                    {"name": endpoint, "landmark": landmark, "predicted": grid}
                    | {"observed": ours.curve}
                )
            )
            grids.append(pd.DataFrame({"landmark": landmark, "predicted": grid}))
        pd.concat(grids).to_csv(
            folder / f"grid_{endpoint}.tsv", sep="\t", index=False, float_format="%.17g"
        )
    run = subprocess.run(["Rscript", str(R_SCRIPT), str(folder)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-2000:]
    reference = pd.read_csv(folder / "r_calibration.tsv", sep="\t")
    merged = pd.DataFrame(measures).merge(reference, on=["name", "landmark", "metric"])
    assert len(merged) == len(measures) == len(reference)
    curve_r = pd.read_csv(folder / "r_curve.tsv", sep="\t")
    ours_curve = pd.concat(curves, ignore_index=True)
    curve = ours_curve.merge(curve_r, on=["name", "landmark"], suffixes=("", "_r"))
    curve = curve[np.isclose(curve["predicted"], curve["predicted_r"], rtol=0, atol=1e-15)]
    assert len(curve) == len(ours_curve) == len(curve_r)
    return merged, curve


def test_measures_equal_mclernon_et_al(compared) -> None:
    merged, _ = compared
    assert merged["ours"].notna().all()
    gap = (merged["ours"] - merged["estimate"]).abs()
    slope = merged["metric"] == "slope"
    assert gap[slope].max() < SLOPE_TOLERANCE, merged.loc[gap[slope].idxmax()].to_dict()
    assert gap[~slope].max() < TOLERANCE, merged.loc[gap[~slope].idxmax()].to_dict()


def test_confidence_limits_equal_mclernon_et_al(compared) -> None:
    merged, _ = compared
    limited = merged[merged["metric"].isin(["oe_ratio", "slope"])]
    assert limited["lower"].notna().all()
    for side in ("lower", "upper"):
        gap = (limited[f"ours_{side}"] - limited[side]).abs()
        assert gap.max() < SLOPE_TOLERANCE, limited.loc[gap.idxmax()].to_dict()


def test_smoothed_curve_equals_rms(compared) -> None:
    _, curve = compared
    gap = (curve["observed"] - curve["observed_r"]).abs()
    assert gap.max() < TOLERANCE, curve.loc[gap.idxmax()].to_dict()
    assert curve["observed"].between(0, 1).all()


def test_every_data_set_was_compared(compared) -> None:
    merged, curve = compared
    assert set(merged["name"]) == set(curve["name"]) == {"os", "pfs", *REAL}
