"""The locked model's terms, file and checksum (esccrt.survival.locked_model) and the errors a
validation run gives for a damaged file or a cohort without the model's covariates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.survival.external_validation import external_validation, uno_c
from esccrt.survival.locked_model import (
    LockedModel,
    ModelFile,
    Term,
    read_model_file,
    winsorised,
    write_model_file,
)
from esccrt.survival.settings import Endpoint

TABLE = pd.DataFrame(
    {
        "marker": [0.5, 1.0, 2.0, 8.0, 0.0, np.nan],
        "grade": ["3", "2", "3", "1", "3", "2"],
        "nodes": [0, 1, 3, 9, 30, 2],
    }
)
PFS = Endpoint(name="pfs", time="time", event="event", label="PFS")


def test_terms_compute_log2_levels_caps_and_spline_columns() -> None:
    log2 = Term("log2 FC marker", "marker", transform="log2").values(TABLE)
    assert np.allclose(log2[:4], [-1, 0, 1, 3]) and np.isnan(log2[4:]).all()
    assert Term("grade3", "grade", level="3").values(TABLE).tolist() == [1, 0, 1, 0, 1, 0]
    capped = winsorised(Term("nodes2", "nodes"), TABLE, 0.8)
    assert capped.upper == 9  # R's quantile(type = 1) of 0, 1, 2, 3, 9, 30 at 0.8
    assert capped.values(TABLE).tolist() == [0, 1, 3, 9, 9, 2]
    spline = Term("nodes3", "nodes", upper=9.0, knots=(0.0, 1.0, 9.0), basis=1).values(TABLE)
    # Hmisc::rcspline.eval(x, knots = c(0, 1, 9)): (x^3 - 9/8 (x-1)^3 + 1/8 (x-9)^3_+)/81
    x = np.array([0, 1, 3, 9, 9, 2.0])
    expected = (x**3 - 9 / 8 * np.maximum(x - 1, 0) ** 3) / 81
    assert np.allclose(spline, expected)


def _model_file(path: Path) -> Path:
    model = LockedModel(
        endpoint="pfs",
        terms=(Term("log2 FC marker", "marker", transform="log2"),),
        coefficients=(0.7,),
        landmarks=(12.0,),
        baseline_survival=(0.8,),
        n=30,
        events=12,
    )
    write_model_file(ModelFile((model,), {"survival.landmarks": [12.0]}, (), {}), path)
    return path


def test_model_file_reads_back_and_predicts(tmp_path: Path) -> None:
    path = _model_file(tmp_path / "model.json")
    model = read_model_file(path).model("pfs", path)
    lp = model.linear_predictor(TABLE)
    assert np.allclose(model.risks(lp[:4])[:, 0], 1 - 0.8 ** np.exp(0.7 * np.array([-1, 0, 1, 3])))
    with pytest.raises(InputError, match=r"model\.json: no locked model for endpoint 'os'"):
        read_model_file(path).model("os", path)


def test_changed_or_foreign_files_are_refused(tmp_path: Path) -> None:
    path = _model_file(tmp_path / "model.json")
    document = json.loads(path.read_text())
    document["models"][0]["coefficients"] = [0.8]
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(document))
    with pytest.raises(InputError, match=r"changed\.json: the SHA-256 of its content"):
        read_model_file(changed)
    foreign = tmp_path / "foreign.json"
    foreign.write_text("{}")
    with pytest.raises(InputError, match=r"foreign\.json: not a locked-model file"):
        read_model_file(foreign)


def test_validation_needs_the_models_covariates(tmp_path: Path) -> None:
    path = _model_file(tmp_path / "model.json")
    cohort = pd.DataFrame({"time": [1.0, 2.0], "event": [1, 0], "other": [1.0, 2.0]})
    with pytest.raises(
        InputError, match=r"model\.json: .*'pfs' needs the covariate\(s\) \['marker'\]"
    ):
        external_validation(path, cohort, [PFS], np.array([0.1]))


def test_uno_c_without_censoring_is_harrells() -> None:
    # no censoring: G = 1, every comparable pair weighs 1
    time, event, risk = np.array([1.0, 2, 3, 4]), np.ones(4), np.array([4.0, 2, 3, 1])
    assert uno_c(time, event, risk).c == pytest.approx(5 / 6)
