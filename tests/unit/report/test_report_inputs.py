"""The report's inputs: named rule inputs, the stages they show, the dated archive."""

from __future__ import annotations

from pathlib import Path

from esccrt.report.inputs import ReportInputs, archive_copy, arm_of


def test_archive_keeps_every_run_with_its_provenance(tmp_path):
    html = tmp_path / "report" / "report.html"
    html.parent.mkdir()
    prov = tmp_path / "provenance.json"
    for run, stamp in enumerate(("20261124T101500Z", "20261125T090000Z")):
        html.write_text(f"<html>run {run}</html>")
        prov.write_text(f'{{"run": {run}}}')
        archive_copy(html, prov, stamp)
    archive = sorted(p.name for p in (html.parent / "archive").iterdir())
    assert archive == [
        "provenance-20261124T101500Z.json",
        "provenance-20261125T090000Z.json",
        "report-20261124T101500Z.html",
        "report-20261125T090000Z.html",
    ]
    assert (html.parent / "archive" / "report-20261124T101500Z.html").read_text() == (
        "<html>run 0</html>"
    )


def test_named_inputs_and_the_stages_they_show() -> None:
    given = {
        "samples": Path("config/samples.tsv"),
        "de_tables": ["results/diffexp/mrna/a_vs_b.tsv"],
        "count_summary": "results/mrna/count_summary.tsv",
        "table1": "results/survival/table1.tsv",
        "something_else": "ignored",
    }
    inputs = ReportInputs.from_named(given)
    assert inputs.samples == "config/samples.tsv" and inputs.de_tables == given["de_tables"]
    assert inputs.stages() == {"mrna", "diffexp", "qpcr"}
    assert ReportInputs(samples="s.tsv", read_fate="r.tsv").stages() == {"smallrna"}
    assert ReportInputs(table1="t.tsv").stages() == {"qpcr"}  # a qPCR-only study
    assert arm_of("results/diffexp/smallrna/a_vs_b.tsv") == "smallrna"
    assert arm_of("results/survival/table1.tsv") == ""
