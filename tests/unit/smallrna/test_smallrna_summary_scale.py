"""Rule smallrna_summary's aggregation at cohort scale (issue 26, item 4), on synthetic
per-sample outputs in the counting rule's formats (bench/aggregate_inputs.py, shared with the
bench section): the matrices and the merged mirGFF3 checked against sums computed directly
from the per-sample files, the merged file validated by mirtop and its statistics equal to
mirtop's own, and the memory the aggregation holds per sample bounded.

Memory (tracemalloc peak of :func:`count_tables` + :func:`merged_mirgff`, the steps that read
every sample's files, on these synthetic samples, imports done): 6.39 MB at 20 samples, 8.28 MB
at 40, 9.96 MB at 60, i.e. about 4.5 MB + 0.09 MB per sample (the streamed steps hold a matrix
column pair, the read fate and insert lengths of each sample, one mirGFF3 line and file buffer
per sample, and the merged lines' identities for mirtop's duplicate rule, which grow with the
private isomiRs). The test allows twice that formula, :func:`memory_bound`; the former code,
which held every sample's counts and mirGFF3 records at once, took 30 MB at 60 samples.
"""

from __future__ import annotations

import json
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

import aggregate_inputs
import aggregate_run
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.io import read_tsv
from esccrt.smallrna.mirgff import (
    GffRecord,
    read_mirgff,
    validation_errors,
    write_mirgff,
)
from esccrt.smallrna.mirgff_merge import merge_sorted_mirgff, mirtop_stats
from esccrt.smallrna.settings import SummarySettings, step_section
from esccrt.smallrna.summary import count_tables, merged_mirgff
from schema_sections import smallrna_section

SAMPLES = 60
#: Detected miRNAs per sample: fewer than the bench's 300-1,500, so that the files are quick
#: to write; the per-sample structure (isomiR pool, private isomiRs) is the bench's.
DETECTED = (100, 300)
#: Samples of the traced run (tracemalloc slows the steps about 5 times).
TRACED_SAMPLES = 24
#: Measured tracemalloc peak: fixed part and part per sample (bytes; the module's docstring).
MEASURED_FIXED, MEASURED_PER_SAMPLE = 4_500_000, 90_000


def memory_bound(samples: int) -> float:
    """Allowed tracemalloc peak of the aggregation of ``samples`` samples: twice the measured."""
    return 2 * (MEASURED_FIXED + MEASURED_PER_SAMPLE * samples)


def _summary_settings() -> SummarySettings:
    return SummarySettings.from_config(step_section(smallrna_section(), "summary"))


def read_mirgff_line(line: str) -> GffRecord:
    """One line of a merged mirGFF3 as a record (its expression left 0)."""
    fields = line.split("\t")
    attributes = dict(item.strip().split(" ", 1) for item in fields[8].split(";") if item)
    return GffRecord(
        fields[0],
        int(fields[3]),
        int(fields[4]),
        attributes["Read"],
        attributes["Name"],
        attributes["Variant"],
        attributes["Cigar"],
        0,
        int(attributes["Hits"]),
    )


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Path, list[str], dict]:
    """The synthetic cohort aggregated once: (folder, samples, {"inputs", "outputs"})."""
    folder = tmp_path_factory.mktemp("cohort")
    samples = aggregate_inputs.write_cohort(folder, SAMPLES, DETECTED)
    inputs, outputs = aggregate_run.summary_paths(folder, samples)
    for path in vars(outputs).values():
        path.parent.mkdir(parents=True, exist_ok=True)
    count_tables(samples, inputs, outputs)
    merged_mirgff(_summary_settings(), samples, inputs, outputs)
    return folder, samples, {"inputs": inputs, "outputs": outputs}


@pytest.mark.slow
def test_count_matrices_and_isomirs_equal_the_per_sample_sums(cohort) -> None:
    _, samples, run = cohort
    inputs, outputs = run["inputs"], run["outputs"]
    per_sample = [json.loads(Path(p).read_text()) for p in inputs.counts]
    for key, path in (("mature", outputs.counts), ("hairpin", outputs.hairpin_counts)):
        matrix = read_tsv(path).set_index("feature")
        assert list(matrix.columns) == sorted(samples)  # every sample once
        direct: dict[str, float] = defaultdict(float)
        for counts in per_sample:
            for feature, value in counts[key].items():
                direct[feature] += value
        sums = matrix.sum(axis=1)
        assert sums[sums > 0].to_dict() == {f: int(v) for f, v in direct.items() if v > 0}
    isomirs = read_tsv(outputs.isomirs)
    assert Counter(isomirs["sample"]) == {
        s: len(c["isomirs"]) for s, c in zip(samples, per_sample, strict=True)
    }
    assert isomirs["total"].sum() == sum(sum(c["mature"].values()) for c in per_sample)


@pytest.mark.slow
def test_merged_mirgff_holds_every_sample_line_once_and_mirtop_validates_it(cohort) -> None:
    _, samples, run = cohort
    inputs, outputs = run["inputs"], run["outputs"]
    header = [line for line in outputs.mirgff.read_text().splitlines() if line.startswith("##")]
    assert f"## COLDATA: {','.join(samples)}" in header  # every sample once, in order
    merged: dict[tuple, list[int]] = {}
    for line in outputs.mirgff.read_text().splitlines():
        if line.startswith("#"):
            continue
        record = read_mirgff_line(line)
        assert record[:7] not in merged  # one line per isomiR
        merged[record[:7]] = [int(v) for v in line.split("Expression ")[1].split(";")[0].split(",")]
    for k, path in enumerate(inputs.mirgff):
        direct = {record[:7]: record.expression for record in read_mirgff(path)}
        column = {key: values[k] for key, values in merged.items() if values[k]}
        assert column == direct
    assert validation_errors(outputs.mirgff) == 0


@pytest.mark.slow
def test_mirtop_statistics_equal_mirtops_own(cohort) -> None:
    outputs = cohort[2]["outputs"]
    pd.testing.assert_frame_equal(read_tsv(outputs.mirtop_stats), mirtop_stats(outputs.mirgff))


@pytest.mark.slow
def test_aggregation_memory_grows_by_the_stated_bound_per_sample(cohort, tmp_path) -> None:
    folder, samples, run = cohort
    samples = samples[:TRACED_SAMPLES]
    inputs, _ = aggregate_run.summary_paths(folder, samples)
    outputs = run["outputs"]
    outputs = type(outputs)(**{k: tmp_path / Path(v).name for k, v in vars(outputs).items()})
    tracemalloc.start()
    try:
        count_tables(samples, inputs, outputs)
        merged_mirgff(_summary_settings(), samples, inputs, outputs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= memory_bound(len(samples)), f"{peak:,} bytes at {len(samples)} samples"
    assert read_tsv(outputs.counts).columns[1:].tolist() == samples  # the run was complete


def test_merge_refuses_a_per_sample_file_out_of_order(tmp_path) -> None:
    first = GffRecord("hsa-mir-1", 5, 26, "ACGTACGTACGTACGTACGTAC", "hsa-miR-1", "NA", "22M", 3, 1)
    later = first._replace(start=6, end=27)
    path = tmp_path / "s1.gff"
    write_mirgff([(later, [1]), (first, [3])], ["s1"], path, "miRBase")
    with pytest.raises(InputError, match=r"s1\.gff.*record 2 .*comes before"):
        list(merge_sorted_mirgff([path]))


def test_merge_raises_the_open_file_limit_it_needs(tmp_path) -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    record = GffRecord("hsa-mir-1", 5, 26, "ACGTACGTACGTACGTACGTAC", "hsa-miR-1", "NA", "22M", 1, 1)
    files = []
    for k in range(40):
        files.append(tmp_path / f"s{k}.gff")
        write_mirgff([(record, [k + 1])], [f"s{k}"], files[-1], "miRBase")
    resource.setrlimit(resource.RLIMIT_NOFILE, (30, hard))  # fewer than the files
    try:
        merged = list(merge_sorted_mirgff(files))
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert [dict(expression) for _, expression in merged] == [{k: k + 1 for k in range(40)}]
