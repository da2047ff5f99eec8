"""The three ways to get the software agree: requirements.lock, environment.yml, workflow/envs/.

Conda environments cannot be created on this machine (no conda channel is reachable), so what
can be proven here is that every pin names the same version everywhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

# Conda package name -> PyPI distribution name, where they differ.
CONDA_TO_PYPI = {"htseq": "HTSeq", "pyyaml": "PyYAML", "umi_tools": "umi-tools"}
# Command-line tools that are not Python packages: checked against the lock of Debian packages.
NON_PYPI = {"python", "pip", "bowtie", "hisat2", "star", "samtools"}


def _conda_pins(path: Path) -> dict[str, str]:
    """name -> version of an environment file's exactly pinned dependencies."""
    spec = yaml.safe_load(path.read_text())
    assert spec["channels"] == ["conda-forge", "bioconda", "nodefaults"], path
    pins = {}
    for dependency in spec["dependencies"]:
        if isinstance(dependency, dict):  # PyPI-only packages, pinned with ==
            for requirement in dependency["pip"]:
                if requirement == "-e .":  # the workflow's own library, not a pinned package
                    continue
                name, version = requirement.split("==")
                pins[name] = version
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)=([^=<>*]+)", dependency)
        assert match, f"{path}: '{dependency}' is not pinned to one exact version"
        pins[match.group(1)] = match.group(2)
    return pins


def _lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


@pytest.fixture(scope="module")
def lock(repo_root: Path) -> dict[str, str]:
    return _lock_pins(repo_root / "requirements.lock")


@pytest.fixture(scope="module")
def top_level(repo_root: Path) -> dict[str, str]:
    return _conda_pins(repo_root / "environment.yml")


def test_lock_pins_every_package_exactly_and_pandas_below_3(lock: dict[str, str]) -> None:
    assert int(lock["pandas"].split(".")[0]) < 3
    for name in ("snakemake", "pysam", "htseq", "pydeseq2", "lifelines", "cutadapt", "multiqc"):
        assert name in lock, f"{name} missing from requirements.lock"


def test_environment_yml_agrees_with_lock(top_level: dict[str, str], lock: dict[str, str]) -> None:
    for name, version in top_level.items():
        if name in NON_PYPI:
            continue
        pypi = CONDA_TO_PYPI.get(name, name).lower()
        assert pypi in lock, f"environment.yml pins {name} but requirements.lock does not"
        assert lock[pypi] == version, f"{name}: environment.yml {version}, lock {lock[pypi]}"


def test_rule_envs_agree_with_environment_yml(repo_root: Path, top_level: dict[str, str]) -> None:
    env_files = sorted((repo_root / "workflow" / "envs").glob("*.yaml"))
    assert env_files
    for env_file in env_files:
        for name, version in _conda_pins(env_file).items():
            assert name in top_level, f"{env_file.name}: {name} is not in environment.yml"
            assert top_level[name] == version, (
                f"{env_file.name}: {name}={version} but environment.yml has {top_level[name]}"
            )


def test_every_rule_env_is_used_and_exists(repo_root: Path) -> None:
    rules = "\n".join(p.read_text() for p in (repo_root / "workflow" / "rules").glob("*.smk"))
    used = set(re.findall(r'conda:\s*\n\s*"\.\./envs/([^"]+)"', rules))
    present = {p.name for p in (repo_root / "workflow" / "envs").glob("*.yaml")}
    assert used, "no rule declares a conda environment"
    assert used <= present, f"rules use missing env files: {sorted(used - present)}"
    assert present <= used, f"env files no rule uses: {sorted(present - used)}"
