"""The QC section renders the small-RNA verdict table as written (results/qc/sample_qc.tsv):
a tally, the thresholds with their sources, and a searchable row per sample."""

from __future__ import annotations

from esccrt import qc_criteria as qcc
from esccrt.io import write_tsv_atomic
from esccrt.report.inputs import ReportInputs
from esccrt.report.sections import qc_section
from esccrt.smallrna import sample_qc as sq
from sample_qc_helpers import passing_values
from schema_sections import qc_criteria


def test_qc_section_shows_the_verdict_table(tmp_path):
    fate = tmp_path / "read_fate.tsv"
    fate.write_text("sample\tinput\tmature\nlib_a\t100\t80\n")
    rows = [
        sq.SampleValues("lib_a", passing_values(), {"transcriptome_genome_ratio": qcc.NO_GENOME}),
        sq.SampleValues("lib_b", passing_values(mirna_share=0.0412), {}),
        sq.SampleValues("lib_c", passing_values(transcriptome_reads=512.0), {}),
        sq.SampleValues("lib_d", passing_values(haemolysis_draculr=2.31), {}),
    ]
    path = tmp_path / "sample_qc.tsv"
    write_tsv_atomic(sq.verdict_table(rows, qc_criteria()), path)
    inputs = ReportInputs(samples="s.tsv", read_fate=str(fate), smallrna_sample_qc=str(path))
    page = qc_section(inputs, "")
    assert "Small RNA: sample QC verdicts" in page
    assert "4 samples: 1 pass, 2 warn, 1 fail" in page
    assert "<code>phred_q30_share</code> (miRTrace): warn &lt; 0.5" in page
    assert "<code>transcriptome_reads</code> (exceRpt): fail &lt;= 100,000" in page
    assert "no genome alignment in this workflow" in page
    assert 'id="sample-qc"' in page and "search" in page.lower()
    assert "mirna_share 0.0412 &lt; 0.1 (warn, miRTrace)" in page
    assert "transcriptome_reads 512 &lt;= 100000 (fail, exceRpt)" in page
    assert "<code>haemolysis_draculr</code> (DraculR): warn &gt;= 1.9" in page
    assert "haemolysis_draculr 2.31 &gt;= 1.9 (warn, DraculR)" in page
    without = qc_section(ReportInputs(samples="s.tsv", read_fate=str(fate)), "")
    assert "sample QC verdicts" not in without
