"""Inter-run calibration (Ruijter et al. 2015) on RDML-Tools' two- and six-plate files, through
the user's path: a validated qpcr config section -> the import rule's step (RDML + sample map ->
long Ct table) -> the calibration rule's step (factors table, calibrated table); the factors
equal rdmlpython 1.7.2's ``Experiment.interRunCorr`` (its ``corrP``) on the same file, read as
RDML 1.3 (the files are RDML 1.4, which rdmlpython 1.7.2 refuses; the in-memory conversion is
checked against rdmlpython's bundled 1.3 schema here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.qpcr.calibration import CalibrationSettings
from esccrt.qpcr.calibration import run as calibrate_rule
from esccrt.qpcr.ct_import import ImportSettings
from esccrt.qpcr.ct_import import run as import_rule
from esccrt.qpcr.formats.rdml_version import as_version_1_3, load_rdml_document, rdml_xml_text
from schema_sections import section_defaults

FILES = ["two_plate_correction.rdml", "six_plate_correction.rdml"]
#: Largest |ours - rdmlpython| of a plate factor (and relative, of a calibrated N0).
TOLERANCE = 1e-12  # measured 2026-12-07: 2.2e-16 (two plates), 6.7e-16 (six plates)


def _rdmlpython_factors(path: Path) -> tuple[pd.Series, pd.DataFrame]:
    """rdmlpython's corrP per run of the file's one experiment, and the file's wells (run,
    sample, target, N0) as rdmlpython's tree holds them."""
    experiment = load_rdml_document(path).experiments()[0]
    result = experiment.interRunCorr()
    assert "error" not in result, result.get("error")
    runs = [f"{experiment['id']}/{run_id}" for run_id in result["runs"]]
    wells = []
    for run in experiment.runs():
        for react in run._node.iter("{http://www.rdml.org}react"):
            sample = react.find("{http://www.rdml.org}sample").get("id")
            for data in react.iter("{http://www.rdml.org}data"):
                target = data.find("{http://www.rdml.org}tar").get("id")
                n0 = float(data.findtext("{http://www.rdml.org}N0"))
                wells.append((f"{experiment['id']}/{run['id']}", sample, target, n0))
    frame = pd.DataFrame(wells, columns=["plate", "sample", "target", "n0"])
    return pd.Series(result["plate"]["corrP"], index=runs), frame


@pytest.mark.parametrize("name", FILES)
def test_downgraded_file_is_valid_rdml_1_3(rdml_tools: Path, name: str) -> None:
    import rdmlpython
    from lxml import etree

    text = rdml_xml_text(rdml_tools / name)
    assert 'version="1.4"' in text[:300]
    schema = Path(rdmlpython.__file__).parent / "schema" / "RDML_v1_3_REC.xsd"
    xsd = etree.XMLSchema(etree.parse(str(schema)))
    document = etree.fromstring(as_version_1_3(text).encode())
    assert xsd.validate(document), str(xsd.error_log)[:500]


@pytest.mark.parametrize("name", FILES)
def test_ruijter_factors_equal_rdmlpython(rdml_tools: Path, name: str, tmp_path: Path) -> None:
    path = rdml_tools / name
    reference, file_wells = _rdmlpython_factors(path)
    # every sample of the file is a patient's sample (one timepoint: no fold change is needed)
    samples = sorted(file_wells["sample"].unique())
    sheet = tmp_path / "sample_map.tsv"
    pd.DataFrame({"sample": samples, "patient": samples, "timepoint": "pre"}).to_csv(
        sheet, sep="\t", index=False
    )
    section = section_defaults(
        "qpcr",
        ct_table=str(path),
        format="rdml",
        sample_map=str(sheet),
        targets=["t"],
        reference_targets=["r"],
        interrun_calibration={"method": "ruijter"},
    )
    out = {n: tmp_path / f"{n}.tsv" for n in ("ct", "controls", "calibrated", "factors", "split")}
    import_rule(ImportSettings.from_config(section), out["ct"], out["controls"])
    calibrate_rule(
        CalibrationSettings.from_config(section),
        out["ct"],
        out["calibrated"],
        out["factors"],
        out["split"],
    )

    factors = pd.read_csv(out["factors"], sep="\t", dtype={"plate": str})
    assert set(factors["quantity"]) == {"N0 (file)"}
    assert (factors.groupby("plate")["factor"].nunique() == 1).all()  # pooled over targets
    ours = factors.groupby("plate")["factor"].first()
    assert sorted(ours.index) == sorted(reference.index)
    difference = np.abs(ours[reference.index].to_numpy() - reference.to_numpy())
    assert difference.max() <= TOLERANCE, dict(zip(reference.index, difference, strict=True))

    # every well's N0 divided by its plate's factor, wells in file order
    calibrated = pd.read_csv(out["calibrated"], sep="\t", keep_default_na=False)
    assert len(calibrated) == len(file_wells)
    n0 = pd.to_numeric(calibrated["n0"])
    expected = file_wells["n0"] / file_wells["plate"].map(reference)
    positive = file_wells["n0"] > 0
    np.testing.assert_allclose(n0[positive], expected[positive], rtol=TOLERANCE)
    assert (n0[~positive] == file_wells.loc[~positive, "n0"]).all()  # "no N0" stays as written
