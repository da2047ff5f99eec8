"""The planning benchmark's own logic (bench/planning.py): the cohort folder it plans and the
check that every sample was planned once. The timed dry runs are `make bench`'s."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import planning
import pytest


def test_cohort_sheets_name_each_sample_once_with_its_own_linked_fastq(tmp_path: Path) -> None:
    samples, units = planning._cohort_sheets(14, tmp_path)
    arms = samples["library_type"].value_counts().to_dict()
    assert arms == {"smallrna": 14, "mrna": planning.MRNA_SAMPLES}
    assert samples["sample"].is_unique and list(units["sample"]) == list(samples["sample"])
    files = [Path(p) for column in ("fq1", "fq2") for p in units[column] if p]
    assert len(set(files)) == len(files)  # the unit sheet check refuses a file listed twice
    # sample k of an arm reads the demo's library k mod 6 (hard links: the same bytes)
    demo = pd.read_csv(planning.rules.REPO / "config" / "units.tsv", sep="\t", dtype=str)
    first_small = planning.rules.REPO / demo.loc[0, "fq1"]
    assert Path(units.iloc[6]["fq1"]).read_bytes() == first_small.read_bytes()


def test_jobs_per_sample_is_the_common_step_and_refuses_uneven_plans() -> None:
    assert planning.jobs_per_sample([100, 1000], {100: 650, 1000: 6050}) == 6
    assert planning.jobs_per_sample([10, 20, 40], {10: 110, 20: 170, 40: 290}) == 6
    with pytest.raises(RuntimeError, match="unequal numbers of jobs"):
        planning.jobs_per_sample([10, 20, 40], {10: 110, 20: 170, 40: 291})
