"""The survival section's design statement (pre-specified, then explored, in REMARK order), the
methods sentences of the new statistics and the cut-off scan in the section."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml
from esccrt.report.methods import methods_text
from esccrt.report.remark import remark_statement
from esccrt.report.sections import survival_section
from schema_sections import fold_change_cutoffs, qpcr_decisions


@pytest.fixture()
def survival_config(repo_root: Path) -> dict:
    """The demo's survival section, as Snakemake loads it."""
    return yaml.safe_load((repo_root / "config" / "config.yaml").read_text())["survival"]


def test_prespecified_comes_before_explored(survival_config: dict) -> None:
    text = remark_statement(survival_config, fold_change_cutoffs(survival_config))
    prespecified, explored = text.index("Pre-specified"), text.index("Explored")
    assert prespecified < explored
    before, after = text[:explored], text[explored:]
    assert (
        "fold change 1.5" in before and "Overall survival and Progression-free survival" in before
    )
    assert "PFS event within 12 months" in before and "Multivariate model" in before
    assert "Lausen-Schumacher" in after and "28 log-rank tests" in after
    assert "0.1 and 0.9 quantiles" in after and "Benjamini-Hochberg" in after
    # a REMARK item number with every entry, in increasing order within each part
    for part in (before, after):
        numbers = [int(n) for n in pd.Series(part).str.findall(r"REMARK (\d+)").iloc[0]]
        assert numbers == sorted(numbers) and numbers


def test_data_driven_multivariate_model_is_explored(survival_config: dict) -> None:
    auto = copy.deepcopy(survival_config)
    auto["cox"]["multivariate"] = "auto"
    text = remark_statement(auto, fold_change_cutoffs(auto))
    explored = text[text.index("Explored") :]
    assert "univariate Cox p &lt; 0.05" in explored
    assert "Multivariate model" not in text[: text.index("Explored")]


def test_methods_name_the_new_statistics(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    text = methods_text(config, {}, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "Table 1's 28 log-rank tests (14 factors x 2 endpoints)" in text
    assert "Benjamini-Hochberg q-values" in text and "Harrell's C" in text
    assert "between the 0.1 and 0.9 quantiles" in text and "Lausen-Schumacher" in text
    assert "DeLong 95 % CI" in text and "(1000 resamples, the model refitted on each)" in text
    assert "10 repeats of stratified 5-fold cross-validation" in text


def test_section_shows_design_and_cutoff_scan(tmp_path: Path) -> None:
    table1 = pd.DataFrame({"factor": ["a"], "level": ["x"], "n": [3], "os_p": [0.2], "os_q": [0.4]})
    cox = pd.DataFrame({"model": ["univariate"], "c_index": [0.6]})
    maxstat = pd.DataFrame({"factor": ["fc"], "max_statistic": [2.5], "adjusted_p": [0.2]})
    plot = tmp_path / "cutoff_scan.png"
    plot.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = survival_section(table1, cox, None, [str(plot)], [], maxstat, "<p>DESIGN</p>")
    assert page.index("DESIGN") < page.index("Table 1")
    assert "maximally selected log-rank" in page and 'id="maxstat"' in page
    assert "Log-rank p against the fold-change cut-off" in page
    assert "Benjamini-Hochberg" in page


def test_remark_and_methods_state_the_cutoff_a_factor_overrides(repo_root: Path) -> None:
    """A factor with its own cut-off: REMARK and methods both read it from the cut-off table."""
    config = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    factors = config["survival"]["factors"]
    first = next(f for f in factors if f["type"] == "fold_change")
    first["cutoff"] = 2
    remark = remark_statement(config["survival"], fold_change_cutoffs(config["survival"]))
    methods = methods_text(config, {}, {"qpcr"}, qpcr=qpcr_decisions(config))
    assert "fold change 1.5 and 2 (&lt;= vs &gt;)" in remark
    assert "grouped at a fold change of 1.5 and 2.0 (<= vs >)" in methods
