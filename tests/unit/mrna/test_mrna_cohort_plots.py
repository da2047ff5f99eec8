"""The mRNA QC figures at cohort scale: a pair of bars per sample (a line per unit) up to
``mrna.qc.cohort_plot_samples``, the cohort's distributions with the outliers named above: a
figure whose size does not grow with the samples (at 1,000 samples the bars were a 72,420 x
420-pixel strip)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt import cohort_plots
from esccrt.mrna import insert_sizes as sizes_module
from esccrt.mrna.insert_sizes import insert_sizes
from esccrt.mrna.qc import draw_qc_rates
from esccrt.mrna.settings import QcSettings
from PIL import Image
from schema_sections import mrna_section

SETTINGS = QcSettings.from_config(mrna_section()["qc"])
#: The QC figure's resolution (esccrt.mrna.qc.plot_qc_rates) and the cohort view's size.
DPI, COHORT_INCHES = 120, (9, 1.4 + 0.75 * 2)


def _rates(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    mapping = rng.uniform(0.85, 0.95, n)
    rates = pd.DataFrame(
        {
            "sample": [f"s{k:04d}" for k in range(n)],
            "mapping_rate": mapping,
            "assignment_rate": mapping - 0.1,
        }
    )
    rates.loc[0, "assignment_rate"] = 0.05  # the one outlier, below the gate
    rates.loc[1, ["mapping_rate", "assignment_rate"]] = np.nan  # no reads at all
    return rates


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def test_qc_rates_a_bar_pair_per_sample_up_to_the_threshold(tmp_path: Path) -> None:
    n = SETTINGS.plots.cohort_plot_samples
    draw_qc_rates(_rates(n), tmp_path / "bars.png", min_assignment_rate=0.2, plots=SETTINGS.plots)
    width, _ = _size(tmp_path / "bars.png")
    assert width > DPI * 0.6 * n  # grows with the samples: 0.6 inch a sample


def test_qc_rates_of_1000_samples_are_a_cohort_view_naming_the_outliers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}
    real = cohort_plots.plot_value_distributions

    def spy(values, *args, **kwargs):
        seen["values"], seen["gate"] = values, kwargs.get("gate")
        return real(values, *args, **kwargs)

    monkeypatch.setattr(cohort_plots, "plot_value_distributions", spy)
    path = tmp_path / "cohort.png"
    draw_qc_rates(_rates(1000), path, min_assignment_rate=0.2, plots=SETTINGS.plots)
    assert _size(path) == (DPI * COHORT_INCHES[0], round(DPI * COHORT_INCHES[1]))
    values = seen["values"]
    assert values.shape == (1000, 2) and list(values.columns) == ["mapped", "assigned to genes"]
    assert values.loc["s0001"].tolist() == [0.0, 0.0]  # no reads: rate 0, drawn
    found = cohort_plots.outliers(values["assigned to genes"], SETTINGS.plots.outlier_robust_z, 5)
    assert {"s0000", "s0001"} <= set(found.index)
    assert seen["gate"] == (0.2, "QC gate: min. assigned")


def _stats(folder: Path, n: int) -> list[Path]:
    """samtools stats IS lines of ``n`` units: insert sizes around 250 bp, one unit around 120."""
    rng = np.random.default_rng(5)
    paths = []
    for k in range(n):
        centre = 120 if k == 0 else 250
        pairs = np.bincount(rng.normal(centre, 30, 5000).astype(int).clip(1, 600), minlength=601)
        path = folder / f"s{k:04d}.lane1.txt"
        lines = [f"IS\t{size}\t{count}\t{count}\t0\t0\n" for size, count in enumerate(pairs)]
        path.write_text("SN\traw total sequences:\t10000\n" + "".join(lines))
        paths.append(path)
    return paths


def test_insert_sizes_a_line_per_unit_up_to_the_threshold_the_cohort_above(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = SETTINGS.plots.cohort_plot_samples
    stats = _stats(tmp_path, n + 1)
    drawn = []
    monkeypatch.setattr(sizes_module, "insert_size_plot", lambda *a: drawn.append("lines"))
    insert_sizes(stats[:n], tmp_path / "few.tsv", tmp_path / "few.png", SETTINGS.plots)
    assert drawn == ["lines"] and len(pd.read_csv(tmp_path / "few.tsv", sep="\t")) == n

    seen = {}
    real = cohort_plots.plot_profile_cohort
    monkeypatch.setattr(
        cohort_plots,
        "plot_profile_cohort",
        lambda p, *a, **k: (seen.setdefault("p", p), real(p, *a, **k)),
    )
    insert_sizes(stats, tmp_path / "all.tsv", tmp_path / "all.png", SETTINGS.plots)
    profiles = seen["p"]
    assert profiles.shape[0] == n + 1 and np.allclose(profiles.sum(axis=1), 1.0)
    distance = (profiles - profiles.median()).abs().sum(axis=1) / 2
    assert cohort_plots.outliers(distance, SETTINGS.plots.outlier_robust_z, 5).index[0] == (
        "s0000.lane1"
    )
    assert _size(tmp_path / "all.png") == (9 * 120, round(4.5 * 120))
    assert len(pd.read_csv(tmp_path / "all.tsv", sep="\t")) == n + 1
