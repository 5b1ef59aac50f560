"""Why a program has no stable model: the constraints clingo finds in an unsatisfiable core.

Every integrity constraint and every bounded choice rule gets a guard atom of its own; solving
with all guards assumed true fails, and clingo's core names guards that cannot all hold. The core
is then shrunk one guard at a time, so each constraint reported is needed for the conflict.
"""

from __future__ import annotations

import clingo

from nesy.ground.translate import choice_activations, to_clingo
from nesy.lang import ir

__all__ = ["conflicting_statements"]

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
    literal = {
        control.symbolic_atoms[clingo.Function(GUARD, [clingo.Number(i)])].literal: i
        for i in range(len(guarded))
    }

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
    return [guarded[literal[lit]] for lit in sorted(current, key=literal.get)]
