"""Substitutions over Prolog terms: dereference, unify, resolve, rename, variants, order.

A substitution is a plain ``dict`` from :class:`Var` to term, never mutated once made: binding
returns a new dict, so that a solver can keep every alternative it is still exploring.
"""

from __future__ import annotations

from typing import overload

from nesy.lang.prolog_term import Struct, Term, Text, Var

__all__ = [
    "Env",
    "walk",
    "resolve",
    "unify",
    "rename",
    "variant",
    "instantiate",
    "is_ground",
    "order_key",
]

#: A substitution: each bound variable and its value (never mutated once made).
Env = dict[Var, Term]
#: A term's place in Prolog's standard order of terms (see :func:`order_key`)
OrderKey = tuple[object, ...]


def walk(term: Term, env: Env) -> Term:
    while isinstance(term, Var) and term in env:
        term = env[term]
    return term


@overload
def resolve(term: Struct, env: Env) -> Struct: ...
@overload
def resolve(term: Term, env: Env) -> Term: ...
def resolve(term: Term, env: Env) -> Term:
    """``term`` with every bound variable replaced by its value, all the way down."""
    term = walk(term, env)
    if isinstance(term, Struct) and term.args:
        args = tuple(resolve(a, env) for a in term.args)
        return term if args == term.args else Struct(term.name, args)
    return term


def _same_number(a: Term, b: Term) -> bool:
    # Prolog: 1 and 1.0 are different terms (Python says they are equal)
    return type(a) is type(b) and a == b


def unify(a: Term, b: Term, env: Env) -> Env | None:
    """The substitution that extends ``env`` to make ``a`` and ``b`` equal, or None."""
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        x, y = walk(x, env), walk(y, env)
        if x is y:
            continue
        if isinstance(x, Var):
            env = {**env, x: y}
        elif isinstance(y, Var):
            env = {**env, y: x}
        elif isinstance(x, Struct):
            if not (isinstance(y, Struct) and x.name == y.name and len(x.args) == len(y.args)):
                return None
            if x is not y and x != y:
                pairs.extend(zip(x.args, y.args, strict=True))
        elif isinstance(x, Text):
            if x != y:
                return None
        elif not _same_number(x, y):
            return None
    return env


@overload
def rename(term: Struct, fresh: dict[Var, Var]) -> Struct: ...
@overload
def rename(term: Term, fresh: dict[Var, Var]) -> Term: ...
def rename(term: Term, fresh: dict[Var, Var]) -> Term:
    """A copy of ``term`` with new variables (``fresh`` maps old to new, filled as it goes)."""
    if isinstance(term, Var):
        new = fresh.get(term)
        if new is None:
            new = fresh[term] = Var(term.name)
        return new
    if isinstance(term, Struct) and term.args:
        return Struct(term.name, tuple(rename(a, fresh) for a in term.args))
    return term


_PLACEHOLDER = "$VAR"


def variant(term: Term) -> Term:
    """A key equal for terms equal up to variable names: variables become ``$VAR(n)``."""
    numbering: dict[Var, Struct] = {}

    def visit(t: Term) -> Term:
        if isinstance(t, Var):
            found = numbering.get(t)
            if found is None:
                found = numbering[t] = Struct(_PLACEHOLDER, (len(numbering),))
            return found
        if isinstance(t, Struct) and t.args:
            args = tuple(visit(a) for a in t.args)
            return t if args == t.args else Struct(t.name, args)
        return t

    return visit(term)


def instantiate(term: Term) -> Term:
    """The inverse of :func:`variant`: fresh variables for the placeholders."""
    fresh: dict[int, Var] = {}

    def visit(t: Term) -> Term:
        if isinstance(t, Struct):
            if t.name == _PLACEHOLDER and len(t.args) == 1 and isinstance(t.args[0], int):
                return fresh.setdefault(t.args[0], Var())
            if t.args:
                return Struct(t.name, tuple(visit(a) for a in t.args))
        return t

    return visit(term)


def is_ground(term: Term) -> bool:
    stack = [term]
    while stack:
        t = stack.pop()
        if isinstance(t, Var):
            return False
        if isinstance(t, Struct):
            if t.name == _PLACEHOLDER:
                return False
            stack.extend(t.args)
    return True


def order_key(term: Term) -> OrderKey:
    """Prolog's standard order of terms: Var < Number < Atom < String < Compound."""
    if isinstance(term, Var):
        return (0, term.id)
    if isinstance(term, bool):  # pragma: no cover - never a term
        raise TypeError(term)
    if isinstance(term, int | float):
        return (1, float(term), 0) if isinstance(term, float) else (1, term, 1)
    if isinstance(term, Struct) and not term.args:
        return (3, term.name)
    if isinstance(term, Text):
        return (4, term.value)
    return (5, len(term.args), term.name, tuple(order_key(a) for a in term.args))
