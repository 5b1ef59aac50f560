"""Semantic checks on a parsed :class:`~nesy.lang.ir.Program`.

:func:`check` raises :class:`~nesy.errors.NesyTypeError` for the first problem in source order:
unsafe variables (clingo's safety), probabilities outside [0, 1], annotated disjunctions whose
probabilities sum above 1, queries and evidence on undefined predicates, and malformed neural
predicates.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from nesy.errors import NesyTypeError
from nesy.lang.ir import (
    Aggregate,
    AnnotatedDisjunction,
    Atom,
    BinOp,
    BodyItem,
    ChoiceRule,
    Comparison,
    Constraint,
    Evidence,
    Func,
    Interval,
    Literal,
    NeuralPredicate,
    Pool,
    ProbFact,
    Program,
    Query,
    Rule,
    Span,
    Statement,
    Term,
    UnaryMinus,
    Var,
)

__all__ = ["check"]

_TOLERANCE = 1e-9
_BIND_HINT = "it must also occur in a positive body literal"


def check(program: Program, source_text: str | None = None) -> None:
    """Raise :class:`NesyTypeError` for the first meaningless statement of ``program``.

    ``source_text`` is the program's text, for the error's source line and caret.
    """
    problems = _Problems(program, source_text)
    for statement in program.statements:
        problems.statement(statement)


def _signature(atom: Atom) -> str:
    return f"{atom.predicate}/{len(atom.args)}"


def head_atoms(statement: Statement) -> tuple[Atom, ...]:
    """The atoms a statement defines."""
    if isinstance(statement, Rule):
        return (statement.head,)
    if isinstance(statement, ProbFact | NeuralPredicate):
        return (statement.atom,)
    if isinstance(statement, AnnotatedDisjunction):
        return tuple(atom for _, atom in statement.heads)
    if isinstance(statement, ChoiceRule):
        return tuple(e.atom for e in statement.elements)
    return ()


class _Problems:
    """Program-wide facts the checks need, and the checks themselves."""

    def __init__(self, program: Program, source_text: str | None):
        self.text = source_text
        self.defined = {_signature(a) for s in program.statements for a in head_atoms(s)}
        self.neural: dict[str, NeuralPredicate] = {}

    def error(self, message: str, span: Span) -> NesyTypeError:
        return NesyTypeError(message, span, self.text)

    def statement(self, s: Statement) -> None:
        if isinstance(s, NeuralPredicate):
            self.neural_predicate(s)
            return
        for atom in head_atoms(s):
            if _signature(atom) in self.neural:
                raise self.error(
                    f"{_signature(atom)} is a neural predicate: it is defined only "
                    "by its network and cannot be the head of a rule",
                    atom.span,
                )
        if isinstance(s, ProbFact):
            self.probability(s.probability, s.atom, s.span)
        elif isinstance(s, AnnotatedDisjunction):
            for i, (probability, atom) in enumerate(s.heads):
                self.probability(probability, atom, s.span if i == 0 else atom.span)
            total = sum(p for p, _ in s.heads)
            if total > 1 + _TOLERANCE:
                raise self.error(
                    f"the probabilities of an annotated disjunction sum to {total:g}, above 1",
                    s.span,
                )
        elif isinstance(s, Query | Evidence) and _signature(s.atom) not in self.defined:
            kind = "query" if isinstance(s, Query) else "evidence"
            raise self.error(f"{kind} on undefined predicate {_signature(s.atom)}", s.atom.span)
        if isinstance(s, Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction):
            unsafe = sorted(_unsafe(s), key=lambda u: (u[0].span.line, u[0].span.column))
            if unsafe:
                var, message = unsafe[0]
                raise self.error(message, var.span)

    def probability(self, p: float, atom: Atom, span: Span) -> None:
        if not 0.0 <= p <= 1.0:
            raise self.error(f"probability {p:g} of {atom} is outside [0, 1]", span)

    def neural_predicate(self, s: NeuralPredicate) -> None:
        sig = _signature(s.atom)
        if sig in self.neural:
            raise self.error(
                f"neural predicate {sig} is declared twice (first at {self.neural[sig].span})",
                s.span,
            )
        self.neural[sig] = s
        declared = [*s.inputs, s.output]
        names = [v.name for v in declared]
        for i, var in enumerate(declared):
            if var.name == "_":
                raise self.error(
                    "the inputs and output of a neural predicate must be named variables, not '_'",
                    var.span,
                )
            if var.name in names[:i]:
                role = "output" if var is s.output else "input"
                raise self.error(
                    f"neural predicate {role} variable '{var.name}' is already "
                    "declared as an input",
                    var.span,
                )
        args = sorted(a.name if isinstance(a, Var) else f"\0{a}" for a in s.atom.args)
        if args != sorted(names):
            raise self.error(
                f"neural predicate atom {s.atom} must have exactly the arguments "
                f"{', '.join(names)} (its inputs and output, in any order)",
                s.atom.span,
            )
        if not s.domain:
            raise self.error(f"the domain of neural predicate {sig} is empty", s.span)
        for i, value in enumerate(s.domain):
            if any(True for _ in _vars(value)):
                raise self.error(
                    f"domain value {value} of neural predicate {sig} is not a ground term",
                    value.span,
                )
            if isinstance(value, Interval):
                raise self.error(
                    f"domain interval {value} of neural predicate {sig} needs integer bounds",
                    value.span,
                )
            if value in s.domain[:i]:
                raise self.error(
                    f"duplicate value {value} in the domain of neural predicate {sig}", value.span
                )


# --- safety --------------------------------------------------------------------------------


def _vars(term: Term) -> Iterator[Var]:
    """Every variable occurrence in ``term``, left to right."""
    if isinstance(term, Var):
        yield term
    elif isinstance(term, Func):
        for arg in term.args:
            yield from _vars(arg)
    elif isinstance(term, Pool):
        for alternative in term.alternatives:
            yield from _vars(alternative)
    elif isinstance(term, BinOp):
        yield from _vars(term.left)
        yield from _vars(term.right)
    elif isinstance(term, UnaryMinus):
        yield from _vars(term.arg)
    elif isinstance(term, Interval):
        yield from _vars(term.lo)
        yield from _vars(term.hi)


def _all_vars(terms: Iterable[Term]) -> Iterator[Var]:
    for term in terms:
        yield from _vars(term)


def _linear_var(term: Term) -> str | None:
    """The variable of a term clingo can solve for (``X``, ``-X``, ``X+1``, ``2*X``), if any."""
    if isinstance(term, Var):
        return None if term.name == "_" else term.name
    if isinstance(term, UnaryMinus):
        return _linear_var(term.arg)
    if isinstance(term, BinOp) and term.op in ("+", "-", "*"):
        if not any(True for _ in _vars(term.left)):
            return _linear_var(term.right)
        if not any(True for _ in _vars(term.right)):
            return _linear_var(term.left)
    return None


def _binders(term: Term) -> set[str]:
    """The variables that matching ``term`` against a ground value binds."""
    if isinstance(term, Func):
        return set().union(*(_binders(a) for a in term.args))
    if isinstance(term, Pool):
        return set.intersection(*(_binders(a) for a in term.alternatives))
    if isinstance(term, Var | UnaryMinus | BinOp):
        name = _linear_var(term)
        return set() if name is None else {name}
    return set()


def _bound(items: Iterable[BodyItem], start: set[str]) -> set[str]:
    """Variables bound by positive literals and by assignments whose other side is bound."""
    items = list(items)
    bound = set(start)
    for item in items:
        if isinstance(item, Literal) and not item.negated:
            bound |= set().union(*(_binders(a) for a in item.atom.args))
    changed = True
    while changed:
        before = len(bound)
        for item in items:
            if isinstance(item, Comparison) and item.op == "=":
                for source, target in ((item.right, item.left), (item.left, item.right)):
                    if all(v.name in bound for v in _vars(source)):
                        bound |= _binders(target)
            elif isinstance(item, Aggregate) and not item.negated:
                for guard in item.guards:
                    if guard.op == "=":
                        bound |= _binders(guard.term)
        changed = len(bound) != before
    return bound


def _check_items(items: Iterable[BodyItem], bound: set[str], hint: str):
    """Unsafe variables of negated literals, comparisons and aggregates among ``items``."""
    for item in items:
        if isinstance(item, Literal):
            if item.negated:
                for var in _all_vars(item.atom.args):
                    if var.name != "_" and var.name not in bound:
                        yield (
                            var,
                            (f"unsafe variable '{var.name}' in negated literal '{item}': {hint}"),
                        )
        elif isinstance(item, Comparison):
            for var in _all_vars((item.left, item.right)):
                if var.name not in bound:
                    yield var, f"unsafe variable '{var.name}' in comparison '{item}': {hint}"
        elif isinstance(item, Aggregate):
            for guard in item.guards:
                for var in _vars(guard.term):
                    if var.name not in bound:
                        yield var, f"unsafe variable '{var.name}' in aggregate bound: {hint}"
            for element in item.elements:
                local = _bound(element.condition, bound)
                element_hint = (
                    "it must also occur in a positive literal of the element's "
                    "condition or of the rule body"
                )
                for var in _all_vars(element.terms):
                    if var.name not in local:
                        yield (
                            var,
                            (
                                f"unsafe variable '{var.name}' in aggregate element "
                                f"'{element}': {element_hint}"
                            ),
                        )
                yield from _check_items(element.condition, local, element_hint)


def _unsafe(s: Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction):
    """(variable, message) for every unsafe variable occurrence of a statement."""
    bound = _bound(s.body, set())
    yield from _check_items(s.body, bound, _BIND_HINT)
    if isinstance(s, ChoiceRule):
        for bound_term in (s.lower, s.upper):
            for var in _vars(bound_term) if bound_term is not None else ():
                if var.name not in bound:
                    yield var, f"unsafe variable '{var.name}' in choice bound: {_BIND_HINT}"
        hint = (
            "it must also occur in a positive literal of the element's condition or of "
            "the rule body"
        )
        for element in s.elements:
            local = _bound(element.condition, bound)
            for var in _all_vars(element.atom.args):
                if var.name not in local:
                    yield var, f"unsafe variable '{var.name}' in choice element: {hint}"
            yield from _check_items(element.condition, local, hint)
        return
    for atom in head_atoms(s):
        for var in _all_vars(atom.args):
            if var.name == "_":
                yield var, "anonymous variable '_' in rule head: heads need named variables"
            elif var.name not in bound:
                yield var, f"unsafe variable '{var.name}' in rule head: {_BIND_HINT}"
