"""The compiler's first stage after grounding: the queries and the evidence as ground atoms.

A query template such as ``addition(tensor(a), tensor(b), S)`` has one *answer* per ground
atom that matches it; a ground query that the program cannot derive is an answer of
probability 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import clingo

from nesy.errors import NesyTypeError
from nesy.ground.program import GroundProgram
from nesy.lang import ir

__all__ = ["Targets", "match_targets", "match"]

NEVER = -1  # the atom of an answer the program cannot derive
FACT = 0  # the atom of an answer that holds in every total choice


@dataclass(frozen=True, slots=True)
class Targets:
    """What the circuit's roots are about, as atoms of the ground program (:data:`FACT` for a
    fact, :data:`NEVER` for an underivable answer)."""

    answers: tuple[tuple[clingo.Symbol, int], ...]  # (answer, its atom), in root order
    evidence: tuple[tuple[int, bool], ...]  # (atom, observed value)

    @property
    def roots(self) -> list[int]:
        """The atoms the circuit depends on: the evidence's, then the answers'."""
        return [a for a, _ in self.evidence if a > 0] + [a for _, a in self.answers if a > 0]


def match_targets(
    ground: GroundProgram, queries: tuple[ir.Atom, ...], evidence: tuple[ir.Evidence, ...]
) -> Targets:
    """Every ground instance of the queries, and the evidence's atoms.

    Raises
    ------
    NesyTypeError
        For evidence with variables, or a query term that cannot be matched (at its span).
    """
    index = _AtomIndex(ground)
    answers = tuple(pair for atom in queries for pair in index.instances(atom))
    observed: list[tuple[int, bool]] = []
    for item in evidence:
        if _has_variables(item.atom):
            raise NesyTypeError("evidence must be ground", item.span)
        observed += [(a, item.value) for _, a in index.instances(item.atom)]
    return Targets(answers, tuple(observed))


def match(
    pattern: ir.Term | ir.Atom, symbol: clingo.Symbol, binding: dict[str, clingo.Symbol]
) -> bool:
    """Unify an IR pattern (variables allowed) with a ground symbol, extending ``binding``."""
    if isinstance(pattern, ir.Var):
        if pattern.name == "_":
            return True
        bound = binding.setdefault(pattern.name, symbol)
        return bound == symbol
    if isinstance(pattern, ir.Const):
        if isinstance(pattern.value, int):
            return symbol.type == clingo.SymbolType.Number and symbol.number == pattern.value
        return symbol.match(pattern.value, 0)
    if isinstance(pattern, ir.UnaryMinus) and isinstance(pattern.arg, ir.Const):
        return symbol.type == clingo.SymbolType.Number and symbol.number == -int(pattern.arg.value)
    if isinstance(pattern, ir.Str):
        return symbol.type == clingo.SymbolType.String and symbol.string == pattern.value
    if isinstance(pattern, ir.Atom | ir.Func):
        name = pattern.predicate if isinstance(pattern, ir.Atom) else pattern.name
        if not symbol.match(name, len(pattern.args)):
            return False
        return all(
            match(p, s, binding) for p, s in zip(pattern.args, symbol.arguments, strict=True)
        )
    raise NesyTypeError(f"cannot match {pattern} in a query: use plain terms", pattern.span)


class _AtomIndex:
    """The ground program's atoms by symbol, and by signature: a query finds its instances
    by one look-up (ground) or among the atoms of its own predicate (with variables), not by
    matching every atom of the program."""

    def __init__(self, ground_program: GroundProgram) -> None:
        self.by_symbol = {s: a for a, s in ground_program.symbols.items()}
        self.by_symbol.update((s, FACT) for s in ground_program.facts)
        self._by_signature: dict[tuple[str, int], list[tuple[clingo.Symbol, int]]] | None = None

    def instances(self, atom: ir.Atom) -> list[tuple[clingo.Symbol, int]]:
        """Ground instances of a query atom: (symbol, atom id)."""
        if not _has_variables(atom):
            symbol = clingo.parse_term(str(atom))
            if symbol in self.by_symbol:
                return [(symbol, self.by_symbol[symbol])]
        candidates = self._signatures().get((atom.predicate, len(atom.args)), [])
        found = [(s, a) for s, a in candidates if match(atom, s, {})]
        if not found and not _has_variables(atom):
            found = [(clingo.parse_term(str(atom)), NEVER)]
        return sorted(found, key=lambda pair: pair[0])

    def _signatures(self) -> dict[tuple[str, int], list[tuple[clingo.Symbol, int]]]:
        """Built on the first query with variables: reading a symbol's name costs a call
        into clingo, which ground queries need not pay for every atom."""
        if self._by_signature is None:
            self._by_signature = {}
            for symbol, atom in self.by_symbol.items():
                if symbol.type == clingo.SymbolType.Function:
                    key = (symbol.name, len(symbol.arguments))
                    self._by_signature.setdefault(key, []).append((symbol, atom))
        return self._by_signature


def _has_variables(node: object) -> bool:
    return next(ir.variables(node), None) is not None
