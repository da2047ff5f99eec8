"""Sequencing markers: a small-RNA miRNA's change post / pre per patient (rule
survival_sequencing_markers, :func:`esccrt.survival.sequencing.run`) computed by hand on a
synthetic cohort, and the survival stage (:func:`esccrt.survival.stage.run`, what rule
survival_analysis calls) using it beside a qPCR marker, with settings from the validated config.
"""

from __future__ import annotations

import math
from dataclasses import fields
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
from esccrt.survival.sequencing import run as sequencing_run
from esccrt.survival.settings import SurvivalSettings
from esccrt.survival.stage import SurvivalInputs, SurvivalOutputs
from esccrt.survival.stage import run as survival_run
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test
from schema_sections import section_defaults, validated

MIRNA, OTHER, QPCR_TARGET = "hsa-miR-143-3p", "hsa-let-7a-5p", "hsa-miR-223-3p"
MARKER = f"seq:{MIRNA}"
N = 24
PATIENTS = [f"P{i:02d}" for i in range(1, N + 1)]
#: P01-P03 by hand; P03 has a zero count; P22's post library was left out by the QC gate; P23
#: has no post library; P24 no small-RNA library at all.
BY_HAND = {"P01": (100.0, 250.0), "P02": (80.0, 20.0), "P03": (0.0, 40.0)}
LEFT_OUT, ONLY_PRE, NO_LIBRARY = "P22", "P23", "P24"


def _timepoints() -> tuple[str, str]:
    """The qPCR's timepoints, as the validated config has them (schema defaults)."""
    qpcr = section_defaults("qpcr")
    return qpcr["pre"], qpcr["post"]


@pytest.fixture
def cohort(tmp_path: Path) -> dict[str, Path]:
    """The synthetic cohort's files: sample sheet, normalised counts, clinical table, qPCR fold
    changes and haemolysis table."""
    pre, post = _timepoints()
    rng = np.random.default_rng(7)
    rows, counts, times = [], {}, rng.uniform(2, 40, N).round(1)
    for number, patient in enumerate(PATIENTS):
        if patient == NO_LIBRARY:
            continue
        timepoints = (pre,) if patient == ONLY_PRE else (pre, post)
        values = BY_HAND.get(patient, tuple(rng.uniform(20, 400, 2).round(3)))
        # a rise of the miRNA shortens the time to the event: the marker carries a signal
        times[number] = (times[number] * min(2.0, values[0] / max(values[1], 1.0))).round(1)
        for timepoint, value in zip(timepoints, values, strict=False):
            sample = f"exo_{patient}_{timepoint}"
            rows.append(f"{sample}\tsmallrna\t{timepoint}\tb{number % 2}\t{patient}\t{timepoint}")
            if not (patient == LEFT_OUT and timepoint == post):
                counts[sample] = [value, rng.uniform(1000, 2000)]
    rows.append(f"mac_P01\tmrna\t{pre}\tb0\tP01\t{pre}")  # another library type: not used
    rows.append("exo_cells\tsmallrna\tcontrol\tb0\t\t")  # a library of no patient
    counts["exo_cells"] = [500.0, 1500.0]
    files = {name: tmp_path / f"{name}.tsv" for name in ("samples", "normalized", "clinical")}
    header = "sample\tlibrary_type\tcondition\tbatch\tpatient\ttimepoint\n"
    files["samples"].write_text(header + "\n".join(rows) + "\n")
    normalized = pd.DataFrame(counts, index=pd.Index([MIRNA, OTHER], name="feature"))
    normalized.reset_index().to_csv(files["normalized"], sep="\t", index=False)
    pd.DataFrame(
        {
            "patient": PATIENTS,
            "time": times,
            "event": rng.permutation([1] * 14 + [0] * (N - 14)),
        }
    ).to_csv(files["clinical"], sep="\t", index=False)
    files["fold_changes"] = tmp_path / "qpcr_fold_changes.tsv"
    pd.DataFrame(
        {"patient": PATIENTS, "target": QPCR_TARGET, "fold_change": rng.uniform(0.3, 4, N)}
    ).to_csv(files["fold_changes"], sep="\t", index=False)
    files["haemolysis"] = tmp_path / "haemolysis.tsv"
    pd.DataFrame({"patient": PATIENTS[:1], "excluded_from_survival": ["false"]}).to_csv(
        files["haemolysis"], sep="\t", index=False
    )
    files["sequencing"] = tmp_path / "sequencing_fold_changes.tsv"
    return files


def _sequencing_table(cohort: dict[str, Path]) -> pd.DataFrame:
    """Rule survival_sequencing_markers' table, written by the rule's entry point."""
    pre, post = _timepoints()
    markers = section_defaults("survival", sequencing_markers=[MIRNA])["sequencing_markers"]
    sequencing_run(
        cohort["samples"],
        cohort["normalized"],
        cohort["sequencing"],
        markers=markers,
        pre=pre,
        post=post,
    )
    return pd.read_csv(cohort["sequencing"], sep="\t", keep_default_na=False, na_values=[""])


def test_fold_change_is_post_over_pre_of_the_normalised_counts(cohort) -> None:
    table = _sequencing_table(cohort).set_index("patient")
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


@pytest.mark.slow  # the whole stage with its figures: 3-7 s
def test_survival_stage_uses_the_sequencing_marker_beside_qpcr(cohort, tmp_path: Path) -> None:
    """Table 1 groups, log-rank and the continuous Cox model of ``seq:hsa-miR-143-3p`` equal
    lifelines on the hand-computed fold changes; the marker model carries both markers."""
    sequencing = _sequencing_table(cohort).set_index("patient")
    section = validated(
        "survival",
        {
            "clinical": str(cohort["clinical"]),
            "endpoints": [{"name": "os", "time": "time", "event": "event"}],
            "fold_change_cutoff": 1.5,
            "factors": [{"name": "fc_seq", "type": "fold_change", "targets": [MARKER]}],
            "sequencing_markers": [MIRNA],
            "diagnostic": {
                "endpoint": "os",
                "within": 12,
                "predictors": [QPCR_TARGET, MARKER],
                "bootstrap": 5,
                "cv_repeats": 1,
            },
            "cox": {"multivariate": []},
            "landmarks": [12],
            "calibration": {"bootstrap": 0},
        },
    )
    inputs = SurvivalInputs(
        clinical=cohort["clinical"],
        fold_changes=cohort["fold_changes"],
        haemolysis=cohort["haemolysis"],
        sequencing_fold_changes=cohort["sequencing"],
    )
    outputs = {f.name: tmp_path / "out" / f"{f.name}.tsv" for f in fields(SurvivalOutputs)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)  # the figures go to results/survival/ of the working directory
        survival_run(
            SurvivalSettings.from_config(section), inputs, SurvivalOutputs(**outputs), demo=False
        )

    clinical = pd.read_csv(cohort["clinical"], sep="\t", index_col="patient")
    change = sequencing["fold_change"].reindex(clinical.index)
    groups = pd.read_csv(outputs["groups"], sep="\t", index_col="patient")["fc_seq"]
    assert groups.isna().equals(change.isna())  # P03, P22, P23, P24: no value, left out
    assert (groups.dropna() == np.where(change.dropna() > 1.5, ">1.5", "<=1.5")).all()

    high = change > 1.5
    known = change.notna()
    expected = logrank_test(
        clinical.loc[known & high, "time"],
        clinical.loc[known & ~high, "time"],
        clinical.loc[known & high, "event"],
        clinical.loc[known & ~high, "event"],
    )
    logrank = pd.read_csv(outputs["logrank"], sep="\t").set_index("factor").loc["fc_seq"]
    assert logrank["p"] == pytest.approx(expected.p_value, rel=1e-9)

    continuous = pd.read_csv(outputs["continuous"], sep="\t").set_index("marker")
    assert set(continuous.index) == {QPCR_TARGET, MARKER}
    data = clinical.assign(x=np.log2(change)).dropna()
    # lifelines (Efron ties, as survival::coxph) iterated to the stage's own tolerance
    fit = CoxPHFitter().fit(
        data[["time", "event", "x"]], "time", "event", fit_options={"precision": 1e-12}
    )
    assert continuous.loc[MARKER, "n"] == len(data) == N - 4
    assert continuous.loc[MARKER, "coef"] == pytest.approx(fit.params_["x"], rel=1e-9)
    assert continuous.loc[MARKER, "hr_per_doubling"] == pytest.approx(
        math.exp(fit.params_["x"]), rel=1e-9
    )
    auc = pd.read_csv(outputs["auc"], sep="\t")
    assert f"coef_log2fc_{MARKER}" in auc.columns and f"coef_log2fc_{QPCR_TARGET}" in auc.columns


def test_marker_missing_from_the_normalised_counts_is_refused(cohort) -> None:
    pre, post = _timepoints()
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
        _sequencing_table(cohort)


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
