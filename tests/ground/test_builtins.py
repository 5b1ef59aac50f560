"""Built-ins that unify twice (functor/3, atom_concat/3): the second unification runs also
when the first leaves the substitution empty, as it does for ground arguments (an empty
substitution is falsy, and was once taken for a failure that then passed as a success)."""

from __future__ import annotations

from nesy.ground.builtins import BUILTINS
from nesy.ground.unify import Env
from nesy.infer.query import query_problog
from nesy.lang.prolog_term import Struct, Term, Var


def _solutions(name: str, *args: Term) -> list[Env]:
    return list(BUILTINS[(name, len(args))](args, {}))


def test_functor_checks_the_arity_once_the_name_agrees():
    term = Struct("foo", (Struct("x"),))
    assert _solutions("functor", term, Struct("foo"), 2) == []
    assert _solutions("functor", term, Struct("foo"), 1) == [{}]
    assert _solutions("functor", Struct("a"), Struct("a"), 1) == []
    assert _solutions("functor", 3, 3, 0) == [{}]


def test_atom_concat_binds_the_rest_of_a_given_prefix():
    rest = Var()
    assert _solutions("atom_concat", Struct("ab"), rest, Struct("abc")) == [{rest: Struct("c")}]
    assert _solutions("atom_concat", Struct("ab"), Struct("d"), Struct("abc")) == []


def test_a_failed_arity_is_probability_zero_as_in_problog():
    # ProbLog 2.3 answers a: 0, b: 1
    program = "a :- functor(foo(x), foo, 2).\nb :- functor(foo(x), foo, 1).\nquery(a). query(b).\n"
    assert query_problog(program) == {"a": 0.0, "b": 1.0}
