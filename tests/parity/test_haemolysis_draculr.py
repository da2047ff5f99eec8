"""DraculR's haemolysis metric (Smith et al. 2022, Genes 13:1288) against DraculR's own results.

DraculR ships, for its app's example tab, the raw counts of GEO series GSE105052 (42 plasma
libraries) and the metric and call it computed on them (tests/data/draculr, ORIGIN.md). The
metric here comes from the function rule smallrna_sample_qc calls
(:func:`esccrt.smallrna.haemolysis.sample_haemolysis`) with the schema's settings, except two
that DraculR's example used: the filter's "number in smallest group" set, as DraculR asks, to
the study's smallest group (17 controls), and no minimum library size (the example's libraries
hold 4,000-700,000 reads; DraculR's app added its 1-million-read check later).

The edgeR steps (TMM normalisation factors, log2 CPM) and the metric are also computed live by
edgeR through Rscript (tests/parity/r_draculr_edger.R, DraculR's draculR.R steps) on the same
counts with the same settings.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest
from esccrt import qc_criteria as qcc
from esccrt.smallrna import haemolysis as hm
from esccrt.smallrna import sample_qc as sq
from esccrt.smallrna.haemolysis import sample_haemolysis
from prerequisites import require_r_packages
from schema_sections import qc_criteria

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "draculr"


@pytest.fixture(scope="module")
def example() -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The counts (miRNAs x libraries), DraculR's results and the smallest group's size."""
    counts = pd.read_csv(DATA / "counts_raw_GSE105052.csv", index_col="mirna").fillna(0)
    published = pd.read_csv(DATA / "unlist_distributionDifference_GSE105052.csv")
    groups = pd.read_csv(DATA / "meta_GSE105052.csv")["condition"].value_counts()
    return counts, published.set_index("samplename"), int(groups.min())


@pytest.fixture(scope="module")
def criterion(example) -> dict:
    """The schema's ``haemolysis_draculr`` section with DraculR's example settings."""
    smallest = example[2]
    keys = {"min_samples": smallest, "min_library_reads": 0}
    return qc_criteria(haemolysis_draculr=keys)["haemolysis_draculr"]


@pytest.fixture(scope="module")
def edger(criterion, tmp_path_factory) -> dict[str, pd.DataFrame]:
    """edgeR's TMM factors, log2 CPM and DraculR's metric, computed live by Rscript."""
    folder = tmp_path_factory.mktemp("draculr_edger")
    settings = {key: criterion[key] for key in ("min_library_reads", "min_count", "min_cpm")}
    settings["min_samples"] = criterion["min_samples"]
    settings |= {key: ",".join(criterion[key]) for key in ("signature", "dropped")}
    table = pd.DataFrame({"key": list(settings), "value": [str(v) for v in settings.values()]})
    table.to_csv(folder / "settings.tsv", sep="\t", index=False)
    script = HERE / "r_draculr_edger.R"
    arguments = [str(DATA / "counts_raw_GSE105052.csv"), str(folder / "settings.tsv")]
    run = subprocess.run(
        ["Rscript", str(script), *arguments, str(folder)], capture_output=True, text=True
    )
    if run.returncode:  # one R start-up less than probing first: the probe names what is missing
        require_r_packages("edgeR")
    assert run.returncode == 0, run.stderr[-2000:]
    read = {"tmm": "library", "logcpm": "mirna", "metric": "library"}
    return {
        name: pd.read_csv(folder / f"r_{name}.tsv", sep="\t", index_col=index)
        for name, index in read.items()
    }


def test_edger_steps_and_metric_equal_edger_live(example, criterion, edger):
    """TMM factors, log2 CPM and the metric equal edgeR's, run live on the 42 libraries
    (edgeR 3.40.2: measured max abs diff TMM 6.7e-16, log2 CPM 5.3e-15, metric 1.2e-14)."""
    counts = example[0]
    settings = hm.HaemolysisSettings.from_config(criterion)
    filtered = counts.where(counts >= settings.min_count, 0)
    filtered = filtered.loc[filtered.sum(axis=1) != 0]
    factors = hm.tmm_factors(filtered.to_numpy(dtype=float))
    tmm = edger["tmm"]["norm_factor"]
    assert list(tmm.index) == list(filtered.columns)
    kept = hm.kept_mirnas(counts, settings)
    logged = pd.DataFrame(hm.log_cpm(kept.to_numpy(dtype=float)), kept.index, kept.columns)
    assert list(logged.index) == list(edger["logcpm"].index)
    metric, _ = sample_haemolysis(counts, list(counts.columns), criterion)
    differences = {
        "TMM": abs(factors - tmm.to_numpy()).max(),
        "log2 CPM": (logged - edger["logcpm"][logged.columns]).abs().max().max(),
        "metric": (pd.Series(metric) - edger["metric"]["metric"]).abs().max(),
    }
    print(", ".join(f"{name} max abs diff {value:.2g}" for name, value in differences.items()))
    print(f"{len(logged)} of {len(counts)} miRNAs kept")
    assert max(differences.values()) < 5e-14


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
