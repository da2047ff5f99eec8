"""The qPCR stage's QC tables (results/qpcr/well_qc.tsv, sample_qc.tsv, detection_limits.tsv)
on real RDML files, through the import and the stage as the rules run them.

- rdml-tools/sample.rdml (RDML 1.4, melt curves in every well): the wells the melt-curve
  analysis flags are the wells well_qc.tsv flags, and their samples warn on melt curves.
- rdml-tools/absolute.rdml (Vermeulen dilution series, 5 standards x 3 wells per target): a
  sample's Ct is flagged beyond the limit of detection exactly when it exceeds the highest Cq
  of the lowest standard, read from the XML with regular expressions (qpcr_rdml_tools.py).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from esccrt.io import write_tsv_atomic
from esccrt.qpcr.ct_import import ImportSettings
from esccrt.qpcr.ct_import import run as import_run
from esccrt.qpcr.melt import melt_peaks
from esccrt.qpcr.stage import QpcrInputs, QpcrOutputs, run
from qpcr_rdml_tools import ABSOLUTE_STANDARDS, lowest_standard_max_cq
from schema_sections import qpcr_settings

SAMPLE_RDML_MAP = [
    {"sample": "gDNA", "patient": "P1", "timepoint": "pre"},
    {"sample": "1", "patient": "P1", "timepoint": "post"},
    {"sample": "2", "patient": "P2", "timepoint": "pre"},
    {"sample": "SJ-NB-6", "patient": "P2", "timepoint": "post"},
]
ABSOLUTE_MAP = [
    {"sample": "1826", "patient": "P1", "timepoint": "pre"},
    {"sample": "1827", "patient": "P1", "timepoint": "post"},
    {"sample": "1828", "patient": "P2", "timepoint": "pre"},
    {"sample": "1829", "patient": "P2", "timepoint": "post"},
    {"sample": "1830", "patient": "P3", "timepoint": "pre"},
    {"sample": "1831", "patient": "P3", "timepoint": "post"},
]


def _stage(tmp_path: Path, rdml: Path, rows: list[dict], settings, melt: bool) -> dict:
    """Import ``rdml`` through a sample map of ``rows``, (optionally) analyse its melt curves
    and run the qPCR stage; returns the QC tables it wrote."""
    sheet = tmp_path / "sample_map.tsv"
    pd.DataFrame(rows).to_csv(sheet, sep="\t", index=False)
    ct, controls = tmp_path / "ct.tsv", tmp_path / "control_wells.tsv"
    import_run(ImportSettings([str(rdml)], "rdml", str(sheet), ["Undetermined"]), ct, controls)
    melt_path = None
    if melt:
        melt_path = tmp_path / "melt_peaks.tsv"
        write_tsv_atomic(melt_peaks([rdml], settings.qc["melt"]), melt_path)
    # every file the stage writes (figures as PNG), as the rule names them
    outputs = QpcrOutputs(
        **{
            field.name: tmp_path / (field.name + (".png" if "plot" in field.name else ".tsv"))
            for field in dataclasses.fields(QpcrOutputs)
        }
    )
    run(settings, QpcrInputs(ct, control_wells=controls, melt_peaks=melt_path), outputs)
    read = {"dtype": {"sample": str, "patient": str}, "keep_default_na": False, "sep": "\t"}
    tables = {n: pd.read_csv(tmp_path / f"{n}.tsv", **read) for n in ("well_qc", "sample_qc")}
    tables["melt"] = pd.read_csv(melt_path, **read) if melt_path else None
    tables["ct"] = pd.read_csv(ct, **read)
    tables["limits"] = pd.read_csv(tmp_path / "detection_limits.tsv", sep="\t")
    return tables


def test_melt_flags_reach_the_well_and_sample_tables(rdml_tools: Path, tmp_path: Path) -> None:
    settings = qpcr_settings(["Exon 1", "Exon 2", "Exon 3"], ["ZNF80", "GPR15"], ct_limit=40)
    tables = _stage(tmp_path, rdml_tools / "sample.rdml", SAMPLE_RDML_MAP, settings, melt=True)
    wells, melt, samples = tables["well_qc"], tables["melt"], tables["sample_qc"]
    ct = tables["ct"]
    assert len(wells) == len(ct) == 73  # 80 sample wells, 7 excluded in the file (<excl>)
    quantified = set(zip(ct["well"], ct["target"], strict=True))
    flagged_melt = melt[melt["n_peaks"].astype(int) > 1]
    expected = set(zip(flagged_melt["well"], flagged_melt["target"], strict=True)) & quantified
    has_flag = wells["flags"].str.contains("melt_multiple_peaks")
    assert set(zip(wells.loc[has_flag, "well"], wells.loc[has_flag, "target"], strict=True)) == (
        expected
    )
    assert len(expected) == 33  # measured: of 43 flagged wells, 33 are quantified sample wells
    assert wells.loc[has_flag, "reasons"].str.contains(r"melt peaks at [\d.,]+ °C").all()
    warned = set(wells.loc[has_flag, "patient"] + "/" + wells.loc[has_flag, "timepoint"])
    sample_keys = samples["patient"] + "/" + samples["timepoint"]
    assert set(sample_keys[samples["melt_curve"] == "warn"]) == warned
    assert (samples["detection_limit"] == "not_assessed").all()
    assert (samples["haemolysis"] == "not_assessed").all()  # no miR-23a/miR-451a in the file


def test_beyond_detection_limit_on_the_vermeulen_series(rdml_tools: Path, tmp_path: Path) -> None:
    rdml = rdml_tools / "absolute.rdml"
    settings = qpcr_settings(
        ["BIRC5_20080229", "CDCA5_20080225", "DDC_20080310"],
        ["ECEL1_20080225"],
        ct_limit=40,
        qc={"detection_limit": {"standards": ABSOLUTE_STANDARDS}},
    )
    tables = _stage(tmp_path, rdml, ABSOLUTE_MAP, settings, melt=False)
    wells, samples = tables["well_qc"], tables["sample_qc"]
    limit_of = lowest_standard_max_cq(rdml)
    assert dict(zip(tables["limits"]["target"], tables["limits"]["lod_cq"], strict=True)) == (
        pytest.approx(limit_of, abs=1e-12)
    )
    cq = pd.to_numeric(wells["cq"], errors="coerce")
    expected = cq > wells["target"].map(limit_of)
    flagged = wells["flags"].str.contains("beyond_detection_limit")
    assert (flagged == expected).all()
    assert 0 < expected.sum() < len(wells)  # measured: some unknowns lie beyond, most do not
    assert (samples["melt_curve"] == "not_assessed").all()
    beyond_samples = set(wells.loc[flagged, "patient"] + "/" + wells.loc[flagged, "timepoint"])
    keys = samples["patient"] + "/" + samples["timepoint"]
    assert set(keys[samples["detection_limit"] == "warn"]) == beyond_samples
