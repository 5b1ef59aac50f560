"""Compile a program's queries into one circuit, in named stages, each handing the next a named
result:

1. :func:`ground_stage`: the ground program with its table of choices;
2. :func:`~nesy.infer.targets.match_targets`: the queries' answers and the evidence as atoms;
3. :func:`~nesy.infer.logic.relevant_atoms`: the part of the ground program they depend on;
4. :func:`~nesy.infer.variables.number_choices` and :func:`choose_vtree`: a variable per
   relevant choice, and the vtree over them;
5. :func:`build_sdds`: an SDD per root, under the budget;
6. :func:`~nesy.infer.circuit.circuit_from_sdd`: the flat circuit.

One root per answer (per ground instance of a template query such as
``addition(tensor(a), tensor(b), S)``), each conjoined with the evidence and the exactly-one
constraints of the categorical groups. With evidence, one extra last root holds the evidence
alone, so that P(q | e) = root_q / root_e.

Nothing is cached here: :class:`Compiler` keeps compilations for whoever holds it (a model, or
several models that share one).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import clingo
from pysdd.sdd import SddManager, SddNode, Vtree

from nesy.errors import CompileError
from nesy.ground.grounder import ground
from nesy.ground.program import GroundProgram
from nesy.ground.propositional import ground_propositional
from nesy.infer.budget import DEFAULT_BUDGET, Budget
from nesy.infer.circuit import Circuit, circuit_from_sdd
from nesy.infer.logic import (
    ASP_HINT,
    Relevant,
    atom_formulas,
    exactly_one,
    relevant_atoms,
    rule_crossings,
)
from nesy.infer.targets import FACT, Targets, match, match_targets
from nesy.infer.variables import ChoiceVariables, number_choices
from nesy.infer.vtree import block_vtree
from nesy.lang import ir

__all__ = [
    "CompiledQuery",
    "Compiler",
    "compile_queries",
    "ground_stage",
    "choose_vtree",
    "build_sdds",
    "SddRoots",
    "SddLimit",
    "match",
    "outside_class",
]


@dataclass(frozen=True)
class CompiledQuery:
    """What one compilation yields; shared by every batch of the same query shape."""

    answers: tuple[clingo.Symbol, ...]  # ground query atoms, in root order
    has_evidence: bool  # if so, the circuit has one more root: the evidence alone
    circuit: Circuit
    choices: ChoiceVariables
    sdd_size: int
    timings: dict[str, float]  # seconds per stage: ground, formulas, circuit


class Compiler:
    """Compiles programs' queries and keeps the last ``keep`` compilations, so that models
    given the same compiler share one circuit for the same program, queries and budget
    (e.g. a benchmark's exact and approximate models of one program). A model given no compiler
    compiles its own and keeps nothing beyond itself.

    Examples
    --------
    >>> import nesy
    >>> compiler = Compiler()
    >>> program = nesy.parse("0.5::a. query(a).")
    >>> first = nesy.Model(program, compiler=compiler)
    >>> nesy.Model(program, compiler=compiler).compiled is first.compiled
    True
    """

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self._kept: dict[tuple[ir.Program, tuple[ir.Atom, ...], Budget], CompiledQuery] = {}

    def compile(
        self, program: ir.Program, queries: tuple[ir.Atom, ...], budget: Budget = DEFAULT_BUDGET
    ) -> CompiledQuery:
        """:func:`compile_queries`, or what it returned before for the same arguments."""
        key = (program, queries, budget)
        found = self._kept.pop(key, None)  # and put back last: the most recently used
        if found is None:
            found = _compile(program, queries, budget)
        self._kept[key] = found
        while len(self._kept) > self.keep:
            del self._kept[next(iter(self._kept))]
        return found


def compile_queries(
    program: ir.Program,
    queries: tuple[ir.Atom, ...],
    *,
    max_sdd_size: int = DEFAULT_BUDGET.sdd_nodes,
    max_seconds: float = DEFAULT_BUDGET.seconds,
    max_rules: int = DEFAULT_BUDGET.ground_rules,
) -> CompiledQuery:
    """Compile ``queries`` of ``program`` (each call compiles; :class:`Compiler` keeps them).

    Raises
    ------
    GroundingError, CompileError
        For programs outside the exact backend's class, or when grounding outgrows
        ``max_rules`` ground rules or compilation ``max_sdd_size`` SDD nodes, or both together
        ``max_seconds``: they stop cleanly and say why.
    """
    budget = Budget(seconds=max_seconds, sdd_nodes=max_sdd_size, ground_rules=max_rules)
    return _compile(program, queries, budget)


def _compile(program: ir.Program, queries: tuple[ir.Atom, ...], budget: Budget) -> CompiledQuery:
    _refuse_outside_class(program)
    clock = _Clock(budget.seconds)
    ground_program = ground_stage(program, budget)
    timings = {"ground": clock.lap()}
    targets = match_targets(ground_program, queries, program.evidence)
    relevant = relevant_atoms(ground_program, targets.roots)
    variables = number_choices(ground_program.choices, relevant.atoms, relevant.order)
    vtree = choose_vtree(ground_program, relevant, variables)
    limit = SddLimit(program.source, budget.sdd_nodes, clock)
    sdds = build_sdds(ground_program, relevant, variables, targets, vtree, limit)
    timings["formulas"] = clock.lap()
    circuit = circuit_from_sdd(sdds.roots, max(variables.num_vars, 1))
    timings["circuit"] = clock.lap()
    return CompiledQuery(
        answers=tuple(s for s, _ in targets.answers),
        has_evidence=bool(targets.evidence),
        circuit=circuit,
        choices=variables,
        sdd_size=sdds.size,
        timings=timings,
    )


def ground_stage(program: ir.Program, budget: Budget) -> GroundProgram:
    """The ground program and its choices: a program that is already ground (the ProbLog
    dialect's, grounded top down) is read as it is; clingo grounds the rest (and reports a
    ground program past the budget)."""
    ground_program = ground_propositional(program)
    if ground_program is None or ground_program.size > budget.ground_rules:
        ground_program = ground(program, max_rules=budget.ground_rules, max_seconds=budget.seconds)
    return ground_program


def choose_vtree(ground: GroundProgram, relevant: Relevant, variables: ChoiceVariables) -> Vtree:
    """Variables are numbered in the program's depth-first order, facts and whole groups as
    blocks; a balanced vtree over the blocks keeps circuits shallow (evaluation pays per
    layer), never splits a group, and cuts where the fewest rules cross."""
    blocks = variables.blocks()
    crossing = rule_crossings(ground, relevant.atoms, variables.var_of_atom, blocks)
    return block_vtree(blocks or [(1,)], crossing)


@dataclass(frozen=True)
class SddRoots:
    """One SDD per root of the circuit (per answer, then the evidence alone if any)."""

    manager: SddManager  # keeps the nodes' manager alive as long as they are
    roots: tuple[SddNode, ...]

    @property
    def size(self) -> int:
        return sum(root.size() for root in self.roots)


def build_sdds(
    ground: GroundProgram,
    relevant: Relevant,
    variables: ChoiceVariables,
    targets: Targets,
    vtree: Vtree,
    limit: SddLimit,
) -> SddRoots:
    """The SDD of every root, over ``variables`` ordered by ``vtree``.

    Raises
    ------
    CompileError
        Once the SDDs outgrow ``limit``, or for a ground program outside the exact backend's
        class (see :func:`~nesy.infer.logic.atom_formulas`).
    """
    manager = SddManager.from_vtree(vtree)
    # A categorical's value is its indicator *and* its group's exactly-one constraint: the
    # formulas built on it then never range over impossible combinations of indicators, which
    # keeps the intermediate SDDs of long chains (carries) small.
    exactly = [exactly_one(manager, group.vars) for group in variables.groups]
    choice_formula = {atom: manager.literal(var) for atom, var in variables.var_of_atom.items()}
    for group, constraint in zip(variables.groups, exactly, strict=True):
        for atom in group.choice.atoms:
            if atom is not None:
                choice_formula[atom] = choice_formula[atom] & constraint
    check = functools.partial(limit.check, manager)
    formula = atom_formulas(manager, ground, choice_formula, relevant.atoms, targets.roots, check)

    def truth(atom: int) -> SddNode:
        if atom == FACT:
            return manager.true()
        return formula.get(atom, manager.false()) if atom > 0 else manager.false()

    context = manager.true()
    for constraint in exactly:
        context = context & constraint
    for atom, value in targets.evidence:
        context = context & (truth(atom) if value else ~truth(atom))
    sdd_roots = [truth(atom) & context for _, atom in targets.answers]
    if targets.evidence:
        sdd_roots.append(context)
    limit.check(manager)
    return SddRoots(manager, tuple(sdd_roots))


class _Clock:
    """Seconds since the compilation began, per stage, and its deadline."""

    def __init__(self, seconds: float) -> None:
        self.start = self.last = time.perf_counter()
        self.seconds = seconds
        self.deadline = self.start + seconds

    def lap(self) -> float:
        """Seconds since the last lap."""
        now = time.perf_counter()
        lap, self.last = now - self.last, now
        return lap

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


class SddLimit:
    """The compilation's SDD budget: nodes and seconds (since grounding began), checked
    between steps."""

    def __init__(self, source: str, max_nodes: int, clock: _Clock) -> None:
        self.source = source
        self.max_nodes = max_nodes
        self.clock = clock
        self.deadline = clock.deadline

    def check(self, manager: SddManager) -> None:
        """Raise a CompileError once ``manager``'s SDDs or the time outgrow the budget (called
        after every rule: kept to two comparisons)."""
        if manager.size() > self.max_nodes or time.perf_counter() > self.deadline:
            raise CompileError(
                f"compiling {self.source} stopped: the SDDs reached {manager.size()} nodes "
                f"after {self.clock.elapsed():.0f} s (budget: {self.max_nodes} nodes, "
                f"{self.clock.seconds:.0f} s). A program that enumerates every value of a large "
                "quantity (e.g. whole multi-digit numbers) compiles exponentially; decompose it "
                "(e.g. add column by column with carries), or use the approximate mode"
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
