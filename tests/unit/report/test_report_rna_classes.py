"""The report's RNA class composition: percent of the screened reads per class and sample."""

from __future__ import annotations

import pandas as pd
from esccrt.report.inputs import ReportInputs
from esccrt.report.sections import qc_section
from esccrt.report.smallrna_qc import rna_class_shares


def test_rna_class_shares_and_section(tmp_path):
    classes = pd.DataFrame(
        {
            "sample": ["a", "empty"],
            "screened": [200, 0],
            "rRNA": [50, 0],
            "tRNA": [30, 0],
            "mature": [100, 0],
            "hairpin_only": [10, 0],
            "unassigned": [10, 0],
        }
    )
    shares = rna_class_shares(classes)
    assert shares.iloc[0].tolist() == ["a", 25.0, 15.0, 50.0, 5.0, 5.0, 200]
    assert shares.iloc[1, 1:6].sum() == 0  # an empty library shows 0 %, not NaN
    classes.to_csv(tmp_path / "rna_classes.tsv", sep="\t", index=False)
    fate = pd.DataFrame({"sample": ["a"], "input": [300], "rRNA": [50]})
    fate.to_csv(tmp_path / "read_fate.tsv", sep="\t", index=False)
    inputs = ReportInputs(
        samples="s.tsv",
        read_fate=str(tmp_path / "read_fate.tsv"),
        rna_classes=str(tmp_path / "rna_classes.tsv"),
    )
    page = qc_section(inputs, "multiqc.html")
    assert "<h3>Small RNA: RNA classes</h3>" in page and 'id="rna-classes"' in page
    assert "rRNA %" in page and page.index("read fate") < page.index("RNA classes")
    without = qc_section(ReportInputs(samples="s.tsv", read_fate=inputs.read_fate), "m.html")
    assert "RNA classes" not in without
