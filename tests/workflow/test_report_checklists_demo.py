"""The demo's reporting checklists and its report with patient identifiers coded.

These read the demo's run (the ``demo_results`` fixture): the checklists the report rule wrote,
and rule ``report`` run again on a copy of the finished demo with ``report.pseudonymise`` on.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt import paths
from esccrt.io import read_tsv
from esccrt.report.checklists import USER, load_checklists
from esccrt.report.pseudonyms import pseudonym
from esccrt.report.stage import ReportOutputs
from schema_sections import validated
from workflow_runs import copy_run, run_workflow

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def config(demo_results: Path) -> dict:
    """The configuration of the demo's run, as Snakemake loads it (schema defaults filled)."""
    return validated(
        "config", yaml.safe_load((demo_results.parent / "config" / "config.yaml").read_text())
    )


def test_every_checklist_item_the_demo_answers_links_to_its_part(demo_results: Path) -> None:
    """The demo runs every stage: each item mapped to a part of the report is answered there,
    its link's section is on the page and the part's heading in that section."""
    page = (demo_results / "report" / "report.html").read_text()
    sections = dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', page, re.S))
    mapped = load_checklists().set_index(["checklist", "item"])
    for checklist, path in (
        ("TRIPOD+AI", paths.REPORT_TRIPOD_CHECKLIST),
        ("REMARK", paths.REPORT_REMARK_CHECKLIST),
    ):
        written = read_tsv(demo_results.parent / path, ["item", "anchor"]).fillna("")
        assert len(written) == (mapped.loc[checklist].shape[0])
        for row in written.itertuples():
            expected = mapped.loc[(checklist, row.item)]
            if not expected["section"]:
                assert row.answered_in == USER and row.anchor == "", (checklist, row.item)
                continue
            assert row.anchor == expected["section"], (checklist, row.item)
            assert row.anchor in sections, (checklist, row.item)
            headings = re.findall(r"<h3>(.*?)</h3>", sections[row.anchor])
            assert not expected["part"] or any(h.startswith(expected["part"]) for h in headings), (
                checklist,
                row.item,
            )
        assert f"<h3>{checklist} (" in sections["reporting-checklists"]


def _named(text: str, identifier: str) -> bool:
    """Whether ``text`` (embedded images removed) names ``identifier`` between characters
    that are no letter or digit (so also in ``P01_pre``)."""
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]*", "", text)
    return re.search(rf"(?<![A-Za-z0-9]){re.escape(identifier)}(?![A-Za-z0-9])", text) is not None


def test_pseudonymised_demo_report_and_shared_tables_name_no_patient(
    demo_results: Path, config: dict, tmp_path: Path
) -> None:
    key = b"demo-key-for-the-test-0123456789"
    (tmp_path / "key").write_bytes(key + b"\n")
    workdir = copy_run(demo_results.parent, tmp_path / "run")
    coded = {"report": {"pseudonymise": True, "pseudonym_key": str(tmp_path / "key")}}
    (workdir / "coded.yaml").write_text(yaml.safe_dump(coded))
    # The user's path: the finished demo with the report's settings changed; Snakemake reruns
    # what those settings feed (the report rule) with every input the workflow gives it.
    run = run_workflow(
        workdir,
        "--cores",
        "2",
        paths.REPORT_HTML,  # before --configfile, which takes every file name after it
        "--configfile",
        "config/config.yaml",
        "coded.yaml",
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    outputs = ReportOutputs(
        html=workdir / paths.REPORT_HTML,
        tripod_checklist=workdir / paths.REPORT_TRIPOD_CHECKLIST,
        remark_checklist=workdir / paths.REPORT_REMARK_CHECKLIST,
        share=workdir / paths.SHARE,
        pseudonyms=workdir / paths.PSEUDONYMS,
    )

    clinical = read_tsv(demo_results.parent / config["survival"]["clinical"], ["patient"])
    patients = clinical["patient"].tolist()
    assert len(patients) == 40
    page = outputs.html.read_text()
    shared = sorted(outputs.share.rglob("*.tsv"))
    assert {str(p.relative_to(outputs.share)) for p in shared} >= {
        "survival/groups.tsv",
        "survival/predicted_risks.tsv",
        "survival/table1.tsv",
        "qpcr/fold_changes.tsv",
        "qpcr/relative_quantities.tsv",
    }
    for patient in patients:
        assert not _named(page, patient), patient
        for table in shared:
            assert not _named(table.read_text(), patient), (patient, table)
    # Stable codes: a function of the identifier and the key only (HMAC-SHA256), so every
    # rerun and every new batch gives a patient the same one; the private mapping lists them.
    codes = {p: pseudonym(p, key) for p in patients}
    mapping = read_tsv(outputs.pseudonyms, ["identifier", "code"])
    assert dict(zip(mapping["identifier"], mapping["code"], strict=True)) == codes
    assert oct(outputs.pseudonyms.stat().st_mode & 0o777) == "0o600"
    groups = read_tsv(outputs.share / "survival" / "groups.tsv", ["patient"])
    original = read_tsv(demo_results / "survival" / "groups.tsv", ["patient"])
    assert groups["patient"].tolist() == [codes[p] for p in original["patient"]]
    pd.testing.assert_frame_equal(groups.drop(columns="patient"), original.drop(columns="patient"))
    # The page shows the codes where it showed identifiers, and left out the figure that
    # prints them; nothing else changed on it.
    haemolysis = re.search(r'<table id="haemolysis">.*?</table>', page, re.S).group(0)
    shown = re.findall(r"<td>(PT-[0-9A-F]{10})</td>", haemolysis)
    assert shown and set(shown) <= set(codes.values())
    assert "Fold changes per patient with their confidence intervals" not in page
    assert "Patient identifiers are replaced by codes" in page


def test_coding_without_a_key_stops_the_run_before_any_job(tmp_path: Path) -> None:
    """report.pseudonymise with no key file is refused when the workflow is read."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    (tmp_path / "coded.yaml").write_text("report: {pseudonymise: true}\n")
    run = run_workflow(tmp_path, "-n", "--configfile", "config/config.yaml", "coded.yaml")
    assert run.returncode != 0
    output = run.stdout + run.stderr
    assert "Input error: config key report.pseudonymise is true but report.pseudonym_key" in output
    assert "Select jobs to execute" not in output
