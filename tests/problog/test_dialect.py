"""The ProbLog dialect (``.pl`` files): ProbLog 2.3 is the oracle for every probability.

The programs are written here in the style of ProbLog's own examples, one feature each that the
clingo-grounded dialect cannot express: lists, findall/3 over probabilistic facts, flexible
probabilities, non-ground probabilistic facts, Prolog arithmetic, negated conjunctions, queries
and evidence written as rules.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from nesy.errors import NesyError
from nesy.infer.query import query_problog

PROGRAMS = {
    "findall over probabilistic facts": """
        0.3::a(1). 0.4::a(2).
        f(L) :- findall(X, a(X), L).
        query(f(_)).
    """,
    "findall keeps one solution per proof": """
        0.3::p(a). 0.2::p(b). 0.4::p(a).
        q(L) :- findall(X, p(X), L).
        query(q(_)).
    """,
    "flexible probabilities": """
        weight(skis, 6). weight(boots, 4). weight(helmet, 3). weight(gloves, 2).
        P::pack(Item) :- weight(Item, W), P is 1.0 / W.
        excess(Limit) :- excess([skis, boots, helmet, gloves], Limit).
        excess([], Limit) :- Limit < 0.
        excess([I|R], Limit) :- pack(I), weight(I, W), L is Limit - W, excess(R, L).
        excess([I|R], Limit) :- \\+ pack(I), excess(R, Limit).
        query(excess(8)).
    """,
    "non-ground probabilistic facts, one independent choice per instance": """
        0.5::b(X).
        c :- b(1), b(2).
        query(b(1)). query(c).
    """,
    "annotated disjunction with a body, arithmetic labels": """
        1/6::die(D, 1); 1/6::die(D, 2); 1/6::die(D, 3);
        1/6::die(D, 4); 1/6::die(D, 5); 1/6::die(D, 6) <- dice(D).
        dice(a). dice(b).
        sum(S) :- die(a, X), die(b, Y), S is X + Y.
        odd :- sum(S), S mod 2 =:= 1.
        query(sum(7)). query(odd).
    """,
    "disjunction and negated conjunction in bodies": """
        0.6::a. 0.3::b. 0.8::c.
        x :- a ; b.
        y :- \\+ (a, b), c.
        z :- not(c).
        query(x). query(y). query(z).
    """,
    "query and evidence as rules": """
        node(1). node(2). node(3).
        0.4::on(N) :- node(N).
        query(on(N)) :- node(N), N > 1.
        evidence(on(1), true).
        some :- on(1) ; on(3).
        query(some).
    """,
    "quoted atoms, strings and floats as arguments": """
        0.2::city('New York', 8.4). 0.7::city(paris, 2.1).
        big(C) :- city(C, M), M > 5.0.
        query(big(_)).
    """,
    "lists, between, length, call/N and maplist from their libraries": """
        :- use_module(library(lists)).
        :- use_module(library(apply)).
        0.5::keep(X) :- between(1, 4, X).
        kept(L) :- findall(X, (between(1, 4, X), keep(X)), L).
        size(N) :- kept(L), length(L, N).
        double(X, Y) :- Y is 2 * X.
        doubled(D) :- kept(L), maplist(double, L, D).
        has(X) :- kept(L), member(X, L).
        big :- call(has, 4).
        query(size(_)). query(big). query(doubled([2, 4])).
    """,
    "integers and floats are different terms; operators keep their parentheses": """
        p(1.0). p(-(2)). p(a-(b-c)). p((a-b)-c). p(a*(b+c)). p(-(-(1))). p(-(a-b)).
        q :- p(1).
        r :- X is 3 / 2, Y is X * 2, Y =:= 3.
        s :- -(2) == -2.
        t(X) :- X is +(1, 2) - 1.0.
        query(p(_)). query(q). query(r). query(s). query(t(_)).
    """,
    "recursion through a cyclic graph": """
        0.6::edge(a, b). 0.5::edge(b, c). 0.7::edge(c, a). 0.2::edge(a, c).
        path(X, Y) :- edge(X, Y).
        path(X, Y) :- edge(X, Z), path(Z, Y).
        query(path(a, _)).
    """,
    # The grounder completes a recursion in one pass by solving again each call that read a
    # table before the table grew; these programs read tables early in other ways.
    "calls that read an ancestor's table before it grows, from several entry points": """
        0.6::edge(a, b). 0.5::edge(b, c). 0.7::edge(c, a). 0.4::edge(c, d). 0.3::edge(d, b).
        path(X, Y) :- edge(X, Y).
        path(X, Y) :- edge(X, Z), path(Z, Y).
        query(path(d, a)). query(path(b, _)). query(path(a, d)).
    """,
    "negation over a cyclic recursion": """
        node(a). node(b). node(c).
        0.6::edge(a, b). 0.5::edge(b, c). 0.7::edge(c, a). 0.2::edge(b, a).
        path(X, Y) :- edge(X, Y).
        path(X, Y) :- edge(X, Z), path(Z, Y).
        cut_off(X) :- node(X), \\+ path(a, X).
        link(a, b). link(b, a). link(c, c).
        loop(X, Y) :- link(X, Y).
        loop(X, Y) :- link(X, Z), loop(Z, Y).
        hub(X) :- node(X), \\+ \\+ loop(X, a), edge(X, b).
        hub(X) :- node(X), \\+ loop(X, a), \\+ path(X, a).
        query(cut_off(_)). query(hub(_)).
    """,
    "an answer that becomes certain after it was read as uncertain": """
        0.5::e(a, b). e(b, c). e(c, a). e(a, b).
        path(X, Y) :- e(X, Y).
        path(X, Y) :- e(X, Z), path(Z, Y).
        odd :- path(b, a), \\+ path(c, b).
        query(path(c, _)). query(odd).
    """,
}


def problog(text: str) -> dict[str, float]:
    from problog import get_evaluatable
    from problog.program import PrologString

    result = get_evaluatable().create_from(PrologString(text)).evaluate()
    return {str(k): float(v) for k, v in result.items()}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_answers_equal_problog(name):
    text = PROGRAMS[name]
    ours = query_problog(text)
    theirs = problog(text)
    assert set(ours) == set(theirs)
    for atom, p in theirs.items():
        assert ours[atom] == pytest.approx(p, abs=1e-9), atom


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("p :- undefined_thing. query(p).", "undefined_thing/0"),
        ("p :- member(a, [a]). query(p).", "use_module(library(lists))"),
        ("p :- maplist(atom, [a]). query(p).", "in library(apply)"),
        ("p :- sum_list([1], 1). query(p).", "in library(lists)"),
        ("p :- a, !. a. query(p).", "cut"),
        ("p :- assert(a). query(p).", "assert/1"),
        ("0.5::b(X). query(b(_)).", "NonGroundProbabilistic"),
        ("nat(0). nat(N) :- nat(M), N is M + 1. query(nat(-1)).", "answers for one call"),
        ("down(N) :- M is N + 1, down(M). query(down(0)).", "down/1"),
        ("a(1). a(L) :- findall(X, a(X), L). query(a(_)).", "IndirectCallCycleError"),
        ("0.5::c. p :- (c -> true ; fail). query(p).", "if-then-else"),
        ("0.5::a. 0.5::\\+b :- a. query(a).", "negative head"),
        ("p(X) :- X is foo + 1. query(p(_)).", "foo/0"),
        ("p(X) :- X is 1 / 0. query(p(_)).", "division by zero"),
        ("p :- X is 2 ** 100000000. query(p).", "bits"),
        (":- initialization(main). a. query(a).", "initialization"),
        ("a(1). query(clause(a(X), true)).", "built-in clause/2"),
        ("0.3::s:a. query(s:a).", "scoped atoms"),
        ("d(D, avg<S>) :- s(D, S). s(x, 1). query(d(_, _)).", "aggregate heads"),
        ("p(L) :- (s(X) => L / list(X)). query(p(_)).", "aggregate operator '=>'"),
        ("0.5::a. 0.5::b. q :- a. evidence(a, true). evidence(a, false). query(q).", "evidence"),
    ],
)
def test_what_it_cannot_answer_is_an_error_naming_it(text, named):
    with pytest.raises(NesyError, match=re.escape(named)):
        query_problog(text)


def test_an_error_in_a_query_points_at_the_query():
    with pytest.raises(NesyError) as caught:
        query_problog("a.\nquery(\\+ b).\n")
    assert "b/0" in str(caught.value) and caught.value.span.line == 2


def test_aggregate_all_counts_per_world():
    """ProbLog 2.3 has no aggregate_all/3; the count of three fair coins is binomial."""
    text = "0.5::coin(1). 0.5::coin(2). 0.5::coin(3). h(N) :- aggregate_all(count, coin(_), N). "
    answers = query_problog(text + "query(h(_)).")
    assert answers == pytest.approx({"h(0)": 1 / 8, "h(1)": 3 / 8, "h(2)": 3 / 8, "h(3)": 1 / 8})


def test_deterministic_if_then_else_and_problog_arithmetic():
    """ProbLog 2.3 has no (C -> T ; E) (UnknownClause '->'/2); nesy takes it where C does not
    depend on a probabilistic choice, with ProbLog's arithmetic: 7 / 2 is 3.5."""
    text = """
        half(X, H) :- (X mod 2 =:= 0 -> H is X // 2 ; H is X / 2).
        0.3::pick(4). 0.6::pick(7).
        h(H) :- pick(X), half(X, H).
        query(h(_)).
    """
    assert query_problog(text) == pytest.approx({"h(2)": 0.3, "h(3.5)": 0.6})


def test_no_proof_is_probability_zero_as_in_problog():
    text = "0.3::a(1). f(L) :- findall(X, a(X), L). query(f([2])). query(f([_, _]))."
    assert query_problog(text) == {"f([2])": 0.0, "f([X3, X4])": 0.0}


def test_cli_reads_pl_files_in_the_problog_dialect(tmp_path):
    program = tmp_path / "dice.pl"
    program.write_text(
        ":- use_module(library(lists)).\n"
        "1/2::h(X) :- member(X, [a, b]).\nboth :- h(a), h(b).\nquery(both).\n"
    )
    run = [sys.executable, "-m", "nesy", "query", str(program)]
    done = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["both:", "0.25"]
    # the clingo dialect does not know member/2: asked for, it says so instead of answering
    done = subprocess.run([*run, "--dialect", "nesy"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr


def test_the_cycle_collector_is_back_after_an_answer_and_after_an_error():
    import gc

    assert gc.isenabled()
    query_problog("0.5::a. query(a).")
    assert gc.isenabled()
    with pytest.raises(NesyError):
        query_problog("p :- undefined_thing. query(p).")
    assert gc.isenabled()
