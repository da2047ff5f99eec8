"""The QC section shows the mirtop stats of the merged mirGFF3 when the small-RNA arm ran."""

from __future__ import annotations

from esccrt.report.inputs import ReportInputs
from esccrt.report.sections import qc_section


def test_qc_section_shows_mirtop_stats(tmp_path):
    fate = tmp_path / "read_fate.tsv"
    fate.write_text("sample\tinput\tmature\ns1\t100\t80\n")
    stats = tmp_path / "mirtop_stats.tsv"
    stats.write_text("category\ts1\niso_add3p_sum\t17\nref_miRNA_sum\t40\n")
    with_stats = qc_section(
        ReportInputs(samples="s.tsv", read_fate=str(fate), mirtop_stats=str(stats)), ""
    )
    assert "mirtop stats" in with_stats and "iso_add3p_sum" in with_stats and ">17<" in with_stats
    without = qc_section(ReportInputs(samples="s.tsv", read_fate=str(fate)), "")
    assert "mirtop stats" not in without
