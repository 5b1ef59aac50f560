"""The ground program of a program that is already ground and propositional, without clingo.

The top-down grounder of the ProbLog dialect (:mod:`nesy.ground.topdown`) hands over a program
of nullary atoms: rules, probabilistic facts and annotated disjunctions without bodies, queries
and evidence. Grounding it again through clingo only renumbered its atoms, yet took a fifth of
the time of answering a small program (the text rendered, parsed, grounded and read back rule
by rule through the observer). Here it is read straight into the :class:`GroundProgram` that
clingo's observer would report: the same rules over the same kind of choice atoms, and the same
table of choices, so everything after grounding is unchanged.

Differences from clingo's output that do not change any answer: an atom without rules keeps
its number (clingo drops it, and rules through it; both read it as false), a rule with an
empty body stays a rule (clingo makes its head a fact; both read it as true), and a choice
atom has no symbol (clingo's is the translation's reserved atom, which only the table of
choices needs, and it has what that atom carried).
"""

from __future__ import annotations

import re

import clingo

from nesy.ground.choices import ChoiceTableBuilder, FactChoice, group_choice
from nesy.ground.program import GroundProgram, GroundRule
from nesy.lang import ir

__all__ = ["ground_propositional"]

_NAME = re.compile(r"_*[a-z][A-Za-z0-9_']*\Z")  # a name clingo.Function takes as it is


def ground_propositional(program: ir.Program) -> GroundProgram | None:
    """``program``'s ground program, or ``None`` when a statement is not a rule, a body-less
    probabilistic fact or annotated disjunction over nullary atoms, a query, evidence or a
    declaration."""
    reader = _Reader()
    for statement in program.statements:
        if not reader.read(statement):
            return None
    table = reader.choices.build()
    return GroundProgram(tuple(reader.rules), (), reader.symbols, frozenset(), table)


class _Reader:
    def __init__(self) -> None:
        self.rules: list[GroundRule] = []
        self.count = 0  # atoms are numbered 1, 2, ... as first met
        self.symbols: dict[int, clingo.Symbol] = {}
        self.atoms: dict[str, int] = {}
        self.choices = ChoiceTableBuilder()

    def number(self) -> int:
        self.count += 1
        return self.count

    def atom(self, name: str) -> int:
        found = self.atoms.get(name)
        if found is None:
            found = self.atoms[name] = self.number()
            self.symbols[found] = clingo.Function(name)
        return found

    def read(self, statement: ir.Statement) -> bool:
        """Add ``statement``; False if it is not propositional."""
        if isinstance(statement, ir.Query | ir.Evidence | ir.Defined | ir.Show):
            return True  # they steer the compiler, not the grounder
        if isinstance(statement, ir.Rule):
            body = statement.body
            if not _nullary(statement.head) or not all(
                isinstance(b, ir.Literal) and _nullary(b.atom) for b in body
            ):
                return False
            literals = tuple(
                -self.atom(b.atom.predicate) if b.negated else self.atom(b.atom.predicate)
                for b in body
                if isinstance(b, ir.Literal)
            )
            self.rules.append(GroundRule(False, (self.atom(statement.head.predicate),), literals))
            return True
        if isinstance(statement, ir.ProbFact):
            if statement.body or not _nullary(statement.atom):
                return False
            head = self.atom(statement.atom.predicate)
            choice = self.number()
            fact = FactChoice(choice, self.symbols[head], statement.probability, statement.span)
            self.choices.fact(fact)
            self.rules += [GroundRule(True, (choice,), ()), GroundRule(False, (head,), (choice,))]
            return True
        if isinstance(statement, ir.AnnotatedDisjunction):
            if statement.body or not all(_nullary(a) for _, a in statement.heads):
                return False
            heads = [self.atom(a.predicate) for _, a in statement.heads]
            members = [self.number() for _ in heads]
            values = {
                str(i): (member, self.symbols[head])
                for i, (member, head) in enumerate(zip(members, heads, strict=True))
            }
            self.choices.group(group_choice(statement, values))
            self.rules.append(GroundRule(True, tuple(members), ()))
            self.rules += [
                GroundRule(False, (h,), (m,)) for h, m in zip(heads, members, strict=True)
            ]
            return True
        return False


def _nullary(atom: ir.Atom) -> bool:
    return not atom.args and _NAME.match(atom.predicate) is not None
