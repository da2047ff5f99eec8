"""The DE stage's settings (esccrt.de.settings): per arm, from the validated config section."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from esccrt.de.design import check_design
from esccrt.de.settings import DESettings, arm_section
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


def test_contrasts_per_arm_only_and_an_arm_without_any():
    """Without shared contrasts each arm needs its own; the message names both keys."""
    section = validated("diffexp", {"arms": {"smallrna": {"contrasts": CONTROL_VS_IR}}})
    assert arm_section(section, "smallrna")["contrasts"] == CONTROL_VS_IR
    with pytest.raises(InputError, match=r"diffexp.arms.mrna.contrasts") as error:
        arm_section(section, "mrna")
    assert "the mrna arm has no contrast" in str(error.value)


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
