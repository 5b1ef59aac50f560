"""A probabilistic fact or annotated disjunction with an interval or pool in its head is one
independent choice per ground instance, as ProbLog reads the same program written with one
statement per instance (the oracle here)."""

from __future__ import annotations

import pytest
from problog import get_evaluatable
from problog.program import PrologString

import nesy
from nesy.ground import ground, to_clingo
from nesy.ground.translate import choice_activations
from nesy.lang import parse

QUERIES = " query(a(_)). query(both). query(either)."
DERIVED = " both :- a(1), a(2). either :- a(1). either :- a(2)."


def problog(text: str) -> dict[str, float]:
    result = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {str(atom).replace(" ", ""): float(p) for atom, p in result.items()}


@pytest.mark.parametrize(
    ("nesy_text", "problog_text"),
    [
        ("0.5::a(1..2).", "0.5::a(1). 0.5::a(2)."),
        ("0.5::a(1;2;3).", "0.5::a(1). 0.5::a(2). 0.5::a(3)."),
        ("0.3::a((1;2)).", "0.3::a(1). 0.3::a(2)."),
        ("c(1). 0.4::a(X..2) :- c(X).", "0.4::a(1). 0.4::a(2)."),
        ("0.2::a(1..2); 0.5::b. query(b).", "0.2::a(1); 0.5::b. 0.2::a(2); 0.5::b. query(b)."),
        ("0.2::a(1;2); 0.3::a(3).", "0.2::a(1); 0.3::a(3). 0.2::a(2); 0.3::a(3)."),
    ],
)
def test_each_instance_is_an_independent_choice(nesy_text, problog_text):
    got = nesy.query(parse(nesy_text + DERIVED + QUERIES))
    expected = problog(problog_text + DERIVED + QUERIES)
    assert got == pytest.approx(expected, abs=1e-12)


def test_nested_intervals_and_pools_cross():
    text = "0.5::p(f(1..2), (a;b)). n(N) :- N = #count{X,Y : p(X,Y)}. query(p(_,_)). query(n(4))."
    got = nesy.query(parse(text))
    assert {k: v for k, v in got.items() if k.startswith("p(")} == {
        f"p(f({i}),{c})": pytest.approx(0.5) for i in (1, 2) for c in "ab"
    }
    assert got["n(4)"] == pytest.approx(0.5**4)


def test_fresh_variable_never_captures_a_program_variable():
    text = "q(1). 0.5::a(Nesy0, 1..2) :- q(Nesy0), #count{Nesy1 : q(Nesy1)} = 1. query(a(_,_))."
    assert nesy.query(parse(text)) == {"a(1,1)": 0.5, "a(1,2)": 0.5}


def test_choice_keys_and_activations_name_the_instance():
    program = parse("0.5::a(1..2).")
    text = to_clingo(program)
    assert "{__nesy_pf(0,a(Nesy0),(Nesy0,))}:-Nesy0=(1..2)." in text
    symbols = {str(s) for s in ground(program).symbols.values()}
    assert {"__nesy_pf(0,a(1),(1,))", "__nesy_pf(0,a(2),(2,))"} <= symbols
    assert "__nesy_on(0,a(Nesy0),(Nesy0,)):-Nesy0=(1..2)." in choice_activations(program)
