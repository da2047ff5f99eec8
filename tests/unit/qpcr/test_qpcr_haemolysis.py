"""The serum haemolysis check: dCt of the configured pair per sample, the flag, exclusion."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt.qpcr.haemolysis import drop_patients, excluded_patients, haemolysis_table
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.settings import QpcrSettings
from prerequisites import DEMO_DATA, missing
from schema_sections import qpcr_settings, validated

REFERENCE, MARKER = "hsa-miR-23a-3p", "hsa-miR-451a"


def _summary(cts: dict[tuple[str, str, str], float]) -> pd.DataFrame:
    rows = [(p, tp, t, ct) for (p, tp, t), ct in cts.items()]
    return pd.DataFrame(rows, columns=["patient", "timepoint", "target", "mean_ct"])


def test_delta_ct_flag_and_unmeasured_samples() -> None:
    summary = _summary(
        {
            ("P1", "pre", REFERENCE): 28.0,
            ("P1", "pre", MARKER): 24.0,  # dCt 4: fine
            ("P1", "post", REFERENCE): 28.0,
            ("P1", "post", MARKER): 19.5,  # dCt 8.5: haemolysed
            ("P2", "post", REFERENCE): 28.0,
            ("P2", "post", MARKER): 21.0,  # dCt exactly 7: not above the threshold
            ("P2", "pre", REFERENCE): 28.0,
            ("P2", "pre", MARKER): math.nan,  # no usable Ct
            ("P2", "pre", "other"): 30.0,
        }
    )
    pair = {"reference": REFERENCE, "marker": MARKER, "threshold": 7.0}
    table = haemolysis_table(
        summary, **pair, exclude_from_survival=False, timepoints=("pre", "post")
    )
    assert table[["patient", "timepoint"]].values.tolist() == [
        ["P1", "pre"],
        ["P1", "post"],
        ["P2", "pre"],
        ["P2", "post"],
    ]
    assert table["delta_ct"].tolist()[:2] == [4.0, 8.5]
    assert table["status"].tolist() == ["ok", "haemolysed", "not_measured", "ok"]
    assert not table["excluded_from_survival"].any()  # flag only
    excluding = haemolysis_table(
        summary, **pair, exclude_from_survival=True, timepoints=("pre", "post")
    )
    assert excluding["excluded_from_survival"].tolist() == [True, True, False, False]
    assert excluded_patients(excluding) == ["P1"]
    # as read back from the TSV (text), and the rows of other tables dropped
    assert excluded_patients(excluding.astype(str)) == ["P1"]
    clinical = pd.DataFrame({"patient": ["P1", "P2"], "age": [60, 70]})
    assert drop_patients(clinical, ["P1"])["patient"].tolist() == ["P2"]


def test_pair_absent_from_the_table_is_not_measured() -> None:
    summary = _summary({("P1", "pre", "a"): 25.0, ("P1", "post", "a"): 25.0})
    table = haemolysis_table(
        summary,
        reference=REFERENCE,
        marker=MARKER,
        threshold=7.0,
        exclude_from_survival=False,
        timepoints=(),
    )
    assert set(table["status"]) == {"not_measured"} and table["delta_ct"].isna().all()


def test_same_mirna_twice_is_refused() -> None:
    with pytest.raises(Exception, match=r"qpcr\.haemolysis\.reference"):
        qpcr_settings(["a"], ["b"], haemolysis={"reference": "x", "marker": "x"})


def test_demo_haemolysed_samples_are_the_planted_ones(repo_root: Path) -> None:
    """The simulator plants haemolysed serum samples (truth columns haemolysed_pre/post)."""
    config = repo_root / "config"
    if not (config / "qpcr_ct.tsv").exists():
        missing("the simulated cohort (config/qpcr_ct.tsv)", DEMO_DATA)
    section = yaml.safe_load((config / "config.yaml").read_text())["qpcr"]
    settings = QpcrSettings.from_config(validated("qpcr", section))
    flags = run_qpcr(config / "qpcr_ct.tsv", settings).haemolysis
    truth = pd.read_csv(config / "demo_cohort_truth.tsv", sep="\t").set_index("patient")
    planted = {
        (p, tp) for tp in ("pre", "post") for p in truth.index[truth[f"haemolysed_{tp}"] == 1]
    }
    bad = flags[flags["status"] == "haemolysed"]
    flagged = set(zip(bad["patient"], bad["timepoint"], strict=True))
    assert flagged == planted and 1 <= len(planted) <= 5
    assert (flags["status"] != "not_measured").all()
    clean = flags[flags["status"] == "ok"]["delta_ct"]
    assert clean.max() < 6 < 8 < flags[flags["status"] == "haemolysed"]["delta_ct"].min()
