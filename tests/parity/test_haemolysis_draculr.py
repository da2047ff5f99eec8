"""DraculR's haemolysis metric (Smith et al. 2022, Genes 13:1288) against DraculR's own results.

DraculR ships, for its app's example tab, the raw counts of GEO series GSE105052 (42 plasma
libraries) and the metric and call it computed on them (tests/data/draculr, ORIGIN.md). The
metric here comes from the function rule smallrna_sample_qc calls
(:func:`esccrt.smallrna.haemolysis.sample_haemolysis`) with the schema's settings, except two
that DraculR's example used: the filter's "number in smallest group" set, as DraculR asks, to
the study's smallest group (17 controls), and no minimum library size (the example's libraries
hold 4,000-700,000 reads; DraculR's app added its 1-million-read check later).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt import qc_criteria as qcc
from esccrt.smallrna import sample_qc as sq
from esccrt.smallrna.haemolysis import sample_haemolysis
from schema_sections import qc_criteria

DATA = Path(__file__).resolve().parents[1] / "data" / "draculr"


@pytest.fixture(scope="module")
def example() -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The counts (miRNAs x libraries), DraculR's results and the smallest group's size."""
    counts = pd.read_csv(DATA / "counts_raw_GSE105052.csv", index_col="mirna").fillna(0)
    published = pd.read_csv(DATA / "unlist_distributionDifference_GSE105052.csv")
    groups = pd.read_csv(DATA / "meta_GSE105052.csv")["condition"].value_counts()
    return counts, published.set_index("samplename"), int(groups.min())


def test_metric_and_calls_equal_draculrs(example):
    """Every library's metric equals DraculR's (measured max abs diff 1.2e-14) and the verdicts
    are its calls: warn = Caution (3 libraries, metric >= 1.9), pass = Clear (39)."""
    counts, published, smallest = example
    assert smallest == 17
    criteria = qc_criteria(haemolysis_draculr={"min_samples": smallest, "min_library_reads": 0})
    samples = list(counts.columns)
    metric, notes = sample_haemolysis(counts, samples, criteria["haemolysis_draculr"])
    ours = pd.Series(metric)[published.index]
    difference = (ours - published["distributionDifference"]).abs().max()
    print(f"max abs diff {difference:.2g} over {len(ours)} libraries")
    assert difference < 1e-9
    assert notes == {}
    values = []
    for sample in samples:
        entry = sq.SampleValues(sample, dict.fromkeys(qcc.BY_NAME, 1.0), {})
        entry.values["haemolysis_draculr"] = metric[sample]
        values.append(entry)
    table = sq.verdict_table(values, criteria).set_index("sample")
    calls = table["haemolysis_draculr_verdict"].map({"pass": "Clear", "warn": "Caution"})
    assert calls[published.index].tolist() == published["haemoResult"].tolist()
    assert (published["haemoResult"] == "Caution").sum() == 3
