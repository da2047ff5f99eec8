"""Versions of what ran: Python packages, command-line tools and the workflow's checkout.

A bottom module (standard library only): the provenance rule records these versions in
results/provenance.json, and the report shows them (from that record when it exists).
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

#: Python packages whose versions the report lists (PyPI distribution names).
PACKAGES = (
    "snakemake",
    "pandas",
    "numpy",
    "scipy",
    "pysam",
    "HTSeq",
    "pydeseq2",
    "lifelines",
    "statsmodels",
    "cutadapt",
    "scikit-learn",
    "matplotlib",
    "multiqc",
    "mirtop",
    "rdmlpython",
    "umi-tools",
    "numba",
)
#: Command-line tools and the argument that makes each print its version.
TOOLS = {"bowtie": "--version", "hisat2": "--version", "samtools": "--version"}
#: The tools each sequencing arm calls (the mRNA aligner's tool is added from ALIGNER_TOOLS).
ARM_TOOLS = {"smallrna": {"bowtie": "--version"}, "mrna": {"samtools": "--version"}}
ALIGNER_TOOLS = {"hisat2": {"hisat2": "--version"}, "star": {"STAR": "--version"}}


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each Python package, or 'not installed'."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def version_number(text: str) -> str:
    """The first dotted version number in a tool's version line ('?' when there is none)."""
    match = re.search(r"\d+(?:\.\d+)+[a-z]?", text)
    return match.group(0) if match else "?"


def tool_versions(tools: Mapping[str, str] = TOOLS) -> dict[str, str]:
    """Version number each command-line tool prints, or 'not found'."""
    versions = {}
    for tool, flag in tools.items():
        try:
            out = subprocess.run(
                [tool, flag], capture_output=True, text=True, errors="replace", check=False
            )
        except FileNotFoundError:
            versions[tool] = "not found"
            continue
        text = out.stdout + out.stderr
        lines = [line for line in text.splitlines() if "version" in line.lower()]
        versions[tool] = version_number((lines or text.splitlines() or ["?"])[0])
    return versions


def used_tools(config: Mapping, arms: Iterable[str] = ("smallrna", "mrna")) -> dict[str, str]:
    """The command-line tools a run of the sequencing ``arms`` calls (none for qPCR only)."""
    tools: dict[str, str] = {}
    for arm in arms:
        tools.update(ARM_TOOLS[arm])
    if "mrna" in arms:
        tools.update(ALIGNER_TOOLS[config.get("mrna", {}).get("aligner", "hisat2")])
    return tools


def workflow_version(repo: Path) -> str:
    """``git describe`` of the workflow's checkout, or 'unknown' outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "describe", "--always", "--dirty", "--tags"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return "unknown (git not found)"
    return out.stdout.strip() or "unknown"


def provenance_versions(record: Mapping) -> tuple[str, dict[str, str]]:
    """Workflow version and package/tool versions as results/provenance.json recorded them."""
    versions = {**record["python_packages"], **record["tools"]}
    versions["python"] = record["platform"]["python"]
    return str(record["workflow_version"]), versions
