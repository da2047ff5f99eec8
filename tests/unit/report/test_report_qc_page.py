"""The QC page (results/report/qc.html, rule report_qc) renders each arm's gate and the
small-RNA verdicts as written, so that a run stopped in DE still explains each exclusion."""

from __future__ import annotations

from esccrt import qc_criteria as qcc
from esccrt.io import write_tsv_atomic
from esccrt.report.qc_page import QCPageInputs, gate_arms, run
from esccrt.smallrna import sample_qc as sq
from sample_qc_helpers import passing_values
from schema_sections import qc_criteria

SETTINGS = {
    "demo": False,
    "title": "My study",
    "section_titles": {"smallrna_de": "s", "mrna_de": "m", "survival": "v"},
    "table_page_rows": 50,
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
        "100000 (fail, exceRpt); sample excluded from differential expression\n"
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
