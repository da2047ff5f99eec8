"""The small-RNA QC figures' switch from a bar per sample to the cohort's distributions
(``smallrna.cohort_plot_samples``), and the outliers they name (robust z of Iglewicz and
Hoaglin). The figures drawn at 1,000 samples are tests/unit/report/test_report_cohort_scale.py's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from esccrt import cohort_plots
from esccrt.smallrna import qc
from esccrt.smallrna.settings import SummarySettings, step_section
from esccrt.smallrna.summary import SummaryOutputs, qc_figures
from schema_sections import smallrna_section


def test_outliers_are_the_values_beyond_the_robust_z_most_extreme_first() -> None:
    values = pd.Series([10.0, 11, 9, 10, 12, 8, 10, 40, -30], index=list("abcdefghi"))
    # median 10, MAD 1: robust z of h is 30 / 1.4826 = 20.2, of i -27.0
    assert cohort_plots.robust_z(values)["h"] == pytest.approx(30 / 1.4826)
    assert cohort_plots.outliers(values, 3.5, 5).index.tolist() == ["i", "h"]
    assert cohort_plots.outliers(values, 3.5, 1).index.tolist() == ["i"]
    assert cohort_plots.outliers(values, 25, 5).index.tolist() == ["i"]
    # More than half equal (MAD 0): the scaled mean absolute deviation, as Iglewicz and Hoaglin.
    mostly_zero = pd.Series([0.0] * 8 + [1.0, 50.0], index=list("abcdefghij"))
    assert cohort_plots.outliers(mostly_zero, 3.5, 5).index.tolist() == ["j"]
    assert cohort_plots.outliers(pd.Series([2.0] * 5), 3.5, 5).empty


def _figures(tmp_path: Path, samples: int) -> dict:
    fate = pd.DataFrame(
        {"sample": [f"s{k}" for k in range(samples)]}
        | {column: 10 for column in qc.fate_partition(["rRNA"])}
    )
    classes = qc.rna_class_table(fate, ["rRNA"])
    lengths = pd.DataFrame({"sample": ["s0"], "length": [22], "reads": [5]})
    settings = SummarySettings.from_config(step_section(smallrna_section(), "summary"))
    outputs = SummaryOutputs(**{name: tmp_path / name for name in SummaryOutputs.__annotations__})
    return {
        what: draw.func for what, (_, draw) in qc_figures(
            settings, fate, classes, lengths, ["rRNA"], outputs
        ).items()
    }  # fmt: skip


def test_a_bar_per_sample_up_to_the_threshold_the_cohort_above(tmp_path: Path) -> None:
    threshold = smallrna_section()["cohort_plot_samples"]
    assert _figures(tmp_path, threshold) == {
        "read fate plot": qc.plot_read_fate,
        "RNA class plot": qc.plot_rna_classes,
        "insert length plot": qc.plot_insert_lengths,
    }
    assert _figures(tmp_path, threshold + 1) == {
        "read fate plot": cohort_plots.plot_share_distributions,
        "RNA class plot": cohort_plots.plot_share_distributions,
        "insert length plot": cohort_plots.plot_insert_length_cohort,
    }
