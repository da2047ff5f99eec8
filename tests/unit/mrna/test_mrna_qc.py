"""Count matrix over units, the read-fate rates, the QC gate and its plot."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt.mrna.htseq_table import SPECIAL_COUNTERS
from esccrt.mrna.matrix import merge_unit_counts
from esccrt.mrna.qc import (
    aligner_rates_per_sample,
    plot_qc_rates,
    qc_gate,
    qc_rates,
    trimming_per_sample,
)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_merge_units_and_qc_gate(tmp_path):
    def table(name, counts, special):
        lines = [f"G{i}\tN{i}\t{c}" for i, c in enumerate(counts)]
        lines += [f"{k}\t\t{v}" for k, v in zip(SPECIAL_COUNTERS, special, strict=True)]
        return write(tmp_path / name, lines)

    tables = {
        ("s1", "L1"): table("a.tsv", [5, 0, 3], [1, 2, 3, 4, 5]),
        ("s1", "L2"): table("b.tsv", [1, 1, 1], [0, 0, 0, 1, 0]),
        ("s2", "L1"): table("c.tsv", [0, 0, 0], [9, 0, 0, 0, 0]),
    }
    counts, summary = merge_unit_counts(tables, ["s1", "s2"])
    assert counts.columns.tolist() == ["feature", "name", "s1", "s2"]
    assert counts["s1"].tolist() == [6, 1, 4] and counts["s2"].tolist() == [0, 0, 0]
    assert counts["name"].tolist() == ["N0", "N1", "N2"]
    s1 = summary.set_index("sample").loc["s1"]
    assert s1["assigned"] == 11 and s1["__not_aligned"] == 5 and s1["total"] == 11 + 15 + 1
    rates = qc_rates(summary, {"s1": 0.9}, {"s1": (30, 27)})
    s1 = rates.set_index("sample").loc["s1"]
    assert s1["mapping_rate"] == pytest.approx(22 / 27)
    assert (s1["raw"], s1["too_short"], s1["aligner_mapping_rate"]) == (30, 3, 0.9)
    assert pd.isna(rates.set_index("sample").loc["s2", "raw"])
    gate = qc_gate(rates, min_assigned=10, min_assignment_rate=0.2).set_index("sample")
    assert bool(gate.loc["s1", "passed"]) and gate.loc["s1", "reason"] == "ok"
    assert not gate.loc["s2", "passed"]
    assert "0 reads assigned to genes < 10" in gate.loc["s2", "reason"]
    plot_qc_rates(rates, tmp_path / "rates.png", min_assignment_rate=0.2)
    assert (tmp_path / "rates.png").stat().st_size > 1000


def test_aligner_rates_and_trimming_per_sample(tmp_path):
    """Units' aligner rates are averaged per sample, their cutadapt read counts summed."""
    texts = {"a": "95.00% overall alignment rate", "b": "85.00% overall alignment rate"}
    texts["c"] = "no rate here"
    logs = [write(tmp_path / f"{name}.txt", [text]) for name, text in texts.items()]
    unit_logs = [("s1", logs[0]), ("s1", logs[1]), ("s2", logs[2])]
    assert aligner_rates_per_sample(unit_logs, "hisat2") == pytest.approx({"s1": 0.9})
    reports = []
    for name, (n_in, n_out) in (("a", (10, 9)), ("b", (5, 5)), ("c", (7, 1))):
        counts = f'{{"read_counts": {{"input": {n_in}, "output": {n_out}}}}}'
        reports.append(write(tmp_path / f"{name}.json", [counts]))
    unit_reports = [("s1", reports[0]), ("s1", reports[1]), ("s2", reports[2])]
    assert trimming_per_sample(unit_reports) == {"s1": (15, 14), "s2": (7, 1)}


def test_count_column_reads_what_the_table_reader_reads(tmp_path):
    """The count matrix's fast reader: the same counts and counters as read_htseq_table, the
    gene lines kept for the order check; a broken line names the file."""
    from esccrt.errors import InputError
    from esccrt.mrna.htseq_table import (
        CountResult,
        read_count_column,
        read_htseq_table,
        write_htseq_table,
    )

    result = CountResult({"G1": 5, "G2": 0, "NA": 12})  # a gene called NA stays a name
    result.special.update({"__no_feature": 3, "__not_aligned": 9})
    path = tmp_path / "unit.tsv"
    write_htseq_table(result, {"G1": "one", "NA": "NA"}, path)
    genes, special = read_htseq_table(path)
    column = read_count_column(path)
    assert column.counts.tolist() == genes["count"].tolist() == [5, 0, 12]
    assert column.special == special
    assert column.genes == [b"G1\tone", b"G2\t", b"NA\tNA"]
    broken = tmp_path / "broken.tsv"
    broken.write_text("G1\tone\t5\nG2\ttwo\tfive\n__no_feature\t\t0\n")
    with pytest.raises(InputError, match=r"broken\.tsv"):
        read_count_column(broken)


def test_count_matrix_refuses_tables_of_other_genes(tmp_path):
    lines = {"a.tsv": ["G1\tN1\t1", "G2\tN2\t2"], "b.tsv": ["G1\tN1\t1", "G3\tN3\t2"]}
    tables = {}
    for sample, (name, body) in zip(["s1", "s2"], lines.items(), strict=True):
        tables[(sample, "L1")] = write(tmp_path / name, [*body, "__no_feature\t\t0"])
    with pytest.raises(ValueError, match="differs from the others"):
        merge_unit_counts(tables, ["s1", "s2"])
    with pytest.raises(ValueError, match=r"no count table for sample\(s\) \['s3'\]"):
        merge_unit_counts(tables, ["s1", "s2", "s3"])
