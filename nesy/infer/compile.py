"""Compile a program's queries into one circuit: ground -> relevant part -> SDD -> flat circuit.

One root per ground query atom (per *answer* of a template query such as
``addition(tensor(a), tensor(b), S)``), each conjoined with the evidence and the exactly-one
constraints of the categorical groups. With evidence, one extra last root holds the evidence
alone, so that P(q | e) = root_q / root_e.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import clingo
from pysdd.sdd import SddManager, SddNode

from nesy.errors import CompileError, NesyTypeError
from nesy.ground.grounder import ground
from nesy.ground.program import GroundProgram
from nesy.ground.propositional import ground_propositional
from nesy.infer.circuit import Circuit, circuit_from_sdd
from nesy.infer.logic import (
    ASP_HINT,
    atom_formulas,
    exactly_one,
    relevant_atoms,
    rule_crossings,
)
from nesy.infer.variables import ChoiceVariables, collect_choices
from nesy.infer.vtree import block_vtree
from nesy.lang import ir

__all__ = ["CompiledQuery", "compile_queries", "match", "outside_class"]


@dataclass(frozen=True)
class CompiledQuery:
    """What one compilation yields; shared by every batch of the same query shape."""

    answers: tuple[clingo.Symbol, ...]  # ground query atoms, in root order
    has_evidence: bool  # if so, the circuit has one more root: the evidence alone
    circuit: Circuit
    choices: ChoiceVariables
    sdd_size: int
    timings: dict[str, float]  # seconds per stage: ground, formulas, circuit


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
        self.by_symbol.update((s, 0) for s in ground_program.facts)
        self._by_signature: dict[tuple[str, int], list[tuple[clingo.Symbol, int]]] | None = None

    def instances(self, atom: ir.Atom) -> list[tuple[clingo.Symbol, int]]:
        """Ground instances of a query atom: (symbol, atom id), atom id 0 for facts."""
        if not _has_variables(atom):
            symbol = clingo.parse_term(str(atom))
            if symbol in self.by_symbol:
                return [(symbol, self.by_symbol[symbol])]
        candidates = self._signatures().get((atom.predicate, len(atom.args)), [])
        found = [(s, a) for s, a in candidates if match(atom, s, {})]
        if not found and not _has_variables(atom):
            found = [(clingo.parse_term(str(atom)), -1)]  # never derivable: probability 0
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


def compile_queries(
    program: ir.Program,
    queries: tuple[ir.Atom, ...],
    *,
    max_sdd_size: int = 20_000_000,
    max_seconds: float = 600.0,
    max_rules: int = 5_000_000,
) -> CompiledQuery:
    """Compile ``queries`` of ``program`` (cached: the same program and queries compile once).

    Raises
    ------
    GroundingError, CompileError
        For programs outside the exact backend's class, or when grounding outgrows
        ``max_rules`` ground rules or compilation ``max_sdd_size`` SDD nodes, or both together
        ``max_seconds``: they stop cleanly and say why.
    """
    return _compile_cached(program, queries, max_sdd_size, max_seconds, max_rules)


@functools.lru_cache(maxsize=32)
def _compile_cached(
    program: ir.Program,
    queries: tuple[ir.Atom, ...],
    max_sdd_size: int,
    max_seconds: float,
    max_rules: int,
) -> CompiledQuery:
    _refuse_outside_class(program)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    deadline = start + max_seconds
    # A program that is already ground (the ProbLog dialect's, grounded top down) is read
    # as it is; clingo grounds the rest (and reports a ground program past the budget).
    ground_program = ground_propositional(program)
    if ground_program is None or ground_program.size > max_rules:
        ground_program = ground(program, max_rules=max_rules, max_seconds=max_seconds)
    timings["ground"] = time.perf_counter() - start

    start = time.perf_counter()
    index = _AtomIndex(ground_program)
    answers = [pair for atom in queries for pair in index.instances(atom)]
    evidence: list[tuple[int, bool]] = []
    for item in program.evidence:
        if _has_variables(item.atom):
            raise NesyTypeError("evidence must be ground", item.span)
        evidence += [(a, item.value) for _, a in index.instances(item.atom)]
    roots = [a for a, _ in evidence if a > 0] + [a for _, a in answers if a > 0]
    relevant, order = relevant_atoms(ground_program, roots)
    choices = collect_choices(program, ground_program, relevant, order)
    num_vars = max(choices.num_vars, 1)
    # Variables are numbered in the program's depth-first order, facts and whole groups as
    # blocks; a balanced vtree over the blocks keeps circuits shallow (evaluation pays per
    # layer), never splits a group, and cuts where the fewest rules cross.
    blocks = sorted([(f.var,) for f in choices.facts] + [g.vars for g in choices.groups])
    crossing = rule_crossings(ground_program, relevant, choices.var_of_atom, blocks)
    vtree = block_vtree(blocks or [(1,)], crossing)
    manager = SddManager.from_vtree(vtree)
    # A categorical's value is its indicator *and* its group's exactly-one constraint: the
    # formulas built on it then never range over impossible combinations of indicators, which
    # keeps the intermediate SDDs of long chains (carries) small.
    exactly = {group.vars: exactly_one(manager, group.vars) for group in choices.groups}
    group_of = {var: group.vars for group in choices.groups for var in group.vars}
    choice_formula = {
        atom: manager.literal(var) & exactly[group_of[var]]
        if var in group_of
        else manager.literal(var)
        for atom, var in choices.var_of_atom.items()
    }

    def budget() -> None:
        if manager.size() > max_sdd_size or time.perf_counter() > deadline:
            raise CompileError(
                f"compiling {program.source} stopped: the SDDs reached {manager.size()} nodes "
                f"after {time.perf_counter() - start:.0f} s (budget: {max_sdd_size} nodes, "
                f"{max_seconds:.0f} s). A program that enumerates every value of a large "
                "quantity (e.g. whole multi-digit numbers) compiles exponentially; decompose it "
                "(e.g. add column by column with carries), or use the approximate mode"
            )

    formula = atom_formulas(manager, ground_program, choice_formula, relevant, roots, budget)

    def truth(atom: int) -> SddNode:
        if atom == 0:
            return manager.true()
        return formula.get(atom, manager.false()) if atom > 0 else manager.false()

    context = manager.true()
    for constraint in exactly.values():
        context = context & constraint
    for atom, value in evidence:
        context = context & (truth(atom) if value else ~truth(atom))
    sdd_roots = [truth(atom) & context for _, atom in answers]
    if evidence:
        sdd_roots.append(context)
    sdd_size = sum(root.size() for root in sdd_roots)
    budget()
    timings["formulas"] = time.perf_counter() - start

    start = time.perf_counter()
    circuit = circuit_from_sdd(sdd_roots, num_vars)
    timings["circuit"] = time.perf_counter() - start
    return CompiledQuery(
        answers=tuple(s for s, _ in answers),
        has_evidence=bool(evidence),
        circuit=circuit,
        choices=choices,
        sdd_size=sdd_size,
        timings=timings,
    )


def outside_class(program: ir.Program) -> tuple[str, ir.Span] | None:
    """Why the program's text is outside the exact backend's class (one stable model per total
    choice), and where; ``None`` when the text does not say (compilation may still find
    negation through recursion)."""
    for statement in program.statements:
        if isinstance(statement, ir.Constraint):
            return "integrity constraint", statement.span
        if isinstance(statement, ir.ChoiceRule):
            return "choice rule", statement.span
    return None


def _refuse_outside_class(program: ir.Program) -> None:
    found = outside_class(program)
    if found is not None:
        raise CompileError(f"{found[0]}: {ASP_HINT}", found[1])
