"""Config schema of the small-RNA stage: every setting described, defaults filled in."""

from __future__ import annotations

import pytest


def test_schema_describes_every_setting_and_fills_defaults(repo_root):
    import yaml
    from snakemake.utils import validate

    schema_path = repo_root / "workflow" / "schemas" / "smallrna.schema.yaml"
    schema = yaml.safe_load(schema_path.read_text())
    assert schema["required"] == ["mature", "hairpin"]

    def undocumented(node: dict, where: str) -> list[str]:
        missing = []
        for name, spec in node.get("properties", {}).items():
            if not spec.get("description"):
                missing.append(f"{where}{name}")
            missing += undocumented(spec, f"{where}{name}.")
        return missing

    assert undocumented(schema, "") == []
    config = {"mature": "mature.fa", "hairpin": "hairpin.fa"}
    validate(config, str(schema_path))
    assert config["species"] == "hsa" and (config["min_length"], config["max_length"]) == (16, 40)
    assert "--norc" in config["bowtie"]["mature"]
    assert config["hairpin_to_mature"] == {
        "enabled": True,
        "upstream": 2,
        "downstream": 5,
        "max_mismatches": 1,
    }
    assert config["non_templated_3p"] == {"max_length": 3}
    assert config["mirgff3_source"] == "miRBase"
    with pytest.raises(Exception, match="min_mirna_read"):
        validate({"mature": "m", "hairpin": "h", "min_mirna_read": 5}, str(schema_path))
