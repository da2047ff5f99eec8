"""DraculR's haemolysis metric (esccrt.smallrna.haemolysis): the metric by hand, the libraries
and species it cannot judge, and its verdict at 1.9 (edgeR's TMM and log2 CPM are compared with
edgeR run live in tests/parity/test_haemolysis_draculr.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from esccrt import qc_criteria as qcc
from esccrt.smallrna import haemolysis as hm
from schema_sections import qc_criteria


def _settings(**keys) -> hm.HaemolysisSettings:
    criterion = qc_criteria(haemolysis_draculr=keys)["haemolysis_draculr"]
    return hm.HaemolysisSettings.from_config(criterion)


def test_metric_by_hand():
    """No filter at work: the geometric means of the log2 CPM of signature and background
    miRNAs; a log2 CPM below 0 drops out of its mean (R's log gives NaN, na.rm removes it)."""
    names = ["hsa-miR-451a", "hsa-miR-16-5p", "hsa-miR-92a-3p", "hsa-miR-486-5p"]
    counts = pd.DataFrame({"a": [600, 100, 200, 100], "b": [50, 300, 400, 250]}, index=names)
    settings = _settings(signature=names[:1], min_library_reads=0, min_count=0, min_cpm=0)
    logged = hm.log_cpm(counts.to_numpy(dtype=float))
    expected = [
        logged[0, j] - math.exp(np.log(logged[1:, j]).mean()) for j in range(counts.shape[1])
    ]
    assert hm.haemolysis_metric(counts, settings).tolist() == pytest.approx(expected)
    assert hm.geometric_mean(np.array([-1.0, 2.0, 8.0])) == pytest.approx(4.0)
    assert math.isnan(hm.geometric_mean(np.array([-1.0])))


def test_dropped_signature_mirnas_count_in_neither_mean():
    """DraculR's "drop" step: a dropped signature miRNA leaves the signature and does not join
    the background."""
    names = ["hsa-miR-451a", "hsa-miR-142-5p", "hsa-miR-16-5p", "hsa-miR-92a-3p"]
    counts = pd.DataFrame({"a": [900, 30, 100, 200], "b": [40, 500, 300, 250]}, index=names)
    keys = {"signature": names[:2], "min_library_reads": 0, "min_count": 0, "min_cpm": 0}
    dropped = hm.haemolysis_metric(counts, _settings(**keys, dropped=names[1:2]))
    logged = hm.log_cpm(counts.to_numpy(dtype=float))
    background = [math.exp(np.log(logged[2:, j]).mean()) for j in range(2)]
    assert dropped.tolist() == pytest.approx([logged[0, j] - background[j] for j in range(2)])


def test_small_libraries_and_other_species_have_no_metric_and_say_why():
    """DraculR leaves libraries of 1 million reads or fewer out (the schema's default) and
    knows only human signature miRNAs."""
    names = ["hsa-miR-451a", "hsa-miR-16-5p", "hsa-miR-92a-3p"]
    counts = pd.DataFrame(
        {"deep": [400_000, 300_000, 400_001], "shallow": [400_000, 300_000, 300_000]}, index=names
    )
    criterion = qc_criteria()["haemolysis_draculr"]
    metric, notes = hm.sample_haemolysis(counts, ["deep", "shallow"], criterion)
    assert not math.isnan(metric["deep"]) and math.isnan(metric["shallow"])
    assert notes == {"shallow": "1,000,000 miRNA reads, DraculR needs more than 1,000,000"}
    mouse = counts.rename(index=lambda name: name.replace("hsa-", "mmu-"))
    metric, notes = hm.sample_haemolysis(mouse, ["deep", "shallow"], criterion)
    assert all(math.isnan(value) for value in metric.values())
    assert set(notes) == {"deep", "shallow"} and "signature" in notes["deep"]


def test_caution_starts_at_the_threshold():
    """DraculR: "Caution" at 1.9 or more (the schema's warn), "Clear" below."""
    criterion = qcc.BY_NAME["haemolysis_draculr"]
    levels = qc_criteria()["haemolysis_draculr"]
    assert (levels["warn"], levels["fail"]) == (1.9, None)
    assert criterion.verdict(1.9, 1.9, None) == "warn"
    assert criterion.verdict(1.8999, 1.9, None) == "pass"
    assert criterion.flag_sign == ">="
