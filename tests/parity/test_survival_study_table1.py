"""The study's published Table 1 (N and % per level) on the simulated cohort of the demo config,
with the planted miR-143-3p/miR-223-3p effect on PFS."""

from __future__ import annotations

from esccrt.survival.table1 import table1

STUDY_TABLE1 = [
    (18, 22),
    (17, 23),
    (8, 32),
    (8, 32),
    (18, 22),
    (18, 22),
    (19, 7, 14),
    (20, 14, 1, 5),
    (27, 13),
    (19, 21),
    (24, 16),
    (20, 20),
    (18, 22),
    (15, 25),
]


def test_demo_table1_matches_study_counts(demo_cohort, demo_logrank) -> None:
    """Study Table 1 N and % exactly; the planted pair effect gives a significant PFS p."""
    endpoints, factors = demo_cohort.settings.endpoints, demo_cohort.settings.factors
    table = table1(demo_cohort.groups, demo_logrank, factors, endpoints)
    blocks = [block for _, block in table.groupby("factor", sort=False)]
    assert [tuple(b["n"]) for b in blocks] == STUDY_TABLE1
    for block in blocks:
        expected = [round(100 * n / 40, 1) for n in block["n"]]
        assert block["percent"].tolist() == expected
    assert table.iloc[0]["percent"] == 45.0 and table.iloc[1]["percent"] == 55.0
    pair = table[table["factor"].str.contains("hsa-miR-143-3p and hsa-miR-223-3p")]
    assert pair["pfs_p"].iloc[0] < 0.05
    assert pair["level"].tolist() == ["both <=1.5", "any >1.5"]
