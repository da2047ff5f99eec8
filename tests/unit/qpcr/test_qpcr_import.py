"""Ct import on hand-made instrument files: the long table and control wells it makes, and the
message a biologist sees for every file that is not what it claims (naming file and place),
with nothing written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.qpcr.ct_import import ImportSettings, import_ct, run
from esccrt.qpcr.ct_table import read_ct_table
from esccrt.qpcr.curves import CurveSettings, import_rule_settings, linregpcr_reactions
from esccrt.qpcr.formats import detect_format, read_wells
from esccrt.qpcr.melt import melt_peaks
from esccrt.qpcr.sample_map import read_sample_map
from schema_sections import section_defaults, validated

QS_HEADER = "Well,Well Position,Omit,Sample Name,Target Name,Task,Reporter,CT,HIGHSD"
QS_ROWS = [
    "1,A1,false,S1,miR-A,UNKNOWN,FAM,25.10,N",
    "2,A2,false,S1,miR-A,UNKNOWN,FAM,25.30,Y",
    "3,A3,true,S1,miR-A,UNKNOWN,FAM,31.00,N",
    "4,A4,false,S1,ref,UNKNOWN,FAM,Undetermined,N",
    "5,A5,false,NTC,miR-A,NTC,FAM,33.20,N",
    "6,A6,false,water,miR-A,UNKNOWN,FAM,Undetermined,N",
]
MAP = "sample\tpatient\ttimepoint\ttask\nS1\tP1\tpre\t\nwater\t\t\tNTC\n"


def _quantstudio(tmp_path: Path, rows: list[str] = QS_ROWS, header: str = QS_HEADER) -> Path:
    path = tmp_path / "plate1.csv"
    info = ["Block Type,96-Well Block", "Instrument Type,QuantStudio 5 System", ""]
    path.write_text("\n".join([*info, header, *rows, "", "Reference Sample,S1"]) + "\n")
    return path


def _settings(tmp_path: Path, files: list[Path], sheet: str = MAP, fmt: str = "auto"):
    sheet_path = tmp_path / "sample_map.tsv"
    sheet_path.write_text(sheet)
    return ImportSettings([str(f) for f in files], fmt, str(sheet_path), ["Undetermined", ""])


def test_quantstudio_wells_become_the_long_table_and_controls(tmp_path: Path) -> None:
    path = _quantstudio(tmp_path)
    assert detect_format(path) == "quantstudio"
    long, controls, wells, _ = import_ct(_settings(tmp_path, [path]))
    assert list(long["ct"]) == ["25.1", "25.3", "Undetermined"]  # A3 omitted, NTC/water not
    assert list(long["replicate"]) == [1, 2, 1]
    assert list(long["well"]) == ["A1", "A2", "A4"]
    assert wells.set_index("well").at["A2", "flags"] == "HIGHSD"
    assert controls.set_index("well")["reason"].to_dict() == {
        "A3": "omitted in the instrument software",
        "A5": "no-template control with a Cq",
        "A6": "ntc",  # declared NTC by the sample map
    }
    # the written table is what the fold-change step reads
    written = tmp_path / "ct.tsv"
    long.to_csv(written, sep="\t", index=False)
    read = read_ct_table(written, ["Undetermined"])
    assert read["undetermined"].tolist() == [False, False, True]


def test_quantstudio_xlsx_export_is_read_like_the_csv(tmp_path: Path) -> None:
    import openpyxl  # pinned in requirements.lock (make setup)

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Results"
    sheet.append(["Block Type", "96-Well Block"])
    sheet.append([])
    for line in [QS_HEADER, *QS_ROWS]:
        sheet.append([float(c) if c.replace(".", "").isdigit() else c for c in line.split(",")])
    path = tmp_path / "plate1.xlsx"
    book.save(path)
    assert detect_format(path) == "quantstudio"
    wells = read_wells(path, "auto")
    assert wells["cq"].iloc[:2].tolist() == [25.1, 25.3] and wells["omitted"].sum() == 1


def test_missing_column_names_file_line_and_column(tmp_path: Path) -> None:
    path = _quantstudio(tmp_path, header=QS_HEADER.replace(",CT,", ",Quantity,"))
    with pytest.raises(InputError, match=r"plate1\.csv, line 4: .*lacks column\(s\) \['Ct'\]"):
        read_wells(path, "quantstudio")


def test_bad_cq_names_line_column_and_well(tmp_path: Path) -> None:
    path = _quantstudio(tmp_path, rows=[*QS_ROWS[:2], "3,A3,false,S1,miR-A,UNKNOWN,FAM,25..1,N"])
    with pytest.raises(
        InputError, match=r"plate1\.csv, line 7, column 'CT' \(well A3\): Cq '25\.\.1'"
    ):
        read_wells(path, "auto")


def test_duplicate_wells_within_and_across_files_are_refused(tmp_path: Path) -> None:
    path = _quantstudio(tmp_path, rows=[*QS_ROWS, QS_ROWS[1]])
    with pytest.raises(InputError, match=r"well A2 .*appears 2 times \(line 6, well A2; line 11"):
        read_wells(path, "auto")
    once = _quantstudio(tmp_path)
    with pytest.raises(InputError, match="appears 2 times"):
        import_ct(_settings(tmp_path, [once, once]))


def test_sample_in_no_sheet_stops_and_writes_nothing(tmp_path: Path) -> None:
    path = _quantstudio(tmp_path)
    settings = _settings(tmp_path, [path], sheet="sample\tpatient\ttimepoint\nS1\tP1\tpre\n")
    outputs = tmp_path / "results" / "ct.tsv", tmp_path / "results" / "controls.tsv"
    with pytest.raises(
        InputError,
        match=r"plate1\.csv, line 10, well A6, column 'sample': sample 'water' is in no row",
    ):
        run(settings, *outputs)
    assert not any(p.exists() for p in outputs)


def test_unknown_file_is_refused_by_auto(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("patient\tCt\nP1\t25\n")
    with pytest.raises(InputError, match="none of the known results headers"):
        detect_format(path)


def _rdml(tmp_path: Path, datas: list[str], version: str = "1.2") -> Path:
    reacts = "".join(
        f'<react id="{i + 1}"><sample id="{s}"/><data><tar id="miR-A"/>{body}</data></react>'
        for i, (s, body) in enumerate(d.split("|") for d in datas)
    )
    xml = (
        f'<rdml version="{version}" xmlns="http://www.rdml.org">'
        '<sample id="S1"><type>unkn</type></sample><sample id="N"><type>ntc</type></sample>'
        '<target id="miR-A"><type>toi</type></target><experiment id="E"><run id="R">'
        "<pcrFormat><rows>8</rows><columns>12</columns><rowLabel>ABC</rowLabel>"
        f"<columnLabel>123</columnLabel></pcrFormat>{reacts}</run></experiment></rdml>"
    )
    path = tmp_path / "run.rdml"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("rdml_data.xml", xml)
    return path


def test_rdml_markers_exclusion_and_sample_types(tmp_path: Path) -> None:
    path = _rdml(
        tmp_path,
        [
            "S1|<cq>24.5</cq>",
            "S1|<cq>-1</cq>",
            "S1|<cq>26.0</cq><excl>pipetting</excl>",
            "N|",
            "S1|<cq>25.0</cq><adp><cyc>1</cyc><fluor>0.1</fluor></adp>"
            "<adp><cyc>40</cyc><fluor>9</fluor></adp>",
        ],
    )
    wells = read_wells(path, "auto")
    assert wells["well"].tolist() == ["A1", "A2", "A3", "A4", "A5"]
    assert wells["no_cq"].tolist() == [False, True, False, True, False]
    assert wells["omitted"].tolist() == [False, False, True, False, False]
    assert wells["task"].tolist() == ["UNKNOWN"] * 3 + ["NTC", "UNKNOWN"]
    beyond = _rdml(tmp_path, ["S1|<cq>40.0</cq><adp><cyc>40</cyc><fluor>1</fluor></adp>"])
    assert read_wells(beyond, "rdml")["no_cq"].tolist() == [True]  # StepOne's "40 of 40"


def test_rdml_without_any_cq_is_refused(tmp_path: Path) -> None:
    path = _rdml(tmp_path, ["S1|<adp><cyc>1</cyc><fluor>0.1</fluor></adp>", "N|"])
    with pytest.raises(InputError, match=r"run\.rdml: the RDML file holds 2 reactions but no Cq"):
        read_wells(path, "rdml")
    broken = tmp_path / "broken.rdml"
    broken.write_text("<rdml version='1.1'><experiment>")
    with pytest.raises(InputError, match=r"broken\.rdml: not a readable RDML file"):
        read_wells(broken, "rdml")


def test_every_rdml_reader_refuses_a_broken_file_alike(tmp_path: Path) -> None:
    """Cq import, melt curves and LinRegPCR load RDML through one loader: same file, same error."""
    broken = tmp_path / "broken.rdml"
    broken.write_text("<rdml version='1.1'><experiment>")
    readers = (lambda p: read_wells(p, "rdml"), lambda p: melt_peaks([p], {}), linregpcr_reactions)
    for read in readers:
        with pytest.raises(InputError, match=r"broken\.rdml: not a readable RDML file"):
            read(broken)


def test_lightcycler_without_target_needs_one_in_the_sheet(tmp_path: Path) -> None:
    path = tmp_path / "lc480.txt"
    lines = [
        "Experiment: demo  Selected Filter: SYBR Green I",
        "Include\tColor\tPos\tName\tCp\tConcentration\tStandard\tStatus",
        "True\t255\tA1\tS1 pre\t22.5\t\t0\t",
        "False\t255\tA2\tS1 pre\t30.0\t\t0\t",
        "True\t255\tA3\tStd 1\t15.0\t\t1000\t",
    ]
    path.write_bytes("\r".join(lines).encode())  # LC480 writes old Mac line ends
    sheet = "sample\tpatient\ttimepoint\nS1 pre\tP1\tpre\n"
    with pytest.raises(
        InputError, match=r"lc480\.txt, line 3, well A1: the export names no target"
    ):
        import_ct(_settings(tmp_path, [path], sheet))
    long, controls, _, _ = import_ct(
        _settings(
            tmp_path,
            [path],
            sheet.replace("pre\n", "pre\tmiR-A\n").replace("timepoint\n", "timepoint\ttarget\n"),
        )
    )
    assert long[["target", "ct", "well"]].values.tolist() == [["miR-A", "22.5", "A1"]]
    assert set(controls["reason"]) == {"omitted in the instrument software", "standard"}


def test_import_rule_params_change_with_the_import_keys_only() -> None:
    """Rule qpcr_import_ct gets :func:`import_rule_settings` as params: a change of a downstream
    qPCR key leaves them equal (Snakemake's params trigger does not rerun the import), a change
    of a key the import reads does not; the rule script's settings from them are the section's."""
    section = section_defaults(
        "qpcr",
        targets=["miR-A"],
        reference_targets=["ref"],
        ct_table=["p1.rdml"],
        format="rdml",
        sample_map="m.tsv",
    )
    params = import_rule_settings(section)
    assert ImportSettings.from_config(params) == ImportSettings.from_config(section)
    assert CurveSettings.from_config(params) == CurveSettings.from_config(section)
    downstream = {
        "design": "unpaired",
        "interrun_calibration": {"method": "ruijter", "calibrators": []},
        "sd_threshold": 0.3,
        "reference_targets": ["miR-B"],
        "haemolysis": {**section["haemolysis"], "threshold": 5.0},
    }
    for key, value in downstream.items():
        assert import_rule_settings(validated("qpcr", {**section, key: value})) == params, key
    upstream = {
        "ct_table": ["p1.rdml", "p2.rdml"],
        "format": "auto",
        "sample_map": "other.tsv",
        "undetermined_tokens": ["N/A"],
        "cq_source": "linregpcr",
        "efficiency_source": "linregpcr",
        "efficiencies": {"miR-A": 1.9},
    }
    for key, value in upstream.items():
        assert import_rule_settings(validated("qpcr", {**section, key: value})) != params, key


@pytest.mark.parametrize(
    ("sheet", "message"),
    [
        ("sample\tpatient\nS1\tP1\n", r"line 1: missing column\(s\) \['timepoint'\]"),
        (
            "sample\tpatient\ttimepoint\nS1\t\tpre\n",
            r"line 2, column 'patient': sample 'S1' has no",
        ),
        ("sample\tpatient\ttimepoint\ttask\nS1\t\t\tntc\n", r"line 2, column 'task': task 'ntc'"),
        (
            "sample\tpatient\ttimepoint\nS1\tP1\tpre\nS1\tP1\tpre\n",
            r"line 3, column 'sample'.*\[2, 3\]",
        ),
    ],
)
def test_sample_map_errors_name_line_and_column(tmp_path: Path, sheet: str, message: str) -> None:
    path = tmp_path / "map.tsv"
    path.write_text(sheet)
    with pytest.raises(InputError, match=message):
        read_sample_map(path)


def test_import_settings_and_schema(tmp_path: Path) -> None:
    base = {"targets": ["a"], "reference_targets": ["b"]}
    section = validated(
        "qpcr",
        {**base, "ct_table": ["p1.rdml", "p2.rdml"], "format": "rdml", "sample_map": "m.tsv"},
    )
    assert ImportSettings.from_config(section).files == ["p1.rdml", "p2.rdml"]
    demo = validated("qpcr", {**base, "ct_table": "ct.tsv"})
    assert demo["format"] == "long" and ImportSettings.from_config(demo).is_long
    with pytest.raises(InputError, match=r"qpcr\.sample_map: format 'cfx' needs a sample map"):
        ImportSettings.from_config({**section, "format": "cfx", "sample_map": ""})
    with pytest.raises(InputError, match="format 'long' reads one long Ct table"):
        ImportSettings.from_config({**section, "format": "long"})
    frame = pd.DataFrame(
        {"sample": ["S1"], "patient": ["P1"], "timepoint": ["pre"], "task": ["NTC"]}
    )
    from snakemake.utils import validate

    validate(
        frame,
        str(Path(__file__).resolve().parents[3] / "workflow/schemas/qpcr_sample_map.schema.yaml"),
    )


def test_file_column_tells_plates_with_the_same_sample_names_apart(tmp_path: Path) -> None:
    """Two plates both name their sample S1: the sample map's file column says whose is whose."""
    plates = []
    for name in ("pre_plate", "post_plate"):
        folder = tmp_path / name
        folder.mkdir()
        plates.append(_quantstudio(folder, rows=QS_ROWS[:2]))
        plates[-1] = plates[-1].rename(folder / f"{name}.csv")
    sheet = (
        "sample\tpatient\ttimepoint\tfile\n"
        "S1\tP1\tpre\tpre_plate.csv\nS1\tP1\tpost\tpost_plate.csv\n"
    )
    long, _, _, _ = import_ct(_settings(tmp_path, plates, sheet))
    assert long[["timepoint", "replicate"]].values.tolist() == [
        ["pre", 1], ["pre", 2], ["post", 1], ["post", 2],
    ]  # fmt: skip
    assert long["file"].map(lambda f: Path(f).name).tolist()[::2] == [
        "pre_plate.csv",
        "post_plate.csv",
    ]


def test_provenance_records_every_instrument_file_and_the_sample_map() -> None:
    from esccrt import provenance

    config = {
        "samples": "s.tsv",
        "units": "u.tsv",
        "smallrna": {},
        "qpcr": {"ct_table": ["p1.rdml", "p2.rdml"], "format": "rdml", "sample_map": "m.tsv"},
        "survival": {"clinical": "c.tsv"},
    }
    units = pd.DataFrame({"fq1": [], "fq2": []})
    inputs = provenance.run_inputs(config, units, [], [], [], qpcr=True)
    assert inputs["tables"] == ["p1.rdml", "p2.rdml", "m.tsv", "c.tsv"]


def test_cfx_semicolon_export_with_decimal_commas(tmp_path: Path) -> None:
    """CFX in a locale with ',' as decimal mark writes ';'-separated files."""
    path = tmp_path / "cfx.csv"
    path.write_text(
        ";Well;Fluor;Target;Content;Sample;Cq\n"
        ";A01;SYBR;miR-A;Unkn-01;S1;25,31\n"
        ";A02;SYBR;miR-A;NTC;;N/A\n"
    )
    assert detect_format(path) == "cfx"
    wells = read_wells(path, "auto")
    assert wells["cq"].iloc[0] == 25.31 and wells["task"].tolist() == ["UNKNOWN", "NTC"]


def test_format_vocabulary_is_defined_once(repo_root: Path) -> None:
    """qpcr.format's schema enum is the Python registry (long, one reader per instrument, auto),
    in order, and ``auto`` can tell every instrument format from the file itself."""
    import yaml
    from esccrt.qpcr.formats import FORMATS, READERS, SIGNATURES

    schema = yaml.safe_load((repo_root / "workflow/schemas/qpcr.schema.yaml").read_text())
    assert schema["properties"]["format"]["enum"] == list(FORMATS)
    assert {name for name, _words in SIGNATURES} | {"rdml"} == set(READERS)
