"""Plain clingo programs through ``nesy solve``: the models are clingo's own, enumerated here
through clingo's Python API as the independent path."""

from __future__ import annotations

import json
from pathlib import Path

import clingo
import pytest

from nesy.cli import main

# Each program is valid clingo and invalid nesy, and together they cover the constructs clingo
# users write that nesy's own language lacks.
PROGRAMS = {
    # count short forms in a head and a body, conditional literals, #minimize, #show p/1
    "minimize_counts": """
        item(1..5).
        2 { pick(X) : item(X) } 3.
        :- 2 #count { X : pick(X), X > 3 }.
        1 #count { 1 : spare ; X : bonus(X) : item(X), X > 4 } 1 :- pick(1).
        #minimize { X, X : pick(X) }.
        #show pick/1.
        #show spare/0.
        #show bonus/1.
    """,
    # weak constraints with priorities, #maximize, |X|, a multi-argument pool, #show t : body
    "weak_constraints": """
        p(1,2;3,7;-5,6).
        { sel(A, B) : p(A, B) }.
        :~ sel(A, B). [|A - B|@1, A, B]
        #maximize { 1@2, A : sel(A, B), A < 3 }.
        #show.
        #show pair(A, B) : sel(A, B).
        #show far : sel(A, B), |A - B| > 3.
    """,
    # disjunction, classical negation, not not, strings, #external, #heuristic, #program base,
    # and query/evidence, which are ordinary atoms here
    "disjunctive": """
        #program base.
        a | b.
        -c :- a.
        c :- b, not not d.
        { d }.
        name("x y").
        #external e.
        f :- e.
        #heuristic a. [1, true]
        query(a).
        evidence(b, true).
    """,
}


def _solve(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["solve", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _clingo_models(path: Path, optimal: bool) -> list[tuple[frozenset[str], tuple[int, ...]]]:
    """Every stable model clingo shows (every optimal one), with its cost."""
    control = clingo.Control(["0", "--opt-mode=optN"] if optimal else ["0"])
    control.load(str(path))
    control.ground([("base", [])])
    found: list[tuple[frozenset[str], tuple[int, ...]]] = []
    with control.solve(yield_=True) as handle:
        for model in handle:
            if optimal and not model.optimality_proven:
                continue
            found.append((frozenset(str(s) for s in model.symbols(shown=True)), tuple(model.cost)))
    return found


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_all_models_are_clingos(name, tmp_path, capsys):
    path = tmp_path / f"{name}.lp"
    path.write_text(PROGRAMS[name])
    code, out, err = _solve(capsys, str(path), "--all", "--json")
    assert code == 0, err
    got = json.loads(out)["models"]
    optimal = "minimize" in PROGRAMS[name] or "maximize" in PROGRAMS[name]
    expected = _clingo_models(path, optimal)
    assert len(got) == len(expected) > 0
    assert sorted(map(sorted, (m["atoms"] for m in got))) == sorted(
        map(sorted, (a for a, _ in expected))
    )
    if optimal:
        assert {tuple(m["cost"]) for m in got} == {cost for _, cost in expected}


def test_query_and_evidence_are_atoms_of_a_plain_program(tmp_path, capsys):
    path = tmp_path / "p.lp"
    path.write_text(PROGRAMS["disjunctive"])
    code, out, err = _solve(capsys, str(path), "--all", "--json")
    models = [set(m["atoms"]) for m in json.loads(out)["models"]]
    assert code == 0 and models, err
    assert all({"query(a)", "evidence(b,true)", 'name("x y")'} <= m for m in models)
    assert {"a", "-c"} in [m & {"a", "b", "-c", "c"} for m in models]
    # no probabilistic annotation: the one empty total choice, shared by every model
    assert all(
        m["probability"] == pytest.approx(1 / len(models)) for m in json.loads(out)["models"]
    )


def test_optimisation_prints_clingos_optimum(tmp_path, capsys):
    path = tmp_path / "opt.lp"
    path.write_text(PROGRAMS["minimize_counts"])
    code, out, err = _solve(capsys, str(path), "--json")
    assert code == 0, err
    (model,) = json.loads(out)["models"]
    (optimum,) = {cost for _, cost in _clingo_models(path, optimal=True)}
    assert tuple(model["cost"]) == optimum == (3,)  # pick(1), pick(2)
    assert {a for a in model["atoms"] if a.startswith("pick")} == {"pick(1)", "pick(2)"}
    code, out, _ = _solve(capsys, str(path))
    assert "% optimal stable model of" in out and "cost 3" in out


def test_include_is_relative_to_the_including_file(tmp_path, capsys, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "main.lp").write_text('#include "lib/graph.lp".\nreach(1).\n')
    (tmp_path / "lib/graph.lp").write_text('#include "nodes.lp".\nedge(1,2).\n')
    (tmp_path / "lib/nodes.lp").write_text("node(1..2).\n#show node/1.\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "nodes.lp").write_text("node(99).\n")  # a decoy in the working directory
    (elsewhere / "lib").mkdir()
    (elsewhere / "lib/graph.lp").write_text("node(98).\n")
    monkeypatch.chdir(elsewhere)
    code, out, err = _solve(capsys, str(tmp_path / "main.lp"), "--json")
    assert code == 0, err
    (model,) = json.loads(out)["models"]
    assert sorted(model["atoms"]) == ["node(1)", "node(2)"]


def test_script_is_refused_and_not_run(tmp_path, capsys):
    flag = tmp_path / "ran"
    path = tmp_path / "s.lp"
    path.write_text(
        f'a.\n#script (python)\nopen("{flag}", "w").close()\n#end.\n'
        "#script (python)\ndef main(ctl): pass\n#end.\n"
    )
    code, _, err = _solve(capsys, str(path))
    assert code == 1 and not flag.exists()
    assert f"{path}:2:1: #script: nesy does not run embedded scripts" in err
    assert "Traceback" not in err


def test_warnings_go_to_stderr_with_positions(tmp_path, capsys):
    path = tmp_path / "w.lp"
    path.write_text("a :- b.\nc.\n")
    code, out, err = _solve(capsys, str(path))
    assert code == 0 and out.splitlines()[-1] == "c"
    assert f"{path}:1:6: warning: atom does not occur in any rule head:" in err


def test_unsatisfiable_plain_program_names_its_constraints(tmp_path, capsys):
    path = tmp_path / "u.lp"
    path.write_text("1 { c(1..3) } 1.\n:- c(1).\n:- c(2).\nd.\n:- c(3), d.\n:~ d. [1]\n")
    code, out, _ = _solve(capsys, str(path))
    assert code == 20 and "UNSATISFIABLE" in out
    assert f"{path}:5:1: :- c(3), d." in out and f"{path}:2:1: :- c(1)." in out
    code, out, _ = _solve(capsys, str(path), "--json")
    assert code == 20 and len(json.loads(out)["conflict"]) == 4  # with the choice's bound


def test_grounding_error_is_positioned(tmp_path, capsys):
    path = tmp_path / "unsafe.lp"
    path.write_text("q(1).\np(X) :- not q(X).\n")
    code, _, err = _solve(capsys, str(path))
    assert code == 1 and f"nesy: error: {path}:2:1: unsafe variables in:" in err


def test_syntax_error_of_neither_language_adds_clingos_view(tmp_path, capsys):
    path = tmp_path / "bad.lp"
    path.write_text("#minimize { 1, X : p(X) }.\na :- b\n")
    code, _, err = _solve(capsys, str(path))
    assert code == 1 and err.startswith(f"nesy: error: {path}:1:1:")
    assert f"clingo's parser: {path}:3:1: syntax error, unexpected EOF" in err


def test_many_models_are_not_counted_past_the_limit(tmp_path, capsys):
    path = tmp_path / "many.lp"
    path.write_text("{ a(1..8) }.\n")  # 256 stable models
    code, out, _ = _solve(capsys, str(path), "--all", "--limit", "3", "--json")
    models = json.loads(out)["models"]
    assert code == 0 and len(models) == 3 and all(m["probability"] is None for m in models)
    code, out, _ = _solve(capsys, str(path))
    assert "not counted" in out
