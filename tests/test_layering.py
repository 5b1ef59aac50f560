"""Data flows one way: no stage imports a later one, and the core never imports a backend."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["lang", "ground", "infer", "neural", "train"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_imports_a_later_stage(stage):
    later = STAGES[STAGES.index(stage) + 1 :]
    for path in (ROOT / "nesy" / stage).glob("*.py"):
        for name in _imports(path):
            assert not any(name.startswith(f"nesy.{s}") for s in later), (path, name)
            assert not name.startswith("solvers"), (path, name)


def test_core_never_imports_a_backend():
    for path in (ROOT / "nesy").rglob("*.py"):
        assert not any(n.startswith("solvers") for n in _imports(path)), path
