"""Inter-run calibration on hand-made plates: qBase+ factors against the paper's formula worked
by hand, the Ruijter matrix (gaps filled through other plates) against rdmlpython's own code,
the split pre/post warning, and method none leaving the table as written."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.calibration import (
    CalibrationSettings,
    _fill_gap,
    calibrate,
    ruijter_factors,
    run,
)
from esccrt.qpcr.ct_table import read_ct_table
from esccrt.qpcr.formats.rdml_version import as_version_1_3, load_rdml_document
from esccrt.qpcr.formats.wells import plate_labels
from esccrt.qpcr.replicates import apply_undetermined_rule
from schema_sections import section_defaults

HEADER = "patient\ttimepoint\ttarget\treplicate\tct\tplate\n"


def _settings(**block: object) -> CalibrationSettings:
    """Settings of a validated qpcr section with this interrun_calibration block."""
    section = section_defaults("qpcr", interrun_calibration=dict(block))
    return CalibrationSettings.from_config(section)


def _table(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "ct.tsv"
    path.write_text(header + "".join(r + "\n" for r in rows))
    return path


#: Two plates, two inter-run calibrators (IRC1, IRC2) and one patient, target miR-A.
#: Replicates are numbered per patient, timepoint and target over all plates (as the import does).
QBASE_ROWS = [
    "IRC1\tirc\tmiR-A\t1\t25.0\tP1",
    "IRC1\tirc\tmiR-A\t2\t25.2\tP1",
    "IRC2\tirc\tmiR-A\t1\t28.0\tP1",
    "IRC1\tirc\tmiR-A\t3\t26.1\tP2",
    "IRC2\tirc\tmiR-A\t2\t29.3\tP2",
    "IRC2\tirc\tmiR-A\t3\t29.1\tP2",
    "X\tpre\tmiR-A\t1\t30.0\tP1",
    "X\tpost\tmiR-A\t1\t31.0\tP2",
    "X\tpost\tmiR-A\t2\tUndetermined\tP2",
]


def test_qbase_factor_is_the_geometric_mean_of_the_calibrators_relative_quantities(
    tmp_path: Path,
) -> None:
    """Hellemans et al. 2007: CF(run) = geometric mean of the IRCs' RQ in that run, RQ =
    E^(mean Cq - Cq); calibrated quantity = quantity / CF. By hand, E = 2: IRC1 has mean Cq
    25.1 on P1 and 26.1 on P2 (mean 25.6), IRC2 28.0 and 29.2 (mean 28.6); P1: RQ 2^0.5 and
    2^0.6, CF = 2^0.55; P2: CF = 2^-0.55."""
    table = read_ct_table(_table(tmp_path, QBASE_ROWS), ["Undetermined"])
    result = calibrate(table, _settings(method="qbase", calibrators=["IRC1", "IRC2"]))
    factors = result.factors.set_index("plate")
    cf_p1 = math.sqrt(2**0.5 * 2**0.6)
    cf_p2 = math.sqrt(2**-0.5 * 2**-0.6)
    assert factors.at["P1", "factor"] == pytest.approx(cf_p1, rel=1e-12)
    assert factors.at["P2", "factor"] == pytest.approx(cf_p2, rel=1e-12)
    assert factors.at["P1", "calibrators"] == "IRC1 (irc), IRC2 (irc)"
    assert set(result.factors["method"]) == {"qBase+ (Hellemans et al. 2007)"}
    # quantity 2^-Cq / CF -> Cq + log2(CF); the calibrators are gone, "no Cq" stays missing
    ct = result.table.set_index(["timepoint", "replicate"])["ct"]
    assert ct[("pre", "1")] == pytest.approx(30.0 + math.log2(cf_p1), abs=1e-12)
    assert ct[("post", "1")] == pytest.approx(31.0 + math.log2(cf_p2), abs=1e-12)
    assert math.isnan(ct[("post", "2")])
    assert set(result.table["patient"]) == {"X"}
    assert result.split_pairs["calibrated"].tolist() == [True]


def test_qbase_factor_uses_the_configured_efficiency(tmp_path: Path) -> None:
    """With E = 1.9 the RQs are 1.9^0.5 and 1.9^0.6 on P1; the Cq shift (log CF / log E) is the
    same 0.55 cycles as with E = 2."""
    table = read_ct_table(_table(tmp_path, QBASE_ROWS), ["Undetermined"])
    section = section_defaults(
        "qpcr",
        efficiencies={"miR-A": 1.9},
        interrun_calibration={"method": "qbase", "calibrators": ["IRC1", "IRC2"]},
    )
    result = calibrate(table, CalibrationSettings.from_config(section))
    p1 = result.factors.set_index("plate").loc["P1"]
    assert p1["factor"] == pytest.approx(math.sqrt(1.9**0.5 * 1.9**0.6), rel=1e-12)
    assert p1["cq_shift"] == pytest.approx(0.55, abs=1e-12)


def test_qbase_refuses_a_plate_without_a_calibrator(tmp_path: Path) -> None:
    rows = [r for r in QBASE_ROWS if "\t28.0\t" not in r]
    table = read_ct_table(_table(tmp_path, rows), ["Undetermined"])
    with pytest.raises(InputError, match=r"plate 'P1', target 'miR-A': \['IRC2 \(irc\)'\]"):
        calibrate(table, _settings(method="qbase", calibrators=["IRC1", "IRC2"]))


def test_qbase_needs_calibrators_in_the_config() -> None:
    with pytest.raises(InputError, match=r"interrun_calibration\.calibrators"):
        _settings(method="qbase")


def test_method_none_writes_the_table_as_given_and_warns_of_split_plates(tmp_path: Path) -> None:
    """Default (none): the calibrated table is the input row for row; the patient whose pre and
    post sit on different plates is listed with a warning, and the log says so."""
    path = _table(tmp_path, QBASE_ROWS[6:])
    out = {name: tmp_path / f"{name}.tsv" for name in ("ct", "factors", "split")}
    lines = run(_settings(), path, out["ct"], out["factors"], out["split"])
    given = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    written = pd.read_csv(out["ct"], sep="\t", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written, given)
    assert pd.read_csv(out["factors"], sep="\t").empty
    split = pd.read_csv(out["split"], sep="\t")
    assert split[["patient", "pre_plates", "post_plates"]].values.tolist() == [["X", "P1", "P2"]]
    assert not split["calibrated"].iloc[0] and split["note"].iloc[0].startswith("WARNING")
    assert any(line.startswith("WARNING: patient X, miR-A: pre on plate(s) P1") for line in lines)


def test_a_table_without_plates_is_one_plate(tmp_path: Path) -> None:
    rows = [r.rsplit("\t", 1)[0] for r in QBASE_ROWS]
    table = read_ct_table(_table(tmp_path, rows, HEADER.replace("\tplate", "")), ["Undetermined"])
    result = calibrate(table, _settings(method="qbase", calibrators=["IRC1", "IRC2"]))
    assert result.factors["factor"].tolist() == [pytest.approx(1.0, abs=1e-15)]
    assert result.split_pairs.empty


def test_fill_gap_equals_rdmlpythons() -> None:
    """The gap of a plate pair without shared samples is estimated through the other plates
    exactly as rdmlpython's _pco_fixPlateMatix does (same matrix, same cell)."""
    from rdmlpython.rdml import _pco_fixPlateMatix

    rng = np.random.default_rng(7)
    level = rng.uniform(0.5, 2.0, 5)
    matrix = np.outer(1 / level, level) * rng.uniform(0.9, 1.1, (5, 5))
    np.fill_diagonal(matrix, 1.0)
    matrix[0, 3] = matrix[3, 0] = matrix[2, 4] = matrix[4, 2] = -1.0
    theirs = matrix.tolist()
    ours = matrix.copy()
    for row, col in ((0, 3), (2, 4)):
        _pco_fixPlateMatix(theirs, row, col)
        _fill_gap(ours, row, col)
    np.testing.assert_allclose(ours, np.array(theirs), rtol=1e-13)


def _rdml(plates: dict[str, list[tuple[str, str, float]]]) -> str:
    """An RDML 1.4 document: per run (sample, target, N0) reactions, with 1.4's vol and Ncopy."""
    samples = sorted({s for wells in plates.values() for s, _, _ in wells})
    targets = sorted({t for wells in plates.values() for _, t, _ in wells})
    runs = []
    for run_id, wells in plates.items():
        reacts = "".join(
            f'<react id="{i}"><sample id="{s}"/><vol>10</vol><data><tar id="{t}"/>'
            f"<cq>20</cq><N0>{n0!r}</N0><Ncopy>1</Ncopy></data></react>"
            for i, (s, t, n0) in enumerate(wells, start=1)
        )
        runs.append(f'<run id="{run_id}">{reacts}</run>')
    return (
        '<rdml xmlns="http://www.rdml.org" version="1.4"><dateMade>2024-01-01T00:00:00</dateMade>'
        + "".join(f'<sample id="{s}"><type>unkn</type></sample>' for s in samples)
        + "".join(f'<target id="{t}"><type>toi</type></target>' for t in targets)
        + f'<experiment id="e">{"".join(runs)}</experiment></rdml>'
    )


def test_ruijter_factors_equal_rdmlpython_with_a_gap_and_replicates(tmp_path: Path) -> None:
    """Three plates: A and C share no sample (filled through B), replicate wells pair with every
    replicate, two targets pooled; factors equal rdmlpython's interRunCorr on the same wells."""
    plates = {
        "A": [("s1", "t1", 1e-5), ("s1", "t1", 1.2e-5), ("s2", "t2", 3e-7), ("s4", "t1", 2e-6)],
        "B": [("s1", "t1", 2.1e-5), ("s2", "t2", 5e-7), ("s3", "t1", 4e-6), ("s3", "t2", 1e-7)],
        "C": [("s3", "t1", 2.9e-6), ("s3", "t1", 3.3e-6), ("s3", "t2", 0.8e-7), ("s5", "t2", 1e-8)],
    }
    rows = [
        {"patient": s, "timepoint": "pre", "target": t, "ct": "20", "plate": p, "n0": repr(n0)}
        for p, wells in plates.items()
        for s, t, n0 in wells
    ]
    frame = pd.DataFrame(rows)
    frame["replicate"] = frame.groupby(["patient", "target"]).cumcount() + 1
    path = tmp_path / "ct.tsv"
    frame.to_csv(path, sep="\t", index=False)
    table = read_ct_table(path, ["Undetermined"])
    ours = ruijter_factors(table, _settings(method="ruijter")).groupby("plate")["factor"].first()

    text = tmp_path / "plates.rdml"
    text.write_text(_rdml(plates))
    experiment = load_rdml_document(text).experiments()[0]
    theirs = experiment.interRunCorr()["plate"]["corrP"]
    np.testing.assert_allclose(ours[["A", "B", "C"]].to_numpy(), theirs, rtol=1e-12)


def test_rdml_1_4_becomes_1_3_without_its_new_elements() -> None:
    text = as_version_1_3(_rdml({"A": [("s1", "t1", 1e-5)]}))
    assert 'version="1.3"' in text and "<vol>" not in text and "<Ncopy>" not in text
    assert "<N0>1e-05</N0>" in text
    with pytest.raises(InputError, match=r"newer than 1\.4"):
        as_version_1_3(_rdml({"A": [("s1", "t1", 1e-5)]}).replace('"1.4"', '"1.5"'), "x.rdml")


def test_plates_of_two_files_with_the_same_run_name_stay_apart() -> None:
    wells = pd.DataFrame(
        {"file": ["a/one.rdml", "b/two.rdml", "a/one.rdml"], "run": ["Run 1", "Run 1", "Run 2"]}
    )
    assert plate_labels(wells).tolist() == ["one.rdml:Run 1", "two.rdml:Run 1", "Run 2"]


def test_a_starting_quantity_that_is_no_number_names_its_line(tmp_path: Path) -> None:
    path = _table(tmp_path, ["X\tpre\tmiR-A\t1\t30.0\tP1\tlots"], HEADER.replace("\n", "\tn0\n"))
    with pytest.raises(InputError, match=r"line 2, column 'n0': 'lots' of patient 'X'"):
        read_ct_table(path, ["Undetermined"])


def test_detection_limit_applies_to_the_measured_cq(tmp_path: Path) -> None:
    """In a calibrated table the limit (35) is compared with the measured Cq (Ct - cq_shift):
    34.8 measured as 35.3 is censored, set to the limit on its plate's scale (35 - 0.5); 35.2
    measured as 34.7 is kept."""
    header = HEADER.replace("\n", "\tcq_shift\n")
    rows = ["X\tpre\tmiR-A\t1\t34.8\tP1\t-0.5", "X\tpre\tmiR-A\t2\t35.2\tP2\t0.5"]
    table = read_ct_table(_table(tmp_path, rows, header), ["Undetermined"])
    treated = apply_undetermined_rule(table, "set_to_limit", 35.0)
    assert treated["ct"].tolist() == [pytest.approx(34.5), pytest.approx(35.2)]
    assert treated["censored"].tolist() == ["above_limit", ""]


def test_report_shows_factors_and_warns_of_uncalibrated_split_plates(tmp_path: Path) -> None:
    """The report renders the calibration's tables as written; with one plate and no
    calibration it adds nothing."""
    from esccrt.report.qpcr_interrun import interrun_part

    out = {name: tmp_path / f"{name}.tsv" for name in ("ct", "factors", "split")}
    run(_settings(), _table(tmp_path, QBASE_ROWS[6:]), out["ct"], out["factors"], out["split"])
    page = interrun_part(out["factors"], out["split"])
    assert "<b>Warning</b>" in page and "patients X" in page and 'id="plate-split-pairs"' in page
    assert 'id="interrun-factors"' not in page

    settings = _settings(method="qbase", calibrators=["IRC1", "IRC2"])
    run(settings, _table(tmp_path, QBASE_ROWS), out["ct"], out["factors"], out["split"])
    page = interrun_part(out["factors"], out["split"])
    assert 'id="interrun-factors"' in page and "Warning" not in page
    assert "qBase+ (Hellemans et al. 2007): 2 plates" in page

    one_plate = [r.rsplit("\t", 1)[0] + "\tP1" for r in QBASE_ROWS[6:]]
    run(_settings(), _table(tmp_path, one_plate), out["ct"], out["factors"], out["split"])
    assert interrun_part(out["factors"], out["split"]) == ""


def test_ruijter_from_cq_puts_shared_samples_on_one_scale(tmp_path: Path) -> None:
    """Without N0 the quantities are E^-Cq: a sample read 1 cycle later on plate B than on A
    (both targets) is at the same Cq on both plates after calibration (E = 2: factors 2^0.5 and
    2^-0.5, shifts of +0.5 and -0.5 cycles)."""
    rows = [
        "S\tpre\tmiR-A\t1\t20.0\tA",
        "S\tpre\tmiR-B\t1\t25.0\tA",
        "S\tpre\tmiR-A\t2\t21.0\tB",
        "S\tpre\tmiR-B\t2\t26.0\tB",
        "Y\tpost\tmiR-A\t1\t23.0\tB",
    ]
    table = read_ct_table(_table(tmp_path, rows), ["Undetermined"])
    result = calibrate(table, _settings(method="ruijter"))
    factors = result.factors.groupby("plate")["factor"].first()
    assert factors["A"] == pytest.approx(2**0.5, rel=1e-12)
    assert factors["B"] == pytest.approx(2**-0.5, rel=1e-12)
    ct = result.table.set_index(["patient", "target", "replicate"])["ct"]
    assert ct[("S", "miR-A", "1")] == pytest.approx(ct[("S", "miR-A", "2")], abs=1e-12)
    assert ct[("Y", "miR-A", "1")] == pytest.approx(22.5, abs=1e-12)


def test_ruijter_refuses_plates_that_share_no_sample(tmp_path: Path) -> None:
    rows = ["S\tpre\tmiR-A\t1\t20.0\tA", "Y\tpre\tmiR-A\t1\t21.0\tB"]
    table = read_ct_table(_table(tmp_path, rows), ["Undetermined"])
    with pytest.raises(InputError, match=r"plate\(s\) \['A', 'B'\] share no sample"):
        calibrate(table, _settings(method="ruijter"))


def test_a_sample_on_several_plates_lists_them_all(tmp_path: Path) -> None:
    rows = [
        "X\tpre\tmiR-A\t1\t30.0\tP2",
        "X\tpre\tmiR-A\t2\t30.1\tP1",
        "X\tpost\tmiR-A\t1\t31.0\tP2",
        "Z\tpre\tmiR-A\t1\t30.0\tP1",
        "Z\tpost\tmiR-A\t1\t31.0\tP1",
    ]
    table = read_ct_table(_table(tmp_path, rows), ["Undetermined"])
    split = calibrate(table, _settings()).split_pairs[["patient", "pre_plates", "post_plates"]]
    assert split.values.tolist() == [["X", "P1, P2", "P2"]]
