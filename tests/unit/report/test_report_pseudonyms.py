"""Patient identifiers coded for the report and the shared tables (config report.pseudonymise).

The codes are checked against ``openssl dgst -hmac`` (an independent HMAC-SHA256), so that a
code can be re-derived outside the workflow from the identifier and the key.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.report.inputs import ReportInputs
from esccrt.report.pseudonyms import (
    CODE_PREFIX,
    Pseudonymiser,
    check_no_leak,
    pseudonym,
    read_key,
    shared_inputs,
    shared_name,
)

KEY = b"0123456789abcdef-test-key"


def _openssl_code(identifier: str, key: bytes) -> str:
    """The code from OpenSSL's HMAC-SHA256 of ``identifier`` under ``key``."""
    run = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", key.decode()],
        input=identifier.encode(),
        capture_output=True,
        check=True,
    )
    digest = run.stdout.decode().split("= ")[-1].strip()
    return CODE_PREFIX + digest[:10].upper()


def test_codes_are_openssl_hmac_and_depend_on_the_key_only() -> None:
    for identifier in ("P01", "P40", "hospital-0071", "7"):
        assert pseudonym(identifier, KEY) == _openssl_code(identifier, KEY)
    assert pseudonym("P01", KEY) != pseudonym("P01", b"another key of 16+ chars")
    assert pseudonym("P01", KEY) != pseudonym("P02", KEY)


def test_codes_are_stable_when_a_new_batch_adds_patients() -> None:
    """Numbers given in order would shift when P00 joins; the keyed codes do not."""
    first = Pseudonymiser(KEY)
    first.frame(pd.DataFrame({"patient": ["P01", "P02"]}))
    later = Pseudonymiser(KEY)
    later.frame(pd.DataFrame({"patient": ["P00", "P02", "P01", "P03"]}))
    assert {p: later.codes[p] for p in first.codes} == first.codes


def test_identifier_columns_are_coded_and_identifiers_replaced_in_other_cells() -> None:
    table = pd.DataFrame(
        {
            "patient": ["P01", "P02", ""],
            "left_out": ["P05,P08", "", "P01"],
            "sample": ["P01_pre", "reads/P02-post.fq.gz", "exo_ctrl_1"],
            "note": ["P01 is left out", "P011 is another patient", "NA"],
            "value": ["1.50", "2", "NA"],
        }
    )
    coder = Pseudonymiser(KEY)
    coder.register(table)
    coded = coder.frame(table)
    code = {p: pseudonym(p, KEY) for p in ("P01", "P02", "P05", "P08")}
    assert coded["patient"].tolist() == [code["P01"], code["P02"], ""]
    assert coded["left_out"].tolist() == [f"{code['P05']},{code['P08']}", "", code["P01"]]
    assert coded["sample"].tolist() == [
        f"{code['P01']}_pre",
        f"reads/{code['P02']}-post.fq.gz",
        "exo_ctrl_1",
    ]
    assert coded["note"].tolist() == [f"{code['P01']} is left out", "P011 is another patient", "NA"]
    pd.testing.assert_frame_equal(coded[["value"]], table[["value"]])
    assert coder.leaks(coded.to_csv(sep="\t")) == []
    assert coder.leaks(table.to_csv(sep="\t")) == ["P01", "P02", "P05", "P08"]


def test_images_and_plain_numbers_are_left_as_they_are() -> None:
    coder = Pseudonymiser(KEY)
    coder.register(pd.DataFrame({"patient": ["P01", "12"]}))
    page = '<img src="data:image/png;base64,AAP01+/P01=="><td>12</td><td>P011</td>'
    assert coder.text(page) == page and coder.leaks(page) == []
    # a part of the page left uncoded is a programming error: the report is not kept
    with pytest.raises(ValueError, match=r"identifier\(s\) P01 still in the report after coding"):
        check_no_leak(coder, [("the report", page + "<td>P01_pre</td>")])


def test_a_table_file_is_coded_cell_for_cell(tmp_path: Path) -> None:
    source = tmp_path / "results" / "survival" / "groups.tsv"
    source.parent.mkdir(parents=True)
    source.write_text("patient\tage\tfc\nP01\t67\t0.10\nP02\tNA\t1e-3\n")
    share = tmp_path / "share"
    inputs = ReportInputs(
        table1=str(source), shared=[str(source)], qpcr_fold_change_plot="fold_changes.png"
    )
    coded, left_out = shared_inputs(inputs, Pseudonymiser(KEY), share)
    assert coded.table1 == str(share / "survival" / "groups.tsv") == coded.shared[0]
    assert coded.qpcr_fold_change_plot == ""  # prints identifiers: left out, and said so
    assert left_out == ["the fold changes per patient"]
    lines = Path(coded.table1).read_text().splitlines()
    assert lines == [
        "patient\tage\tfc",
        f"{pseudonym('P01', KEY)}\t67\t0.10",
        f"{pseudonym('P02', KEY)}\tNA\t1e-3",
    ]
    assert shared_name("config/samples.tsv") == Path("inputs/samples.tsv")


def test_sample_names_made_from_patients_leave_the_sample_figures_out(tmp_path: Path) -> None:
    """Libraries named after their patient (P01_pre): their names are coded in every table and
    the figures printing sample names are left out; other names keep every figure."""
    sheet = tmp_path / "samples.tsv"
    de_plots = ["de/pca.png", "de/a_vs_b.volcano.png", "de/a_vs_b.top_features.png"]
    for names, kept in (
        (["P01_pre", "P01_post"], ["de/a_vs_b.volcano.png"]),
        (["lib1", "lib2"], de_plots),
    ):
        sheet.write_text("sample\tpatient\n" + "".join(f"{n}\tP01\n" for n in names))
        inputs = ReportInputs(
            samples=str(sheet), de_plots=de_plots, qc_plots=["read_fate.png"], insert_sizes_plot="i"
        )
        coded, left_out = shared_inputs(inputs, Pseudonymiser(KEY), tmp_path / "share")
        assert coded.de_plots == kept
        assert (coded.qc_plots, coded.insert_sizes_plot) == (
            ([], "") if kept != de_plots else (["read_fate.png"], "i")
        )
        assert len(left_out) == (kept != de_plots)
        assert "P01" not in Path(coded.samples).read_text()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "names no key file"),
        ("short", "has 5 characters"),
        ("missing", "cannot read the key file"),
    ],
)
def test_a_missing_or_weak_key_is_refused(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "key"
    if content is None:
        path = ""
    elif content != "missing":
        path.write_text(content + "\n")
    with pytest.raises(InputError, match=message):
        read_key(path)
    good = tmp_path / "good"
    good.write_text(KEY.decode() + "\n")
    assert read_key(good) == KEY
