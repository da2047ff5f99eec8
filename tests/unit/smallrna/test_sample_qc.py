"""Per-sample QC verdicts (esccrt.smallrna.sample_qc): thresholds, verdicts and values on inputs
small enough to check by hand, and the entry point of rule smallrna_sample_qc."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from esccrt import qc_criteria as qcc
from esccrt.de.inputs import read_qc_gate
from esccrt.errors import InputError
from esccrt.smallrna import sample_qc as sq
from esccrt.smallrna.trim import TrimReport, _phred_tally, write_trim_report
from sample_qc_helpers import passing_values
from schema_sections import qc_criteria, qc_section

MIRTRACE = qcc.BY_NAME["phred_q30_share"]
EXCERPT = qcc.BY_NAME["transcriptome_reads"]
OUTLIER = qcc.BY_NAME["outlier_robust_z"]


@pytest.mark.parametrize(
    ("criterion", "value", "warn", "fail", "expected"),
    [
        # miRTrace flags value < threshold: the threshold itself passes
        (MIRTRACE, 0.5, 0.5, None, "pass"),
        (MIRTRACE, 0.4999, 0.5, None, "warn"),
        (MIRTRACE, 0.2, 0.5, 0.3, "fail"),
        (MIRTRACE, 0.0, 0.5, None, "warn"),  # no fail level: never worse than warn
        # exceRpt passes only above: the threshold itself fails (awk: $3 > 100000)
        (EXCERPT, 100000, None, 100000, "fail"),
        (EXCERPT, 100001, None, 100000, "pass"),
        (qcc.BY_NAME["transcriptome_genome_ratio"], 0.5, None, 0.5, "fail"),
        # outliers: flagged above the threshold
        (OUTLIER, 3.0, 3, None, "pass"),
        (OUTLIER, 3.01, 3, None, "warn"),
        (OUTLIER, 7.0, 3, 6, "fail"),
        # no value: no verdict
        (MIRTRACE, math.nan, 0.5, 0.3, "na"),
        (EXCERPT, None, None, 100000, "na"),
    ],
)
def test_verdict_at_and_around_each_threshold(criterion, value, warn, fail, expected):
    assert criterion.verdict(value, warn, fail) == expected


def _fate(**changes) -> dict:
    """A read fate (as a counts JSON holds it): 1,000 reads, hand-countable."""
    fate = {
        "input": 1000,
        "no_adapter_discarded": 100,
        "too_short": 150,
        "too_long": 50,
        "umi_duplicate": 0,
        "rna_classes": {"rRNA": 60, "tRNA": 40},
        "mature": 400,
        "hairpin_only": 20,
        "unassigned": 180,
    }
    return {**fate, **changes}


def test_values_from_the_read_fate():
    fate = _fate()
    # screened = 60 + 40 + 400 + 20 + 180 = 700; miRNA = 420
    assert sq.mirna_share(fate) == 420 / 700
    assert sq.transcriptome_reads(fate, ["rRNA", "artifact"]) == 420 + 40
    assert sq.transcriptome_reads(fate, []) == 520


def test_qc_passed_reads_as_mirtrace_counts_them():
    """Inserts of at least 18 nt, however long (miRTrace cuts reads to 50 nt and keeps the
    longer ones), and the reads discarded without adapter (miRTrace keeps them whole)."""
    lengths = {0: 40, 17: 60, 18: 100, 22: 500, 50: 50, 51: 100, 75: 50}
    passed = 100 + 500 + 50 + 100 + 50  # 18, 22, 50, 51 and 75 nt
    assert sq.passing_filters_share(lengths, 100, 1000, 18) == (passed + 100) / 1000
    assert sq.passing_filters_share(lengths, 0, 900, 23) == 200 / 900
    assert math.isnan(sq.passing_filters_share({}, 0, 0, 18))


def test_phred_and_length_shares():
    assert sq.phred_share({2: 10, 29: 40, 30: 30, 36: 20}, 30) == 50 / 100
    assert math.isnan(sq.phred_share({}, 30))
    lengths = {18: 5, 20: 10, 22: 30, 25: 5, 26: 50}
    assert sq.length_share(lengths, 200, (20, 25)) == 45 / 200


def test_phred_tally_clips_like_mirtrace():
    tally = Counter()
    # '!' = Q0, '?' = Q30, 'K' = Q42, 'L' = Q43 -> 42, '~' = Q93 -> 42
    _phred_tally(["!?K", "L~?"], tally)
    assert tally == {0: 1, 30: 2, 42: 3}


def test_detected_genes_count_hairpins_through_their_mature_mirnas():
    arms = {
        "mir-1-1": [("miR-1", 5, 27)],
        "mir-1-2": [("miR-1", 4, 26)],
        "mir-2": [("miR-2-5p", 3, 25), ("miR-2-3p", 40, 62)],
        "mir-3": [("miR-3", 2, 24)],
    }
    mature = {"miR-1": 5.0, "miR-2-5p": 0.0, "miR-3": 0.0}
    hairpin = {"mir-3": 2.0, "mir-2": 0.0}
    assert sq.detected_genes(mature, hairpin, arms) == {"mir-1-1", "mir-1-2", "mir-3"}


def test_robust_z_by_hand():
    # median 3; |deviations| 2, 1, 0, 1, 97 -> MAD 1; z(100) = 97 / 1.4826
    z = sq.robust_z([1, 2, 3, 4, 100])
    assert z[2] == 0 and z[4] == pytest.approx(97 / 1.4826)
    assert all(math.isnan(v) for v in sq.robust_z([5, 5, 5, 9]))


def test_outlier_needs_three_samples_and_finds_a_swapped_library():
    counts = pd.DataFrame(
        {f"s{i}": [1000 + 10 * i, 500 - 5 * i, 200 + 3 * i, 50 + i] for i in range(6)},
        index=["a", "b", "c", "d"],
    )
    assert sq.outlier_scores(counts[["s0", "s1"]], 2).empty
    counts["odd"] = [50, 200, 500, 1000]  # the profile reversed
    scores = sq.outlier_scores(counts, 2)
    assert list(scores.columns) == ["PC1", "PC2"]
    assert scores["PC1"].abs().idxmax() == "odd" and scores.loc["odd", "PC1"] ** 2 > 9


def test_table_overall_is_the_worst_verdict_with_its_reasons():
    criteria = qc_criteria()
    good = sq.SampleValues("good", passing_values(), {})
    poor_values = passing_values(phred_q30_share=0.4, transcriptome_reads=1000.0)
    poor = sq.SampleValues("poor", poor_values, {"transcriptome_genome_ratio": qcc.NO_GENOME})
    table = sq.verdict_table([poor, good], criteria).set_index("sample")
    assert table.loc["good", "overall"] == "pass" and table.loc["good", "reasons"] == ""
    assert table.loc["poor", "overall"] == "fail"
    assert table.loc["poor", "reasons"] == (
        "phred_q30_share 0.4 < 0.5 (warn, miRTrace); "
        "transcriptome_reads 1000 <= 100000 (fail, exceRpt)"
    )
    assert table.loc["poor", "transcriptome_genome_ratio_verdict"] == "na"
    assert table.loc["poor", "transcriptome_genome_ratio_note"] == qcc.NO_GENOME
    assert table.loc["poor", "phred_q30_share_warn"] == 0.5
    assert table.loc["poor", "transcriptome_reads_fail"] == 100000


def _sample_files(folder: Path, sample: str, fate: dict, phred: dict) -> tuple[Path, Path]:
    """A sample's counts JSON and one unit's trimming report, where the rules put them."""
    counts = folder / "counts" / f"{sample}.json"
    counts.parent.mkdir(parents=True, exist_ok=True)
    mature = {"miR-1": fate["mature"] / 2, "miR-2-5p": fate["mature"] / 2}
    counts.write_text(json.dumps({"fate": fate, "mature": mature, "hairpin": {"mir-3": 1.0}}))
    report = folder / "trimmed" / sample / "lane1.trim.json"
    report.parent.mkdir(parents=True)
    lengths = {10: 100, 21: 300, 22: 300, 30: 200}  # and 100 reads discarded without adapter
    write_trim_report(TrimReport(1000, 900, 100, 900, lengths=lengths, phred=phred), report)
    return counts, report


def test_entry_point_writes_the_table_multiqc_content_and_gate(tmp_path):
    arms = tmp_path / "arms.tsv"
    arms.write_text(
        "hairpin\tmature\tstart\tend\nmir-1\tmiR-1\t5\t27\nmir-2\tmiR-2-5p\t3\t25\n"
        "mir-3\tmiR-3\t2\t24\n"
    )
    hairpin = tmp_path / "hairpin.fa"
    hairpin.write_text("".join(f">mir-{i}\nACGT\n" for i in range(1, 11)))  # 10 genes
    samples = ["s1", "s2"]
    files = [
        _sample_files(tmp_path, "s1", _fate(), {30: 80, 20: 20}),
        _sample_files(tmp_path, "s2", _fate(), {30: 30, 20: 70}),
    ]
    matrix = tmp_path / "counts.tsv"
    matrix.write_text("feature\ts1\ts2\nmiR-1\t200\t200\nmiR-2-5p\t200\t200\n")
    qc = tmp_path / "qc"
    outputs = sq.SampleQCOutputs(qc / "sample_qc.tsv", qc / "mqc.tsv", qc / "gate.tsv")
    inputs = sq.SampleQCInputs(
        tuple(c for c, _ in files), tuple(r for _, r in files), arms, hairpin, matrix
    )
    table = sq.sample_qc(qc_section(), samples, inputs, outputs).set_index("sample")
    assert table["phred_q30_share"].tolist() == [0.8, 0.3]
    assert table["phred_q30_share_verdict"].tolist() == ["pass", "warn"]
    assert table.loc["s1", "length_share"] == 600 / 1000
    assert table.loc["s1", "passing_filters_share"] == (800 + 100) / 1000  # >= 18 nt, discarded
    assert table.loc["s1", "mirna_complexity"] == 3 / 10  # mir-1, mir-2 (mature), mir-3
    assert table["outlier_robust_z_verdict"].tolist() == ["na", "na"]  # 2 samples
    assert "at least 3 samples" in table.loc["s1", "outlier_robust_z_note"]
    # no human signature miRNA in the matrix: DraculR's metric is NA, saying why
    assert table["haemolysis_draculr_verdict"].tolist() == ["na", "na"]
    assert "signature miRNAs" in table.loc["s1", "haemolysis_draculr_note"]
    # 1,000-read libraries fail exceRpt's 100,000 transcriptome reads
    assert table["overall"].tolist() == ["fail", "fail"]
    written = pd.read_csv(outputs.table, sep="\t").set_index("sample")
    assert written["overall"].tolist() == ["fail", "fail"]
    mqc = outputs.multiqc.read_text()
    assert "# plot_type: 'table'" in mqc and "Sample\toverall\tphred_q30_share" in mqc
    assert mqc.count("\ns1\tfail\t") == 1
    assert "\thaemolysis_draculr\thaemolysis_draculr_verdict\n" in mqc
    gate = read_qc_gate(outputs.gate)
    assert gate["passed"].tolist() == [False, False]
    assert gate.loc["s2", "reason"] == (
        "QC verdict fail (qc.exclude: fail): phred_q30_share 0.3 < 0.5 (warn, miRTrace); "
        "transcriptome_reads 460 <= 100000 (fail, exceRpt)"
    )
    # the libraries pass with a lower read count; s2's Phred warning excludes it only when
    # warnings do
    criteria = {"transcriptome_reads": {"fail": 100}}
    for exclude, passed in (("fail", [True, True]), ("fail_and_warn", [True, False])):
        sq.sample_qc(qc_section(exclude=exclude, criteria=criteria), samples, inputs, outputs)
        assert read_qc_gate(outputs.gate)["passed"].tolist() == passed, exclude
    sq.sample_qc(qc_section(exclude="none"), samples, inputs, outputs)
    assert read_qc_gate(outputs.gate)["passed"].tolist() == [True, True]

    with pytest.raises(InputError, match="no trimming report of sample 's2'"):
        sq.sample_qc(
            qc_section(),
            samples,
            sq.SampleQCInputs(inputs.counts, inputs.trim_reports[:1], arms, hairpin, matrix),
            outputs,
        )


def test_the_old_single_count_gate_is_refused_with_the_keys_to_write():
    from esccrt.smallrna.layout import check_legacy_keys

    with pytest.raises(InputError) as error:
        check_legacy_keys({"mature": "m.fa", "min_mirna_reads": 1000})
    message = str(error.value)
    assert message.startswith("config key smallrna.min_mirna_reads was replaced by")
    assert "qc.exclude" in message and "transcriptome_reads: {fail: 1000}" in message
    # what the message says to write is a valid qc section
    written = qc_section(criteria={"transcriptome_reads": {"fail": 1000}})
    assert written["criteria"]["transcriptome_reads"]["fail"] == 1000
