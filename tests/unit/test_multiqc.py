"""MultiQC: the report's title names only the sequencing arms that ran (the rule's planned
command and inputs: tests/workflow/test_multiqc_title.py), and the small-RNA alignment rates it
shows count reads (esccrt.smallrna.qc.alignment_rates), one row per sample."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from esccrt.multiqc import multiqc_title
from esccrt.report.inputs import ReportInputs
from esccrt.report.sections import MULTIQC_CONTENTS, qc_section
from esccrt.smallrna.qc import alignment_rates, write_multiqc_alignment_rates


@pytest.mark.parametrize(
    ("arms", "title"),
    [
        (["smallrna"], "Sequencing QC: small-RNA arm"),
        (["mrna"], "Sequencing QC: mRNA arm"),
        # The demo's title, unchanged; the order is the sheet's, not the caller's.
        (["smallrna", "mrna"], "Sequencing QC: small-RNA and mRNA arms"),
        (["mrna", "smallrna"], "Sequencing QC: small-RNA and mRNA arms"),
    ],
)
def test_title_names_the_arms_that_ran(arms, title):
    assert multiqc_title(arms) == title


def test_small_rna_only_title_does_not_mention_mrna():
    assert "mRNA" not in multiqc_title(["smallrna"])


@pytest.mark.parametrize("arms", [[], ["qpcr"]])
def test_title_refuses_no_or_unknown_arms(arms):
    with pytest.raises(ValueError, match="MultiQC title"):
        multiqc_title(arms)


#: Two libraries' RNA class table as the small-RNA summary writes it (esccrt.smallrna.qc):
#: reads in the window screened, then per class, mature, hairpin only and unassigned.
CLASSES = pd.DataFrame(
    {
        "sample": ["exo_a", "exo_b"],
        "screened": [200_000, 1_000],
        "rRNA": [40_000, 900],
        "mature": [98_000, 10],
        "hairpin_only": [2_000, 0],
        "unassigned": [60_000, 90],
    }
)


def test_alignment_rates_count_reads_not_collapsed_sequences():
    """mature (and hairpin-only) reads over the reads screened, read copies counted."""
    rates = alignment_rates(CLASSES).set_index("sample")
    assert rates.loc["exo_a"].tolist() == [100_000, 49.0, 50.0]
    assert rates.loc["exo_b"].tolist() == [10, 1.0, 1.0]


def test_multiqc_shows_one_general_statistics_row_per_sample(tmp_path):
    """MultiQC (the command the rule calls) reads the custom content as general statistics:
    one row per sample, named as in the sample sheet, with the read-based rates."""
    write_multiqc_alignment_rates(alignment_rates(CLASSES), tmp_path / "alignment_rates_mqc.tsv")
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "multiqc"),
            "--no-ai",
            "--no-version-check",
            "--outdir",
            str(tmp_path / "out"),
            str(tmp_path / "alignment_rates_mqc.tsv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    stats = pd.read_csv(
        tmp_path / "out" / "multiqc_data" / "multiqc_general_stats.txt", sep="\t", index_col=0
    )
    assert stats.index.tolist() == ["exo_a", "exo_b"]
    columns = {name.rsplit("-", 1)[-1]: name for name in stats.columns}
    assert stats[columns["mature_percent"]].tolist() == [49.0, 1.0]
    assert stats[columns["mirna_percent"]].tolist() == [50.0, 1.0]
    assert stats[columns["mirna_reads"]].tolist() == [100_000, 10]


def test_the_report_says_what_multiqc_holds_for_the_arms_that_ran(tmp_path):
    """A small-RNA-only study's report links MultiQC naming its small-RNA contents only, and
    not bowtie (whose collapsed-sequence logs MultiQC no longer reads)."""
    fate = tmp_path / "read_fate.tsv"
    fate.write_text("sample\tinput\tmature\ns1\t100\t80\n")
    inputs = ReportInputs(samples="s.tsv", read_fate=str(fate), multiqc="qc/multiqc_report.html")
    link = re.search(r"<p>Per-tool QC of every sample: .*?</p>", qc_section(inputs, "m.html"))
    assert link.group(0).endswith(
        f"MultiQC report</a> (small RNA: {MULTIQC_CONTENTS['small RNA']}).</p>"
    )
    assert "bowtie" not in link.group(0) and "mRNA" not in link.group(0)
