"""The Boolean variables of a compiled query: one per relevant ground choice, grouped into
categoricals.

A probabilistic fact is one Boolean variable with weights (p, 1-p). An annotated disjunction or a
neural predicate instance is a categorical *group*: one indicator variable per value (plus a
``none`` value for an annotated disjunction whose probabilities sum below 1), weights (p_i, 1),
and an exactly-one constraint that the compiler conjoins into every root, so that weighted model
counting needs no smoothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from nesy.ground.choices import ChoiceTable, FactChoice, GroupChoice

__all__ = ["FactVariable", "GroupVariables", "ChoiceVariables", "number_choices"]


@dataclass(frozen=True, slots=True)
class FactVariable:
    """A probabilistic fact's ground instance as variable ``var``."""

    var: int
    choice: FactChoice


@dataclass(frozen=True, slots=True)
class GroupVariables:
    """A categorical as the variables ``vars``, one per value of ``choice``, in its order:
    exactly one of them holds."""

    vars: tuple[int, ...]
    choice: GroupChoice


@dataclass(frozen=True, slots=True)
class ChoiceVariables:
    facts: tuple[FactVariable, ...]
    groups: tuple[GroupVariables, ...]
    var_of_atom: dict[int, int]  # choice atom -> its variable

    @property
    def num_vars(self) -> int:
        return len(self.facts) + sum(len(g.vars) for g in self.groups)

    def blocks(self) -> list[tuple[int, ...]]:
        """The variables in blocks that a vtree keeps together (a fact's, a whole group's), in
        order of their first variable."""
        return sorted([(f.var,) for f in self.facts] + [g.vars for g in self.groups])


def number_choices(table: ChoiceTable, relevant: set[int], order: list[int]) -> ChoiceVariables:
    """Number the choices of the ``relevant`` atoms 1..V in ``order`` (atoms listed first come
    first; a relevant atom missing from it comes last)."""
    rank = {atom: i for i, atom in enumerate(order)}
    next_var = 1
    facts: list[FactVariable] = []
    groups: list[GroupVariables] = []
    var_of_atom: dict[int, int] = {}
    numbered: set[int] = set()  # groups, by their index in the table
    # Facts and whole groups are numbered as the order first meets them, so variables that
    # meet in rules stay close: the compiler's vtree follows this numbering.
    for atom in sorted(relevant, key=lambda a: rank.get(a, len(rank))):
        fact = table.fact_of.get(atom)
        if fact is not None:
            facts.append(FactVariable(next_var, table.facts[fact]))
            var_of_atom[atom] = next_var
            next_var += 1
            continue
        index = table.group_of.get(atom)
        if index is None or index in numbered:
            continue
        numbered.add(index)
        group = table.groups[index]
        variables = tuple(range(next_var, next_var + len(group.atoms)))
        next_var += len(variables)
        for member, var in zip(group.atoms, variables, strict=True):
            if member is not None:
                var_of_atom[member] = var
        groups.append(GroupVariables(variables, group))
    return ChoiceVariables(tuple(facts), tuple(groups), var_of_atom)
