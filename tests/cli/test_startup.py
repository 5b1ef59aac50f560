"""Start-up: the commands that need no tensors never import torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SATLIB = ROOT / "tests" / "data" / "satlib"

# runs the command in a fresh interpreter and prints whether torch (or any backend's torch
# module) was imported
_PROBE = """
import sys
from nesy.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print("TORCH" if "torch" in sys.modules else "NO TORCH", code)
"""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--help"], 0),
        (["solve", "programs/sudoku.nesy", "programs/sudoku_puzzle.nesy"], 0),
        (["solve", "programs/lawn.nesy", "--all"], 0),  # probabilistic: NeurASP probabilities
        (["sat", "solve", str(SATLIB / "uf20-01.cnf.xz"), "--guide", "none"], 10),
        (["sat", "solve", str(SATLIB / "uuf50-01.cnf.xz"), "--guide", "none"], 20),
    ],
)
def test_commands_without_tensors_never_import_torch(args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=ROOT
    )
    assert done.stdout.splitlines()[-1] == f"NO TORCH {code}", done.stderr


def test_a_query_still_imports_what_it_needs() -> None:
    program = "0.5::a. query(a)."
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, "query", "/dev/stdin"],
        input=program,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.stdout.splitlines()[-2:] == ["a:\t0.5", "TORCH 0"], done.stderr


# what a plain clingo program's `nesy solve`, run as the `nesy` process, must not load: each
# cost milliseconds on a command that clingo itself finishes in about 50 ms
_HEAVY = ("importlib.metadata", "lark", "nesy.lang.ir", "multiprocessing", "nesy.backend")
_SOLVE_PROBE = """
import sys
from nesy.cli import main
code = main(sys.argv[1:], own_process=True)
print(sorted(name for name in sys.modules if name in sys.argv[1] or name in {heavy!r}), code)
"""


def test_a_plain_programs_solve_loads_only_clingo_and_the_command() -> None:
    probe = _SOLVE_PROBE.format(heavy=set(_HEAVY))
    sudoku = ["programs/sudoku.nesy", "programs/sudoku_puzzle.nesy"]
    done = subprocess.run(
        [sys.executable, "-c", probe, "solve", *sudoku], capture_output=True, text=True, cwd=ROOT
    )
    assert done.stdout.splitlines()[-1] == "[] 0", done.stderr


def test_the_nesy_process_ends_itself_when_grounding_passes_the_timeout(tmp_path: Path) -> None:
    # 9 million ground rules: minutes of grounding, which clingo cannot interrupt
    path = tmp_path / "big.lp"
    path.write_text("p(1..3000). q(X, Y) :- p(X), p(Y).\n")
    done = subprocess.run(
        [sys.executable, "-m", "nesy", "solve", "--timeout", "0.5", str(path)],
        capture_output=True,
        text=True,
        timeout=60,  # unbounded, minutes
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"nesy: error: solving {path} stopped: past its time budget (--timeout)\n"
