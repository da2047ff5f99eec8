"""What each rule imports and calls: the third-party modules its script imports (through the
workflow's library, also inside functions) and the command-line tools named in its shell
command or in the library code its script imports.

Used by tests/unit/test_environments.py to prove that every per-rule conda environment holds what
its rules need and nothing else.
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

#: Command-line tools the rules call (by shell or subprocess) -> the conda package providing them.
COMMANDS = {
    "bowtie": "bowtie",
    "bowtie-build": "bowtie",
    "samtools": "samtools",
    "STAR": "star",
    "hisat2": "hisat2",
    "hisat2-build": "hisat2",
    "multiqc": "multiqc",
    "cutadapt": "cutadapt",
}


@dataclass(frozen=True)
class Rule:
    """A rule's conda environment file name, its script (or None) and its shell command."""

    name: str
    env: str
    script: Path | None
    shell: str


def read_rules(rules_dir: Path) -> list[Rule]:
    """Every rule of ``rules_dir/*.smk`` that declares a conda environment."""
    rules = []
    for smk in sorted(rules_dir.glob("*.smk")):
        for block in re.split(r"\n(?=\s*(?:rule|checkpoint) \w+:)", smk.read_text()):
            name = re.match(r"\s*(?:rule|checkpoint) (\w+):", block)
            env = re.search(r'conda:\s*\n\s*"\.\./envs/([^"]+)"', block)
            if not (name and env):
                continue
            script = re.search(r'script:\s*\n\s*"([^"]+)"', block)
            shell = re.search(r"shell:\s*\n((?:\s+\".*\"\n?)+)", block)
            rules.append(
                Rule(
                    name.group(1),
                    env.group(1),
                    (rules_dir / script.group(1)).resolve() if script else None,
                    shell.group(1) if shell else "",
                )
            )
    return rules


def _module_file(scripts_dir: Path, module: str) -> Path | None:
    """The file of a module of the workflow's library (``esccrt.x.y``), or None."""
    path = scripts_dir.joinpath(*module.split("."))
    for candidate in (path / "__init__.py", path.with_suffix(".py")):
        if candidate.exists():
            return candidate
    return None


def _imported_names(tree: ast.AST, package: str, is_init: bool) -> list[str]:
    """Dotted names every import statement of ``tree`` refers to (relative ones resolved)."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts if is_init else parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            names += [base, *(f"{base}.{alias.name}" for alias in node.names)]
    return names


@functools.cache
def _file_facts(
    path: Path, scripts_dir: Path
) -> tuple[frozenset[str], frozenset[str], tuple[Path, ...]]:
    """One Python file's third-party imports, string constants and imported library modules
    (each file is read once for all rules)."""
    tree = ast.parse(path.read_text())
    strings = frozenset(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    dotted = ".".join(path.relative_to(scripts_dir).with_suffix("").parts)
    modules, library = set(), []
    for name in _imported_names(tree, dotted, path.name == "__init__.py"):
        top = name.split(".")[0]
        if top == "esccrt":
            found = _module_file(scripts_dir, name)
            if found:
                library.append(found)
        elif top and top not in sys.stdlib_module_names:
            modules.add(top)
    return frozenset(modules), strings, tuple(library)


def scan_script(script: Path, scripts_dir: Path) -> tuple[set[str], set[str]]:
    """Third-party top-level modules ``script`` imports, and the string constants of the code it
    runs (the script and every library module it imports, transitively)."""
    modules: set[str] = set()
    strings: set[str] = set()
    seen: set[Path] = set()
    pending = [script]
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        file_modules, file_strings, library = _file_facts(path, scripts_dir)
        modules |= file_modules
        strings |= file_strings
        pending.extend(library)
    return modules, strings


def commands_called(shell: str, strings: set[str]) -> set[str]:
    """The known tools a rule calls: words of its shell command or string constants of its code."""
    words = set(re.findall(r"[A-Za-z0-9_-]+", shell))
    return {tool for tool in COMMANDS if tool in words or tool in strings}
