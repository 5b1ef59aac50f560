"""First-argument indexing of clauses (nesy.ground.clause_index)."""

from nesy.ground.clause_index import FirstArgumentIndex
from nesy.lang.prolog import parse_prolog
from nesy.lang.prolog_term import Struct, Text, Var


def _entries(text: str):
    return list(enumerate(parse_prolog(text).statements))


def _heads(entries) -> list[int]:
    """Each clause by its number (the second argument of its first head)."""
    return [clause.heads[0][1].args[1] for _, clause in entries]


TEXT = (
    "p(a, 1). p(b, 2). p(X, 3). p(1, 4). p(1.0, 5). p(f(a), 6). p(f(b, c), 7). "
    'p(a, 8). p("a", 9). 0.5::p(a, 10); 0.5::p(c, 11).'
)


def test_a_bound_first_argument_selects_matching_clauses_in_program_order():
    entries = _entries(TEXT)
    index = FirstArgumentIndex()
    goal = Struct("p", (Struct("a"), Var()))
    assert _heads(index.select(goal, Struct("a"), entries)) == [1, 3, 8, 10]
    assert _heads(index.select(goal, Struct("c"), entries)) == [3, 10]


def test_numbers_strings_and_compound_terms_are_told_apart():
    entries = _entries(TEXT)
    index = FirstArgumentIndex()
    goal = Struct("p", (Var(), Var()))
    assert _heads(index.select(goal, 1, entries)) == [3, 4]
    assert _heads(index.select(goal, Struct("f", (Var(),)), entries)) == [3, 6]
    assert _heads(index.select(goal, Struct("f", (Var(), Var())), entries)) == [3, 7]
    assert _heads(index.select(goal, Text("a"), entries)) == [3, 9]
    assert _heads(index.select(goal, Struct("zzz"), entries)) == [3]


def test_an_unbound_first_argument_or_few_clauses_keeps_every_clause():
    entries = _entries(TEXT)
    index = FirstArgumentIndex()
    goal = Struct("p", (Var(), Var()))
    assert index.select(goal, Var(), entries) is entries
    few = entries[:3]
    assert index.select(goal, Struct("a"), few) is few
