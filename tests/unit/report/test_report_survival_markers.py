"""The survival section renders the stage's continuous-marker and sample-size tables (written by
esccrt.survival.stage.continuous_tables), labels the dichotomised analysis secondary and says
whether the cohort is large enough; it recomputes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
from esccrt.report.sections import survival_section
from esccrt.survival.continuous import continuous_markers
from esccrt.survival.sample_size import SampleSizeInputs, cohort_sample_size, sample_size_table
from esccrt.survival.settings import Endpoint, SampleSizeSettings

ENDPOINT = Endpoint("pfs", "t", "e", "Progression-free survival")
TABLE1 = pd.DataFrame({"factor": ["a"], "level": ["x"], "n": [3], "pfs_p": [0.2]})
COX = pd.DataFrame({"model": ["univariate"], "c_index": [0.6]})


def _cohort() -> tuple[pd.DataFrame, pd.DataFrame]:
    """30 patients, two markers (log2 fold changes), the first raising the hazard."""
    rng = np.random.default_rng(11)
    markers = pd.DataFrame(rng.normal(size=(30, 2)), columns=["miR-A", "miR-B"])
    time = rng.exponential(15 * np.exp(-0.8 * markers["miR-A"]))
    clinical = pd.DataFrame({"t": np.minimum(time, 24), "e": (time < 24).astype(int)})
    return clinical, markers


def _settings(r2_cs: float | None) -> SampleSizeSettings:
    return SampleSizeSettings(ENDPOINT, 12.0, None, r2_cs, 0.9, 0.05, 0.05)


def test_section_shows_continuous_markers_first_and_dichotomised_as_secondary() -> None:
    clinical, markers = _cohort()
    continuous = continuous_markers(clinical, markers, [ENDPOINT], 3)
    sample_size = cohort_sample_size(clinical, markers, _settings(None))
    page = survival_section(
        TABLE1, COX, None, [], [], None, "", continuous=continuous, sample_size=sample_size
    )
    primary = page.index("continuous log2 fold changes (primary analysis)")
    sample_size_at = page.index("Sample size of the prediction model")
    assert primary < sample_size_at < page.index("<h3>Table 1")
    assert "fold-change groups: secondary analysis" in page
    assert 'id="continuous_markers"' in page and 'id="sample_size"' in page
    hr = continuous.loc[continuous["marker"] == "miR-A", "hr_per_doubling"].iloc[0]
    assert f"{hr:.3g}" in page  # the stage's number, as written
    final = sample_size.iloc[-1]
    assert f"below the minimum of {int(final['required_n'])} patients" in page
    assert "<strong>exploratory</strong>" in page


def test_an_adequate_cohort_is_called_large_enough() -> None:
    table = sample_size_table(
        SampleSizeInputs(2, 0.3, 0.05, 12.0, 20.0, 0.9, 0.05, 0.05), 5000, 5000
    ).assign(endpoint="pfs", r2_cs_source="configured")
    page = survival_section(TABLE1, COX, None, [], [], sample_size=table)
    assert "<strong>large enough</strong>" in page and "exploratory" not in page.split("<table")[0]
    # without the continuous table, Table 1 keeps its heading
    assert "secondary analysis" not in page


def test_no_sample_size_is_exploratory_with_the_reason() -> None:
    """No events: no model, no required n; the report says so and calls the model exploratory."""
    clinical, markers = _cohort()
    table = cohort_sample_size(clinical.assign(e=0), markers, _settings(None))
    assert table["required_n"].isna().all()
    page = survival_section(TABLE1, COX, None, [], [], sample_size=table)
    assert "could not be computed (no events)" in page
    assert "<strong>exploratory</strong>" in page
