"""The study's published Table 1 (N and % per level) on the simulated cohort of the demo config,
with the planted miR-143-3p/miR-223-3p effect on PFS."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from esccrt.qpcr.fold_changes import run
from esccrt.qpcr.settings import QpcrSettings
from esccrt.survival.clinical import check_patients, read_clinical
from esccrt.survival.groups import derive_groups, fold_change_matrix
from esccrt.survival.logrank import logrank_table
from esccrt.survival.settings import endpoints_from_config, factors_from_config
from esccrt.survival.table1 import table1
from snakemake.utils import validate

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


@pytest.fixture(scope="module")
def demo_config(repo_root: Path) -> dict:
    """The demo's qpcr and survival sections of config/config.yaml."""
    path = repo_root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text()) if path.exists() else {}
    if "survival" not in config or "qpcr" not in config:
        pytest.skip(f"{path} has no qpcr/survival sections")
    if not (repo_root / config["survival"]["clinical"]).exists():
        pytest.skip("the simulated cohort (config/clinical.tsv) is absent")
    return config


def test_demo_table1_matches_study_counts(repo_root: Path, demo_config: dict) -> None:
    """Study Table 1 N and % exactly; the planted pair effect gives a significant PFS p."""
    section = demo_config["survival"]
    schemas = repo_root / "workflow" / "schemas"
    validate(section, str(schemas / "survival.schema.yaml"))  # fills defaults, as Snakemake does
    validate(demo_config["qpcr"], str(schemas / "qpcr.schema.yaml"))
    settings = QpcrSettings.from_config(demo_config["qpcr"])
    fold_changes, _ = run(repo_root / demo_config["qpcr"]["ct_table"], settings)
    endpoints = endpoints_from_config(section)
    factors = factors_from_config(section)
    clinical = read_clinical(repo_root / section["clinical"], endpoints, factors)
    check_patients(clinical.index, fold_changes["patient"])
    groups = derive_groups(clinical, fold_change_matrix(fold_changes), factors)
    tests, _ = logrank_table(clinical, groups, endpoints, factors)
    table = table1(groups, tests, factors, endpoints)
    blocks = [block for _, block in table.groupby("factor", sort=False)]
    assert [tuple(b["n"]) for b in blocks] == STUDY_TABLE1
    for block in blocks:
        expected = [round(100 * n / 40, 1) for n in block["n"]]
        assert block["percent"].tolist() == expected
    assert table.iloc[0]["percent"] == 45.0 and table.iloc[1]["percent"] == 55.0
    pair = table[table["factor"].str.contains("hsa-miR-143-3p and hsa-miR-223-3p")]
    assert pair["pfs_p"].iloc[0] < 0.05
    assert pair["level"].tolist() == ["both <=1.5", "any >1.5"]
