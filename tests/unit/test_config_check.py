"""Config errors in one line (esccrt.config_check): the key, the problem and where it belongs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from esccrt.config_check import RENAMED, check_config, config_keys, refuse_demo_references
from esccrt.errors import InputError
from schema_sections import validated


@pytest.fixture()
def demo(repo_root: Path) -> dict:
    """config/config.yaml as written (defaults not yet filled in)."""
    return yaml.safe_load((repo_root / "config" / "config.yaml").read_text())


def _message(config: dict) -> str:
    """The one-line message for a bad ``config``."""
    with pytest.raises(InputError) as error:
        check_config(config)
    message = str(error.value)
    assert "\n" not in message and len(message) < 400, message
    return message


def test_the_demo_config_is_filled_in_as_snakemake_does(demo: dict) -> None:
    """Every section gets the defaults Snakemake's validate gives it, in one pass over the
    whole config (Snakemake's own pass over the whole config fills in no section's defaults)."""
    whole = check_config(copy.deepcopy(demo))
    for stage in ("smallrna", "mrna", "diffexp", "qpcr", "survival"):
        alone = check_config(copy.deepcopy(demo[stage]), f"{stage}.schema.yaml", stage)
        assert whole[stage] == alone == validated(stage, copy.deepcopy(demo[stage])), stage
    assert whole["report"] == validated("config", copy.deepcopy(demo))["report"]


def test_a_sheet_column_in_the_config_names_the_sheet(demo: dict) -> None:
    demo["adapter"] = "TGGAATTCTCGGGTGCCAAGG"
    assert _message(demo) == (
        "config key adapter: unknown at the top level of the config; 'adapter' belongs in the "
        "unit sheet (the TSV named by config key 'units'), column 'adapter', one value per row."
    )
    del demo["adapter"]
    demo["smallrna"]["condition"] = "irradiated"
    assert "'condition' belongs in the sample sheet" in _message(demo)


def test_a_key_of_another_section_names_its_place(demo: dict) -> None:
    demo["padj_threshold"] = 0.1
    assert _message(demo) == (
        "config key padj_threshold: unknown at the top level of the config; 'padj_threshold' "
        "belongs under diffexp.padj_threshold."
    )


def test_a_misspelt_key_gets_the_closest_one(demo: dict) -> None:
    demo["smallrna"]["min_lenght"] = 17
    assert _message(demo) == (
        "config key smallrna.min_lenght: unknown under smallrna; did you mean 'min_length'?"
    )
    del demo["smallrna"]["min_lenght"]
    demo["report"]["xyz"] = 1
    message = _message(demo)
    assert message.startswith("config key report.xyz: unknown under report; the keys here are [")
    assert "'m2_markers'" in message


def test_a_renamed_key_is_refused_with_its_new_form(demo: dict) -> None:
    demo["diffexp"]["size_factors"] = {"smallrna": "poscounts", "mrna": "ratio"}
    message = _message(demo)
    assert message.startswith(
        "config key diffexp.size_factors was renamed: write diffexp.arms.<arm>.size_factors, "
        "e.g. 'arms: {smallrna: {size_factors: poscounts}, mrna: {size_factors: ratio}}'"
    )


def test_renamed_keys_are_no_longer_in_the_schema() -> None:
    """A renamed key must be refused, not silently accepted."""
    assert not set(RENAMED) & set(config_keys())


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("mrna", "aligner"), "bwa", "config key mrna.aligner: 'bwa' is not one of ['hisat2', "),
        (("diffexp", "lfc_threshold"), -1, "config key diffexp.lfc_threshold: -1 must be >= 0."),
        (("diffexp", "padj_threshold"), 1, "config key diffexp.padj_threshold: 1 must be < 1."),
        (
            ("survival", "factors", 0, "cutoff"),
            "sixty-five",
            "config key survival.factors[0].cutoff: 'sixty-five' is not of type",
        ),
    ],
)
def test_bad_values_name_the_key(demo: dict, path: tuple, value: object, expected: str) -> None:
    section = demo
    for part in path[:-1]:
        section = section[part]
    section[path[-1]] = value
    assert _message(demo).startswith(expected)


def test_a_missing_required_key_is_named(demo: dict) -> None:
    del demo["mrna"]["genome"]
    assert _message(demo).startswith(
        "config key mrna: required key 'genome' is missing; add it (Genome FASTA"
    )


def test_a_config_without_the_mrna_arm_validates(demo: dict) -> None:
    """No mRNA section, no mRNA size factors, no report section: all optional."""
    del demo["mrna"], demo["report"], demo["diffexp"]["arms"]
    config = check_config(demo)
    assert "mrna" not in config
    assert config["diffexp"]["arms"]["smallrna"]["size_factors"] == "poscounts"
    assert config["report"]["m2_markers"][0] == "CD163"


def test_a_section_is_named_by_its_prefix() -> None:
    with pytest.raises(InputError, match=r"^config key qpcr\.ct_limit: 'x' is not of type"):
        check_config(
            {"ct_table": "ct.tsv", "targets": ["a"], "reference_targets": ["b"], "ct_limit": "x"},
            "qpcr.schema.yaml",
            "qpcr",
        )


def test_the_demo_references_are_refused_in_a_study_by_key_and_file(
    demo: dict, repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With demo: false, a reference under resources/demo/ stops the run naming key and file
    (issue 28: the demo's RNA classes took no reads of real libraries, silently)."""
    refuse_demo_references(demo)  # the demo itself (demo: true)
    study = copy.deepcopy(demo) | {"demo": False}
    with pytest.raises(InputError) as error:
        refuse_demo_references(study)
    assert str(error.value).startswith(
        f"config key smallrna.mature: '{demo['smallrna']['mature']}' is a file of the simulated "
        "demo (resources/demo/), but the config says demo: false."
    )
    # only the sections whose stages run are looked at (a qPCR-only run keeps the arms' keys)
    refuse_demo_references(study, sections=["qpcr"])
    study["smallrna"] |= {"mature": "refs/mature.fa", "hairpin": "https://mirbase.org/h.fa"}
    with pytest.raises(InputError, match=r"^config key smallrna\.rna_classes\[0\]\.fasta: 'reso"):
        refuse_demo_references(study)
    study["smallrna"]["rna_classes"] = [{"name": "rRNA", "source": "ncbi U13369.1"}]
    with pytest.raises(InputError, match=r"^config key mrna\.genome\.source: "):
        refuse_demo_references(study)
    # reached through a link of another name, from the folder the workflow runs in
    monkeypatch.chdir(repo_root)
    (tmp_path / "refs").symlink_to((repo_root / "resources" / "demo" / "mrna").resolve())
    study["mrna"] = {"genome": {"source": str(tmp_path / "refs" / "genome.fa")}}
    with pytest.raises(InputError, match=r"^config key mrna\.genome\.source: '/"):
        refuse_demo_references(study)
    study["mrna"] = {"genome": {"source": "refs/GRCh38.fa"}}
    study["integrate"]["mirna_targets"] = {"sources": []}
    refuse_demo_references(study)  # nothing of the demo's left
