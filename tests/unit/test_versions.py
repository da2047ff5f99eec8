"""Versions of packages and tools, and the tools a configuration uses."""

from __future__ import annotations

from pathlib import Path

import yaml
from esccrt.versions import TOOLS, provenance_versions, tool_versions, used_tools, version_number


def test_tool_version_numbers_and_used_tools(repo_root: Path) -> None:
    config = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    assert version_number("/usr/bin/hisat2-align-s version 2.2.1") == "2.2.1"
    assert version_number("samtools 1.16.1\nUsing htslib 1.16") == "1.16.1"
    assert used_tools(config) == TOOLS
    star = used_tools({"mrna": {"aligner": "star"}})
    assert "STAR" in star and "hisat2" not in star
    assert used_tools(config, ["smallrna"]) == {"bowtie": "--version"}
    assert used_tools(config, []) == {}  # a qPCR-only study calls no command-line tool
    assert tool_versions({"surely-not-a-tool-xyz": "--version"}) == {
        "surely-not-a-tool-xyz": "not found"
    }


def test_provenance_versions_are_what_the_record_holds() -> None:
    record = {
        "workflow_version": "v1.2-3-gabc",
        "python_packages": {"pandas": "2.3.3"},
        "tools": {"bowtie": "1.3.1"},
        "platform": {"python": "3.11.7"},
    }
    assert provenance_versions(record) == (
        "v1.2-3-gabc",
        {"pandas": "2.3.3", "bowtie": "1.3.1", "python": "3.11.7"},
    )
