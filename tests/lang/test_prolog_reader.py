"""The hand-written ProbLog reader reads every clause exactly as the grammar (lark) does, or
leaves it to the grammar: differential tests over ProbLog's own programs, the benchmark
families, operator corner cases and fuzzed token soups."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nesy.errors import NesySyntaxError
from nesy.lang.prolog import _parse_with_grammar, parse_prolog
from nesy.lang.prolog_reader import Unreadable, read_clauses
from nesy.lang.prolog_term import Float, Struct, Text, Var

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = sorted((ROOT / "benchmarks" / "conformance" / "problog").rglob("*.pl"))
LIBRARIES = sorted((ROOT / "nesy" / "ground").glob("*.pl"))

CORNERS = [
    "p :- X = -(1), Y = - (1), Z = -1, W = - 1, V = -(-(1)), U = - a.",
    "p :- X is 2 ** 3 ^ 2, Y is - 2 ** 2, Z is 2 ^ -1, W is a - -1.",
    "p :- X = a-(b-c), Y = (a-b)-c, Z = a*(b+c), W = -(a-b).",
    "p :- X = +(1, 2), Y = + 1, Z = +(1), W = \\ 1, V = \\+(a).",
    "p :- \\+ (a, b), not(c), not d, \\+a.",
    "p :- foo (a), 'q'(b), 'it''s', \"str\", \"a\\\"b\", 'a\\nb'.",
    "p :- X = [], Y = [ ], Z = [a|T], W = [a, b | [c]], V = {a, b}.",
    "p :- (a -> b ; c), (a *-> b ; c), (a ; b ; c), (a , b , c).",
    "p :- X =.. [f, a], X == Y, X \\== Y, X \\= Y, X @< Y, X @>= Y, X =< 1, X >= 1.",
    "p :- X is 7 mod 2, Y is 7 rem 2, Z is 7 // 2, W is 7 div 2, V is 7 xor 2.",
    "p :- X is 1 << 2.",
    "p :- X is 5 /\\ 3, Y is 5 \\/ 3.",
    "p(X) :- X island.",
    "p :- a, (b ; c | d).",
    "a :- b | c.",
    "p(not).",
    "p :- X = not(a), Y = not.",
    "p :- (:- a).",
    "?- a.",
    "<- a.",
    ":- a.",
    ":-(a).",
    "p(1.0e3, 1e5, 0.5, 1.5E-3, 12).",
    "p :- /*(x)*/ a.",
    "p :- a /* c */, b. % end",
    "p :- a. /* at */ q.",
    "p :- X = f(-), Y = - .",
    "0.5::a; 0.5::b :- c.",
    "0.5::a, b.",
    "1/6::d(1); 1/6::d(2) <- true.",
    "P::pack(I) :- w(I, W), P is 1.0 / W.",
    "t(_)::a. p :- X = a:b.",
    "p :- ! , a.",
    "p :- !(a).",
    "a.b.",
    "a. b",
    "p :- X = 'unterminated.",
    "p :- X = \u00e9.",
    "p :- f(a,).",
    "p :- X = a = b.",
    "p :- X is 2 ** 3 ** 2.",
    "p :- X = [a|b|c].",
    "d(D, avg<S>) :- s(D, S).",
    "p(L) :- (s(X) => L / list(X)).",
    "p :- x ** -1.",
    "p :- a =\\= b, a =:= b, a -> b.",
    "p :- a<-b.",
    "p :- {}.",
    "p :- X = '\\\\', Y = \\ .",
    "p :- 1.e5.",
]


def canonical(term: object, seen: dict[int, int]) -> object:
    """A term as nested tuples: variables by order of first appearance, numbers with their
    type (1 and 1.0 are different terms)."""
    if isinstance(term, Var):
        index = seen.setdefault(id(term), len(seen))
        return ("var", index, term.name)
    if isinstance(term, Struct):
        return (term.name, *(canonical(a, seen) for a in term.args))
    if isinstance(term, Float):
        return ("float", repr(float(term)))
    if isinstance(term, Text):
        return ("text", term.value)
    assert type(term) is int, term
    return ("int", term)


def canonical_program(program) -> list:
    found = []
    for statement in program.statements:
        seen: dict[int, int] = {}
        if hasattr(statement, "goal"):
            found.append(("directive", canonical(statement.goal, seen), statement.span))
        else:
            heads = [
                (None if label is None else canonical(label, seen), canonical(head, seen))
                for label, head in statement.heads
            ]
            found.append((heads, canonical(statement.body, seen), statement.span))
    return found


def outcome(parse, text: str) -> object:
    try:
        return canonical_program(parse(text))
    except NesySyntaxError as error:
        return ("error", str(error))


def assert_reads_as_the_grammar(text: str) -> None:
    assert outcome(parse_prolog, text) == outcome(_parse_with_grammar, text)


@pytest.mark.parametrize("path", PROGRAMS + LIBRARIES, ids=lambda p: p.name)
def test_problog_programs_read_as_the_grammar_reads_them(path):
    assert_reads_as_the_grammar(path.read_text("utf-8"))


@pytest.mark.parametrize("text", CORNERS)
def test_operator_corners_read_as_the_grammar_reads_them(text):
    assert_reads_as_the_grammar(text)


def test_the_reader_reads_the_programs_itself():
    """The shipped programs take the fast path (else the reader would be no help)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from exact_vs_problog import FAMILIES, program_text
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    texts = [program_text(family, sizes[0], 0) for family, (_, _, sizes) in FAMILIES.items()]
    texts += [p.read_text("utf-8") for p in LIBRARIES]
    for text in texts:
        read_clauses(text)  # no Unreadable
        assert_reads_as_the_grammar(text)


def test_a_long_conjunction_and_a_deep_term_are_read():
    body = ", ".join(f"a({i})" for i in range(300))
    assert_reads_as_the_grammar(f"p :- {body}.")
    deep = "f(" * 5000 + "a" + ")" * 5000  # past the reader's recursion: the grammar reads it
    (clause,) = parse_prolog(f"p({deep}). ").statements
    assert clause.heads[0][1].name == "p" and clause.span.end_column == 15_006


def test_an_unreadable_clause_is_left_to_the_grammar():
    with pytest.raises(Unreadable):
        read_clauses("p :- X is 1 << 2.")


TOKENS = [
    *"()[]{}.,;:|-+*/\\=<>!?%#'\"_^@ \n",
    ":-", "<-", "?-", "::", "**", "//", "==", "\\==", "=..", "=:=", "=\\=", "->", "*->", "\\+",
    "is", "not", "mod", "xor", "island", "0.5", "1", "1.0", "1e3", "X", "Y", "_", "a", "p",
    "f(", "- (", "-(", "'q'", '"s"', "%c\n", "/*", "*/", ". ",
]  # fmt: skip


@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup_reads_as_the_grammar_reads_it(text):
    assert_reads_as_the_grammar(text)
