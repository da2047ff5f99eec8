"""Well and sample QC tables (esccrt.qpcr.qc_tables) of a long Ct table: every flag with its
reason, nothing silent, and the grades per sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from esccrt.qpcr.ct_table import read_ct_table
from esccrt.qpcr.fold_changes import replicate_summary
from esccrt.qpcr.haemolysis import haemolysis_from_settings
from esccrt.qpcr.qc_tables import quality_tables
from schema_sections import qpcr_settings

#: P1 pre miR-A: six replicates, one far off (Grubbs rejects 27.0); P1 post miR-A: one
#: undetermined (Ct set to 35, then removed as the outlier); P1 pre ref: SD 0.85 > 0.5.
ROWS = [
    *[("P1", "pre", "miR-A", str(i), ct) for i, ct in enumerate(
        ["25.0", "25.1", "24.9", "25.05", "24.95", "27.0"], start=1)],
    ("P1", "post", "miR-A", "1", "26.0"),
    ("P1", "post", "miR-A", "2", "Undetermined"),
    ("P1", "post", "miR-A", "3", "26.2"),
    ("P1", "pre", "ref", "1", "20.0"),
    ("P1", "pre", "ref", "2", "21.2"),
    ("P1", "post", "ref", "1", "20.1"),
    ("P1", "post", "ref", "2", "20.0"),
]  # fmt: skip


def _tables(tmp_path: Path, **keys: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    path = tmp_path / "ct.tsv"
    pd.DataFrame(ROWS, columns=["patient", "timepoint", "target", "replicate", "ct"]).to_csv(
        path, sep="\t", index=False
    )
    settings = qpcr_settings(["miR-A"], ["ref"], remove_outliers=True, **keys)
    summary = replicate_summary(read_ct_table(path, settings.undetermined_tokens), settings)
    haemolysis = haemolysis_from_settings(summary, settings)
    wells, samples, limits = quality_tables(path, summary, haemolysis, settings, None, None)
    assert limits.empty
    return wells, samples


def test_grubbs_removal_is_reported_on_the_well(tmp_path: Path) -> None:
    wells, samples = _tables(tmp_path, qc={"outlier_method": "grubbs"})
    assert len(wells) == len(ROWS)
    removed = wells[wells["flags"].str.contains("outlier_removed")]
    # pre: 27.0 among six; post: the undetermined well set to 35 beside 26.0 and 26.2 (G 1.1545,
    # near the largest G three values allow, 1.1547, and just above G_crit 1.1543)
    assert removed[["timepoint", "replicate"]].values.tolist() == [["pre", "6"], ["post", "2"]]
    assert not removed["used"].any()
    pre_reason, post_reason = removed["reasons"].tolist()
    assert pre_reason.startswith("Grubbs' test: G 2.0")
    assert "G_crit 1.8871 (alpha 0.05, n 6, p " in pre_reason
    assert "G 1.1545 > G_crit 1.1543 (alpha 0.05, n 3, p " in post_reason
    pre = samples.set_index(["patient", "timepoint"]).loc[("P1", "pre")]
    assert pre["outliers"] == "warn" and pre["replicate_sd"] == "warn"  # ref SD 0.85
    assert pre["melt_curve"] == "not_assessed" and pre["detection_limit"] == "not_assessed"


def test_undetermined_and_high_sd_reasons(tmp_path: Path) -> None:
    wells, samples = _tables(tmp_path)
    undetermined = wells[wells["flags"].str.contains("undetermined")]
    assert undetermined["reasons"].tolist() == [
        "no Cq; Ct set to qpcr.ct_limit 35; farthest from the median; replicate SD 5.139 > "
        "qpcr.sd_threshold 0.5"
    ]
    high = wells[(wells["target"] == "ref") & (wells["timepoint"] == "pre")]
    assert (high["flags"] == "high_sd").all()
    assert high["reasons"].str.fullmatch(r"replicate SD 0\.849 > qpcr.sd_threshold 0\.5").all()
    removed = wells[wells["flags"].str.contains("outlier_removed")]
    assert removed["reasons"].str.contains("farthest from the median; replicate SD").all()
    post = samples.set_index(["patient", "timepoint"]).loc[("P1", "post")]
    assert post["amplification"] == "warn" and post["overall"] == "warn"
    assert "miR-A rep 2 (undetermined" in post["flagged_wells"]
