"""The DE stage's settings (esccrt.de.settings) from the validated config section."""

from __future__ import annotations

import yaml
from esccrt.de.settings import DESettings


def test_settings_from_the_shipped_config(repo_root):
    """Every key of config/config.yaml's ``diffexp`` section becomes a field, as given."""
    section = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())["diffexp"]
    settings = DESettings.from_config(section)
    assert settings.design == section["design"]
    assert settings.contrasts == {"irradiated_vs_control": ["condition", "irradiated", "control"]}
    assert settings.size_factors == {"smallrna": "poscounts", "mrna": "ratio"}
    assert settings.min_total_count == section["min_total_count"]
    assert settings.padj_threshold == section["padj_threshold"]
    assert settings.lfc_threshold == section["lfc_threshold"]
    assert settings.lfc_shrink is section["lfc_shrink"]
    assert settings.top_features_heatmap == section["top_features_heatmap"]
