"""The ways to get the software agree, and every conda pin is one the channel publishes.

Conda environments cannot be created on this machine (no conda channel is reachable; `make
conda-check` asks a solver where one is). What is proven here, on paper:

- every pin of environment.yml and workflow/envs/*.yaml has its evidence row in
  workflow/envs/PINS.tsv (channel, version, build, where it was seen, dependency ranges), at the
  same version;
- no recorded dependency range excludes another pin of the same environment, and packages that
  link the same unpinned library (htslib, libzlib) accept a common version of it;
- what pip installs inside an environment finds its own dependencies pinned in the conda part;
- the per-rule environments pin the versions of environment.yml, and the conda versions equal
  requirements.lock (the virtual environment) or are listed, with the reason they cannot change
  results, in workflow/envs/LOCK_DIFFERENCES.tsv.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from packaging.version import Version
from rule_imports import COMMANDS, commands_called, read_rules, scan_script

# Conda package name -> PyPI distribution name (lower case), where they differ.
CONDA_TO_PYPI = {"htseq": "htseq", "umi_tools": "umi-tools", "matplotlib-base": "matplotlib"}
# Command-line tools that are not Python packages: the virtual environment uses Debian's.
NON_PYPI = {"python", "pip", "bowtie", "hisat2", "star", "samtools"}
CONDA_CHANNELS = {"conda-forge", "bioconda"}
VERIFIED = {"repodata", "recipe-only"}
PINS_COLUMNS = ["package", "channel", "version", "build", "seen_at", "ranges", "verified", "notes"]
DIFFERENCE_COLUMNS = ["package", "conda", "lock", "why it cannot change results"]


@dataclass(frozen=True)
class Environment:
    """One environment file: its exact conda pins and what pip installs in it."""

    name: str
    conda: dict[str, str]
    pip: dict[str, str]


@dataclass(frozen=True)
class Evidence:
    """One row of PINS.tsv."""

    package: str
    channel: str
    version: str
    build: str
    seen_at: str
    ranges: dict[str, str]
    verified: str


def parse_ranges(text: str) -> dict[str, str]:
    """Dependency -> version spec: 'htslib >=1.21; htslib <1.23' -> {'htslib': '>=1.21,<1.23'}."""
    ranges: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(";"))):
        name, _, spec = item.partition(" ")
        ranges[name] = ",".join(filter(None, [ranges.get(name, ""), spec.strip()]))
    return ranges


def _clause_matches(version: str, clause: str) -> bool:
    """One clause of a conda version spec: >=, <=, >, <, ==, != or a (prefix) version."""
    match = re.fullmatch(r"(>=|<=|==|!=|>|<)?\s*([^\s]+)", clause)
    assert match, f"unreadable version clause '{clause}'"
    operator, bound = match.groups()
    if operator is None or bound.endswith(".*"):  # conda: '1.2' and '1.2.*' mean 1.2 or 1.2.x
        prefix = bound.removesuffix(".*")
        return version == prefix or version.startswith(prefix + ".")
    compare = {
        ">=": Version.__ge__,
        "<=": Version.__le__,
        ">": Version.__gt__,
        "<": Version.__lt__,
        "==": Version.__eq__,
        "!=": Version.__ne__,
    }[operator]
    return compare(Version(version), Version(bound))


def satisfies(version: str, spec: str) -> bool:
    """Whether ``version`` meets every comma-separated clause of ``spec`` (empty: any version)."""
    return all(_clause_matches(version, clause.strip()) for clause in spec.split(",") if clause)


def lower_bounds(spec: str) -> list[str]:
    """The versions a spec names as inclusive lower bounds or exact/prefix versions."""
    bounds = []
    for clause in filter(None, (part.strip() for part in spec.split(","))):
        match = re.fullmatch(r"(>=|==)?\s*([^\s<>!=]+?)(\.\*)?", clause)
        if match:
            bounds.append(match.group(2))
    return bounds


def range_conflicts(
    pins: Mapping[str, str], evidence: Mapping[str, Evidence], packages: Iterable[str]
) -> list[str]:
    """Every recorded range of ``packages`` that excludes a pin, or that no common version of an
    unpinned shared dependency (htslib, libzlib) can meet together with the others."""
    problems = []
    shared: dict[str, list[tuple[str, str]]] = {}
    for package in packages:
        for dependency, spec in evidence[package].ranges.items():
            if dependency in pins:
                if not satisfies(pins[dependency], spec):
                    problems.append(
                        f"{package} needs {dependency} {spec}, the pin is {pins[dependency]}"
                    )
            elif spec:
                shared.setdefault(dependency, []).append((package, spec))
    for dependency, needs in shared.items():
        candidates = [bound for _, spec in needs for bound in lower_bounds(spec)]
        if candidates and not any(
            all(satisfies(candidate, spec) for _, spec in needs) for candidate in candidates
        ):
            problems.append(f"no {dependency} fits all of: {needs}")
    return problems


def read_environment(path: Path) -> Environment:
    """An environment file's exactly pinned conda dependencies and its pip requirements."""
    spec = yaml.safe_load(path.read_text())
    assert spec["channels"] == ["conda-forge", "bioconda", "nodefaults"], path
    conda, pip = {}, {}
    for dependency in spec["dependencies"]:
        if isinstance(dependency, dict):  # PyPI-only packages, pinned with ==
            for requirement in dependency["pip"]:
                if requirement == "-e .":  # the workflow's own library, not a pinned package
                    continue
                name, version = requirement.split("==")
                pip[name] = version
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)=([^=<>*]+)", dependency)
        assert match, f"{path}: '{dependency}' is not pinned to one exact version"
        conda[match.group(1)] = match.group(2)
    return Environment(path.name, conda, pip)


def read_tsv(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """A tab-separated table with exactly ``columns``; every row complete."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        assert reader.fieldnames == columns, f"{path.name}: columns {reader.fieldnames}"
        rows = list(reader)
    for number, row in enumerate(rows, start=2):
        assert None not in row.values(), f"{path.name} line {number}: missing fields"
    return rows


def read_evidence(path: Path) -> dict[str, Evidence]:
    """PINS.tsv by package, one row per package."""
    evidence = {}
    for row in read_tsv(path, PINS_COLUMNS):
        assert row["package"] not in evidence, f"PINS.tsv: {row['package']} twice"
        evidence[row["package"]] = Evidence(
            row["package"],
            row["channel"],
            row["version"],
            row["build"],
            row["seen_at"],
            parse_ranges(row["ranges"]),
            row["verified"],
        )
    return evidence


def _lock_pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower()] = version
    return pins


@pytest.fixture(scope="module")
def envs_dir(repo_root: Path) -> Path:
    return repo_root / "workflow" / "envs"


@pytest.fixture(scope="module")
def lock(repo_root: Path) -> dict[str, str]:
    return _lock_pins(repo_root / "requirements.lock")


@pytest.fixture(scope="module")
def top_level(repo_root: Path) -> Environment:
    return read_environment(repo_root / "environment.yml")


@pytest.fixture(scope="module")
def environments(repo_root: Path, envs_dir: Path) -> list[Environment]:
    rule_envs = sorted(envs_dir.glob("*.yaml"))
    assert rule_envs
    return [read_environment(repo_root / "environment.yml")] + [
        read_environment(path) for path in rule_envs
    ]


@pytest.fixture(scope="module")
def evidence(envs_dir: Path) -> dict[str, Evidence]:
    return read_evidence(envs_dir / "PINS.tsv")


def test_lock_pins_every_package_exactly_and_pandas_below_3(lock: dict[str, str]) -> None:
    assert int(lock["pandas"].split(".")[0]) < 3
    for name in ("snakemake", "pysam", "htseq", "pydeseq2", "lifelines", "cutadapt", "multiqc"):
        assert name in lock, f"{name} missing from requirements.lock"


def test_every_pin_has_evidence_at_the_same_version(
    environments: list[Environment], evidence: dict[str, Evidence]
) -> None:
    for env in environments:
        for name, version in [*env.conda.items(), *env.pip.items()]:
            assert name in evidence, f"{env.name}: {name}={version} has no row in PINS.tsv"
            assert evidence[name].version == version, (
                f"{env.name}: {name}={version} but PINS.tsv records {evidence[name].version}"
            )
        for name in env.conda:
            assert evidence[name].channel in CONDA_CHANNELS, f"{name}: conda pin, PyPI evidence"
        for name in env.pip:
            assert evidence[name].channel == "pypi", f"{name}: pip pin, conda evidence"


def test_evidence_rows_are_complete_and_used(
    environments: list[Environment], evidence: dict[str, Evidence]
) -> None:
    pinned = {name for env in environments for name in [*env.conda, *env.pip]}
    for row in evidence.values():
        assert row.package in pinned, f"PINS.tsv: {row.package} is pinned by no environment"
        assert row.verified in VERIFIED, f"PINS.tsv {row.package}: verified '{row.verified}'"
        assert row.seen_at, f"PINS.tsv {row.package}: where it was seen is empty"
        assert row.build.isdigit() or row.build in {"not seen", "-"}, (
            f"PINS.tsv {row.package}: build '{row.build}' is neither a number nor 'not seen'"
        )


def test_no_recorded_range_excludes_another_pin(
    environments: list[Environment], evidence: dict[str, Evidence]
) -> None:
    for env in environments:
        problems = range_conflicts(env.conda, evidence, [*env.conda, *env.pip])
        assert not problems, f"{env.name}: {problems}"


def test_range_check_finds_what_the_issue_found(evidence: dict[str, Evidence]) -> None:
    """The check fails on the conflicts that made the old pins unsolvable."""
    samtools_1_23 = Evidence(
        "samtools",
        "bioconda",
        "1.23",
        "0",
        "bioconda.github.io",
        {"htslib": ">=1.23,<1.24.0a0"},
        "",
    )
    old = {**evidence, "samtools": samtools_1_23}
    assert range_conflicts({"star": "2.7.11b", "samtools": "1.23"}, old, ["star", "samtools"])
    assert range_conflicts({"htseq": "2.1.2", "pysam": "0.24.1"}, evidence, ["htseq", "pysam"]) == [
        "htseq needs pysam >=0.23.3,<0.24.0a0, the pin is 0.24.1"
    ]


def test_pip_packages_find_their_dependencies_pinned_by_conda(
    environments: list[Environment], evidence: dict[str, Evidence]
) -> None:
    for env in environments:
        for name in env.pip:
            missing = set(evidence[name].ranges) - set(env.conda)
            assert not missing, f"{env.name}: pip installs {name}, conda does not pin {missing}"


def test_rule_envs_agree_with_environment_yml(
    environments: list[Environment], top_level: Environment
) -> None:
    for env in environments[1:]:
        for name, version in [*env.conda.items(), *env.pip.items()]:
            everything = {**top_level.conda, **top_level.pip}
            assert name in everything, f"{env.name}: {name} is not in environment.yml"
            assert everything[name] == version, (
                f"{env.name}: {name}={version} but environment.yml has {everything[name]}"
            )


def test_conda_agrees_with_lock_or_the_difference_is_documented(
    top_level: Environment, lock: dict[str, str], envs_dir: Path
) -> None:
    allowed = {
        row["package"]: row
        for row in read_tsv(envs_dir / "LOCK_DIFFERENCES.tsv", DIFFERENCE_COLUMNS)
    }
    differences = set()
    for name, version in [*top_level.conda.items(), *top_level.pip.items()]:
        if name in NON_PYPI:
            continue
        pypi = CONDA_TO_PYPI.get(name, name).lower()
        assert pypi in lock, f"environment.yml pins {name} but requirements.lock does not"
        if lock[pypi] == version:
            continue
        differences.add(name)
        assert name in allowed, (
            f"{name}: conda {version}, lock {lock[pypi]}, and LOCK_DIFFERENCES.tsv has no reason"
        )
        row = allowed[name]
        assert (row["conda"], row["lock"]) == (version, lock[pypi]), f"{name}: stale row {row}"
        assert len(row["why it cannot change results"]) > 40, f"{name}: no real reason given"
    assert set(allowed) == differences, f"rows for no difference: {set(allowed) - differences}"


def test_every_rule_env_is_used_and_exists(repo_root: Path) -> None:
    rules = "\n".join(p.read_text() for p in (repo_root / "workflow" / "rules").glob("*.smk"))
    used = set(re.findall(r'conda:\s*\n\s*"\.\./envs/([^"]+)"', rules))
    present = {p.name for p in (repo_root / "workflow" / "envs").glob("*.yaml")}
    assert used, "no rule declares a conda environment"
    assert used <= present, f"rules use missing env files: {sorted(used - present)}"
    assert present <= used, f"env files no rule uses: {sorted(present - used)}"


# Import name -> conda package, where they differ.
IMPORT_TO_CONDA = {
    "HTSeq": "htseq",
    "yaml": "pyyaml",
    "matplotlib": "matplotlib-base",
    "sklearn": "scikit-learn",
    "adjustText": "adjusttext",
}
# Modules a rule imports that come with a package it pins (cutadapt brings dnaio, xopen, isal).
BROUGHT_BY = {"dnaio": "cutadapt", "xopen": "cutadapt", "isal": "cutadapt"}


def test_rule_envs_hold_what_their_rules_import_or_call_and_nothing_else(
    repo_root: Path, envs_dir: Path, evidence: dict[str, Evidence]
) -> None:
    """A cluster creates each per-rule environment: none carries a package its rules do not use,
    and none lacks a module its rules import."""
    scripts_dir = repo_root / "workflow" / "scripts"
    needed: dict[str, set[str]] = {}
    for rule in read_rules(repo_root / "workflow" / "rules"):
        modules, strings = scan_script(rule.script, scripts_dir) if rule.script else (set(), set())
        imported = {IMPORT_TO_CONDA.get(module, module) for module in modules}
        env = read_environment(envs_dir / rule.env)
        pinned = {*env.conda, *env.pip}
        missing = {p for p in imported if p not in pinned and BROUGHT_BY.get(p) not in pinned}
        assert not missing, f"rule {rule.name}: {rule.env} lacks {sorted(missing)}"
        # Tool names found in code justify a package but are not demanded: the library names
        # tools as dictionary keys too (resources, provenance).
        called = {COMMANDS[tool] for tool in commands_called(rule.shell, strings)}
        needed.setdefault(rule.env, set()).update(imported | called)
    for name, packages in needed.items():
        env = read_environment(envs_dir / name)
        for_pip = {dep for package in env.pip for dep in evidence[package].ranges}
        unused = set(env.conda) - packages - for_pip - {"python", "pip"}
        assert not unused, f"{name} pins {sorted(unused)}, which none of its rules imports or calls"
