"""The library keeps the shape that lets a newcomer read it: small modules, short functions,
no import cycles, and every shared ``results/`` path named once in ``esccrt.paths``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

LIBRARY = Path(__file__).resolve().parents[2] / "workflow" / "scripts" / "esccrt"
RULES = LIBRARY.parents[1] / "rules"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> list[Path]:
    return sorted(LIBRARY.rglob("*.py"))


def _name(path: Path) -> str:
    parts = path.relative_to(LIBRARY.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("module", _modules(), ids=_name)
def test_modules_and_functions_are_small(module: Path) -> None:
    text = module.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{module}: split it by concern"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{module}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def _imports(module: Path) -> set[str]:
    """The esccrt modules ``module`` imports (``from esccrt.x import y`` may name a module y)."""
    known = {_name(path) for path in _modules()}
    found = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("esccrt"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("esccrt")}
    return found & known


def test_no_import_cycles() -> None:
    graph = {_name(path): _imports(path) for path in _modules()}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(name for name in graph if reaches(name, name, {name}))
    assert not cycles, f"modules in an import cycle: {cycles}"


def test_result_paths_are_named_only_in_esccrt_paths() -> None:
    """Outside esccrt.paths, the rule files and the library write no ``results/`` path, except
    each rule's own log and benchmark (named once, by that rule)."""
    literal = re.compile(r"""["']results/(?!logs/|benchmarks/)[^"']*["']""")
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in [*RULES.glob("*.smk"), *_modules()]
        if path.name != "paths.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if literal.search(line)
    ]
    assert not offenders, "use esccrt.paths:\n" + "\n".join(offenders)
