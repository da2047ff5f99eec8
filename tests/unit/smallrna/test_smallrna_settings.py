"""Each small-RNA rule gets only the keys its step reads (``step_section``), and they suffice."""

from __future__ import annotations

import pytest
from esccrt.smallrna.settings import (
    STEP_KEYS,
    BowtieSettings,
    CollapseSettings,
    CountSettings,
    IsomirSettings,
    ReferenceSettings,
    SummarySettings,
    TrimStepSettings,
    step_section,
)
from schema_sections import smallrna_section

BUILDERS = {
    "trim": TrimStepSettings.from_config,
    "collapse": CollapseSettings.from_config,
    "screen": lambda section: BowtieSettings.from_config(section, "rna_classes"),
    "mature": lambda section: BowtieSettings.from_config(section, "mature"),
    "hairpin": lambda section: BowtieSettings.from_config(section, "hairpin"),
    "count": CountSettings.from_config,
    "summary": SummarySettings.from_config,
    "isomirs": IsomirSettings.from_config,
}


@pytest.mark.parametrize("step", sorted(STEP_KEYS))
def test_a_step_reads_only_the_keys_its_rule_gets(step):
    section = smallrna_section()
    assert set(BUILDERS) == set(STEP_KEYS)
    assert BUILDERS[step](step_section(section, step)) == BUILDERS[step](section)


def test_a_changed_key_reaches_only_the_steps_that_read_it():
    """A different adapter warning changes the summary's params only (no trimming or counting
    rerun)."""
    before, after = smallrna_section(), smallrna_section(min_adapter_fraction=0.7)
    changed = {s for s in STEP_KEYS if step_section(before, s) != step_section(after, s)}
    assert changed == {"summary"}
    assert SummarySettings.from_config(after).min_adapter_fraction == 0.7


def test_reference_settings_name_the_config_key_of_an_rna_class():
    classes = [{"name": "tRNA", "fasta": "t.fa", "names_starting_with": "Homo_sapiens_"}]
    settings = ReferenceSettings.from_config(smallrna_section(rna_classes=classes), "tRNA")
    assert (settings.source, settings.species, settings.name_prefix) == (
        "t.fa",
        "",
        "Homo_sapiens_",
    )
    assert settings.key == "smallrna.rna_classes (entry 1, tRNA)"
