"""Integers outside clingo's 32-bit range: literals and constant arithmetic are refused.

clingo wraps silently (``p(2147483648)`` answers ``p(-2147483648)``, ``2**100`` is 0) and stops
the process on ``-2147483648 / -1``; nesy points at the literal or the subterm instead.
"""

from __future__ import annotations

import re

import pytest

import nesy
from nesy.errors import ConfigError, NesyError, NesyTypeError
from nesy.lang import BinOp, Const, parse
from nesy.lang.arith import INT_MAX, INT_MIN, fold

WRAP = r"outside clingo's 32-bit integers \[-2147483648, 2147483647\] \(clingo would silently"


def error(text: str, match: str) -> tuple[int, int]:
    with pytest.raises(NesyTypeError) as info:
        parse(text, "prog.nesy")
    assert re.search(match, info.value.message), info.value.message
    return info.value.span.line, info.value.span.column


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("p(2147483648).", 3),
        ("p(-2147483649).", 3),
        ("p(f(1, 9999999999)).", 8),
        ("p(1..2147483648).", 6),
        ("p((1;2147483648)).", 6),
        ("#const n = 3000000000.", 12),
        ("a. query(p(2147483648)). p(1).", 12),
    ],
)
def test_literal_out_of_range(text, column):
    assert error(text, rf"^integer -?\d+ is {WRAP}") == (1, column)


@pytest.mark.parametrize(
    ("text", "column", "value"),
    [
        ("p(X) :- X = 2**100.", 13, "1267650600228229401496703205376"),
        ("p(X) :- X = 2147483647+1.", 13, "2147483648"),
        ("p(X) :- X = -2147483647-2.", 13, "-2147483649"),
        ("p(X) :- X = 65536*65536.", 13, "4294967296"),
        ("p(X) :- X = 1 + 10**400.", 17, "<a number of 401 digits>"),
        ("q(1). p(X) :- q(Y), X = Y + (2147483647 + 1).", 30, "2147483648"),
        ("p(X) :- X is abs(-2147483648).", 14, "2147483648"),
        ("p(X) :- X = -(-2147483647-1).", 13, "2147483648"),
    ],
)
def test_constant_arithmetic_out_of_range(text, column, value):
    message = rf"^integer overflow: this arithmetic evaluates to {re.escape(value)}, {WRAP}"
    assert error(text, message) == (1, column)


def test_power_too_large_to_compute_is_refused_without_computing_it():
    assert error("p(X) :- X = 10**2000000000.", r"about 2000000001 digits") == (1, 13)


def test_huge_literal_is_nesys_error_not_pythons():
    digits = "1" * 5000  # int() refuses past 4,300 digits
    assert error(f"p({digits}).", r"^integer <a number of 5000 digits> is outside") == (1, 3)
    with pytest.raises(NesyError, match="outside"):
        parse(f"{digits}::a.")
    with pytest.raises(NesyError, match="too large"):
        parse(f"#show p/{digits}.")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("p(X) :- X = -2147483648 / -1.", "floating-point exception"),
        ("p(X) :- X = -2147483648 \\ -1.", "floating-point exception"),
        ("p(X) :- X = 1/0.", "^division by zero: clingo leaves the operation undefined"),
        ("p(X) :- X = 5 mod 0.", "^division by zero"),
        ("p(X) :- X = 2 ** -1.", "negative exponent"),
    ],
)
def test_constant_arithmetic_clingo_cannot_do(text, match):
    assert error(text, match) == (1, 13)


@pytest.mark.parametrize(
    "text",
    [
        "p(2147483647). p(-2147483648). p(X) :- X = -2147483647 - 1.",
        "p(X) :- X = 2**30 + (2**30 - 1).",
        "p(X) :- X = 46340 * 46340.",
        "q(1). p(X) :- q(Y), X = Y * 2147483647.",  # over variables: only grounding knows
    ],
)
def test_in_range(text):
    parse(text)


def test_extremes_reach_clingo_exactly():
    program = parse("p(2147483647). p(-2147483648). q(X) :- X = -2147483647 - 1. query(p(_)).")
    assert nesy.query(program) == {"p(2147483647)": 1.0, "p(-2147483648)": 1.0}


def test_with_constants_refuses_values_out_of_range():
    program = parse("#const n = 2. p(n).")
    assert program.with_constants({"n": INT_MAX}).constant("n") == INT_MAX
    with pytest.raises(ConfigError, match="outside clingo's 32-bit integers"):
        program.with_constants({"n": 2**31})


@pytest.mark.parametrize("op", ["/", "\\", "mod", "//"])
def test_fold_divisions_match_python(op):
    python = {
        "/": lambda a, b: int(a / b),
        "\\": lambda a, b: a - b * int(a / b),
        "mod": lambda a, b: a % b,
        "//": lambda a, b: a // b,
    }[op]
    values = [-9, -7, -2, -1, 1, 2, 3, 7, INT_MAX, INT_MIN + 1]
    for a in values:
        for b in (v for v in values if abs(v) <= 2**30):
            assert fold(BinOp(op, Const(a), Const(b))) == python(a, b), (a, op, b)


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("p(X) :- X = " + "+".join(["1"] * 3000) + ".", 13),
        ("p(" + "f(" * 3000 + "a" + ")" * 3000 + ").", 3),
        ("q(1). p :- q(Y), Y < " + "-".join(["Y"] * 500) + ".", 22),
    ],
)
def test_deeply_nested_term_is_an_error_not_a_recursion_error(text, column):
    assert error(text, r"^this term is nested more than 200 levels deep") == (1, column)
    parse("p(X) :- X = " + "+".join(["1"] * 150) + ".")  # nested 150 deep: fine
