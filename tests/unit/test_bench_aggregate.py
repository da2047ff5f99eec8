"""The aggregate benchmark's own logic (bench/aggregate_scale.py): the check of the summary's
matrix before a figure is kept, and the measurements file the resources test reads. The timed
runs are `bench/run.py --only aggregate_scale`'s."""

from __future__ import annotations

import json
from pathlib import Path

import aggregate_inputs
import aggregate_scale
import pandas as pd
import pytest
from esccrt import paths


def _matrix(folder: Path, samples: list[str]) -> pd.DataFrame:
    """The mature matrix of the cohort, summed here from its counts files."""
    columns = {}
    for sample in samples:
        path = folder / paths.fill(paths.SMALLRNA_SAMPLE_COUNTS, sample=sample)
        columns[sample] = pd.Series(json.loads(path.read_text())["mature"])
    frame = pd.DataFrame(columns).fillna(0).round().astype("int64")
    return frame.rename_axis("feature").reset_index()


def test_check_matrix_refuses_a_missing_sample_or_a_wrong_sum(tmp_path: Path) -> None:
    samples = aggregate_inputs.write_cohort(tmp_path, 3, (5, 10))
    target = tmp_path / paths.fill(paths.ARM_COUNTS, arm="smallrna")
    target.parent.mkdir(parents=True, exist_ok=True)
    matrix = _matrix(tmp_path, samples)
    matrix.to_csv(target, sep="\t", index=False)
    aggregate_scale.check_matrix(tmp_path, samples)
    matrix.drop(columns=samples[1]).to_csv(target, sep="\t", index=False)
    with pytest.raises(RuntimeError, match="not every sample once"):
        aggregate_scale.check_matrix(tmp_path, samples)
    matrix.loc[0, samples[0]] += 1
    matrix.to_csv(target, sep="\t", index=False)
    with pytest.raises(RuntimeError, match="per-miRNA sums differ"):
        aggregate_scale.check_matrix(tmp_path, samples)


def test_measurements_of_a_size_replace_that_size_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(aggregate_scale, "MEASURED", tmp_path / "measured.tsv")
    row = {"rule": "smallrna_summary", "wall_s": 1.0, "peak_mb": 100}
    aggregate_scale.write_measured([{**row, "samples": 100}, {**row, "samples": 1000}])
    aggregate_scale.write_measured([{**row, "samples": 1000, "wall_s": 2.0}])
    table = pd.read_csv(tmp_path / "measured.tsv", sep="\t", comment="#")
    assert table[["samples", "wall_s"]].values.tolist() == [[100, 1.0], [1000, 2.0]]
    assert (tmp_path / "measured.tsv").read_text().startswith("# Peak memory")
