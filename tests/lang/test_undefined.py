"""Body literals on predicates nothing defines, #defined, built-ins, and Prolog directives.

A literal on a predicate that no rule, fact, choice or neural predicate defines was silently
false; now it is an error unless ``#defined p/n.`` declares it. Prolog's built-ins and
directives, which the .nesy dialect does not have, are named.
"""

from __future__ import annotations

import re

import pytest
from problog import get_evaluatable
from problog.program import PrologString

import nesy
from nesy.errors import NesyError, NesySyntaxError, NesyTypeError
from nesy.lang import Boolean, Constraint, Defined, parse, parse_file


def error(text: str, kind: type[NesyError], match: str) -> tuple[int, int]:
    """Parse ``text``, expecting ``kind`` with ``match`` in its message; its (line, column)."""
    with pytest.raises(kind) as info:
        parse(text, "prog.nesy")
    assert re.search(match, info.value.message), info.value.message
    assert info.value.span is not None and info.value.span.source == "prog.nesy"
    return info.value.span.line, info.value.span.column


def problog(text: str) -> dict[str, float]:
    result = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {str(atom).replace(" ", ""): float(p) for atom, p in result.items()}


# --- undefined predicates --------------------------------------------------------------------


def test_undefined_body_literal_is_an_error_naming_it():
    position = error(
        "a.\np :- a, undefined_thing.\nquery(p).",
        NesyTypeError,
        r"^undefined_thing/0 is defined nowhere .* would always be false; define it, or "
        r"declare '#defined undefined_thing/0\.'",
    )
    assert position == (2, 9)


def test_negated_undefined_literal_is_an_error_too():
    error("p :- not q(1).", NesyTypeError, r"^q/1 is defined nowhere .* would always be true")
    error("p :- \\+ q.", NesyTypeError, "^q/0 is defined nowhere")


def test_undefined_literal_suggests_what_is_defined():
    error("q(1). p :- q(1, 2).", NesyTypeError, r"q/2 is defined nowhere.*\(defined: q/1\)")
    error("edge(1, 2). p :- egde(1, 2).", NesyTypeError, r"did you mean edge/2\?")


@pytest.mark.parametrize(
    "text",
    [
        "a(1). p :- #count{X : a(X), r(X)} > 1.",
        "a(1). {b(X) : a(X), r(X)}.",
        "a(1). 0.5::b(X) :- a(X), r(X).",
        "a(1). 0.5::b; 0.5::c :- not r(1).",
        "a(1). :- a(X), r(X).",
    ],
)
def test_undefined_literal_anywhere_in_a_body(text):
    assert error(text, NesyTypeError, "^r/1 is defined nowhere") == (1, text.index("r(") + 1)


def test_defined_declaration_makes_the_literal_false_without_error():
    program = parse("#defined q/1.\np :- q(1). r :- not q(2). query(p). query(r).")
    assert program.statements[0] == Defined("q", 1)
    assert str(program.statements[0]) == "#defined q/1."
    assert nesy.query(program) == {"p": 0.0, "r": 1.0}
    assert nesy.query(parse("#defined q/1. query(q(1)).")) == {"q(1)": 0.0}  # a query is ok


@pytest.mark.parametrize(
    "text",
    [
        "nn(net, [X], Y, [0, 1]) :: d(X, Y). p(Y) :- d(tensor(a), Y).",  # tensor/1 is a term
        "{c(1..2)}. p :- c(1).",
        "0.5::f(1). p :- f(1).",
        "0.5::h; 0.5::t. p :- t, not h.",
        "x(1). p :- #count{X : x(X)} > 0.",
        "member(a, t). p :- member(a, t).",  # the program's own member/2, not Prolog's
        "table(1). :- table(X).",  # defined: a constraint, not the directive
    ],
)
def test_defined_every_way(text):
    parse(text)


def test_shipped_sudoku_declares_the_givens_it_reads_from_another_file():
    program = parse_file("programs/sudoku.nesy")
    assert Defined("given", 3) in program.statements


# --- built-ins -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("literal", "signature"),
    [
        ("between(1, 3, X)", "between/3"),
        ("member(X, [1])", None),  # a list: refused by the parser already
        ("findall(X, a(X), L)", "findall/3"),
        ("length(L, 2)", "length/2"),
        ("append(A, B, C)", "append/3"),
        ("atom(X)", "atom/1"),
        ("var(X)", "var/1"),
        ("nonvar(X)", "nonvar/1"),
        ("is_list(X)", "is_list/1"),
        ("assert(a(1))", "assert/1"),
        ("retract(a(1))", "retract/1"),
        ("call(a, X)", "call/2"),
    ],
)
def test_prolog_builtins_are_named(literal, signature):
    text = f"a(1). p :- a(X), {literal}."
    if signature is None:
        error(text, NesySyntaxError, "lists are not terms")
        return
    position = error(
        text,
        NesyTypeError,
        rf"^{signature} is a Prolog built-in that the \.nesy dialect does not have.*; ProbLog "
        r"programs run in the ProbLog dialect \(a \.pl file\)$",
    )
    assert position == (1, 18)


def test_between_suggests_an_interval():
    error("p(X) :- between(1, 3, X).", NesyTypeError, r"X = Low\.\.High")


def test_true_fail_false_have_their_prolog_meaning():
    text = (
        "0.3::a. p :- a, true. q :- \\+ fail, a. r :- a, fail. s :- a, false. t :- not true.\n"
        "query(p). query(q). query(r). query(s). query(t)."
    )
    program = parse(text)
    assert program.statements[1].body[1] == Boolean(True)
    assert str(program.statements[2]) == "q:-#true,a."
    assert nesy.query(program) == pytest.approx(problog(text), abs=1e-12)


def test_builtin_values_cannot_be_defined():
    assert error("a.\ntrue :- a.", NesyTypeError, "^true/0 is a built-in") == (2, 1)
    error("fail.", NesyTypeError, r"^fail/0 is a built-in \(false in every body\)")
    parse("true(1). p :- true(1).")  # another arity is an ordinary predicate


# --- Prolog directives -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        ":- use_module(library(lists)).",
        ":- consult(f).",
        ":- ensure_loaded(f).",
        ":- dynamic(p/1).",
        ":- discontiguous(p/1).",
        ":- initialization(main).",
        ":- set_prolog_flag(double_quotes, codes).",
        ":- table(path/2).",
        ":- include(f).",
    ],
)
def test_directive_in_call_form_is_not_a_constraint(text):
    name = text[3 : text.index("(")]
    position = error(
        "a.\n" + text,
        NesyTypeError,
        rf"^':- {name}\(\.\.\.\)' is a Prolog directive, not an integrity constraint: the "
        r"\.nesy dialect has no directives; ProbLog programs run in the ProbLog dialect",
    )
    assert position == (2, 1)


@pytest.mark.parametrize(
    ("text", "name", "column"),
    [
        (":- dynamic foo/1.", "dynamic", 4),
        (":- table path/2.", "table", 4),
        (":- op(700, xfx, ===).", "op", 4),
        (":- module(m, [p/1]).", "module", 4),
        ("a.  :- discontiguous p/1.", "discontiguous", 8),
    ],
)
def test_directive_in_operator_form_is_named(text, name, column):
    message = rf"^':- {name} \.\.\.' is a Prolog directive, which the \.nesy dialect does not have"
    assert error(text, NesySyntaxError, message) == (1, column)


def test_consult_list_is_named():
    assert error(":- [f].", NesySyntaxError, r"^':- \[file\]' \(consult\)") == (1, 4)


@pytest.mark.parametrize(
    "text",
    [
        "p(1). q(1). :- p(X), q(X).",  # two literals: a constraint
        "consult(x). :- consult(x).",  # the program defines consult/1
        "a. :- not use_module.",  # negated: a constraint (on a declared atom)
    ],
)
def test_real_constraints_stay_constraints(text):
    if "use_module" in text:
        text += " #defined use_module/0."
    assert any(isinstance(s, Constraint) for s in parse(text).statements)


def test_rule_body_with_a_directive_name_is_an_ordinary_literal():
    error("p :- dynamic(q).", NesyTypeError, "^dynamic/1 is defined nowhere")


def test_parse_files_checks_several_files_as_one_program(tmp_path):
    rules, facts = tmp_path / "rules.nesy", tmp_path / "facts.nesy"
    rules.write_text("p(X) :- given(X), not blocked(X).\nquery(p(_)).\n", encoding="utf-8")
    facts.write_text("given(1). given(2).\nblocked(2).\n", encoding="utf-8")
    with pytest.raises(NesyTypeError, match="given/1 is defined nowhere"):
        parse_file(rules)  # alone, given/1 is undefined
    program = nesy.lang.parse_files([rules, facts])
    assert program.source == str(rules)
    assert nesy.query(program) == {"p(1)": 1.0}
    facts.write_text("given(1). blocked(3).\nq :- missing.\n", encoding="utf-8")
    with pytest.raises(NesyTypeError) as info:
        nesy.lang.parse_files([rules, facts])
    assert str(info.value).startswith(f"{facts}:2:6: missing/0 is defined nowhere")
    assert str(info.value).endswith("    q :- missing.\n         ^")
