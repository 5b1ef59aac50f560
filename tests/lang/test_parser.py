"""nesy.lang.parser: every construct parses to the expected IR, renders to clingo, has spans."""

from __future__ import annotations

import clingo
import pytest

from nesy.lang import (
    Aggregate,
    AggregateElement,
    AnnotatedDisjunction,
    Atom,
    BinOp,
    ChoiceElement,
    ChoiceRule,
    Comparison,
    Const,
    Constraint,
    Evidence,
    Func,
    Guard,
    Interval,
    Literal,
    NeuralPredicate,
    Pool,
    ProbFact,
    Program,
    Query,
    Rule,
    Show,
    Str,
    UnaryMinus,
    Var,
    parse,
    parse_file,
)

X, Y, Z, N, W, C = (Var(n) for n in "XYZNWC")
a, b = Const("a"), Const("b")


def A(predicate: str, *args) -> Atom:  # noqa: N802 -- reads like the IR
    return Atom(predicate, tuple(Const(x) if isinstance(x, int | str) else x for x in args))


def pos(atom: Atom) -> Literal:
    return Literal(atom)


def neg(atom: Atom) -> Literal:
    return Literal(atom, negated=True)


#: Predicates the fragments below use without defining them: a body literal on a predicate that
#: nothing defines is an error (it would be false), unless it is declared.
_UNDEFINED = ("a/0", "b/0", "b/1", "b/2", "c/1", "d/1", "e/0", "n/1", "p/1", "p/2", "q/1", "q/2")
DECLARED = " ".join(f"#defined {s}." for s in (*_UNDEFINED, "r/1", "w/2", "coin/1"))


def one(text: str):
    """The single statement ``text`` parses to (after the declarations of the fragments'
    undefined predicates)."""
    *declarations, statement = parse(DECLARED + "\n" + text).statements
    assert len(declarations) == len(DECLARED.split("#defined")) - 1
    return statement


# --- statements ------------------------------------------------------------------------------

STATEMENTS = [
    ("p(a).", Rule(A("p", "a"))),
    ("p.", Rule(A("p"))),
    ("h(X) :- b(X), not c(X).", Rule(A("h", X), (pos(A("b", X)), neg(A("c", X))))),
    ("h(X) :- b(X), \\+ c(X).", Rule(A("h", X), (pos(A("b", X)), neg(A("c", X))))),
    ("h :- b(X,Y), X < Y.", Rule(A("h"), (pos(A("b", X, Y)), Comparison("<", X, Y)))),
    (
        "h(Z) :- b(X,Y), Z = X+Y.",
        Rule(A("h", Z), (pos(A("b", X, Y)), Comparison("=", Z, BinOp("+", X, Y)))),
    ),
    (
        "h(Z) :- b(X,Y), Z is X+Y.",
        Rule(A("h", Z), (pos(A("b", X, Y)), Comparison("=", Z, BinOp("+", X, Y)))),
    ),
    (":- a, not b.", Constraint((pos(A("a")), neg(A("b"))))),
    (
        "{a; b : c(X)} :- d(X).",
        ChoiceRule(
            (ChoiceElement(A("a")), ChoiceElement(A("b"), (pos(A("c", X)),))),
            body=(pos(A("d", X)),),
        ),
    ),
    ("1 {a; b} 2.", ChoiceRule((ChoiceElement(A("a")), ChoiceElement(A("b"))), Const(1), Const(2))),
    (
        "{p(X) : q(X)} = 1.",
        ChoiceRule((ChoiceElement(A("p", X), (pos(A("q", X)),)),), Const(1), Const(1)),
    ),
    ("#show p/2.", Show("p", 2)),
    ("0.3::edge(a,b).", ProbFact(0.3, A("edge", "a", "b"))),
    ("1::a.", ProbFact(1.0, A("a"))),
    ("2.5e-1::a.", ProbFact(0.25, A("a"))),
    ("0.3::a(X) :- b(X).", ProbFact(0.3, A("a", X), (pos(A("b", X)),))),
    ("0.2::a; 0.5::b.", AnnotatedDisjunction(((0.2, A("a")), (0.5, A("b"))))),
    (
        "0.5::heads(C); 0.5::tails(C) :- coin(C).",
        AnnotatedDisjunction(((0.5, A("heads", C)), (0.5, A("tails", C))), (pos(A("coin", C)),)),
    ),
    ("query(p(a)).", Query(A("p", "a"))),
    ("evidence(p(a), true).", Evidence(A("p", "a"), True)),
    ("evidence(p(a), false).", Evidence(A("p", "a"), False)),
    ("evidence(p(a)).", Evidence(A("p", "a"), True)),
]


@pytest.mark.parametrize(("text", "expected"), STATEMENTS, ids=[t for t, _ in STATEMENTS])
def test_statement(text, expected):
    # query/evidence need their predicate defined; the definitions come first
    program = parse(DECLARED + " p(a). a. b. " + text)
    assert program.statements[-1] == expected


def test_neural_predicate():
    nn = one("nn(mnist_net, [X], Y, [0..9]) :: digit(X, Y).")
    assert nn == NeuralPredicate(
        "mnist_net", (X,), Y, tuple(Const(i) for i in range(10)), A("digit", X, Y)
    )
    nn = one("nn(net, [X, Y], Z, [a, b, c]) :: rel(X, Y, Z).")
    assert nn.inputs == (X, Y) and nn.output == Z
    assert nn.domain == (a, b, Const("c"))
    assert one("nn(n, [X], Y, [-1..1, 5]) :: d(Y, X).").domain == tuple(
        Const(i) for i in (-1, 0, 1, 5)
    )


# --- body items ------------------------------------------------------------------------------


def body(text: str):
    return one(f"h :- {text}.").body


@pytest.mark.parametrize(
    ("source", "op"),
    [
        ("=", "="),
        ("!=", "!="),
        ("<", "<"),
        ("<=", "<="),
        (">", ">"),
        (">=", ">="),
        ("\\=", "!="),
        ("\\==", "!="),
        ("==", "=="),  # binds nothing: see test_identity_comparisons_bind_nothing
        ("=<", "<="),
        ("=:=", "=="),
        ("=\\=", "!="),
        ("is", "="),
    ],
)
def test_comparison_operators(source, op):
    assert body(f"p(X,Y), X {source} Y")[1] == Comparison(op, X, Y)


COUNT_P = AggregateElement((X,), (pos(A("p", X)),))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#count{ X : p(X) } >= 2", Aggregate("count", (COUNT_P,), (Guard(">=", Const(2)),))),
        ("2 <= #count{ X : p(X) }", Aggregate("count", (COUNT_P,), (Guard(">=", Const(2)),))),
        ("N = #count{X : p(X)}", Aggregate("count", (COUNT_P,), (Guard("=", N),))),
        (
            "2 <= #sum{ W,X : w(X,W) } < 5",
            Aggregate(
                "sum",
                (AggregateElement((W, X), (pos(A("w", X, W)),)),),
                (Guard(">=", Const(2)), Guard("<", Const(5))),
            ),
        ),
        ("#min{X : p(X)} = 1", Aggregate("min", (COUNT_P,), (Guard("=", Const(1)),))),
        (
            "#max{X : p(X); Y : q(Y), not r(Y)} > 1",
            Aggregate(
                "max",
                (COUNT_P, AggregateElement((Y,), (pos(A("q", Y)), neg(A("r", Y))))),
                (Guard(">", Const(1)),),
            ),
        ),
        (
            "not #count{X : p(X)} > 1",
            Aggregate("count", (COUNT_P,), (Guard(">", Const(1)),), negated=True),
        ),
        ("#count{}", Aggregate("count", (), ())),
    ],
)
def test_aggregate(text, expected):
    assert body(f"n(N), {text}")[1] == expected


# --- terms -----------------------------------------------------------------------------------


def term(text: str):
    """The term ``text``, as the argument of a positive body literal (which makes it safe)."""
    return one(f":- b(X), q({text}).").body[1].atom.args[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X", X),
        ("_", Var("_")),
        ("_Foo", Var("_Foo")),
        ("42", Const(42)),
        ("-3", Const(-3)),
        ("-X", UnaryMinus(X)),
        ("abc", Const("abc")),
        ('"a \\"q\\" \\\\ b"', Str('a "q" \\ b')),
        ("f(a,X)", Func("f", (a, X))),
        ("(a,b)", Func("", (a, b))),
        ("()", Func("", ())),
        ("(X)", X),
        ("1+2*3**2", BinOp("+", Const(1), BinOp("*", Const(2), BinOp("**", Const(3), Const(2))))),
        ("(1+2)*3", BinOp("*", BinOp("+", Const(1), Const(2)), Const(3))),
        ("7-2-1", BinOp("-", BinOp("-", Const(7), Const(2)), Const(1))),
        ("7/2\\3", BinOp("\\", BinOp("/", Const(7), Const(2)), Const(3))),
        ("2**3**2", BinOp("**", Const(2), BinOp("**", Const(3), Const(2)))),
        ("1..3", Interval(Const(1), Const(3))),
        ("1..n+1", Interval(Const(1), BinOp("+", Const("n"), Const(1)))),
        ("1;2", Pool((Const(1), Const(2)))),
        ("(a;b)", Pool((a, b))),
        ("f(1;2)", Func("f", (Pool((Const(1), Const(2))),))),
    ],
)
def test_term(text, expected):
    assert term(text) == expected


def test_prolog_underscore_variable_renders_as_clingo_variable():
    rule = one("p(X) :- q(X, _foo), r(_foo).")
    assert rule.body[0].atom.args[1] == rule.body[1].atom.args[0]
    assert str(rule) == "p(X):-q(X,_V_foo),r(_V_foo)."


def test_lexing_of_dots_and_numbers():
    program = parse("p(1..3).q(2).0.5::a.1::b.")
    assert [str(s) for s in program.statements[:2]] == ["p((1..3)).", "q(2)."]
    assert program.statements[2] == ProbFact(0.5, A("a"))
    assert program.statements[3] == ProbFact(1.0, A("b"))


def test_keywords_only_in_their_positions():
    program = parse("""
        queryx(1). nnet. evidence_of(a) :- queryx(_).
        r :- query, nn(1), evidence, notx, isa, mod, div, rem.
        query(queryx(1)). evidence(evidence_of(a)).
        #defined query/0. #defined nn/1. #defined evidence/0. #defined notx/0. #defined isa/0.
        #defined mod/0. #defined div/0. #defined rem/0.
    """)
    assert program.statements[3].body[:2] == (pos(A("query")), pos(A("nn", 1)))
    assert program.queries == (Query(A("queryx", 1)),)


def test_comments():
    program = parse("% a line comment\na. %* a block\ncomment with . and :- *% b.\n%* *% c. % end")
    assert [str(s) for s in program.statements] == ["a.", "b.", "c."]


def test_empty_program():
    assert parse("  % nothing\n") == Program((), "<string>")


def test_program_helpers():
    program = parse("""
        nn(net, [X], Y, [0,1]) :: d(X,Y).
        a. query(a). evidence(a, false).
    """)
    assert len(program.neural_predicates) == 1
    assert program.queries == (Query(A("a")),)
    assert program.evidence == (Evidence(A("a"), False),)
    assert program.of_type(Rule) == (Rule(A("a")),)


def test_parse_file(tmp_path):
    path = tmp_path / "prog.nesy"
    path.write_text("a.\nb :- a.\n", encoding="utf-8")
    program = parse_file(path)
    assert program.source == str(path)
    assert program.statements[1].span.source == str(path)
    assert program.statements[1].span.line == 2


# --- spans -----------------------------------------------------------------------------------


def test_spans():
    program = parse(
        "a.\nh(X) :- b(X),\n   not c(X), X < 3.\n0.3 :: e.\n#defined b/1. #defined c/1.",
        "prog.nesy",
    )
    rule = program.statements[1]
    assert (rule.span.source, rule.span.line, rule.span.column) == ("prog.nesy", 2, 1)
    assert (rule.span.end_line, rule.span.end_column) == (3, 20)  # the '.' included
    assert (rule.head.span.line, rule.head.span.column, rule.head.span.end_column) == (2, 1, 5)
    assert (rule.head.args[0].span.line, rule.head.args[0].span.column) == (2, 3)
    negated = rule.body[1]
    assert (negated.span.line, negated.span.column, negated.span.end_column) == (3, 4, 12)
    assert (negated.atom.span.line, negated.atom.span.column) == (3, 8)
    comparison = rule.body[2]
    assert (comparison.span.line, comparison.span.column) == (3, 14)
    assert (comparison.right.span.line, comparison.right.span.column) == (3, 18)
    fact = program.statements[2]
    assert (fact.span.line, fact.span.column) == (4, 1)
    assert (fact.atom.span.line, fact.atom.span.column) == (4, 8)
    assert str(fact.span) == "prog.nesy:4:1"


def test_spans_ignored_by_equality():
    assert parse("a.\n\n  b.").statements[1] == parse("b.").statements[0]


# --- rendering to clingo ---------------------------------------------------------------------

ASP_PROGRAMS = [
    "p(1..3). q(X) :- p(X), X > 1. r(X,Y) :- p(X), p(Y), X < Y, not q(Y).",
    "p(1;2). s(N) :- N = #count{X : p(X)}. t :- 2 <= #sum{X,a : p(X)} < 5.",
    "p(1..4). m(M) :- M = #min{X : p(X)}. x(M) :- #max{X : p(X)} = M.\n"
    "u :- not #count{X : p(X)} > 9.",
    "{a; b; c}. :- a, b. 1 {d(X) : e(X)} 2 :- a. e(1..3). {f(X) : e(X)} = 1.",
    'v(-3). v(7). w(Y) :- v(X), Y = -X*2+X/2-X\\3. s("a \\"b\\"", (1,2), f(g(x))). z(X) :- v(-X).',
    "p((1;2), a). q(X) :- p(X+1, _). r(X) :- X = 1..2. t(X) :- p(Y, a), (X,Y) = (9,Y).",
]


def _models(text: str) -> list[list[str]]:
    ctl = clingo.Control(["0", "--warn=none"])
    ctl.add("base", [], text)
    ctl.ground([("base", [])])
    models: list[list[str]] = []
    ctl.solve(on_model=lambda m: models.append(sorted(str(s) for s in m.symbols(atoms=True))))
    return sorted(models)


@pytest.mark.parametrize("text", ASP_PROGRAMS)
def test_rendering_is_clingo_with_the_same_models(text):
    rendered = "\n".join(str(s) for s in parse(text).statements)
    assert _models(rendered) == _models(text)


def test_prolog_syntax_renders_to_clingo():
    text = (
        "p(1..3). q(X) :- p(X), \\+ r(X), X =< 2, Y is X*2, Y =\\= 3.\nr(3). r(Z) :- p(Z), Z == 9."
    )
    rendered = "\n".join(str(s) for s in parse(text).statements)
    assert _models(rendered) == [sorted(["p(1)", "p(2)", "p(3)", "q(1)", "q(2)", "r(3)"])]


def test_rendering_round_trips():
    text = "h(X) :- b(X,Y), not c(Y), X < Y+1, 2 <= #count{Z : d(Z,X)} < 4. b(1,2). c(3). d(1,1)."
    program = parse(text)
    again = parse("\n".join(str(s) for s in program.statements))
    assert again.statements == program.statements
