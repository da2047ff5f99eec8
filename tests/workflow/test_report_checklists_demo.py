"""The demo's reporting checklists and its report with patient identifiers coded.

These read the demo's run (the ``demo_results`` fixture): the checklists the report rule wrote,
and the report stage's entry point (what rule ``report`` calls) run again on the demo's tables
with ``report.pseudonymise`` on, into a temporary folder.
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
from esccrt.report.inputs import ReportInputs
from esccrt.report.pseudonyms import pseudonym
from esccrt.report.stage import ReportOutputs, run
from schema_sections import validated
from workflow_runs import run_workflow

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


def demo_report_inputs(results: Path, config: dict) -> ReportInputs:
    """The demo's tables and figures under the names rule ``report`` gives them: every one with
    patient identifiers (qPCR, survival), and some of the sequencing arms' and the join's."""

    def at(path: str) -> str:
        return str(results.parent / path)

    return ReportInputs(
        samples=str(results.parent / config["samples"]),
        de_tables=sorted(str(p) for p in (results / "diffexp").glob("*/irradiated_vs_control.tsv")),
        table1=at(paths.SURVIVAL_TABLE1),
        cox=at(paths.SURVIVAL_COX),
        auc=at(paths.SURVIVAL_AUC),
        maxstat=at(paths.SURVIVAL_MAXSTAT),
        cutoffs=at(paths.SURVIVAL_CUTOFFS),
        continuous_markers=at(paths.SURVIVAL_CONTINUOUS),
        sample_size=at(paths.SURVIVAL_SAMPLE_SIZE),
        time_accuracy=at(paths.SURVIVAL_TIME_ACCURACY),
        decision_curves=at(paths.SURVIVAL_DECISION_CURVES),
        external_validation=at(paths.SURVIVAL_EXTERNAL_VALIDATION),
        calibration=at(paths.SURVIVAL_CALIBRATION),
        missingness=at(paths.SURVIVAL_MISSINGNESS),
        mice_pooled=at(paths.SURVIVAL_MICE_POOLED),
        survival_plots=sorted(str(p) for p in (results / "survival").rglob("*.png")),
        qpcr_fold_changes=at(paths.QPCR_FOLD_CHANGES),
        qpcr_unpaired_samples=at(paths.QPCR_UNPAIRED_SAMPLES),
        reference_stability=at(paths.QPCR_REFERENCE_STABILITY),
        stability_plot=at(paths.QPCR_REFERENCE_STABILITY_PLOT),
        haemolysis=at(paths.QPCR_HAEMOLYSIS),
        qpcr_references=at(paths.QPCR_REFERENCES),
        qpcr_relative_quantities=at(paths.QPCR_RELATIVE_QUANTITIES),
        qpcr_efficiency_uncertainty=at(paths.QPCR_EFFICIENCY_UNCERTAINTY),
        qpcr_fold_change_plot=at(paths.QPCR_FOLD_CHANGE_PLOT),
        interrun_factors=at(paths.QPCR_INTERRUN_FACTORS),
        plate_split_pairs=at(paths.QPCR_PLATE_SPLIT_PAIRS),
        sample_qc=at(paths.QPCR_SAMPLE_QC),
        well_qc=at(paths.QPCR_WELL_QC),
        mirna_evidence=at(paths.INTEGRATE_EVIDENCE),
        candidate_targets=at(paths.INTEGRATE_TARGETS),
        m2_markers=at(paths.INTEGRATE_MARKERS),
        read_fate=at(paths.SMALLRNA_READ_FATE),
        provenance=at(paths.PROVENANCE),
        shared=[at(paths.SURVIVAL_GROUPS), at(paths.SURVIVAL_PREDICTED_RISKS)],
    )


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
    config["report"].update(pseudonymise=True, pseudonym_key=str(tmp_path / "key"))
    outputs = ReportOutputs(
        html=tmp_path / paths.REPORT_HTML,
        tripod_checklist=tmp_path / paths.REPORT_TRIPOD_CHECKLIST,
        remark_checklist=tmp_path / paths.REPORT_REMARK_CHECKLIST,
        share=tmp_path / paths.SHARE,
        pseudonyms=tmp_path / paths.PSEUDONYMS,
    )
    run(config, demo_report_inputs(demo_results, config), outputs, REPO)

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
