"""``nesy solve`` against clingo itself, and the backend choice of ``nesy query``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import clingo
import pytest

ROOT = Path(__file__).resolve().parents[2]
SUDOKU = ROOT / "programs/sudoku.nesy"
PUZZLE = """
given(1,1,5). given(1,2,3). given(1,5,7). given(2,1,6). given(2,4,1). given(2,5,9).
given(2,6,5). given(3,2,9). given(3,3,8). given(3,8,6). given(4,1,8). given(4,5,6).
given(4,9,3). given(5,1,4). given(5,4,8). given(5,6,3). given(5,9,1). given(6,1,7).
given(6,5,2). given(6,9,6). given(7,2,6). given(7,7,2). given(7,8,8). given(8,4,4).
given(8,5,1). given(8,6,9). given(8,9,5). given(9,5,8). given(9,8,7). given(9,9,9).
"""


def _nesy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nesy", *args], capture_output=True, text=True, cwd=ROOT
    )


def _clingo_models(text: str) -> list[set[str]]:
    control = clingo.Control(["0", "--warn=none"])
    control.add("base", [], text)
    control.ground([("base", [])])
    models: list[set[str]] = []
    control.solve(on_model=lambda m: models.append({str(s) for s in m.symbols(shown=True)}))
    return models


def test_sudoku_solution_is_clingos(tmp_path):
    facts = tmp_path / "puzzle.nesy"
    facts.write_text(PUZZLE)
    result = _nesy("solve", str(SUDOKU), str(facts), "--json")
    assert result.returncode == 0, result.stderr
    (model,) = json.loads(result.stdout)["models"]
    rules = SUDOKU.read_text().replace("index(1..9)", "index(1..9)")
    (expected,) = _clingo_models(rules + PUZZLE)
    assert set(model["atoms"]) == expected and len(expected) == 81
    assert model["probability"] == 1.0


def test_all_models_of_a_program_with_several(tmp_path):
    program = tmp_path / "p.nesy"
    text = "a :- not b. b :- not a. { c } :- a. :- c, b. #show a/0. #show c/0."
    program.write_text(text)
    result = _nesy("solve", str(program), "--all", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)["models"]
    assert sorted(sorted(m["atoms"]) for m in found) == sorted(
        sorted(m) for m in _clingo_models(text)
    )
    assert all(abs(m["probability"] - 1 / 3) < 1e-12 for m in found)  # one choice, 3 models
    text_out = _nesy("solve", str(program), "--all").stdout
    assert "stable models" in text_out and text_out.count("% model") == 3


def test_no_stable_model_names_the_conflicting_constraints(tmp_path):
    facts = tmp_path / "clash.nesy"
    facts.write_text("given(1,1,5). given(1,9,5).\n")
    result = _nesy("solve", str(SUDOKU), str(facts))
    assert result.returncode == 20
    assert "UNSATISFIABLE" in result.stdout
    lines = SUDOKU.read_text().splitlines()
    row = 1 + next(i for i, line in enumerate(lines) if "C1 < C2" in line)  # the row constraint
    assert f"{SUDOKU.relative_to(ROOT)}:{row}:1" in result.stdout
    as_json = json.loads(_nesy("solve", str(SUDOKU), str(facts), "--json").stdout)
    assert as_json["satisfiable"] is False and len(as_json["conflict"]) == 2


def test_no_model_without_a_constraint_to_blame(tmp_path):
    program = tmp_path / "odd.nesy"
    program.write_text("a :- not a.\n")
    result = _nesy("solve", str(program))
    assert result.returncode == 20 and "no constraint is to blame" in result.stdout


def test_bad_input_is_positioned_and_neural_programs_are_refused(tmp_path):
    bad = tmp_path / "bad.nesy"
    bad.write_text("a.\nb :- a\n")
    result = _nesy("solve", str(bad))
    assert result.returncode == 1 and f"{bad}:" in result.stderr
    result = _nesy("solve", "programs/mnist_addition.nesy")
    assert result.returncode == 1 and "neural predicates" in result.stderr


@pytest.mark.slow
def test_query_picks_the_backend_and_says_so(tmp_path):
    program = tmp_path / "p.nesy"
    program.write_text("0.4::rain. { wet } :- rain.\nquery(wet).\n")
    result = _nesy("query", str(program))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wet:", "0.2"]
    assert "using the asp backend (choice rule at" in result.stderr
    plain = tmp_path / "q.nesy"
    plain.write_text("0.5::a. 0.5::b. c :- a. c :- b. query(c).\n")
    for backend in ("exact", "asp"):
        result = _nesy("query", str(plain), "--backend", backend)
        assert result.stdout.split() == ["c:", "0.75"], result.stderr
    assert "using the exact backend" in _nesy("query", str(plain)).stderr


def test_negation_through_recursion_goes_to_the_asp_backend(tmp_path):
    program = tmp_path / "even.nesy"
    program.write_text("0.5::r.\na :- not b, r.\nb :- not a, r.\nquery(a).\n")
    result = _nesy("query", str(program))
    assert result.stdout.split() == ["a:", "0.25"], result.stderr  # 0.5 * one model of two
    assert "negation through recursion at" in result.stderr


def _main(capsys, *args: str) -> tuple[int, str, str]:
    """The command in this process (a subprocess costs a second of imports)."""
    from nesy.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_limit_gives_the_most_probable_models_not_clingos_first(tmp_path, capsys):
    program = tmp_path / "p.nesy"
    program.write_text("".join(f"0.9::a({i}).\n" for i in range(1, 6)))  # clingo starts empty
    code, out, err = _main(capsys, "solve", str(program), "--all", "--limit", "3", "--json")
    assert code == 0, err
    models = json.loads(out)["models"]
    assert [m["probability"] for m in models] == pytest.approx(
        [0.9**5, 0.9**4 * 0.1] + [0.9**4 * 0.1]
    )
    assert len(models[0]["atoms"]) == 5 and all(len(m["atoms"]) == 4 for m in models[1:])


def test_most_probable_model_divides_by_its_choices_model_count(tmp_path, capsys):
    # x (0.6) opens 8 models of 0.075 each; not x (0.4) has one model, the most probable
    program = tmp_path / "p.nesy"
    program.write_text("0.6::x.\n{ a; b; c } :- x.\n")
    code, out, err = _main(capsys, "solve", str(program), "--json")
    assert code == 0, err
    (model,) = json.loads(out)["models"]
    assert model == {"probability": pytest.approx(0.4), "atoms": []}


def test_asp_backend_refuses_impossible_evidence(tmp_path, capsys):
    program = tmp_path / "p.nesy"
    program.write_text(
        "0.5::rain.\nwet :- rain.\n{ puddle } :- wet.\n"
        "evidence(wet, true).\nevidence(rain, false).\nquery(puddle).\n"
    )
    code, out, err = _main(capsys, "query", str(program), "--backend", "asp")
    assert code == 1 and out == ""
    assert err.strip() == f"nesy: error: {program}: the evidence has probability 0"


def test_asp_backend_answers_a_query_without_groundings(tmp_path, capsys):
    program = tmp_path / "p.nesy"
    program.write_text("0.5::a(1).\nb(X) :- a(X), c(X).\nc(2).\nquery(b(X)).\n")
    code, out, err = _main(capsys, "query", str(program), "--backend", "asp", "--json")
    assert code == 0, err
    assert json.loads(out) == {}
