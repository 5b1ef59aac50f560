"""First-argument indexing of a predicate's clauses, as Prolog systems do.

A call such as ``effect(12)`` of a predicate with thousands of clauses should try only the
clauses whose head could match ``12``, not rename and unify every one of them: the top-down
grounder would otherwise spend time quadratic in the program on programs with many facts or
many queries.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Sequence

from nesy.lang.prolog import Clause
from nesy.lang.prolog_term import Struct, Term, Text, Var

__all__ = ["FirstArgumentIndex", "first_key"]

# Below this many clauses a scan is as cheap as a look-up.
_SMALL = 8

Entry = tuple[int, Clause]  # (clause index, clause), in program order


def first_key(term: Term) -> Hashable | None:
    """What an argument must agree on to unify: functor and arity, or the constant itself
    (``1`` and ``1.0`` differ, as in Prolog); ``None`` for a variable, which matches anything."""
    if isinstance(term, Var):
        return None
    if isinstance(term, Struct):
        return (term.name, len(term.args))
    if isinstance(term, Text):
        return ('"', term.value)
    return (type(term).__name__, term)


class FirstArgumentIndex:
    """The clauses that may match a call, chosen by its first argument; built per predicate
    the first time it is called with a bound first argument."""

    def __init__(self) -> None:
        # signature -> (clauses indexed, clauses by key, clauses with a variable first argument)
        self._tables: dict[
            tuple[str, int], tuple[int, dict[Hashable, list[Entry]], list[Entry]]
        ] = {}

    def select(self, goal: Struct, first: Term | None, clauses: Sequence[Entry]) -> Sequence[Entry]:
        """The entries of ``clauses`` (all of ``goal``'s predicate) whose heads may unify with
        ``goal``, whose first argument is ``first`` after dereferencing (None: it has no
        arguments); program order kept."""
        key = None if first is None else first_key(first)
        if key is None or len(clauses) < _SMALL:
            return clauses
        table = self._tables.get(goal.signature)
        if table is None or table[0] != len(clauses):  # a predicate's clauses only grow
            table = self._tables[goal.signature] = (len(clauses), *_build(goal, clauses))
        return table[1].get(key, table[2])


def _build(
    goal: Struct, clauses: Sequence[Entry]
) -> tuple[dict[Hashable, list[Entry]], list[Entry]]:
    keyed: dict[Hashable, list[Entry]] = {}
    anything: list[Entry] = []
    for entry in clauses:
        keys = {first_key(h.args[0]) for _, h in entry[1].heads if h.signature == goal.signature}
        if None in keys:
            anything.append(entry)
            continue
        for key in keys:
            keyed.setdefault(key, []).append(entry)
    if anything:  # clauses with a variable first argument match every key, in their place
        keyed = {
            key: list(heapq.merge(found, anything, key=lambda e: e[0]))
            for key, found in keyed.items()
        }
    return keyed, anything
