"""Melt-curve peaks and the limit of detection on real RDML files (qpcr_real/rdml, see
REFERENCE_RESULTS.md section 3).

Melt curves: RDML-Tools' melting-curve analysis (rdmlpython 1.7.2 ``Run.meltCurveAnalysis``) is
the engine of :func:`esccrt.qpcr.melt.melt_peaks`. These tests check what is ours: that the
RDML 1.4 file reaches the engine unchanged but for its version label, that the peak count read
from the engine's result table agrees with the engine's own verdict ("several products with
different melting temperatures detected") in every well, and that the main peak lies where an
independent -dF/dT computed here with numpy from the raw ``<mdp>`` points has its maximum.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.qpcr.detection_limit import detection_limits
from esccrt.qpcr.formats.rdml import read_rdml
from esccrt.qpcr.melt import melt_peaks
from esccrt.qpcr.melt_table import MULTIPLE_PEAKS
from qpcr_rdml_tools import ABSOLUTE_STANDARDS, lowest_standard_max_cq

#: RDML-Tools' defaults (rdmlpython 1.7.2 Run.meltCurveAnalysis), as qpcr.schema.yaml has them.
MELT_OPTIONS = {
    "normalisation": "exponential",
    "true_peak_width": 1.0,
    "artifact_peak_width": 1.0,
    "peak_low_temp": 60.0,
    "peak_high_temp": 98.0,
    "peak_max_width": 5.0,
    "peak_cutoff": 5.0,
}
#: sample.rdml's melt temperature step (°C); the numpy maximum may sit one or two steps away
#: from the engine's (which smooths with Friedman's supersmoother and removes the background).
STEP = 0.4
#: Measured on 2026-12-07: 82 wells with a peak at the expected temperature; 69 at the same
#: temperature, 12 one step away, 1 two steps.
MOST_EQUAL = 0.8


@pytest.fixture(scope="module")
def sample_peaks(rdml_dir: Path) -> pd.DataFrame:
    return melt_peaks([rdml_dir / "rdml-tools" / "sample.rdml"], MELT_OPTIONS)


def _raw_curves(path: Path) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """(well label, target) -> (temperatures, fluorescence) read from the XML with regular
    expressions (independent of rdmlpython and lxml); the plate has 12 columns."""
    with zipfile.ZipFile(path) as archive:
        text = archive.read("rdml_data.xml").decode("utf-8")
    curves = {}
    for react_id, body in re.findall(r'<react id="(\d+)">(.*?)</react>', text, re.S):
        index = int(react_id) - 1
        well = f"{chr(ord('A') + index // 12)}{index % 12 + 1}"
        for data in re.findall(r"<data>(.*?)</data>", body, re.S):
            target = re.search(r'<tar id="([^"]+)"', data).group(1)
            points = re.findall(r"<tmp>([^<]+)</tmp>\s*<fluor>([^<]+)</fluor>", data)
            values = np.array(points, dtype=float)
            order = np.argsort(values[:, 0])
            curves[(well, target)] = (values[order, 0], values[order, 1])
    return curves


def test_every_well_with_melt_data_is_analysed(sample_peaks: pd.DataFrame, rdml_dir: Path) -> None:
    curves = _raw_curves(rdml_dir / "rdml-tools" / "sample.rdml")
    assert len(sample_peaks) == len(curves) == 90
    assert set(zip(sample_peaks["well"], sample_peaks["target"], strict=True)) == set(curves)


def test_multiple_peak_flag_is_rdml_tools_verdict(sample_peaks: pd.DataFrame) -> None:
    several = sample_peaks["rdml_tools_message"].str.contains("several products")
    flagged = sample_peaks["flags"] == MULTIPLE_PEAKS
    assert (flagged == several).all()
    assert (flagged == (sample_peaks["n_peaks"] > 1)).all()
    assert flagged.sum() == 43  # measured; every target has flagged wells
    assert set(sample_peaks.loc[flagged, "target"]) == {
        "Exon 1",
        "Exon 2",
        "Exon 3",
        "ZNF80",
        "GPR15",
    }


def test_main_peak_is_the_numpy_derivative_maximum(
    sample_peaks: pd.DataFrame, rdml_dir: Path
) -> None:
    """Where the engine found the expected product, -dF/dT (5-point moving average, numpy) has
    its maximum within two temperature steps of the engine's peak, mostly at the same place."""
    curves = _raw_curves(rdml_dir / "rdml-tools" / "sample.rdml")
    at_expected = sample_peaks[(sample_peaks["peak_tm"] - sample_peaks["expected_tm"]).abs() < 1]
    differences = []
    for row in at_expected.itertuples():
        temperatures, fluorescence = curves[(row.well, row.target)]
        smoothed = np.convolve(fluorescence, np.ones(5) / 5, mode="same")
        middle = (temperatures[1:] + temperatures[:-1]) / 2
        derivative = -np.diff(smoothed) / np.diff(temperatures)
        window = np.abs(middle - row.expected_tm) < 1.5
        differences.append(middle[window][np.argmax(derivative[window])] - row.peak_tm)
    differences = np.abs(np.array(differences))
    assert len(differences) == 82
    assert differences.max() <= 2 * STEP + 1e-9
    assert (differences < 1e-9).mean() >= MOST_EQUAL


def test_file_without_melt_peaks(rdml_dir: Path) -> None:
    """BioRad_qPCR_melt.rdml (CFX96, 35-95 °C in 1 °C steps, 60 curves): the engine keeps no
    peak in any well (none passes its width/area criteria), so nothing is flagged."""
    table = melt_peaks([rdml_dir / "pcruniversum_RDML" / "BioRad_qPCR_melt.rdml"], MELT_OPTIONS)
    assert len(table) == 60
    assert (table["n_peaks"] == 0).all() and (table["flags"] == "").all()


def test_file_without_melt_data_gives_an_empty_table(rdml_dir: Path) -> None:
    table = melt_peaks([rdml_dir / "rdml-tools" / "absolute.rdml"], MELT_OPTIONS)
    assert table.empty


def test_detection_limit_of_the_vermeulen_dilution_series(rdml_dir: Path) -> None:
    """absolute.rdml: 5 standards x 3 wells per target, all detected, so the LOD is the lowest
    standard (1.875 copies) and the Cq limit its highest Cq as written in the file."""
    path = rdml_dir / "rdml-tools" / "absolute.rdml"
    wells = read_rdml(path)
    limits = detection_limits(wells, ABSOLUTE_STANDARDS, 0.95).set_index("target")
    expected = lowest_standard_max_cq(path)
    assert sorted(limits.index) == sorted(expected)
    assert (limits["lod_quantity"] == 1.875).all()
    for target, cq in expected.items():
        assert limits.loc[target, "lod_cq"] == pytest.approx(cq, abs=1e-12)
