"""Per-sample QC criteria against the tools that defined them, on their own published results.

miRTrace 0.2.1 on the mouse QIAseq reads (../shared/data/smallrna_refs/contamination/mirtrace/
qiaseq_mouse_example: the FASTQ and miRTrace's mirtrace-results.json and stats TSVs): the
Phred, length and filter criteria from rule smallrna_trim's entry point on the same FASTQ. Its
miRNA share and complexity need the whole sample run, so they are checked in
test_smallrna_rna_classes.py::test_mouse_qiaseq_reads_end_to_end. exceRpt 4.6.3 on its human
example (../shared/data/smallrna_fastq/excerpt_example: .stats and .qcResult): its verdict from
its numbers with the schema's thresholds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from esccrt import qc_criteria as qcc
from esccrt.smallrna import sample_qc as sq
from schema_sections import qc_criteria
from smallrna_helpers import trim_as_rule

QIASEQ = Path("smallrna_refs/contamination/mirtrace/qiaseq_mouse_example")
EXCERPT = Path("smallrna_fastq/excerpt_example")
#: miRTrace's flag names of the criteria (qcAnalysisFlags in mirtrace-results.json).
MIRTRACE_FLAGS = {
    "phred_q30_share": "phred",
    "length_share": "length",
    "passing_filters_share": "qc",
}


@pytest.fixture(scope="module")
def mirtrace(shared_data) -> dict:
    path = shared_data / QIASEQ / "expected_mirtrace_qc" / "mirtrace-results.json"
    return json.loads(path.read_text())["results"][0]["stats"]


@pytest.fixture(scope="module")
def trimmed(shared_data, tmp_path_factory):
    """The QIAseq FASTQ trimmed by rule smallrna_trim's entry point (schema settings)."""
    return trim_as_rule(
        shared_data / QIASEQ / "QiaSeq_data.fastq.gz", "qiaseq", "", tmp_path_factory.mktemp("q")
    ).report


def test_phred_tally_equals_mirtraces(mirtrace, trimmed):
    """Tallied as miRTrace does (first 50 nt of each read, scores clipped to 0-42): the same
    histogram, so the same share of nt >= Q30 (0.9772) and the same verdict."""
    theirs = {q: n for q, n in enumerate(mirtrace["statsNucleotidePhredScores"]) if n}
    assert trimmed.phred == theirs
    criteria = qc_criteria()
    ours = sq.phred_share(trimmed.phred, criteria["phred_q30_share"]["min_phred"])
    assert ours == pytest.approx((62417 + 426198) / 500000)
    verdict = qcc.BY_NAME["phred_q30_share"].verdict(ours, **_levels(criteria, "phred_q30_share"))
    assert (verdict, mirtrace["qcAnalysisFlags"]["phred"]) == ("pass", "ok")


def test_length_and_filter_shares_as_mirtrace(mirtrace, trimmed):
    """Share of reads with a 20-25 nt insert, and of miRTrace's QC-passed reads: the verdicts
    miRTrace gave (neither flagged) and the values within the differences of the trimming.

    Length: miRTrace 3,046 of 10,000 reads (0.3046); cutadapt (10 % errors, 3' quality
    trimming) finds the adapter in 108 more reads than miRTrace's 8-nt prefix search, and
    measured 3,071 (0.3071), 0.25 percentage points apart. QC-passed reads: miRTrace passes
    4,709 (an insert of at least 18 nt), 922 of them without adapter; here 3,870 inserts of at
    least 18 nt and the 814 reads discarded without adapter (no UMI), which miRTrace keeps:
    4,684 (0.4684), 0.25 percentage points apart (0.3870 without the discarded reads).
    """
    criteria = qc_criteria()
    length = criteria["length_share"]
    window = (length["min_length"], length["max_length"])
    passed = criteria["passing_filters_share"]["min_length"]
    ours = {
        "length_share": sq.length_share(trimmed.lengths, trimmed.input, window),
        "passing_filters_share": sq.passing_filters_share(
            trimmed.lengths, trimmed.no_adapter_discarded, trimmed.input, passed
        ),
    }
    theirs_length = sum(mirtrace["statsLength"][20:26]) / mirtrace["allSeqsCount"]
    qc_passed = (mirtrace["statsQC"][3] + mirtrace["statsQC"][4]) / mirtrace["allSeqsCount"]
    print(ours, theirs_length, qc_passed)
    assert abs(ours["length_share"] - theirs_length) <= 0.005  # measured 0.0025
    assert trimmed.no_adapter_discarded == 814
    assert abs(ours["passing_filters_share"] - qc_passed) <= 0.003  # measured 0.0025
    for name, value in ours.items():
        verdict = qcc.BY_NAME[name].verdict(value, **_levels(criteria, name))
        assert (verdict, mirtrace["qcAnalysisFlags"][MIRTRACE_FLAGS[name]]) == ("pass", "ok")


def test_excerpt_verdict_equals_its_qc_result(shared_data):
    """exceRpt's own numbers (.stats; its transcriptome = every '*sense' row, as its makefile
    sums them) through the verdicts with the schema's thresholds give its QC_result: FAIL,
    from 165 transcriptome reads (not above 100,000), the ratio 0.504587 passing (above 0.5)."""
    folder = shared_data / EXCERPT
    stats = dict(
        line.split("\t")
        for line in (folder / "testData_human.fastq.stats").read_text().splitlines()
        if "\t" in line and not line.startswith("#")
    )
    published = dict(
        line.split(": ", 1)
        for line in (folder / "testData_human.fastq.qcResult").read_text().splitlines()
    )
    transcriptome = sum(int(n) for stage, n in stats.items() if "sense" in stage)
    genome = int(stats["genome"])
    assert transcriptome == int(published["TranscriptomeReads"]) == 165
    assert genome == int(published["GenomeReads"])
    ratio = transcriptome / genome
    assert f"{ratio:.6f}" == published["TranscriptomeGenomeRatio"] == "0.504587"
    values = {name: 1.0 for name in qcc.BY_NAME}  # every other criterion passes
    values.update(transcriptome_reads=float(transcriptome), transcriptome_genome_ratio=ratio)
    values["outlier_robust_z"] = 0.0
    row = sq.verdict_table([sq.SampleValues("exceRpt", values, {})], qc_criteria()).iloc[0]
    assert row["transcriptome_reads_verdict"] == "fail"
    assert row["transcriptome_genome_ratio_verdict"] == "pass"
    assert row["overall"].upper() == published["QC_result"] == "FAIL"


def _levels(criteria: dict, name: str) -> dict:
    """The warn and fail thresholds of a criterion, as keyword arguments of its verdict."""
    return {"warn": criteria[name]["warn"], "fail": criteria[name]["fail"]}
