"""``nesy solve --timeout`` (issue 16): the search stops at the budget and reports what it had
found, on both routes (plain clingo and nesy's annotated programs)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from nesy.cli import main
from solvers.asp.plain import parse_plain, solve_plain

SUDOKU = Path(__file__).resolve().parents[2] / "programs/sudoku.nesy"


def test_plain_enumeration_stops_at_the_timeout_with_the_models_so_far(capsys):
    # every 9x9 Sudoku grid: without a budget this would run for ever
    start = time.monotonic()
    # 5 s, not 1: the child process and the grounding took over a second on a loaded CI machine
    assert main(["solve", "--all", "--timeout", "5", str(SUDOKU)]) == 0
    assert time.monotonic() - start < 5 + 8  # unbounded, it never ends; loose for a loaded machine
    captured = capsys.readouterr()
    assert "--timeout 5 s passed: the models found by then" in captured.err
    assert captured.out.count("cell(1,1,") >= 2


def test_an_interrupted_optimisation_is_not_called_optimal(tmp_path):
    # a large optimisation that clingo cannot finish in 0.3 s
    path = tmp_path / "p.lp"
    path.write_text(
        "{ x(1..200) }.\n:~ x(I), x(J), I < J, (I + J) \\ 7 = 0. [1@1, I, J]\n"
        ":~ not x(I), I = 1..200. [1@1, I]\n"
    )
    result = solve_plain(parse_plain([path]), deadline=time.monotonic() + 0.3)
    assert not result.complete and result.count is None


def test_annotated_search_stops_at_the_timeout(tmp_path, capsys):
    # 400 probabilistic edges: --all would walk 2^400 total choices
    rng = random.Random(0)
    edges = [f"0.5::edge({i},{j})." for i in range(30) for j in range(30) if rng.random() < 0.45]
    program = tmp_path / "dense.nesy"
    program.write_text("\n".join(edges) + "\npath(X,Y) :- edge(X,Y).\n")
    start = time.monotonic()
    assert main(["solve", "--all", "--timeout", "5", str(program)]) == 0
    assert time.monotonic() - start < 5 + 8  # unbounded, 2^400 choices; loose for a loaded machine
    assert "% UNKNOWN: --timeout 5 s passed before nesy finished" in capsys.readouterr().out


def test_grounding_past_the_timeout_is_stopped(tmp_path, capsys):
    # 9 million ground rules: clingo's grounding cannot be interrupted, the process can
    path = tmp_path / "big.lp"
    path.write_text("p(1..3000). q(X, Y) :- p(X), p(Y).\n")
    start = time.monotonic()
    assert main(["solve", "--timeout", "1.5", str(path)]) == 1
    assert time.monotonic() - start < 1.5 + 8  # unbounded, minutes; loose for a loaded machine
    assert "stopped: past its time budget (--timeout)" in capsys.readouterr().err
