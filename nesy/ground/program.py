"""The ground program as clingo's observer reports it: integer atoms, rules, weight rules.

Follows clingox's ``Program``: an atom is a positive ``int``; a body literal is ``+atom`` or
``-atom`` (default negation). The ``symbols`` table maps atoms back to clingo symbols; an atom
that clingo proved to be a fact is listed in ``facts`` instead. The ``choices`` table says which
atoms are probabilistic or neural choices and what each stands for.
"""

from __future__ import annotations

from dataclasses import dataclass

import clingo

from nesy.ground.choices import ChoiceTable

__all__ = ["GroundRule", "GroundWeightRule", "GroundProgram"]


@dataclass(frozen=True, slots=True)
class GroundRule:
    """``head :- body``; ``choice`` marks ``{head} :- body``; an empty head is a constraint."""

    choice: bool
    head: tuple[int, ...]
    body: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class GroundWeightRule:
    """``head :- lower <= #sum{w1: l1; ...}`` (clingo's weight rule)."""

    choice: bool
    head: tuple[int, ...]
    lower: int
    body: tuple[tuple[int, int], ...]  # (literal, weight)


@dataclass(frozen=True, slots=True)
class GroundProgram:
    """Everything the compiler needs, as plain data: the rules, the atoms' symbols and the
    choices."""

    rules: tuple[GroundRule, ...]
    weight_rules: tuple[GroundWeightRule, ...]
    symbols: dict[int, clingo.Symbol]  # atom -> symbol, for atoms clingo shows
    facts: frozenset[clingo.Symbol]  # symbols clingo derived as facts
    choices: ChoiceTable

    def atom_of(self) -> dict[clingo.Symbol, int]:
        return {symbol: atom for atom, symbol in self.symbols.items()}

    @property
    def size(self) -> int:
        return len(self.rules) + len(self.weight_rules)
