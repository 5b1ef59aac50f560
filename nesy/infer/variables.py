"""The Boolean variables of a compiled query: one per ground choice, grouped into categoricals.

A probabilistic fact is one Boolean variable with weights (p, 1-p). An annotated disjunction or a
neural predicate instance is a categorical *group*: one indicator variable per value (plus a
``none`` value for an annotated disjunction whose probabilities sum below 1), weights (p_i, 1),
and an exactly-one constraint that the compiler conjoins into every root, so that weighted model
counting needs no smoothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import clingo

from nesy.ground.program import GroundProgram
from nesy.ground.translate import AD, NN, PF
from nesy.lang import ir

__all__ = ["FactVariable", "Group", "ChoiceVariables", "collect_choices"]


@dataclass(frozen=True, slots=True)
class FactVariable:
    """A probabilistic fact's ground instance: variable ``var`` true with ``probability``."""

    var: int
    atom: clingo.Symbol  # the choice atom in the ground program
    head: clingo.Symbol  # what it makes true, e.g. edge(a,b)
    probability: float


@dataclass(frozen=True, slots=True)
class Group:
    """A categorical: exactly one of ``vars`` holds.

    For a neural group ``network`` names the net and ``inputs`` its ground input terms; values
    follow the declared domain order. For an annotated disjunction ``probabilities`` are fixed
    and the last value is ``None`` (no head) when they sum below 1.
    """

    statement: int
    key: clingo.Symbol
    vars: tuple[int, ...]
    heads: tuple[clingo.Symbol | None, ...]  # what each value makes true
    atoms: tuple[int | None, ...]  # ground choice atom of each value (None: the residual)
    network: str | None = None
    inputs: tuple[clingo.Symbol, ...] = ()
    probabilities: tuple[float, ...] = ()

    @property
    def is_neural(self) -> bool:
        return self.network is not None


@dataclass(frozen=True, slots=True)
class ChoiceVariables:
    facts: tuple[FactVariable, ...]
    groups: tuple[Group, ...]
    var_of_atom: dict[int, int]

    @property
    def num_vars(self) -> int:
        return len(self.facts) + sum(len(g.vars) for g in self.groups)


def collect_choices(
    program: ir.Program, ground: GroundProgram, relevant: set[int], order: list[int]
) -> ChoiceVariables:
    """Number the relevant choice atoms 1..V, in ``order`` (atoms listed first come first)."""
    members: dict[tuple[int, clingo.Symbol], list[tuple[int, clingo.Symbol]]] = {}
    reserved = ground.reserved
    for atom, choice in ground.symbols.items():
        if reserved.get(atom) in (AD, NN):
            members.setdefault((choice.arguments[0].number, choice.arguments[1]), []).append(
                (atom, choice)
            )
    rank = {atom: i for i, atom in enumerate(order)}
    next_var = 1
    fact_vars: list[FactVariable] = []
    groups: list[Group] = []
    var_of_atom: dict[int, int] = {}
    seen_groups: set[tuple[int, clingo.Symbol]] = set()
    # Facts and whole groups are numbered as the order first meets them, so variables that
    # meet in rules stay close: the compiler's vtree follows this numbering.
    for atom in sorted(relevant, key=lambda a: rank.get(a, len(rank))):
        symbol = ground.symbols.get(atom)
        if symbol is None:
            continue
        kind = reserved.get(atom)
        if kind == PF:
            statement = program.statements[symbol.arguments[0].number]
            assert isinstance(statement, ir.ProbFact)
            fact = FactVariable(next_var, symbol, symbol.arguments[1], statement.probability)
            fact_vars.append(fact)
            var_of_atom[atom] = next_var
            next_var += 1
        elif kind in (AD, NN):
            index, key = symbol.arguments[0].number, symbol.arguments[1]
            if (index, key) in seen_groups:
                continue
            seen_groups.add((index, key))
            group = _group(program.statements[index], index, key, members[index, key], next_var)
            next_var += len(group.vars)
            for member, var in zip(group.atoms, group.vars, strict=True):
                if member is not None:
                    var_of_atom[member] = var
            groups.append(group)
    return ChoiceVariables(tuple(fact_vars), tuple(groups), var_of_atom)


def _group(
    statement: ir.Statement,
    index: int,
    key: clingo.Symbol,
    members: list[tuple[int, clingo.Symbol]],
    first: int,
) -> Group:
    """Every value of the categorical, in declared order, even those the program cannot use.

    A member's third argument names its value: the domain value of a neural predicate, the
    head's position in an annotated disjunction; its fourth is the atom it makes true.
    """
    by_value = {str(s.arguments[2]): (atom, s.arguments[3]) for atom, s in members}
    if isinstance(statement, ir.NeuralPredicate):
        values = [str(v) for v in statement.domain]
        probabilities: list[float] = []
    else:
        assert isinstance(statement, ir.AnnotatedDisjunction)
        values = [str(i) for i in range(len(statement.heads))]
        probabilities = [p for p, _ in statement.heads]
    found = [by_value.get(v, (None, None)) for v in values]
    residual = 1.0 - sum(probabilities)
    if probabilities and residual > 1e-12:  # "no head" is a value of its own
        found.append((None, None))
        probabilities.append(residual)
    neural = statement if isinstance(statement, ir.NeuralPredicate) else None
    return Group(
        statement=index,
        key=key,
        vars=tuple(range(first, first + len(found))),
        heads=tuple(head for _, head in found),
        atoms=tuple(atom for atom, _ in found),
        network=None if neural is None else neural.network,
        inputs=() if neural is None else tuple(key.arguments),
        probabilities=tuple(probabilities),
    )
