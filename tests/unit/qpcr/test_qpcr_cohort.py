"""Cohorts as they are: samples the sample map excludes, patients missing a timepoint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.cohort import unpaired_samples
from esccrt.qpcr.ct_import import ImportSettings, run
from esccrt.qpcr.sample_map import read_sample_map

HEADER = "Well,Well Position,Omit,Sample Name,Target Name,Task,Reporter,CT,HIGHSD"
ROWS = [
    "1,A1,false,S1,miR-A,UNKNOWN,FAM,25.10,N",
    "2,A2,false,S1,ref,UNKNOWN,FAM,20.10,N",
    "3,A3,false,S2,miR-A,UNKNOWN,FAM,26.00,N",
    "4,A4,false,S2,ref,UNKNOWN,FAM,20.00,N",
    "5,A5,false,pilot,miR-A,UNKNOWN,FAM,22.00,N",
]


def _plate(folder: Path) -> Path:
    path = folder / "plate1.csv"
    info = ["Block Type,96-Well Block", "Instrument Type,QuantStudio 5 System", ""]
    path.write_text("\n".join([*info, HEADER, *ROWS]) + "\n")
    return path


def test_excluded_samples_leave_the_ct_table_and_are_listed(tmp_path: Path) -> None:
    sheet = tmp_path / "map.tsv"
    sheet.write_text(
        "sample\tpatient\ttimepoint\tgroup\texclude\n"
        "S1\tP1\tpre\tESCC\t\n"
        "S2\tP2\tpre\thealthy\tclotted serum\n"
        "pilot\t\t\t\tpilot dilution\n"
    )
    settings = ImportSettings([str(_plate(tmp_path))], "quantstudio", str(sheet), ["Undetermined"])
    paths = [tmp_path / name for name in ("ct.tsv", "controls.tsv", "excluded.tsv")]
    lines = run(settings, *paths)
    long = pd.read_csv(paths[0], sep="\t")
    assert long["sample"].unique().tolist() == ["S1"]
    assert long["group"].unique().tolist() == ["ESCC"]  # the map's group travels with the wells
    excluded = pd.read_csv(paths[2], sep="\t", keep_default_na=False)
    assert excluded.values.tolist() == [
        [str(settings.files[0]), "S2", "P2", "pre", 2, "clotted serum"],
        [str(settings.files[0]), "pilot", "", "", 1, "pilot dilution"],
    ]
    assert pd.read_csv(paths[1], sep="\t").empty  # excluded wells are not controls
    assert any("excluded by the sample map: S2" in line for line in lines)


def test_a_sample_without_patient_needs_a_task_or_an_exclusion(tmp_path: Path) -> None:
    sheet = tmp_path / "map.tsv"
    sheet.write_text("sample\tpatient\ttimepoint\nS1\t\tpre\n")
    with pytest.raises(InputError, match=r"line 2.*'S1' has no patient"):
        read_sample_map(sheet)


def test_unpaired_samples_name_the_missing_timepoint_per_comparison() -> None:
    table = pd.DataFrame(
        [("P1", "pre"), ("P1", "post"), ("P2", "post"), ("P3", "pre"), ("P4", "during")],
        columns=["patient", "timepoint"],
    )
    got = unpaired_samples(table, [("pre", "post")])
    assert got[["patient", "timepoint_present", "timepoint_missing"]].values.tolist() == [
        ["P2", "post", "pre"],
        ["P3", "pre", "post"],
    ]
    assert set(got["comparison"]) == {"post vs pre"}
    assert unpaired_samples(table, [("during", "post")])["patient"].tolist() == ["P1", "P2", "P4"]
