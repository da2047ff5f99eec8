"""Sample and unit sheets: what is forgiven, and what is refused with file, line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from esccrt import sheets
from esccrt.errors import InputError
from esccrt.sheets import load_samples, load_units
from esccrt.smallrna import presets as presets_module

HEADER = "sample\tlibrary_type\tcondition\tbatch\n"
GOOD_ROWS = [
    "exo_a\tsmallrna\tcontrol\tb1",
    "exo_b\tsmallrna\tirradiated\tb1",
    "mac_a\tmrna\tcontrol\tb1",
]


def _samples(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "samples.tsv"
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def _units(tmp_path: Path, rows: list[str]) -> Path:
    for name in ("a.fq.gz", "b.fq.gz", "m1.fq.gz", "m2.fq.gz"):
        (tmp_path / name).write_bytes(b"")
    path = tmp_path / "units.tsv"
    header = "sample\tunit\tfq1\tfq2\tprotocol\tadapter\tstrandedness\n"
    path.write_text(header + "\n".join(rows) + "\n")
    return path


def _good_units(tmp_path: Path) -> list[str]:
    return [
        f"exo_a\tl1\t{tmp_path}/a.fq.gz\t\tillumina\t\t",
        f"exo_b\tl1\t{tmp_path}/b.fq.gz\t\tcustom\tTGGAATTC\t",
        f"mac_a\tl1\t{tmp_path}/m1.fq.gz\t{tmp_path}/m2.fq.gz\ttruseq\t\treverse",
    ]


def test_good_sheets_load_with_defaults(tmp_path: Path) -> None:
    samples = load_samples(_samples(tmp_path, GOOD_ROWS))
    assert list(samples.index) == ["exo_a", "exo_b", "mac_a"]
    units = load_units(_units(tmp_path, _good_units(tmp_path)), samples)
    assert units.loc[("mac_a", "l1"), "fq2"].endswith("m2.fq.gz")
    assert units.loc[("exo_b", "l1"), "adapter"] == "TGGAATTC"


def test_spreadsheet_noise_is_forgiven(tmp_path: Path) -> None:
    """BOM, CRLF, blank lines and spaces around cells do not matter."""
    text = "\ufeff" + HEADER.replace("\n", "\r\n")
    text += "\r\n".join(f" {row.replace(chr(9), ' ' + chr(9))} " for row in GOOD_ROWS)
    text += "\r\n\r\n"
    path = tmp_path / "samples.tsv"
    path.write_bytes(text.encode("utf-8"))
    samples = load_samples(path)
    assert list(samples["sample"]) == ["exo_a", "exo_b", "mac_a"]
    assert list(samples.columns[:2]) == ["sample", "library_type"]


@pytest.mark.parametrize(
    "bad_name",
    ["exo a", "exo;rm", "exo/a", "..", "../x", "$(touch x)", "`id`", "-exo", ".hidden"],
)
def test_unsafe_sample_names_are_refused(tmp_path: Path, bad_name: str) -> None:
    rows = [*GOOD_ROWS, f"{bad_name}\tsmallrna\tcontrol\tb1"]
    with pytest.raises(InputError) as error:
        load_samples(_samples(tmp_path, rows))
    message = str(error.value)
    assert "samples.tsv" in message and "line 5" in message and "column 'sample'" in message


@pytest.mark.parametrize("reserved", ["all_samples", "all_samples.b1"])
def test_the_merged_files_name_is_refused_as_a_sample(tmp_path: Path, reserved: str) -> None:
    """results/smallrna/mirgff/all_samples.gff is the merged mirGFF3: no sample may take that
    name, and the sample wildcard never matches it (nor a sample's names beside it)."""
    import re

    rows = [*GOOD_ROWS, f"{reserved}\tsmallrna\tcontrol\tb1"]
    with pytest.raises(InputError, match=r"line 5, column 'sample'.*merged files"):
        load_samples(_samples(tmp_path, rows))
    gff = re.compile(rf"results/smallrna/mirgff/(?P<sample>{sheets.SAMPLE_WILDCARD})\.gff")
    assert not gff.fullmatch("results/smallrna/mirgff/all_samples.gff")
    for sample in ("exo_a", "all_samples2", "all_samples_b", "my.all_samples"):
        assert gff.fullmatch(f"results/smallrna/mirgff/{sample}.gff")["sample"] == sample


def test_duplicate_sample_is_refused_naming_both_lines(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "exo_a\tsmallrna\tirradiated\tb2"]
    with pytest.raises(InputError, match=r"line 5, column 'sample'.*already defined on line 2"):
        load_samples(_samples(tmp_path, rows))


def test_unknown_library_type_is_refused(tmp_path: Path) -> None:
    rows = [*GOOD_ROWS, "x1\tchipseq\tcontrol\tb1"]
    with pytest.raises(InputError, match=r"line 5, column 'library_type'.*'chipseq'"):
        load_samples(_samples(tmp_path, rows))


def test_missing_column_is_refused(tmp_path: Path) -> None:
    header = "sample\tlibrary_type\tcondition\n"
    rows = [row.rsplit("\t", 1)[0] for row in GOOD_ROWS]
    with pytest.raises(InputError, match=r"line 1: missing column\(s\) \['batch'\]"):
        load_samples(_samples(tmp_path, rows, header))


def test_unit_with_missing_fastq_is_refused(tmp_path: Path) -> None:
    samples = load_samples(_samples(tmp_path, GOOD_ROWS))
    rows = _good_units(tmp_path)
    rows[2] = rows[2].replace("m2.fq.gz", "absent_R2.fq.gz")
    with pytest.raises(InputError, match=r"units.tsv, line 4, column 'fq2'.*absent_R2.fq.gz"):
        load_units(_units(tmp_path, rows), samples)


def test_fastq_listed_twice_or_a_folder_is_refused(tmp_path: Path) -> None:
    samples = load_samples(_samples(tmp_path, GOOD_ROWS))
    rows = _good_units(tmp_path)
    same_mates = rows[2].replace("m2.fq.gz", "m1.fq.gz")
    with pytest.raises(InputError, match=r"line 4, column 'fq2'.*already listed on line 4"):
        load_units(_units(tmp_path, [*rows[:2], same_mates]), samples)
    with pytest.raises(InputError, match=r"line 3, column 'fq1'.*already listed on line 2"):
        load_units(
            _units(tmp_path, [rows[0], rows[1].replace("b.fq.gz", "a.fq.gz"), rows[2]]), samples
        )
    with pytest.raises(InputError, match=r"line 2, column 'fq1'.*is a folder"):
        load_units(_units(tmp_path, [rows[0].replace("/a.fq.gz", ""), *rows[1:]]), samples)


def test_unit_of_unknown_sample_and_bad_protocol_are_refused(tmp_path: Path) -> None:
    samples = load_samples(_samples(tmp_path, GOOD_ROWS))
    rows = _good_units(tmp_path)
    with pytest.raises(InputError, match=r"line 2, column 'sample'.*not in the sample sheet"):
        load_units(_units(tmp_path, [rows[0].replace("exo_a", "exo_z"), *rows[1:]]), samples)
    with pytest.raises(InputError, match=r"line 2, column 'protocol'.*'truseq' is unknown"):
        load_units(_units(tmp_path, [rows[0].replace("illumina", "truseq"), *rows[1:]]), samples)
    with pytest.raises(InputError, match=r"line 3, column 'adapter'"):
        load_units(
            _units(tmp_path, [rows[0], rows[1].replace("TGGAATTC", "TGG;A"), rows[2]]), samples
        )
    with pytest.raises(InputError, match=r"line 4, column 'strandedness'"):
        load_units(_units(tmp_path, [*rows[:2], rows[2].replace("reverse", "sideways")]), samples)


def test_adapters_custom_pairs_and_presets(tmp_path: Path) -> None:
    samples = load_samples(_samples(tmp_path, GOOD_ROWS))
    rows = _good_units(tmp_path)
    paired = rows[2].replace("truseq\t\t", "custom\tAGATCGGAAG,AGATCGGAAA\t")
    units = load_units(_units(tmp_path, [*rows[:2], paired]), samples)
    assert units.loc[("mac_a", "l1"), "adapter"] == "AGATCGGAAG,AGATCGGAAA"
    with pytest.raises(InputError, match=r"line 3, column 'adapter'.*'A,C'"):
        load_units(
            _units(tmp_path, [rows[0], rows[1].replace("TGGAATTC", "A,C"), rows[2]]), samples
        )
    with pytest.raises(InputError, match=r"line 2, column 'adapter'.*brings its own"):
        load_units(
            _units(tmp_path, [rows[0].replace("illumina\t", "illumina\tACGT"), *rows[1:]]), samples
        )


def test_sample_without_unit_is_refused(tmp_path: Path) -> None:
    samples = load_samples(_samples(tmp_path, GOOD_ROWS))
    with pytest.raises(InputError, match=r"\['mac_a'\].*have no unit"):
        load_units(_units(tmp_path, _good_units(tmp_path)[:2]), samples)


def test_no_sequencing_gives_empty_sheets(tmp_path: Path) -> None:
    """A qPCR-only study: sheets with a header only, or none configured, are empty, not errors."""
    for path in (_samples(tmp_path, []), None, ""):
        samples = load_samples(path)
        assert samples.empty and list(samples.columns) == [
            "sample",
            "library_type",
            "condition",
            "batch",
        ]
        units = load_units(_units(tmp_path, []) if path else path, samples)
        assert units.empty and units.index.names == ["sample", "unit"]
    with pytest.raises(InputError, match=r"'units' .* is not set, but the sample sheet lists 3"):
        load_units(None, load_samples(_samples(tmp_path, GOOD_ROWS)))


def test_protocol_vocabulary_is_defined_once(repo_root):
    """The units schema's protocols are the arms' presets (small RNA: esccrt.smallrna.presets;
    mRNA: the fixed presets of mrna.trimming.adapters, plus custom)."""
    schemas = repo_root / "workflow" / "schemas"
    units = yaml.safe_load((schemas / "units.schema.yaml").read_text())
    mrna = yaml.safe_load((schemas / "mrna.schema.yaml").read_text())
    adapters = mrna["properties"]["trimming"]["properties"]["adapters"]
    assert adapters["additionalProperties"] is False  # closed, as the sheets' vocabulary
    assert sheets.PROTOCOLS["smallrna"] is presets_module.PROTOCOLS
    assert set(sheets.PROTOCOLS["mrna"]) == {*adapters["properties"], "custom"}
    assert set(units["properties"]["protocol"]["enum"]) == {
        protocol for protocols in sheets.PROTOCOLS.values() for protocol in protocols
    }


# ------------------------------------------------- optional patient and timepoint columns

PATIENT_HEADER = HEADER.replace("\n", "\tpatient\ttimepoint\n")
#: The qPCR's timepoints (qpcr.pre, qpcr.post) and the clinical table's patients.
TIMEPOINTS, CLINICAL = ["pre", "post"], ["P01", "P02"]


def test_patients_and_timepoints_load_and_pass_the_clinical_check(tmp_path: Path) -> None:
    """Both or neither per row; the same patient and timepoint may have one library of each
    type; a sheet with them passes the check against the clinical table and the timepoints."""
    rows = [
        "exo_a\tsmallrna\tcontrol\tb1\tP01\tpre",
        "exo_b\tsmallrna\tcontrol\tb1\tP01\tpost",
        "mac_a\tmrna\tcontrol\tb1\tP01\tpre",
        "cell\tsmallrna\tcontrol\tb1\t\t",
    ]
    path = _samples(tmp_path, rows, PATIENT_HEADER)
    samples = load_samples(path)
    assert samples.loc["exo_b", ["patient", "timepoint"]].tolist() == ["P01", "post"]
    assert samples.loc["cell", ["patient", "timepoint"]].tolist() == ["", ""]
    sheets.check_sample_patients(path, TIMEPOINTS, CLINICAL, "clinical.tsv")


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        (
            PATIENT_HEADER,
            "exo_b\tsmallrna\tcontrol\tb1\t\tpost",
            "line 3, column 'patient': sample 'exo_b' has a timepoint ('post') but no patient",
        ),
        (
            HEADER.replace("\n", "\ttimepoint\n"),
            "exo_b\tsmallrna\tcontrol\tb1\tpost",
            "line 3, column 'patient': sample 'exo_b' has a timepoint ('post') but no patient",
        ),
        (
            PATIENT_HEADER,
            "exo_b\tsmallrna\tcontrol\tb1\tP02\t",
            "line 3, column 'timepoint': sample 'exo_b' has a patient ('P02') but no timepoint",
        ),
        (
            PATIENT_HEADER,
            "exo_b\tsmallrna\tirradiated\tb2\tP01\tpre",
            "line 3, column 'timepoint': patient 'P01' already has a smallrna sample at "
            "timepoint 'pre' ('exo_a', line 2)",
        ),
    ],
)
def test_patient_columns_refused_naming_row_and_field(
    tmp_path: Path, header: str, row: str, expected: str
) -> None:
    first = "exo_a\tsmallrna\tcontrol\tb1" + ("\tP01\tpre" if "patient" in header else "\t")
    path = _samples(tmp_path, [first, row], header)
    with pytest.raises(InputError) as error:
        load_samples(path)
    assert str(error.value).startswith(f"{path}, {expected}")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            "exo_b\tsmallrna\tcontrol\tb1\tP99\tpost",
            "line 3, column 'patient': patient 'P99' of sample 'exo_b' is not in the clinical "
            "table clinical.tsv",
        ),
        (
            "exo_b\tsmallrna\tcontrol\tb1\tP01\tday7",
            "line 3, column 'timepoint': timepoint 'day7' of sample 'exo_b' is not one of "
            "['pre', 'post']",
        ),
    ],
)
def test_unknown_patient_or_timepoint_is_refused(tmp_path: Path, row: str, expected: str) -> None:
    path = _samples(tmp_path, ["exo_a\tsmallrna\tcontrol\tb1\tP01\tpre", row], PATIENT_HEADER)
    load_samples(path)  # well-formed: only the clinical table and the qPCR's timepoints refuse it
    with pytest.raises(InputError) as error:
        sheets.check_sample_patients(path, TIMEPOINTS, CLINICAL, "clinical.tsv")
    assert str(error.value).startswith(f"{path}, {expected}")
