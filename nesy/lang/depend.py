"""Predicate dependencies of a program: where negation (or an aggregate) runs through recursion.

Read from the text, before grounding: a predicate-level cycle through ``not`` may still be
stratified once ground (``p(X) :- q(X), not p(X - 1).``), so this is a warning sign for choosing
a backend, not a refusal.
"""

from __future__ import annotations

import networkx as nx

from nesy.lang.check import head_atoms
from nesy.lang.ir import Aggregate, Atom, Literal, Program, Statement, walk

__all__ = ["negative_cycle"]


def negative_cycle(program: Program, aggregates: bool = False) -> Statement | None:
    """The first statement with a negative body literal (or, with ``aggregates``, an aggregate)
    on a cycle of predicate dependencies; ``None`` if there is none."""
    graph = nx.DiGraph()
    negative: list[tuple[str, str, Statement]] = []
    for statement in program.statements:
        heads = [a.predicate for a in head_atoms(statement)]
        for item in getattr(statement, "body", ()):
            if isinstance(item, Literal):
                names, is_negative = [item.atom.predicate], item.negated
            elif isinstance(item, Aggregate):
                names = [n.predicate for n in walk(item) if isinstance(n, Atom)]
                is_negative = aggregates
            else:
                continue
            for head in heads:
                for name in names:
                    graph.add_edge(head, name)
                    if is_negative:
                        negative.append((head, name, statement))
    component = {
        n: i for i, members in enumerate(nx.strongly_connected_components(graph)) for n in members
    }
    for head, name, statement in negative:
        if component[head] == component[name]:
            return statement
    return None
