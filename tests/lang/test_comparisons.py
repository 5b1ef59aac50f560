"""Prolog's comparison and arithmetic spellings: what each means in the .nesy dialect.

``==`` binds nothing and refuses arithmetic (Prolog compares terms); ``/`` under ``is`` is
refused (ProbLog divides floats); ``//``, ``div`` and ``mod`` compute what ProbLog computes;
``abs`` in arithmetic is clingo's ``|X|``. Every probability is checked against ProbLog.
"""

from __future__ import annotations

import re

import pytest
from problog import get_evaluatable
from problog.program import PrologString

import nesy
from nesy.errors import NesyTypeError
from nesy.lang import Abs, Comparison, Const, Func, Var, parse


def error(text: str, match: str) -> tuple[int, int]:
    with pytest.raises(NesyTypeError) as info:
        parse(text, "prog.nesy")
    assert re.search(match, info.value.message), info.value.message
    return info.value.span.line, info.value.span.column


def problog(text: str) -> dict[str, float]:
    result = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {str(atom).replace(" ", ""): float(p) for atom, p in result.items()}


# --- == and \== ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("p :- 1+1 == 2.", 6),
        ("q(1). p :- q(X), X == X*1.", 23),
        ("q(1). p :- q(X), -X == 1.", 18),
        ("q(1). p :- q(X), X == 1..3.", 23),
    ],
)
def test_identity_refuses_arithmetic(text, column):
    assert error(text, r"^'==' compares terms, not values .*use '=:=' to compare values") == (
        1,
        column,
    )


def test_non_identity_and_non_unification_refuse_arithmetic():
    error("q(1). p :- q(X), X \\== X+0.", r"^'\\==' compares terms, not values")
    error("q(1). p :- q(X), X+1 \\= 2.", r"^'\\=' is Prolog's 'does not unify'")


@pytest.mark.parametrize("op", ["==", "=:="])
def test_identity_comparisons_bind_nothing(op):
    message = r"^unsafe variable 'X' in comparison 'X==1': '==' and '=:=' bind no variable"
    assert error(f"p :- X {op} 1.", message) == (1, 6)
    assert error(f"p(X) :- Y = 1, X {op} Y.", "^unsafe variable 'X' in rule head") == (1, 3)
    body = parse(f"q(1). p :- q(X), X {op} 1.").statements[1].body
    assert body[1] == Comparison("==", Var("X"), Const(1))
    assert str(body[1]) == "X=1"  # clingo's '=' on bound terms is the same test


@pytest.mark.filterwarnings("ignore:The use of:UserWarning")  # ProbLog's note on ==
def test_identity_on_bound_terms_matches_problog():
    text = (
        "0.4::q(1). 0.7::q(2). 0.5::r(f(1)). "
        "p(X) :- q(X), X == 1. s(X) :- q(X), X \\== 1. t :- r(Y), Y == f(1). "
        "u(X) :- q(X), X =:= 1+1. query(p(_)). query(s(_)). query(t). query(u(_))."
    )
    got = nesy.query(parse(text))
    expected = problog(text)
    assert got == pytest.approx(expected, abs=1e-12)


# --- division ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("p(X) :- X is 7/2.", 14),
        ("q(1). p(X) :- q(Y), X is (Y+6)/2 + 1.", 26),
        ("q(1). p :- q(Y), Y =:= 7/2.", 24),
        ("q(1). p :- q(Y), Y =\\= 7/2.", 24),
        ("q(1). p :- q(Y), Y/2 =< 3.", 18),
    ],
)
def test_slash_under_prolog_arithmetic_is_refused(text, column):
    message = (
        r"^'/' under '(is|=:=|=\\=|=<)' divides integers in clingo \(7/2 = 3\) but floats in "
        r"ProbLog \(7/2 = 3\.5\).* write '//' for integer division"
    )
    assert error(text, message) == (1, column)


def test_clingo_comparisons_keep_clingo_division():
    program = parse("p(X) :- X = 7/2. q :- 7/2 <= 3. query(p(_)). query(q).")
    assert nesy.query(program) == {"p(3)": 1.0, "q": 1.0}


def test_integer_division_and_mod_match_problog():
    operands = "n(-7). n(-6). n(-1). n(0). n(5). n(7). d(-3). d(-2). d(2). d(3). "
    text = operands + (
        "q(A,B,Q) :- n(A), d(B), Q is A // B. "
        "v(A,B,Q) :- n(A), d(B), Q is A div B. "
        "m(A,B,M) :- n(A), d(B), M is A mod B. "
        "query(q(_,_,_)). query(v(_,_,_)). query(m(_,_,_))."
    )
    got = nesy.query(parse(text))
    expected = {atom: p for atom, p in problog(text).items()}
    assert got == expected
    assert got["q(-7,2,-4)"] == 1.0 and got["m(-7,2,1)"] == 1.0 and got["m(7,-2,-1)"] == 1.0


def test_mod_and_integer_division_match_python_over_a_grid():
    """Every sign combination, grounded by clingo in one go; Python's // and % are the oracle."""
    text = "a(-13..13). b(-5..-1). b(1..5). r(A,B,A mod B,A // B) :- a(A), b(B). query(r(_,_,_,_))."
    got = {atom for atom, p in nesy.query(parse(text)).items() if p == 1.0}
    expected = {
        f"r({a},{b},{a % b},{a // b})"
        for a in range(-13, 14)
        for b in (*range(-5, 0), *range(1, 6))
    }
    assert got == expected


def test_rem_is_refused_naming_the_disagreement():
    assert error("p(X) :- X = 7 rem 2.", r"^'rem' is not supported: Prolog systems disagree") == (
        1,
        13,
    )


def test_pool_or_interval_under_mod_is_refused():
    error("q(1). p(X) :- q(Y), X = Y mod (2;3).", "interval or pool cannot be an operand of 'mod'")
    error("p(X) :- X = (1..3) // 2.", r"cannot be an operand of '//'")


# --- is ----------------------------------------------------------------------------------------


def test_left_of_is_must_not_be_arithmetic():
    assert error("q(1). p(Y) :- q(Y), Y + 1 is 3.", "^the left of 'is' must be a variable") == (
        1,
        21,
    )


# --- Prolog's arithmetic functions -----------------------------------------------------------


def test_abs_in_arithmetic_is_clingos_absolute_value():
    text = (
        "n(-3). n(2). a(X,Y) :- n(X), Y is abs(X). b(X) :- n(X), abs(X - 1) < 3. "
        "c(Y) :- n(X), Y is 1 + abs(X) * 2. query(a(_,_)). query(b(_)). query(c(_))."
    )
    program = parse(text)
    assert program.statements[2].body[1] == Comparison("=", Var("Y"), Abs(Var("X")))
    assert nesy.query(program) == problog(text)


def test_abs_outside_arithmetic_is_a_term():
    program = parse("n(-3). p(abs(X)) :- n(X). query(p(_)).")
    assert program.statements[1].head.args[0] == Func("abs", (Var("X"),))
    assert nesy.query(program) == {"p(abs(-3))": 1.0}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("p(X) :- X is min(1, 2).", "min/2"),
        ("p(X) :- X is max(1, 2) + 1.", "max/2"),
        ("q(4). p :- q(X), sqrt(X) > 1.", "sqrt/1"),
        ("q(4). p :- q(X), X =:= sign(X).", "sign/1"),
    ],
)
def test_other_arithmetic_functions_are_named(text, name):
    error(
        text,
        rf"^{name} is a Prolog arithmetic function that the \.nesy dialect does not have.*"
        r"ProbLog dialect",
    )
