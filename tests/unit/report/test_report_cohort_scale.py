"""The report of a 1,000-sample small-RNA study (issue 26, item 7; issue 28, item 8): built by the
report's own builder from synthetic QC tables in the summary's and sample QC's formats and from
the QC figures the summary draws (its switch from a bar per sample to the cohort's
distributions), it stays under 20 MB, every per-sample table has one row per sample, a search box
and more rows than a page (the page's script shows them a page at a time), the verdicts are
coloured and the figures keep their size. Load time in Chromium is the bench's
(`bench/run.py --only aggregate_scale`)."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import aggregate_run
import numpy as np
import pandas as pd
import pytest
import yaml
from esccrt.io import write_tsv_atomic
from esccrt.report.build import build_report
from esccrt.report.inputs import ReportInputs
from esccrt.report.smallrna_qc import mirtop_stats_by_sample
from esccrt.smallrna import qc
from esccrt.smallrna.sample_qc import SampleValues, verdict_table
from esccrt.smallrna.settings import SummarySettings, step_section
from esccrt.smallrna.summary import qc_figures
from sample_qc_helpers import passing_values
from schema_sections import qc_criteria, smallrna_section, validated

SAMPLES = 1_000
CLASSES = ["rRNA", "tRNA"]
#: Issue 26, item 7.
MAX_BYTES = 20_000_000
#: Tallest QC figure allowed (pixels): a bar per sample would be 42,000 at 1,000 samples.
MAX_FIGURE_HEIGHT = 1_500
#: The report's tables with a row per sample.
PER_SAMPLE_TABLES = ("samples", "sample-qc", "read-fate", "rna-classes", "mirtop-stats")


def _fates(rng: np.random.Generator, samples: list[str]) -> list[qc.SampleFate]:
    """Each sample's read fate: 100,000 reads partitioned at random (some samples odd)."""
    columns = [*qc.BEFORE_CLASSES, *CLASSES, *qc.AFTER_CLASSES]
    weights = np.array([1, 3, 2, 0.1, 4, 3, 60, 5, 10])
    fates = []
    for number, sample in enumerate(samples):
        odd = (
            weights * np.where(np.arange(len(weights)) == 4, 8, 1) if number % 97 == 0 else weights
        )
        reads = dict(zip(columns, rng.multinomial(100_000, odd / odd.sum()).tolist(), strict=True))
        fates.append(
            qc.SampleFate(
                sample=sample,
                input=100_000,
                adapter_found=100_000 - reads["no_adapter_discarded"],
                rna_classes={c: reads.pop(c) for c in CLASSES},
                **reads,
            )
        )
    return fates


def cohort_inputs(folder: Path, samples: list[str]) -> ReportInputs:
    """The small-RNA QC tables and figures of ``samples`` in ``folder``, as the report reads
    them; the figures drawn by the summary's own choice of view."""
    rng = np.random.default_rng(26)
    fate_table, _ = qc.read_fate_table(_fates(rng, samples), 0.5, CLASSES)
    class_table = qc.rna_class_table(fate_table, CLASSES)
    lengths = qc.insert_length_table(
        {s: dict(enumerate(rng.poisson(200, 30).tolist(), start=12)) for s in samples}
    )
    outputs = aggregate_run.summary_paths(folder, samples)[1]
    outputs.read_fate_plot.parent.mkdir(parents=True)
    settings = SummarySettings.from_config(step_section(smallrna_section(), "summary"))
    for _, draw in qc_figures(
        settings, fate_table, class_table, lengths, CLASSES, outputs
    ).values():
        draw()
    categories = [
        f"{kind}_{what}" for kind in ("iso_3p", "isomiR", "ref_miRNA") for what in ("count", "sum")
    ]
    stats = pd.DataFrame(rng.integers(0, 10**6, (len(categories), len(samples))), columns=samples)
    values = [
        SampleValues(s, passing_values(mirna_share=0.01 if k % 10 == 0 else 0.5), {})
        for k, s in enumerate(samples)
    ]
    tables = {
        "samples": pd.DataFrame({"sample": samples, "condition": ["a", "b"] * (len(samples) // 2)}),
        "read_fate": fate_table,
        "rna_classes": class_table,
        "mirtop_stats": stats.assign(category=categories)[["category", *samples]],
        "smallrna_sample_qc": verdict_table(values, qc_criteria()),
    }
    for name, frame in tables.items():
        write_tsv_atomic(frame, folder / f"{name}.tsv")
    plots = [outputs.read_fate_plot, outputs.rna_classes_plot, outputs.insert_plot]
    return ReportInputs(
        **{name: str(folder / f"{name}.tsv") for name in tables}, qc_plots=[str(p) for p in plots]
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> str:
    folder = tmp_path_factory.mktemp("cohort")
    samples = [f"lib_{k:04d}" for k in range(SAMPLES)]
    config = validated("config", yaml.safe_load((repo_root / "config" / "config.yaml").read_text()))
    inputs = cohort_inputs(folder, samples)
    text = build_report(inputs, config, {}, "test", folder / "report" / "report.html")
    (folder / "report.html").write_text(text)
    return text


def _png_height(data: bytes) -> int:
    """A PNG's height in pixels, from its header."""
    return struct.unpack(">I", data[20:24])[0]


def test_the_report_of_1000_samples_is_small_and_paged(page: str) -> None:
    size = len(page.encode())
    assert size <= MAX_BYTES, f"{size / 1e6:.1f} MB"
    rows = int(re.search(r"<body data-page-rows='(\d+)'>", page).group(1))
    for table_id in PER_SAMPLE_TABLES:
        found = re.search(rf'<table id="{table_id}">.*?</table>', page, re.S)
        assert found, table_id
        body = found.group(0).split("<tbody>")[1]
        assert body.count("<tr>") == SAMPLES > rows, table_id  # one row per sample, paged
        assert f'data-table="{table_id}"' in page, f"{table_id}: no search box"
    # Samples as rows: the mirtop statistics too (the file has a column per sample).
    mirtop = re.search(r'<table id="mirtop-stats"><thead><tr>(.*?)</tr>', page).group(1)
    assert ">sample<" in mirtop and "lib_0001" not in mirtop


def test_the_qc_overview_colours_the_verdicts(page: str) -> None:
    table = re.search(r'<table id="sample-qc">.*?</table>', page, re.S).group(0)
    overall = re.findall(r"<tr><td>lib_\d+</td><td class=\"v-(\w+)\" data-sort=\"(\d)\">", table)
    assert len(overall) == SAMPLES
    assert {verdict for verdict, _ in overall} == {"pass", "warn"}
    assert sum(verdict == "warn" for verdict, _ in overall) == SAMPLES // 10
    assert {rank for verdict, rank in overall if verdict == "warn"} == {"1"}  # sorts before pass


def test_the_qc_figures_are_cohort_views(page: str) -> None:
    import base64

    figures = re.findall(r'<img alt="(Small RNA[^"]*)" src="data:image/png;base64,([^"]+)"', page)
    assert len(figures) == 3
    for caption, encoded in figures:
        assert _png_height(base64.b64decode(encoded)) <= MAX_FIGURE_HEIGHT, caption


def test_mirtop_stats_turn_to_a_row_per_sample() -> None:
    stats = pd.DataFrame({"category": ["a_sum", "b_count"], "s1": [1, 2], "s2": [3, 4]})
    turned = mirtop_stats_by_sample(stats)
    assert turned.columns.tolist() == ["sample", "a_sum", "b_count"]
    assert turned.values.tolist() == [["s1", 1, 2], ["s2", 3, 4]]
