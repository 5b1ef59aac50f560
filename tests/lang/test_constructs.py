"""Constructs the .nesy dialect leaves out are named at their position, not reported as a stray
token; probability labels may be arithmetic over numbers, as ProbLog users write them."""

from __future__ import annotations

import re

import pytest
from problog import get_evaluatable
from problog.program import PrologString

import nesy
from nesy.errors import NesyError, NesySyntaxError, NesyTypeError
from nesy.lang import ProbFact, parse

IN = "a program with probabilistic annotations"
ANNOTATED = f"is not supported in {IN}"
FLOAT = (
    r"^floats are not terms in the \.nesy dialect \(clingo has no floats\); probabilities go "
    r"before '::'$"
)


def error(text: str, kind: type[NesyError], match: str) -> tuple[int, int]:
    with pytest.raises(kind) as info:
        parse(text, "prog.nesy")
    assert re.search(match, info.value.message), info.value.message
    return info.value.span.line, info.value.span.column


@pytest.mark.parametrize(
    ("text", "match", "position"),
    [
        ("a.\n#minimize{1,X : a(X)}.", rf"^'#minimize' \(optimisation\) {ANNOTATED}$", (2, 1)),
        ("a. #maximize{1 : a}.", rf"^'#maximize' \(optimisation\) {ANNOTATED}$", (1, 4)),
        ("a.\n:~ a. [1@1]", rf"^':~' weak constraints are not supported in {IN}$", (2, 1)),
        ("b.\na :~ b. [1]", rf"^':~' weak constraints are not supported in {IN}$", (2, 3)),
        ("#external a.", rf"^'#external' {ANNOTATED}; .*'#defined p/n\.'$", (1, 1)),
        ("#program base.", rf"^'#program' \(program parts\) {ANNOTATED}$", (1, 1)),
        ('#include "f.lp".', rf"^'#include' {ANNOTATED}$", (1, 1)),
        (
            "p :- #true.",
            r"^'#true' is clingo's spelling; in the \.nesy dialect write 'true'$",
            (1, 6),
        ),
        ("#foo.", r"^unknown directive '#foo'; the \.nesy dialect has #const", (1, 1)),
        ("w(a,0.2).", FLOAT, (1, 5)),
        ("p :- X > 0.5.", FLOAT, (1, 10)),
        ("q(1). p(X) :- q(Y), X is Y * 0.5.", FLOAT, (1, 30)),
        ("p(1e5).", FLOAT, (1, 3)),
        ("t(0.5)::a.", r"^learnable probabilities 't\(p\)::\.\.\.' are not supported", (1, 3)),
        ("p :- !.", r"^'!' \(cut\) is Prolog control .* ProbLog dialect", (1, 6)),
        ("a. b. p :- a -> b.", r"^'->' \(if-then-else\) is Prolog control", (1, 14)),
        ("a. b. p :- a ; b.", r"^';' \(disjunction\) in a rule body is not supported", (1, 14)),
        ("a ; b.", r"^disjunctive heads 'a ; b' are not supported", (1, 3)),
        ("p(X) :- X is 2^3.", r"^'\^' is not an operator .* write '\*\*' for a power$", (1, 15)),
        ("p([1, 2]).", r"^lists are not terms in the \.nesy dialect", (1, 3)),
    ],
)
def test_construct_is_named_at_its_position(text, match, position):
    assert error(text, NesySyntaxError, match) == position


def test_ordinary_syntax_errors_keep_the_expected_tokens():
    error("p(a) q.", NesySyntaxError, r"^unexpected 'q'; expected one of: '\.', ':-'$")
    error("0.5 a.", NesySyntaxError, r"^unexpected 'a'; expected one of: '::', an arithmetic")


# --- probability labels ----------------------------------------------------------------------


def problog(text: str) -> dict[str, float]:
    result = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {str(atom).replace(" ", ""): float(p) for atom, p in result.items()}


def test_arithmetic_labels_are_computed_as_problog_computes_them():
    text = (
        "1/6::die(1); 1/6::die(2); 4/6::die(3). (1-0.2)*0.5::a. 0.1+0.2::b. 2**(-1)::c. "
        "1e-1/2::e. query(die(_)). query(a). query(b). query(c). query(e)."
    )
    program = parse(text)
    assert program.statements[1] == ProbFact(0.4, nesy.lang.Atom("a"))
    assert program.statements[2].probability == 0.1 + 0.2  # a float sum, as ProbLog's
    assert nesy.query(program) == pytest.approx(problog(text), abs=1e-15)
    assert parse("-(-0.25)::d.").statements[0].probability == 0.25


@pytest.mark.parametrize(
    ("text", "match", "position"),
    [
        ("P::a.", r"^a probability label must be a number .* not 'P'", (1, 1)),
        ("0.5*p::a.", r"^a probability label must be a number .* not 'p'", (1, 5)),
        ("f(1)::a.", r"not 'f'", (1, 1)),
        ("1/0::a.", r"^division by zero in a probability label$", (1, 1)),
        ("2/3 + 1/2::a.", r"^probability 1\.16667 of a is outside \[0, 1\]$", (1, 1)),
        ("1 - 2::a.", r"^probability -1 of a is outside \[0, 1\]$", (1, 1)),
        ("10**400::a.", r"^probability inf of a is outside", (1, 1)),
        ("(-8)**(1/3)::a.", r"^the probability label is not a real number", (1, 1)),
    ],
)
def test_bad_labels(text, match, position):
    assert error(text, NesyTypeError, match) == position
