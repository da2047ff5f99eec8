"""Sequencing markers: a small-RNA miRNA's change post / pre per patient (rule
survival_sequencing_markers, :func:`esccrt.survival.sequencing.run`) computed by hand on a
synthetic cohort (tests/sequencing_cohort.py), and the checks of the marker names. The
survival stage using it beside a qPCR marker, against R: test_survival_sequencing_r.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from esccrt.errors import InputError
from esccrt.report.survival_sequencing import sequencing_markers_part
from esccrt.survival.sequencing import (
    check_marker_names,
    sequencing_fold_changes,
    timepoint_samples,
)
from schema_sections import section_defaults
from sequencing_cohort import (
    LEFT_OUT,
    MARKER,
    MIRNA,
    ONLY_PRE,
    PATIENTS,
    N,
    qpcr_timepoints,
    sequencing_table,
    write_cohort,
)


@pytest.fixture
def cohort(tmp_path: Path) -> dict[str, Path]:
    """The synthetic cohort's files (sequencing_cohort.write_cohort)."""
    return write_cohort(tmp_path)


def test_fold_change_is_post_over_pre_of_the_normalised_counts(cohort) -> None:
    table = sequencing_table(cohort).set_index("patient")
    assert list(table.index) == PATIENTS[:-1]  # P24 has no small-RNA library
    assert (table["target"] == MARKER).all() and (table["feature"] == MIRNA).all()
    assert table.loc["P01", "fold_change"] == 2.5  # 250 / 100
    assert table.loc["P02", "fold_change"] == 0.25  # 20 / 80
    assert table.loc["P02", "log2_fold_change"] == -2.0
    assert table.loc["P01", ["sample_pre", "sample_post"]].tolist() == [
        "exo_P01_pre",
        "exo_P01_post",
    ]
    counts = pd.read_csv(cohort["normalized"], sep="\t", index_col="feature").loc[MIRNA]
    complete = table[table["note"].isna()]
    assert len(complete) == N - 4  # P03 (zero), P22 (left out), P23 (no post), P24 (none)
    for patient, row in complete.iterrows():
        by_hand = counts[f"exo_{patient}_post"] / counts[f"exo_{patient}_pre"]
        assert row["fold_change"] == pytest.approx(by_hand, rel=1e-12), patient
        assert row["log2_fold_change"] == pytest.approx(math.log2(by_hand), rel=1e-12)
    without = table.loc[["P03", LEFT_OUT, ONLY_PRE]]
    assert without["fold_change"].isna().all() and without["log2_fold_change"].isna().all()
    # the library that is there keeps its count in the table
    assert table.loc[ONLY_PRE, "normalized_pre"] == counts[f"exo_{ONLY_PRE}_pre"]
    assert table.loc[LEFT_OUT, "normalized_pre"] == counts[f"exo_{LEFT_OUT}_pre"]
    assert np.isnan(table.loc[LEFT_OUT, "normalized_post"])
    assert without["note"].tolist() == [
        "zero normalised count: no finite change",
        "library exo_P22_post not in the normalised counts (left out by the small-RNA QC gate)",
        "no small-RNA library at post",
    ]
    page = sequencing_markers_part(str(cohort["sequencing"]))  # the report renders the table
    assert '<table id="sequencing_fold_changes"' in page and "exo_P01_post" in page
    assert "3 patient(s) have no value for at least one marker" in page


def test_marker_missing_from_the_normalised_counts_is_refused(cohort) -> None:
    pre, post = qpcr_timepoints()
    samples = pd.read_csv(cohort["samples"], sep="\t", dtype=str, keep_default_na=False)
    pairs = timepoint_samples(samples, pre, post)
    normalized = pd.read_csv(cohort["normalized"], sep="\t", index_col="feature")
    with pytest.raises(InputError, match=r"survival.sequencing_markers: \['hsa-miR-21-5p'\]"):
        sequencing_fold_changes(pairs, normalized, ["hsa-miR-21-5p"], pre, post, "counts.tsv")


def test_sheet_without_patients_is_refused(cohort) -> None:
    cohort["samples"].write_text(
        "sample\tlibrary_type\tcondition\tbatch\nexo_a\tsmallrna\tpre\tb1\n"
    )
    with pytest.raises(InputError, match="no small-RNA sample has a patient and a timepoint"):
        sequencing_table(cohort)


def test_unlisted_sequencing_marker_is_refused_naming_the_key() -> None:
    section = section_defaults(
        "survival",
        sequencing_markers=[MIRNA],
        factors=[{"name": "fc_seq", "type": "fold_change", "targets": [MARKER]}],
        diagnostic={"endpoint": "os", "within": 12, "predictors": [MARKER]},
    )
    check_marker_names(section)  # every seq: target listed
    section["continuous"]["markers"] = ["seq:hsa-miR-21-5p"]
    with pytest.raises(
        InputError,
        match=r"config key survival.continuous.markers: 'seq:hsa-miR-21-5p' names a sequencing "
        r"marker, but 'hsa-miR-21-5p' is not in survival.sequencing_markers",
    ):
        check_marker_names(section)
