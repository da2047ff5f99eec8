"""The QC page (results/report/qc.html, rule report_qc) renders each arm's gate and the
small-RNA verdicts as written, so that a run stopped in DE still explains each exclusion."""

from __future__ import annotations

import json
import re

import yaml
from esccrt import qc_criteria as qcc
from esccrt.io import write_tsv_atomic
from esccrt.report.inputs import ReportInputs
from esccrt.report.pseudonyms import CODE_PREFIX, pseudonym
from esccrt.report.qc_page import QCPageInputs, gate_arms, run
from esccrt.report.sections import qc_section
from esccrt.report.stage import ReportOutputs
from esccrt.report.stage import run as run_report
from esccrt.smallrna import sample_qc as sq
from sample_qc_helpers import passing_values
from schema_sections import qc_criteria, validated

SETTINGS = {
    "demo": False,
    "title": "My study",
    "section_titles": {"smallrna_de": "s", "mrna_de": "m", "survival": "v"},
    "table_page_rows": 50,
    "pseudonymise": False,
    "pseudonym_key": "",
}


def test_qc_page_names_each_exclusion_with_its_values_and_thresholds(tmp_path):
    rows = [
        sq.SampleValues("lib_a", passing_values(), {"transcriptome_genome_ratio": qcc.NO_GENOME}),
        sq.SampleValues("lib_c", passing_values(transcriptome_reads=512.0), {}),
    ]
    verdicts = tmp_path / "qc" / "sample_qc.tsv"
    write_tsv_atomic(sq.verdict_table(rows, qc_criteria()), verdicts)
    gate = tmp_path / "smallrna" / "qc_gate.tsv"
    gate.parent.mkdir()
    gate.write_text(
        "sample\tpassed\toverall\treason\nlib_a\tTrue\tpass\t\n"
        "lib_c\tFalse\tfail\tQC verdict fail (qc.exclude: fail): transcriptome_reads 512 <= "
        "100000 (fail, exceRpt)\n"
    )
    output = tmp_path / "report" / "qc.html"
    run(SETTINGS, QCPageInputs(gates=gate_arms([str(gate)]), sample_qc=str(verdicts)), output)
    page = output.read_text()
    assert "<title>My study: quality control</title>" in page
    assert "QC gate: smallrna" in page
    assert "1 of 2 samples excluded from differential expression: lib_c" in page
    assert "transcriptome_reads 512 &lt;= 100000 (fail, exceRpt)" in page
    assert "<code>transcriptome_reads</code> (exceRpt): fail &lt;= 100,000" in page
    assert "SIMULATED DATA" not in page and "read-fate" not in page


def test_a_qc_only_arm_says_no_de_was_asked_for(tmp_path):
    """An arm without a contrast: the QC page and the report's QC section say it is QC only and
    that its failing samples would be excluded from a DE, not that they were."""
    gate = tmp_path / "smallrna" / "qc_gate.tsv"
    gate.parent.mkdir()
    gate.write_text(
        "sample\tpassed\toverall\treason\n"
        "lib_c\tFalse\tfail\tQC verdict fail (qc.exclude: fail): transcriptome_reads 512\n"
    )
    output = tmp_path / "qc.html"
    run(SETTINGS, QCPageInputs(gates=gate_arms([str(gate)]), qc_only=["smallrna"]), output)
    fate = tmp_path / "read_fate.tsv"
    fate.write_text("sample\tinput\tmature\nlib_c\t100\t80\n")
    section = qc_section(
        ReportInputs(samples="s.tsv", read_fate=str(fate), smallrna_gate=str(gate)), ""
    )
    for text in (output.read_text(), section):
        assert "QC gate: smallrna (no contrast: QC only)" in text
        assert "smallrna: no contrast: QC only. The config gives this arm no contrast" in text
        assert "1 of 1 samples fail the QC gate and would be excluded from differential " in text
        assert "transcriptome_reads 512" in text
        assert "samples excluded from differential expression" not in text
    assert "samples left out of differential expression" not in section


def _study(folder):
    """Libraries named after their patients (P01_pre ...: the sample sheet's patient column),
    their QC verdicts (P02_pre fails), gate and read fate, and a pseudonym key."""
    names = {"P01_pre": "P01", "P01_post": "P01", "P02_pre": "P02", "lib_x": ""}
    sheet = folder / "samples.tsv"
    sheet.write_text("sample\tpatient\n" + "".join(f"{s}\t{p}\n" for s, p in names.items()))
    rows = [
        sq.SampleValues(s, passing_values(transcriptome_reads=512.0 if s == "P02_pre" else 2e5), {})
        for s in names
    ]
    verdicts = folder / "results" / "qc" / "sample_qc.tsv"
    write_tsv_atomic(sq.verdict_table(rows, qc_criteria()), verdicts)
    gate = folder / "results" / "smallrna" / "qc_gate.tsv"
    gate.parent.mkdir()
    gate.write_text(
        "sample\tpassed\toverall\treason\n"
        + "".join(f"{s}\t{s != 'P02_pre'}\tpass\t\n" for s in names if s != "P02_pre")
        + "P02_pre\tFalse\tfail\tQC verdict fail: reads/P02_pre.fastq.gz too shallow\n"
    )
    fate = folder / "results" / "smallrna" / "read_fate.tsv"
    fate.write_text("sample\tinput\tmature\n" + "".join(f"{s}\t1000\t500\n" for s in names))
    key = folder / "key"
    key.write_text("0123456789abcdef-test-key\n")
    return sheet, verdicts, gate, fate, key


def test_qc_page_codes_patients_as_the_report_does(tmp_path, repo_root):
    """report.pseudonymise: no patient identifier on the QC page, and each patient's code there
    is the one the full report's QC overview shows."""
    sheet, verdicts, gate, fate, key = _study(tmp_path)
    settings = {**SETTINGS, "pseudonymise": True, "pseudonym_key": str(key)}
    inputs = QCPageInputs(gate_arms([str(gate)]), str(verdicts), str(fate), [str(sheet)])
    output = tmp_path / "results" / "report" / "qc.html"
    run(settings, inputs, output)
    qc_page = output.read_text()
    config = validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))
    config["report"] |= {"pseudonymise": True, "pseudonym_key": str(key)}
    provenance = tmp_path / "results" / "provenance.json"
    record = {"python_packages": {}, "tools": {}, "platform": {"python": "3"}, "inputs": {}}
    record |= {"config": {"files": []}, "sheets": {}, "workflow_version": "test"}
    provenance.write_text(json.dumps(record))
    report = tmp_path / "results" / "report"
    outputs = ReportOutputs(
        report / "report.html",
        report / "tripod.tsv",
        report / "remark.tsv",
        tmp_path / "results" / "share",
        tmp_path / "results" / "private" / "pseudonyms.tsv",
    )
    given = ReportInputs(
        samples=str(sheet),
        smallrna_sample_qc=str(verdicts),
        smallrna_gate=str(gate),
        read_fate=str(fate),
        provenance=str(provenance),
    )
    run_report(config, given, outputs, repo_root)
    full = outputs.html.read_text()
    overview = re.search(r'<table id="sample-qc".*?</table>', full, re.S).group(0)
    codes = {p: pseudonym(p, key.read_text().strip().encode()) for p in ("P01", "P02")}
    for text in (qc_page, overview):
        assert re.findall(r"(?<![A-Za-z0-9])P0[12](?![A-Za-z0-9])", text) == []
        assert f"{codes['P01']}_pre" in text and f"{codes['P02']}_pre" in text
        assert "lib_x" in text  # a name without a patient is kept
    page_codes = set(re.findall(rf"{CODE_PREFIX}[0-9A-F]{{10}}", qc_page))
    assert page_codes == set(re.findall(rf"{CODE_PREFIX}[0-9A-F]{{10}}", overview))
    assert page_codes == set(codes.values())
    assert f"reads/{codes['P02']}_pre.fastq.gz" in qc_page
    assert "Patient identifiers are replaced by codes" in qc_page


def test_page_settings_are_the_validated_config_keys_the_page_reads() -> None:
    """Rule report_qc's params: the schema's report defaults and demo, nothing else; a changed
    title changes them (so Snakemake reruns the page)."""
    from esccrt.report.qc_page import REPORT_KEYS, page_settings

    config = validated("config", {})
    settings = page_settings(config)
    assert set(settings) == {"demo", *REPORT_KEYS} == set(SETTINGS)
    assert settings["table_page_rows"] == config["report"]["table_page_rows"]
    config["report"]["title"] = "Another study"
    assert page_settings(config)["title"] == "Another study"
