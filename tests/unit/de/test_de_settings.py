"""The DE stage's settings (esccrt.de.settings): per arm, from the validated config section."""

from __future__ import annotations

import copy
import re

import pandas as pd
import pytest
import yaml
from esccrt.de.design import check_design
from esccrt.de.settings import (
    QC_ONLY,
    DESettings,
    arm_section,
    check_qc_only,
    contrast_constraint,
    qc_only_arms,
    qc_only_note,
)
from esccrt.errors import InputError
from schema_sections import validated

CONTROL_VS_IR = {"irradiated_vs_control": ["condition", "irradiated", "control"]}


@pytest.fixture()
def section(repo_root) -> dict:
    """The shipped config's ``diffexp`` section, validated (defaults filled in)."""
    raw = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())["diffexp"]
    return validated("diffexp", raw)


def test_settings_from_the_shipped_config(section):
    """The shared block applies to both arms; each arm has its own size-factor method."""
    for arm, method in (("smallrna", "poscounts"), ("mrna", "ratio")):
        settings = DESettings.from_config(arm_section(section, arm))
        assert settings.design == section["design"]
        assert settings.contrasts == CONTROL_VS_IR
        assert settings.size_factors == method
        assert settings.min_total_count == section["min_total_count"]
        assert settings.padj_threshold == section["padj_threshold"]
        assert settings.lfc_threshold == section["lfc_threshold"]
        assert settings.lfc_shrink is section["lfc_shrink"]
        assert settings.top_features_heatmap == section["top_features_heatmap"]
        assert settings.min_replicates == section["min_replicates"]
        assert (settings.design_key, settings.contrasts_key) == (
            "diffexp.design",
            "diffexp.contrasts",
        )


def test_size_factor_defaults_come_from_the_schema():
    """A section without size factors gets the schema's per-arm defaults."""
    section = validated("diffexp", {"contrasts": CONTROL_VS_IR})
    assert arm_section(section, "smallrna")["size_factors"] == "poscounts"
    assert arm_section(section, "mrna")["size_factors"] == "ratio"


def test_an_arm_of_its_own_wins_over_the_shared_block():
    """arms.mrna's design and contrasts win for mRNA; small RNA keeps the shared ones."""
    own = {"donor_ir": ["condition", "irradiated", "control"]}
    section = validated(
        "diffexp",
        {
            "contrasts": CONTROL_VS_IR,
            "arms": {"mrna": {"design": "~donor + condition", "contrasts": own}},
        },
    )
    mrna = DESettings.from_config(arm_section(section, "mrna"))
    assert (mrna.design, mrna.contrasts, mrna.size_factors) == ("~donor + condition", own, "ratio")
    assert (mrna.design_key, mrna.contrasts_key) == (
        "diffexp.arms.mrna.design",
        "diffexp.arms.mrna.contrasts",
    )
    small = DESettings.from_config(arm_section(section, "smallrna"))
    assert (small.design, small.contrasts) == ("auto", CONTROL_VS_IR)


def test_contrasts_per_arm_only_and_an_arm_without_any_is_qc_only():
    """Without shared contrasts an arm without its own is QC only (no DE), as an empty
    section (no diffexp in the config) makes every arm."""
    section = validated("diffexp", {"arms": {"smallrna": {"contrasts": CONTROL_VS_IR}}})
    resolved = {arm: arm_section(section, arm) for arm in ("smallrna", "mrna")}
    assert resolved["smallrna"]["contrasts"] == CONTROL_VS_IR
    assert resolved["mrna"]["contrasts"] == {}
    assert qc_only_arms(resolved) == ["mrna"]
    empty = validated("diffexp", {})
    assert qc_only_arms({arm: arm_section(empty, arm) for arm in ("smallrna", "mrna")}) == [
        "smallrna",
        "mrna",
    ]
    assert QC_ONLY in qc_only_note("mrna") and "diffexp.arms.mrna.contrasts" in qc_only_note("mrna")


def test_the_contrast_wildcard_never_matches_without_a_contrast():
    """The constraint joins every arm's contrasts; with none (every arm QC only) it matches no
    name, not every name as an empty alternation would."""
    assert contrast_constraint({"smallrna": ["b", "a"], "mrna": ["a"]}) == "a|b"
    never = contrast_constraint({"smallrna": []})
    for name in ("", "irradiated_vs_control", "x"):
        assert re.fullmatch(f"(?P<contrast>{never})", name) is None


def test_survival_markers_need_the_small_rna_de():
    """Sequencing markers read the small-RNA DE's normalised counts: refused for a QC-only arm."""
    check_qc_only(["mrna"], survival_markers=True)
    check_qc_only(["smallrna"], survival_markers=False)
    with pytest.raises(InputError, match=r"^config key survival.sequencing_markers .*QC only"):
        check_qc_only(["smallrna"], survival_markers=True)


def test_per_arm_contrast_errors_name_the_arm_key(section):
    """A level absent from an arm's samples is reported at the arm's own config key."""
    samples = pd.DataFrame(
        {"condition": ["a", "a", "b", "b"], "batch": ["1"] * 4},
        index=["s1", "s2", "s3", "s4"],
    )
    changed = copy.deepcopy(section)
    changed["arms"]["mrna"]["contrasts"] = {"b_vs_c": ["condition", "b", "c"]}
    with pytest.raises(InputError, match=r"^config key diffexp\.arms\.mrna\.contrasts\.b_vs_c: "):
        check_design(samples, arm_section(changed, "mrna"))
    changed["arms"]["mrna"]["contrasts"] = {"b_vs_a": ["condition", "b", "a"]}
    changed["arms"]["mrna"]["design"] = "~condition * batch"
    with pytest.raises(InputError, match=r"^config key diffexp\.arms\.mrna\.design: "):
        check_design(samples, arm_section(changed, "mrna"))
    changed["arms"]["mrna"]["design"] = "~condition"
    assert check_design(samples, arm_section(changed, "mrna")) == "~condition"


def test_unknown_per_arm_key_is_refused():
    """Only design, contrasts and size_factors can be set per arm."""
    with pytest.raises(Exception, match="padj_threshold"):
        validated("diffexp", {"contrasts": CONTROL_VS_IR, "arms": {"mrna": {"padj_threshold": 1}}})
