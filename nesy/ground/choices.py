"""The table of choices that grounding hands to compilation beside the ground rules.

A *choice* is one ground instance of a probabilistic fact, an annotated disjunction or a neural
predicate: the ground atoms that stand for its values, what each value makes true, its
probabilities (or the network and inputs that give them) and the span of the statement it comes
from. The compiler reads everything it needs about a choice here: it never looks back into the
program's statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import clingo

from nesy.lang import ir

__all__ = [
    "FactChoice",
    "GroupChoice",
    "ChoiceTable",
    "ChoiceTableBuilder",
    "group_choice",
    "group_values",
]

RESIDUAL_TOLERANCE = 1e-12  # below this, an annotated disjunction has no "no head" value


@dataclass(frozen=True, slots=True)
class FactChoice:
    """A probabilistic fact's ground instance: ``atom`` (a ground atom with no rules of its own)
    is true with ``probability``, and makes ``head`` true."""

    atom: int
    head: clingo.Symbol
    probability: float
    span: ir.Span | None


@dataclass(frozen=True, slots=True)
class GroupChoice:
    """A categorical choice: exactly one of its values holds.

    ``atoms[v]`` is the ground atom of value ``v`` and ``heads[v]`` the atom it makes true;
    both are ``None`` for an annotated disjunction's residual value (no head, when its
    probabilities sum below 1) and for a value that grounding did not produce. A neural group's
    values follow the declared domain and get their probabilities from ``network`` applied to
    ``inputs``; an annotated disjunction's are ``probabilities``.
    """

    atoms: tuple[int | None, ...]
    heads: tuple[clingo.Symbol | None, ...]
    probabilities: tuple[float, ...]
    network: str | None
    inputs: tuple[clingo.Symbol, ...]
    span: ir.Span | None


@dataclass(frozen=True, slots=True)
class ChoiceTable:
    """Every choice of a ground program, and which choice each choice atom belongs to."""

    facts: tuple[FactChoice, ...]
    groups: tuple[GroupChoice, ...]
    fact_of: dict[int, int]  # choice atom -> index into ``facts``
    group_of: dict[int, int]  # choice atom -> index into ``groups``

    def __contains__(self, atom: int) -> bool:
        return atom in self.fact_of or atom in self.group_of


class ChoiceTableBuilder:
    """Collects choices as a grounder meets them."""

    def __init__(self) -> None:
        self.facts: list[FactChoice] = []
        self.groups: list[GroupChoice] = []
        self.fact_of: dict[int, int] = {}
        self.group_of: dict[int, int] = {}

    def fact(self, choice: FactChoice) -> None:
        self.fact_of[choice.atom] = len(self.facts)
        self.facts.append(choice)

    def group(self, choice: GroupChoice) -> None:
        for atom in choice.atoms:
            if atom is not None:
                self.group_of[atom] = len(self.groups)
        self.groups.append(choice)

    def build(self) -> ChoiceTable:
        return ChoiceTable(tuple(self.facts), tuple(self.groups), self.fact_of, self.group_of)


def group_values(
    statement: ir.AnnotatedDisjunction | ir.NeuralPredicate,
) -> tuple[list[str], list[float]]:
    """The values of ``statement``'s categorical, as the text a grounder keys them by, and the
    fixed probability of each: a neural predicate's domain values (no fixed probabilities), or
    an annotated disjunction's head positions, plus the residual "no head" value (keyed ``""``)
    when its probabilities sum below 1."""
    if isinstance(statement, ir.NeuralPredicate):
        return [str(v) for v in statement.domain], []
    values = [str(i) for i in range(len(statement.heads))]
    probabilities = [p for p, _ in statement.heads]
    residual = 1.0 - sum(probabilities)
    if residual > RESIDUAL_TOLERANCE:
        values.append("")
        probabilities.append(residual)
    return values, probabilities


def group_choice(
    statement: ir.AnnotatedDisjunction | ir.NeuralPredicate,
    members: dict[str, tuple[int, clingo.Symbol]],
    inputs: Sequence[clingo.Symbol] = (),
) -> GroupChoice:
    """The group of ``statement`` whose grounded values are ``members`` (value key -> its
    choice atom and the atom it makes true); every declared value is a value of the group,
    even one the program cannot use."""
    values, probabilities = group_values(statement)
    found = [members.get(v) for v in values]
    return GroupChoice(
        atoms=tuple(None if f is None else f[0] for f in found),
        heads=tuple(None if f is None else f[1] for f in found),
        probabilities=tuple(probabilities),
        network=statement.network if isinstance(statement, ir.NeuralPredicate) else None,
        inputs=tuple(inputs),
        span=statement.span,
    )
