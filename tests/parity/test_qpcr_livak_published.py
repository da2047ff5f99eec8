"""qPCR fold changes against published 2^-ddCt results (R package pcr, Livak & Schmittgen 2001
data, in /work/shared/data) and the Pfaffl ratio on the same tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.ct_table import wide_to_long
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.settings import QpcrSettings
from schema_sections import qpcr_settings

TISSUES = ["brain"] * 6 + ["kidney"] * 6  # rows 1-6 brain (calibrator), 7-12 kidney
SETTINGS = qpcr_settings(["c_myc"], ["GAPDH"], ct_limit=40)


def _with_efficiencies(efficiencies: dict[str, float]) -> QpcrSettings:
    """:data:`SETTINGS` with amplification factors, through the schema as a user's config."""
    return qpcr_settings(["c_myc"], ["GAPDH"], ct_limit=40, efficiencies=efficiencies)


def _published_table(shared_data: Path, name: str, tmp_path: Path) -> Path:
    """ct1/ct2 of the pcr package as a long Ct table: brain = pre, kidney = post."""
    wide = pd.read_csv(shared_data / "pcr_qpcr" / "inst" / "extdata" / f"{name}.csv")
    long = wide_to_long(wide, TISSUES, {"brain": "pre", "kidney": "post"})
    path = tmp_path / f"{name}.tsv"
    long.to_csv(path, sep="\t", index=False)
    return path


def _fold_changes(path: Path, settings: QpcrSettings) -> pd.DataFrame:
    """The fold changes of the qPCR rule's step on ``path``."""
    return run_qpcr(path, settings).fold_changes


def test_livak_ct1_separate_tubes(shared_data: Path, tmp_path: Path) -> None:
    """Published: kidney vs brain c-myc/GAPDH dCt 6.86 / 4.37, fold 5.6 (range 5.3-6.0)."""
    results = run_qpcr(_published_table(shared_data, "ct1", tmp_path), SETTINGS)
    row, qc = results.fold_changes.iloc[0], results.replicate_qc
    # measured 2.7e-15, 0.005, 0.005, 0.037 on 2026-12-06 (published: 2 digits)
    assert row["dct_pre"] == pytest.approx(6.86, abs=1e-12)
    assert row["dct_post"] == pytest.approx(4.37, abs=0.006)
    assert row["ddct"] == pytest.approx(-2.50, abs=0.01)
    assert row["fold_change"] == pytest.approx(5.6, abs=0.05)
    assert round(row["fold_change_low"], 1) == 5.3
    assert round(row["fold_change_high"], 1) == 6.0
    kidney_myc = qc.set_index(["timepoint", "target"]).loc[("post", "c_myc")]
    # measured 0.005 and 0.0046 on 2026-12-06 (published: 2 digits)
    assert kidney_myc["mean_ct"] == pytest.approx(27.03, abs=0.005)
    assert kidney_myc["sd_ct"] == pytest.approx(0.06, abs=0.005)


def test_livak_ct2_same_tube(shared_data: Path, tmp_path: Path) -> None:
    """Published: fold 5.77 (ddCt -2.53)."""
    fc = _fold_changes(_published_table(shared_data, "ct2", tmp_path), SETTINGS)
    # measured 1.3e-15 and 0.0057 on 2026-12-06; ddCt was 0.005
    assert fc.iloc[0]["ddct"] == pytest.approx(-2.53, abs=1e-12)
    assert fc.iloc[0]["fold_change"] == pytest.approx(5.77, abs=0.01)


def test_pfaffl_with_perfect_efficiency_is_livak_and_corrects_otherwise(
    shared_data: Path, tmp_path: Path
) -> None:
    path = _published_table(shared_data, "ct1", tmp_path)
    livak = _fold_changes(path, SETTINGS)
    pfaffl = _fold_changes(path, _with_efficiencies({"c_myc": 2.0, "GAPDH": 2.0}))
    # measured: equal on 2026-12-06
    assert pfaffl.iloc[0]["fold_change"] == pytest.approx(livak.iloc[0]["fold_change"], rel=1e-12)
    assert pfaffl.iloc[0]["method"] == "pfaffl"
    # Pfaffl 2001: ratio = E_t^(Ct_t pre - post) / E_r^(Ct_r pre - post)
    eff = {"c_myc": 1.9, "GAPDH": 1.95}
    ratio = _fold_changes(path, _with_efficiencies(eff))
    r = ratio.iloc[0]
    expected = 1.9 ** (r["ct_pre"] - r["ct_post"]) / 1.95 ** (r["ref_ct_pre"] - r["ref_ct_post"])
    # measured 1.8e-16 on 2026-12-06
    assert r["fold_change"] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(InputError, match="GAPDH"):
        _with_efficiencies({"c_myc": 1.9})
