"""Why a program has no stable model: the constraints clingo finds in an unsatisfiable core.

Every integrity constraint and every bounded choice rule gets a guard atom of its own; solving
with all guards assumed true fails, and clingo's core names guards that cannot all hold. The core
is then shrunk one guard at a time, so each constraint reported is needed for the conflict.
The same is done on nesy's IR (:func:`conflicting_statements`) and on clingo's AST
(:func:`conflicting_rules`, for plain ASP programs).
"""

from __future__ import annotations

from collections.abc import Sequence

import clingo
from clingo import ast

from nesy.ground.translate import choice_activations, to_clingo
from nesy.lang import ir

__all__ = ["conflicting_statements", "conflicting_rules"]

GUARD = "__nesy_guard"


def _guard(index: int, negated: bool = False) -> ir.Literal:
    return ir.Literal(ir.Atom(GUARD, (ir.Const(index),)), negated)


def _guarded(program: ir.Program) -> tuple[ir.Program, list[ir.Statement]]:
    """The program with a guard on each constraint; and the guarded statements, by guard."""
    statements: list[ir.Statement] = []
    guarded: list[ir.Statement] = []
    for statement in program.statements:
        if isinstance(statement, ir.Constraint):
            statements.append(ir.Constraint((*statement.body, _guard(len(guarded)))))
            guarded.append(statement)
        elif isinstance(statement, ir.ChoiceRule) and (statement.lower or statement.upper):
            # bounded where the guard holds, free where it does not
            index = len(guarded)
            statements.append(
                ir.ChoiceRule(
                    statement.elements,
                    statement.lower,
                    statement.upper,
                    (*statement.body, _guard(index)),
                )
            )
            statements.append(
                ir.ChoiceRule(statement.elements, body=(*statement.body, _guard(index, True)))
            )
            guarded.append(statement)
        else:
            statements.append(statement)
    return ir.Program(tuple(statements), program.source), guarded


def conflicting_statements(program: ir.Program, categorical: str) -> list[ir.Statement]:
    """Constraints (and bounded choice rules) that together leave ``program`` without a stable
    model; empty when the program has a model or when no constraint is to blame (its rules
    alone have no stable model, as in ``a :- not a.``).

    ``categorical`` is the clingo text that makes the program's choices categorical.
    """
    guarded_program, guarded = _guarded(program)
    if not guarded:
        return []
    control = clingo.Control(["--warn=none"])
    choices = f"{{ {GUARD}(0..{len(guarded) - 1}) }}.\n"
    control.add(
        "base", [], to_clingo(guarded_program) + choice_activations(program) + categorical + choices
    )
    control.ground([("base", [])])
    return [guarded[i] for i in _minimal_core(control, len(guarded))]


def conflicting_rules(statements: Sequence[ast.AST]) -> list[ast.AST]:
    """Integrity constraints and bounded choice (or aggregate) heads of a clingo program that
    together leave it without a stable model; empty when it has one or when no constraint is to
    blame. Weak constraints play no part in whether a model exists and are left out."""
    control = clingo.Control(["--warn=none"])
    guarded: list[ast.AST] = []
    with ast.ProgramBuilder(control) as builder:
        for statement in statements:
            if statement.ast_type == ast.ASTType.Minimize:
                continue
            for rule in _guarded_rule(statement, len(guarded)):
                builder.add(rule)
            if _is_guarded(statement):
                guarded.append(statement)
        if guarded:  # in part base, whatever part the program ends in
            ast.parse_string(f"{{ {GUARD}(0..{len(guarded) - 1}) }}.", builder.add)
    if not guarded:
        return []
    control.ground([("base", [])])
    return [guarded[i] for i in _minimal_core(control, len(guarded))]


def _is_guarded(statement: ast.AST) -> bool:
    if statement.ast_type != ast.ASTType.Rule:
        return False
    head = statement.head
    if head.ast_type == ast.ASTType.Literal:  # #false: an integrity constraint
        return head.atom.ast_type == ast.ASTType.BooleanConstant and not head.atom.value
    bounded = head.ast_type in (ast.ASTType.Aggregate, ast.ASTType.HeadAggregate)
    return bounded and (head.left_guard is not None or head.right_guard is not None)


def _guarded_rule(statement: ast.AST, index: int) -> list[ast.AST]:
    """A constraint holds only where its guard does; a bounded head is bounded where its guard
    holds and free where it does not."""
    if not _is_guarded(statement):
        return [statement]
    location = statement.location
    atom = ast.SymbolicAtom(
        ast.Function(location, GUARD, [ast.SymbolicTerm(location, clingo.Number(index))], 0)
    )
    guard = ast.Literal(location, ast.Sign.NoSign, atom)
    unguard = ast.Literal(location, ast.Sign.Negation, atom)
    bounded = statement.update(body=[*statement.body, guard])
    if statement.head.ast_type == ast.ASTType.Literal:
        return [bounded]
    free_head = statement.head.update(left_guard=None, right_guard=None)
    return [bounded, statement.update(head=free_head, body=[*statement.body, unguard])]


def _minimal_core(control: clingo.Control, guards: int) -> list[int]:
    """The guards (by index) of a minimal unsatisfiable core, with every guard assumed; empty
    when the guarded program is satisfiable or the core holds no guard."""
    literal: dict[int, int] = {}
    for i in range(guards):
        atom = control.symbolic_atoms[clingo.Function(GUARD, [clingo.Number(i)])]
        assert atom is not None, "the guards' choice rule grounds every guard atom"
        literal[atom.literal] = i

    def core(assumed: list[int]) -> list[int] | None:
        """A core among ``assumed`` guard literals, or None when they are satisfiable."""
        found: list[int] = []
        result = control.solve(assumptions=assumed, on_core=found.extend)
        return None if result.satisfiable else [lit for lit in found if lit in literal]

    current = core(list(literal))
    if not current:
        return []
    for lit in list(current):
        trial = [other for other in current if other != lit]
        if core(trial) is not None:
            current = trial
    return sorted(literal[lit] for lit in current)
