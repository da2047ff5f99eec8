"""Fixtures of the parity tests: the real RDML files; the demo's qpcr/survival config and its
cohort, computed through the qPCR step the rule runs (:func:`esccrt.qpcr.pipeline.run_qpcr`) and
the survival library functions (no workflow run)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt.qpcr.pipeline import run_qpcr
from esccrt.qpcr.settings import QpcrSettings
from esccrt.survival.clinical import check_patients, read_clinical
from esccrt.survival.groups import derive_groups, fold_change_matrix
from esccrt.survival.logrank import logrank_table
from esccrt.survival.settings import SurvivalSettings
from prerequisites import DEMO_DATA, TEST_DATA, missing
from schema_sections import validated


@pytest.fixture(scope="session")
def rdml_dir(shared_data: Path) -> Path:
    """The real RDML files (qpcr_real/rdml: instrument exports and RDML-Tools' examples)."""
    folder = shared_data / "qpcr_real" / "rdml"
    if not (folder / "rdml-tools" / "sample.rdml").is_file():
        missing("qpcr_real/rdml", TEST_DATA)
    return folder


@pytest.fixture(scope="session")
def rdml_tools(rdml_dir: Path) -> Path:
    """RDML-Tools' example files (RDML 1.4; helpers in qpcr_rdml_tools.py)."""
    return rdml_dir / "rdml-tools"


@pytest.fixture(scope="session")
def demo_config(repo_root: Path) -> dict:
    """The demo's qpcr and survival sections of config/config.yaml, schema-validated (defaults
    filled in, as the workflow does)."""
    path = repo_root / "config" / "config.yaml"
    config = yaml.safe_load(path.read_text()) if path.exists() else {}
    if "survival" not in config or "qpcr" not in config:
        pytest.fail(f"{path} has no qpcr/survival sections: the demo's config is broken")
    if not (repo_root / config["survival"]["clinical"]).exists():
        missing("the simulated cohort (config/clinical.tsv)", DEMO_DATA)
    validated("survival", config["survival"])
    validated("qpcr", config["qpcr"])
    return config


@dataclass(frozen=True)
class DemoCohort:
    """The demo cohort as rule survival_analysis sees it."""

    settings: SurvivalSettings
    clinical: pd.DataFrame
    fold_changes: pd.DataFrame  # patients x targets
    groups: pd.DataFrame


@pytest.fixture(scope="session")
def demo_cohort(repo_root: Path, demo_config: dict) -> DemoCohort:
    """config/qpcr_ct.tsv through the qPCR rule's step, config/clinical.tsv through the survival
    library: fold changes, groups."""
    settings = SurvivalSettings.from_config(demo_config["survival"])
    qpcr = QpcrSettings.from_config(demo_config["qpcr"])
    long = run_qpcr(repo_root / demo_config["qpcr"]["ct_table"], qpcr).fold_changes
    clinical = read_clinical(
        repo_root / demo_config["survival"]["clinical"], settings.endpoints, settings.factors
    )
    check_patients(clinical.index, long["patient"])
    fold_changes = fold_change_matrix(long)
    groups = derive_groups(clinical, fold_changes, settings.factors)
    return DemoCohort(settings, clinical, fold_changes, groups)


@pytest.fixture(scope="session")
def demo_logrank(demo_cohort: DemoCohort) -> pd.DataFrame:
    """The demo's log-rank tests of every endpoint x factor (Table 1's p-values)."""
    settings = demo_cohort.settings
    tests, _ = logrank_table(
        demo_cohort.clinical, demo_cohort.groups, settings.endpoints, settings.factors
    )
    return tests
