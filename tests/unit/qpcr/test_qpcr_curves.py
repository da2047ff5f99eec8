"""Amplification curves to Cq and efficiencies (esccrt.qpcr.curves): LinRegPCR through
rdmlpython 1.7.2 on hand-made RDML 1.4 curves of known shape, through the import entry point
with a validated config, the efficiency table, the RDML 1.4 -> 1.3 conversion and the refusals.

The curves are one logistic shape shifted along the cycle axis, so every Cq difference between
two reactions is the shift itself whatever threshold LinRegPCR picks; replicates are identical.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.ct_import import ImportSettings
from esccrt.qpcr.curves import (
    EFFICIENCY_COLUMNS,
    CurveOutputs,
    CurveSettings,
    import_with_curves,
    run,
)
from esccrt.qpcr.formats.rdml_version import downgrade_to_1_3
from esccrt.qpcr.uncertainty import fold_change_efficiencies
from lxml import etree
from rdml_curves import SHIFTS, rdml_xml
from schema_sections import section_defaults

MAP = "sample\tpatient\ttimepoint\nS1\tP1\tpre\nS2\tP1\tpost\nS3\tP2\tpre\n"


def _config(tmp_path: Path, rdml: Path, **keys: object) -> dict:
    """A validated qpcr section reading ``rdml`` through the sample map above."""
    sheet = tmp_path / "sample_map.tsv"
    sheet.write_text(MAP)
    return section_defaults(
        "qpcr", ct_table=str(rdml), format="rdml", sample_map=str(sheet), **keys
    )


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The import entry point run once, Cq and efficiencies from LinRegPCR."""
    folder = tmp_path_factory.mktemp("curves")
    rdml = folder / "plate1.rdml"
    rdml.write_text(rdml_xml(SHIFTS))
    section = _config(folder, rdml, cq_source="linregpcr", efficiency_source="linregpcr")
    outputs = CurveOutputs(folder / "efficiencies.tsv", folder / "linregpcr_reactions.tsv")
    log = run(
        ImportSettings.from_config(section),
        CurveSettings.from_config(section),
        folder / "ct.tsv",
        folder / "controls.tsv",
        outputs,
    )
    read = {"keep_default_na": False, "na_values": [""], "sep": "\t"}
    return {
        "log": log,
        "long": pd.read_csv(folder / "ct.tsv", **read),
        "reactions": pd.read_csv(outputs.linregpcr_reactions, **read),
        "efficiencies": pd.read_csv(outputs.efficiencies, **read),
    }


def test_linregpcr_cq_follow_the_curve_shifts(imported: dict) -> None:
    long = imported["long"]
    cq = long.groupby(["patient", "timepoint"])["ct"].apply(list)
    assert cq[("P1", "pre")][0] == cq[("P1", "pre")][1]  # identical replicates, identical Cq
    base = cq[("P1", "pre")][0]
    assert 5 < base < 20  # LinRegPCR's threshold lies in the log-linear phase, before midpoint
    assert cq[("P1", "post")][0] - base == pytest.approx(3.0, abs=0.01)
    assert cq[("P2", "pre")][0] - base == pytest.approx(6.5, abs=0.01)


def test_long_table_carries_the_reactions_table_cq(imported: dict) -> None:
    long, reactions = imported["long"], imported["reactions"]
    assert list(long["well"]) == list(reactions["well"])  # A1..A6, in order
    assert np.array_equal(long["ct"].to_numpy(float), reactions["cq"].to_numpy(float))
    assert any(
        line.startswith("LinRegPCR (rdmlpython 1.7.2): 6 reactions") for line in imported["log"]
    )


def test_efficiency_table_is_the_mean_and_se_of_the_used_reactions(imported: dict) -> None:
    table, reactions = imported["efficiencies"], imported["reactions"]
    assert tuple(table.columns) == EFFICIENCY_COLUMNS
    row = table.set_index("target").loc["miR-A"]
    used = reactions.loc[reactions["used_for_mean_efficiency"], "efficiency"]
    assert row["n_reactions"] == len(used) == 6
    assert row["efficiency"] == pytest.approx(used.mean(), rel=1e-12)
    assert row["efficiency"] == pytest.approx(reactions["target_mean_efficiency"][0], rel=1e-12)
    assert row["efficiency_se"] == pytest.approx(used.std(ddof=1) / math.sqrt(6), rel=1e-9)
    assert 1.7 < row["efficiency"] < 1.95 and row["source"] == "linregpcr"


def test_fold_changes_read_linregpcr_factors_and_refuse_missing_ones(
    imported: dict, tmp_path: Path
) -> None:
    path = tmp_path / "efficiencies.tsv"
    imported["efficiencies"].to_csv(path, sep="\t", index=False)
    factor = fold_change_efficiencies(path, ["miR-A"])["miR-A"]
    assert factor == pytest.approx(imported["efficiencies"]["efficiency"][0], rel=1e-12)
    with pytest.raises(InputError, match=r"no LinRegPCR efficiency for \['miR-B'\]"):
        fold_change_efficiencies(path, ["miR-A", "miR-B"])


def test_default_config_keeps_instrument_cq_and_config_efficiencies(tmp_path: Path) -> None:
    rdml = tmp_path / "plate1.rdml"
    rdml.write_text(rdml_xml(SHIFTS, curves=False))  # Cq 25.0 in the file, no curves
    section = _config(tmp_path, rdml, efficiencies={"miR-A": 1.95})
    curves = CurveSettings.from_config(section)
    assert (curves.cq_source, curves.efficiency_source) == ("instrument", "config")
    (long, *_), reactions, efficiencies = import_with_curves(
        ImportSettings.from_config(section), curves
    )
    assert set(long["ct"]) == {"25.0"} and reactions.empty
    row = efficiencies.set_index("target").loc["miR-A"]
    assert (row["efficiency"], row["n_reactions"], row["source"]) == (1.95, 0, "config")
    assert math.isnan(row["efficiency_se"])  # a configured factor has no standard error


def test_rdml_1_4_becomes_1_3_without_its_additions() -> None:
    root = etree.fromstring(rdml_xml(SHIFTS[:2]).encode())
    removed = downgrade_to_1_3(root)
    assert root.get("version") == "1.3" and removed == ["react/vol: 2"]
    assert len(root.findall(".//{http://www.rdml.org}adp")) == 2 * 45  # curves kept
    untouched = etree.fromstring(rdml_xml(SHIFTS[:2], version="1.3").encode())
    assert downgrade_to_1_3(untouched) == [] and untouched.get("version") == "1.3"


def test_linregpcr_is_refused_for_long_tables_other_formats_and_unusable_curves(
    tmp_path: Path,
) -> None:
    with pytest.raises(InputError, match=r"qpcr\.format 'long' has none"):
        CurveSettings.from_config(section_defaults("qpcr", cq_source="linregpcr"))
    csv = tmp_path / "plate.csv"
    csv.write_text("Well,Fluor,Target,Content,Sample,Cq\nA01,SYBR,miR-A,Unkn,S1,25.1\n")
    section = _config(tmp_path, csv, cq_source="linregpcr")
    section["format"] = "auto"
    with pytest.raises(InputError, match=r"plate.csv: config key qpcr.cq_source .* format 'cfx'"):
        import_with_curves(ImportSettings.from_config(section), CurveSettings.from_config(section))
    rdml = tmp_path / "nocurves.rdml"
    rdml.write_text(rdml_xml(SHIFTS, curves=False))
    section = _config(tmp_path, rdml, efficiency_source="linregpcr")
    with pytest.raises(InputError, match=r"nocurves.rdml: run 'exp/plate1': .* No raw data"):
        import_with_curves(ImportSettings.from_config(section), CurveSettings.from_config(section))
    corrected = tmp_path / "corrected.rdml"  # baseline subtracted by the instrument software
    corrected.write_text(rdml_xml(SHIFTS, baseline=-0.5))
    section = _config(tmp_path, corrected, cq_source="linregpcr")
    with pytest.raises(InputError, match=r"corrected.rdml: run 'exp/plate1': .* negative values"):
        import_with_curves(ImportSettings.from_config(section), CurveSettings.from_config(section))
