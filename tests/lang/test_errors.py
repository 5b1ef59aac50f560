"""nesy.lang errors: syntax errors and semantic checks, with their messages and positions."""

from __future__ import annotations

import re

import clingo
import pytest
from lark.exceptions import UnexpectedInput

from nesy.errors import NesyError, NesySyntaxError, NesyTypeError
from nesy.lang import parse, parse_file


def error(text: str, kind: type[NesyError] = NesyError, match: str = "") -> NesyError:
    """The error parsing ``text`` raises; ``match`` is searched in its message (no position)."""
    with pytest.raises(kind) as info:
        parse(text, "prog.nesy")
    assert re.search(match, info.value.message), info.value.message
    return info.value


def at(err: NesyError) -> tuple[int, int]:
    assert err.span is not None and err.span.source == "prog.nesy"
    return (err.span.line, err.span.column)


# --- syntax errors ---------------------------------------------------------------------------


def test_unexpected_token_mid_line():
    with pytest.raises(
        NesySyntaxError,
        match=r"^prog\.nesy:3:13: unexpected '\)'; expected one "
        r"of: ',', '\.', a comparison operator, an arithmetic operator\n",
    ) as info:
        parse("a.\nb.\np(X) :- q(X)).\n", "prog.nesy")
    err = info.value
    assert at(err) == (3, 13)
    assert str(err).endswith("    p(X) :- q(X)).\n                ^")
    assert isinstance(err.__cause__, UnexpectedInput)


def test_unexpected_token_lists_what_was_expected():
    err = error(
        "p(a, 1 2).",
        NesySyntaxError,
        r"^unexpected '2'; expected one of: '\)', ',', ';', an arithmetic operator$",
    )
    assert at(err) == (1, 8)
    error("p :- q r.", NesySyntaxError, "comparison operator")
    error("p(a). )", NesySyntaxError, r"^unexpected '\)'; expected a statement$")
    error("nn(n, X, Y, [1]) :: d(X,Y).", NesySyntaxError, r"^unexpected 'X'; expected '\['$")


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("p(a)", (1, 5)),
        ("a.\nb :- c", (2, 7)),
        ("a.\nb :- c  % trailing comment\n\n", (2, 7)),
        ("0.5::a", (1, 7)),
    ],
)
def test_unterminated_statement_at_end_of_input(text, position):
    err = error(text, NesySyntaxError, r"^unexpected end of input; expected '\.'")
    assert at(err) == position


def test_end_of_input_inside_a_statement():
    err = error(
        "a :- b,",
        NesySyntaxError,
        "^unexpected end of input; expected a literal, a comparison or an aggregate$",
    )
    assert at(err) == (1, 8)


def test_bad_character():
    err = error(
        "a.\n  p(a) @ q.",
        NesySyntaxError,
        r"^unexpected character '@'; expected one of: '\.', ':-'$",
    )
    assert at(err) == (2, 8)


def test_unterminated_comment_and_string():
    assert at(error("a.\n%* open", NesySyntaxError, "unterminated block comment")) == (2, 1)
    assert at(error('p("abc).', NesySyntaxError, "unterminated string")) == (1, 3)


def test_bad_evidence_value():
    err = error(
        "a. evidence(a, maybe).",
        NesySyntaxError,
        "^unexpected 'maybe'; expected 'true' or 'false'$",
    )
    assert at(err) == (1, 16)


def test_multi_argument_pool_is_rejected():
    assert at(error("p(1;a,b).", NesySyntaxError, "pool of several arguments")) == (1, 3)


def test_choice_rule_with_exact_and_lower_bound():
    error("1 {a} = 1.", NesySyntaxError, "cannot also have a lower bound")


PROGRAM = """% a program using every statement kind
edge(1,2). 0.3::edge(2,3). 0.2::c(1); 0.5::c(2) :- edge(1,_).
path(X,Y) :- edge(X,Y). path(X,Z) :- edge(X,Y), path(Y,Z), not c(Z), X != Z.
1 {pick(X) : edge(X,_)} 2 :- #count{X,Y : edge(X,Y)} >= 1.
nn(net, [I], D, [0..2]) :: digit(I, D). :- digit(i, 1). #show path/2.
query(path(1,3)). evidence(c(1), false).
"""


def test_no_lark_exception_escapes_for_any_prefix():
    parse(PROGRAM)
    for end in range(len(PROGRAM)):
        try:
            parse(PROGRAM[:end])
        except NesyError as err:
            assert err.span is not None and err.span.line >= 1


# --- safety ----------------------------------------------------------------------------------


def test_unsafe_head_variable():
    err = error(
        "p(a).\nq(X, Y) :- p(X).",
        NesyTypeError,
        "^unsafe variable 'Y' in rule head: it must also occur in a positive body literal$",
    )
    assert at(err) == (2, 6)


def test_unsafe_negated_variable():
    err = error(
        "q(a).\np :- q(X), not r(X, Y).",
        NesyTypeError,
        r"^unsafe variable 'Y' in negated literal 'not r\(X,Y\)'",
    )
    assert at(err) == (2, 21)


@pytest.mark.parametrize(
    ("text", "match", "position"),
    [
        ("p(X).", "unsafe variable 'X' in rule head", (1, 3)),
        ("p(_).", "anonymous variable '_' in rule head", (1, 3)),
        ("p :- X < 3.", "unsafe variable 'X' in comparison 'X<3'", (1, 6)),
        ("p :- q(X), X < Y.", "unsafe variable 'Y' in comparison", (1, 16)),
        ("p :- q(X), X < _.", "unsafe variable '_' in comparison", (1, 16)),
        ("p :- q(X), Y = Z.", "unsafe variable 'Y' in comparison", (1, 12)),
        ("p :- #count{X : q(Y)} > 1.", "unsafe variable 'X' in aggregate element", (1, 13)),
        ("p :- #count{X : q(X), not r(Y)} > 1.", "'Y' in negated literal 'not r", (1, 29)),
        ("p :- q(X), #count{Y : r(Y)} > N.", "unsafe variable 'N' in aggregate bound", (1, 31)),
        ("p :- q(X), not N = #count{Y : r(Y)}, N > 0.", "'N' in aggregate bound", (1, 16)),
        ("{p(X)}.", "unsafe variable 'X' in choice element", (1, 4)),
        ("{p(X) : q(Y)}.", "unsafe variable 'X' in choice element", (1, 4)),
        ("N {a}.", "unsafe variable 'N' in choice bound", (1, 1)),
        ("0.5::e(X).", "unsafe variable 'X' in rule head", (1, 8)),
        ("0.5::e(X) :- not q(X).", "unsafe variable 'X' in rule head", (1, 8)),
        ("0.5::a(X); 0.5::b(Y) :- q(X).", "unsafe variable 'Y' in rule head", (1, 19)),
        ("h(X) :- q(Y), X = Y * Y * Z.", "unsafe variable 'X' in rule head", (1, 3)),
    ],
)
def test_unsafe(text, match, position):
    assert at(error(text, NesyTypeError, match)) == position


#: the safety fragments' predicates, which nothing defines (appended: positions stay the same)
DECLARED = "".join(f" #defined {s}." for s in ["q/1", "q/2", "r/0", "r/1", "r/2", "d/2"])


@pytest.mark.parametrize(
    "text",
    [
        "h(X) :- q(X+1).",
        "h(X) :- q(-X).",
        "h(X) :- q(2*X).",
        "h(X) :- q(Y), X = Y+1.",
        "h(X) :- q(Y), Y+1 = X.",
        "h(X) :- X = 1..3.",
        "h(N) :- N = #count{X : q(X)}.",
        "h(N) :- #count{X : q(X)} = N.",
        "h :- q(X), not r(X, _).",
        "h(X) :- q((X, _)).",
        "h(X,Y) :- q(Y), (X,Y) = (9,Y).",
        "{h(X) : q(X)} :- r.",
        "h :- #sum{X,Y : q(X), Z = X*2, r(Y, Z)} > 3.",
        ":- q(X), not r(X).",
    ],
)
def test_safe(text):
    parse(text + DECLARED)


def _clingo_says_unsafe(text: str) -> bool:
    messages: list[str] = []
    ctl = clingo.Control(["--warn=none"], logger=lambda code, msg: messages.append(msg))
    try:
        ctl.add("base", [], text)
        ctl.ground([("base", [])])
    except RuntimeError:
        return any("unsafe" in m for m in messages)
    return False


@pytest.mark.parametrize(
    "text",
    [
        "h(X) :- q(X*X).",
        "h(X) :- q(1..X).",
        "h :- q(X;Y).",
        "h(X) :- q(Y), X = Y * Y * Z.",
        "h(X) :- q(X;1).",
        "h(X) :- q(X+1).",
        "h(X) :- X = 1..3.",
        "h(N) :- #count{X : q(X)} = N.",
        "h(X,Y) :- q(Y), (X,Y) = (9,Y).",
        "h :- q(X), not r(X, _).",
        "h :- q(X), X < _.",
        "p :- #count{X : q(X), not r(Y)} > 1.",
        "p :- q(X), not N = #count{Y : r(Y)}, N > 0.",
    ],
)
def test_safety_agrees_with_clingo(text):
    try:
        parse(text + DECLARED)
        ours = False
    except NesyTypeError:
        ours = True
    assert ours == _clingo_says_unsafe(text + DECLARED)


# --- probabilities ---------------------------------------------------------------------------


def test_probability_above_one():
    err = error("a.\n1.5::b.", NesyTypeError, r"^probability 1\.5 of b is outside \[0, 1\]$")
    assert at(err) == (2, 1)


def test_annotated_disjunction_sum_above_one():
    err = error(
        "x.\n  0.2::a; 1.0::b :- x.",
        NesyTypeError,
        r"^the probabilities of an annotated disjunction sum to 1\.2, above 1$",
    )
    assert at(err) == (2, 3)


def test_annotated_disjunction_head_probability_out_of_range():
    assert at(error("0.2::a; 3::b.", NesyTypeError, "probability 3 of b")) == (1, 12)


def test_probability_bounds_are_inclusive():
    parse("1.0::a. 0::b. 0.5::c; 0.5::d. 0.1::e; 0.2::f; 0.7::g.")


# --- queries, evidence and neural predicates -------------------------------------------------


def test_query_on_undefined_predicate():
    err = error(
        "foo(1).\nquery(foo(1,2)).",
        NesyTypeError,
        r"^query on undefined predicate foo/2 \(defined: foo/1\)$",
    )
    assert at(err) == (2, 7)
    error("evidence(bar).", NesyTypeError, "^evidence on undefined predicate bar/0$")


def test_query_on_predicates_defined_every_way():
    parse("""
        r. 0.5::pf. 0.5::ad1; 0.5::ad2. {ch}. nn(net, [X], Y, [0,1]) :: nd(X, Y).
        query(r). query(pf). query(ad2). query(ch). query(nd(x, Y)). evidence(ad1, false).
    """)


def test_neural_atom_arguments_mismatch():
    err = error(
        "nn(net, [X], Y, [0..9]) :: digit(X, Z).",
        NesyTypeError,
        r"^neural predicate atom digit\(X,Z\) must have exactly the arguments X, Y",
    )
    assert at(err) == (1, 28)
    error("nn(net, [X], Y, [0..9]) :: digit(X).", NesyTypeError, "exactly the arguments")
    error("nn(net, [X], Y, [0..9]) :: digit(X, Y, Y).", NesyTypeError, "exactly the arguments")
    error("nn(net, [X], Y, [0..9]) :: digit(X, 3).", NesyTypeError, "exactly the arguments")
    parse("nn(net, [X, Z], Y, [0..9]) :: add(Y, Z, X).")


@pytest.mark.parametrize(
    ("text", "match", "position"),
    [
        ("nn(n, [X], Y, []) :: d(X, Y).", "^the domain of neural predicate d/2 is empty$", (1, 1)),
        ("nn(n, [X], Y, [3..1]) :: d(X, Y).", "domain of neural predicate d/2 is empty", (1, 1)),
        ("nn(n, [X], Y, [a, b, a]) :: d(X, Y).", "^duplicate value a in the domain", (1, 22)),
        ("nn(n, [X], Y, [0..2, 1]) :: d(X, Y).", "^duplicate value 1 in the domain", (1, 22)),
        (
            "nn(n, [X], Y, [1, N]) :: d(X, Y).",
            "^domain value N of neural .* not a ground term",
            (1, 19),
        ),
        ("nn(n, [X], Y, [0..N]) :: d(X, Y).", "not a ground term", (1, 16)),
        (
            "nn(n, [X], Y, [a..b]) :: d(X, Y).",
            r"interval \(a\.\.b\) .* needs integer bounds",
            (1, 16),
        ),
        ("nn(n, [X, X], Y, [1]) :: d(X, Y).", "input variable 'X' is already declared", (1, 11)),
        ("nn(n, [X], X, [1]) :: d(X, X).", "output variable 'X' is already declared", (1, 12)),
        ("nn(n, [_], Y, [1]) :: d(_, Y).", "must be named variables", (1, 8)),
        ("nn(n, [X], Y, [1]) :: d(X, Y).\nd(1, 2).", "^d/2 is a neural predicate", (2, 1)),
        ("nn(n, [X], Y, [1]) :: d(X, Y).\n0.5::d(1, 2).", "d/2 is a neural predicate", (2, 6)),
        (
            "nn(n, [X], Y, [1]) :: d(X, Y).\nnn(m, [X], Y, [2]) :: d(X, Y).",
            "declared twice",
            (2, 1),
        ),
    ],
)
def test_neural_predicate_errors(text, match, position):
    assert at(error(text, NesyTypeError, match)) == position


# --- rendering and files ---------------------------------------------------------------------


def test_error_renders_with_source_line_and_caret():
    err = error("a.\nb :- a, not c(X).\n", NesyTypeError)
    assert str(err) == (
        "prog.nesy:2:15: unsafe variable 'X' in negated literal 'not c(X)': it must also "
        "occur in a positive body literal\n    b :- a, not c(X).\n" + " " * (4 + 14) + "^"
    )


def test_parse_file_errors_name_the_file(tmp_path):
    path = tmp_path / "bad.nesy"
    path.write_text("a.\nb :- \n", encoding="utf-8")
    with pytest.raises(NesySyntaxError) as info:
        parse_file(path)
    assert str(info.value).startswith(f"{path}:2:")
    with pytest.raises(NesyError, match="cannot read program file"):
        parse_file(tmp_path / "missing.nesy")
