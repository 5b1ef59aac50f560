"""Semantic checks on a parsed :class:`~nesy.lang.ir.Program`.

:func:`check` raises :class:`~nesy.errors.NesyTypeError` for the first problem in source order
(within a statement: its integers, then its safety, then its body literals):

- integer literals and constant arithmetic outside clingo's 32-bit integers (or dividing by
  zero), which clingo would silently wrap (:mod:`nesy.lang.arith`);
- unsafe variables (clingo's safety; ``==`` and ``=:=`` bind nothing);
- probabilities outside [0, 1], annotated disjunctions whose probabilities sum above 1;
- body literals, queries and evidence on predicates that nothing defines: no rule, fact,
  probabilistic or neural head, choice element, nor ``#defined p/n.`` declaration; clingo would
  read them as false. A Prolog built-in there (``between/3``, ``member/2``, ...) is named;
- ``:- name(...)`` where ``name`` is a Prolog directive (``use_module``, ``consult``, ...) and
  the program does not define ``name/n``: a directive, not an integrity constraint;
- ``true``, ``fail`` or ``false`` as a head, and malformed neural predicates.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Iterator, Mapping

from nesy.errors import NesyTypeError
from nesy.lang.arith import ConstantError, fold
from nesy.lang.builtins import BUILTIN_VALUES, DIRECTIVES, PROBLOG_DIALECT, builtin_message
from nesy.lang.ir import (
    Abs,
    Aggregate,
    AnnotatedDisjunction,
    Atom,
    BinOp,
    BodyItem,
    ChoiceRule,
    Comparison,
    Const,
    Constraint,
    Defined,
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
    Str,
    Term,
    UnaryMinus,
    Var,
)

__all__ = ["check"]

_TOLERANCE = 1e-9
_BIND_HINT = "it must also occur in a positive body literal"


def check(program: Program, source_text: str | Mapping[str, str] | None = None) -> None:
    """Raise :class:`NesyTypeError` for the first meaningless statement of ``program``.

    ``source_text`` is the program's text, for the error's source line and caret; for a program
    read from several files, a mapping from each span's ``source`` to its text.
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

    def __init__(self, program: Program, source_text: str | Mapping[str, str] | None):
        self.text = source_text
        self.defined = {_signature(a) for s in program.statements for a in head_atoms(s)}
        self.defined |= {f"{s.predicate}/{s.arity}" for s in program.of_type(Defined)}
        self.neural: dict[str, NeuralPredicate] = {}

    def error(self, message: str, span: Span) -> NesyTypeError:
        text = self.text.get(span.source) if isinstance(self.text, Mapping) else self.text
        return NesyTypeError(message, span, text)

    def statement(self, s: Statement) -> None:
        self.integers(s)
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
            if not atom.args and atom.predicate in BUILTIN_VALUES:
                meaning = "true" if BUILTIN_VALUES[atom.predicate] else "false"
                raise self.error(
                    f"{atom.predicate}/0 is a built-in ({meaning} in every body) and cannot be "
                    "defined",
                    atom.span,
                )
        if isinstance(s, Constraint):
            self.directive(s)
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
            raise self.error(
                f"{kind} on undefined predicate {_signature(s.atom)}{self.suggestion(s.atom)}",
                s.atom.span,
            )
        if isinstance(s, Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction):
            unsafe = sorted(_unsafe(s), key=lambda u: (u[0].span.line, u[0].span.column))
            if unsafe:
                var, message = unsafe[0]
                raise self.error(message, var.span)
            for literal in _body_literals(s):
                self.defined_literal(literal)

    def integers(self, s: Statement) -> None:
        """Every term of ``s`` is nested at most ``MAX_DEPTH`` deep (the later stages walk
        terms recursively), and its integer literals and constant arithmetic are within
        clingo's range."""
        for term in _terms(s):
            if _too_deep(term):
                raise self.error(
                    f"this term is nested more than {MAX_DEPTH} levels deep, more than nesy "
                    "handles (a long sum is an aggregate: #sum{...})",
                    term.span,
                )
            try:
                fold(term)
            except ConstantError as exc:
                raise self.error(exc.message, exc.span) from None

    def directive(self, s: Constraint) -> None:
        """``:- use_module(...)`` is a Prolog directive, unless the program defines the atom
        (then it is a constraint like any other)."""
        if len(s.body) != 1 or not isinstance(s.body[0], Literal) or s.body[0].negated:
            return
        atom = s.body[0].atom
        if atom.predicate in DIRECTIVES and _signature(atom) not in self.defined:
            raise self.error(
                f"':- {atom.predicate}(...)' is a Prolog directive, not an integrity constraint: "
                f"the .nesy dialect has no directives; {PROBLOG_DIALECT}"
                if atom.args
                else f"':- {atom.predicate}.' is a Prolog directive, not an integrity "
                f"constraint: the .nesy dialect has no directives; {PROBLOG_DIALECT}",
                s.span,
            )

    def defined_literal(self, literal: Literal) -> None:
        """A body literal on a predicate nothing defines would be false: say so."""
        atom = literal.atom
        signature = _signature(atom)
        if signature in self.defined:
            return
        message = builtin_message(atom.predicate, len(atom.args))
        if message is None:
            message = (
                f"{signature} is defined nowhere (no rule, fact or declaration has it as head), "
                f"so this literal would always be {'true' if literal.negated else 'false'}"
                f"{self.suggestion(atom)}; define it, or declare '#defined {signature}.' if it "
                "deliberately has no rules or its facts come from another file"
            )
        raise self.error(message, atom.span)

    def suggestion(self, atom: Atom) -> str:
        """`` (did you mean ...?)`` from the defined predicates, or ``""``."""
        same_name = sorted(d for d in self.defined if d.rsplit("/", 1)[0] == atom.predicate)
        if same_name:
            return f" (defined: {', '.join(same_name)})"
        names = {d.rsplit("/", 1)[0]: d for d in sorted(self.defined)}
        close = difflib.get_close_matches(atom.predicate, names, n=1)
        return f" (did you mean {names[close[0]]}?)" if close else ""

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


def _body_literals(
    s: Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction,
) -> Iterator[Literal]:
    """The literals of a statement's body and of its aggregates' and choice's conditions."""
    items: list[object] = list(s.body)
    if isinstance(s, ChoiceRule):
        items.extend(c for e in s.elements for c in e.condition)
    for item in items:
        if isinstance(item, Literal):
            yield item
        elif isinstance(item, Aggregate):
            for element in item.elements:
                yield from (c for c in element.condition if isinstance(c, Literal))


_TERM_TYPES = (Var, Const, Str, Func, BinOp, UnaryMinus, Abs, Interval, Pool)
#: the deepest term nesy accepts: rendering and compiling walk terms recursively, in Python
MAX_DEPTH = 200


def _too_deep(term: Term) -> bool:
    """Whether ``term`` nests deeper than ``MAX_DEPTH`` (iterative: the check itself must not
    hit Python's recursion limit)."""
    stack: list[tuple[object, int]] = [(term, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(node, Func):
            children: tuple[object, ...] = node.args
        elif isinstance(node, BinOp):
            children = (node.left, node.right)
        elif isinstance(node, UnaryMinus | Abs):
            children = (node.arg,)
        elif isinstance(node, Interval):
            children = (node.lo, node.hi)
        elif isinstance(node, Pool):
            children = node.alternatives
        else:
            continue
        stack.extend((child, depth + 1) for child in children)
    return False


def _terms(node: object) -> Iterator[Term]:
    """The outermost terms anywhere in ``node`` (a statement or any part of one)."""
    if isinstance(node, _TERM_TYPES):
        yield node
    elif isinstance(node, tuple):
        for item in node:
            yield from _terms(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, Span):
        for f in dataclasses.fields(node):
            yield from _terms(getattr(node, f.name))


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
    elif isinstance(term, UnaryMinus | Abs):
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


def _check_items(
    items: Iterable[BodyItem], bound: set[str], hint: str
) -> Iterator[tuple[Var, str]]:
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
                    if item.op == "==":  # rendered as clingo's '=', which would bind it
                        yield (
                            var,
                            (
                                f"unsafe variable '{var.name}' in comparison "
                                f"'{item.left}=={item.right}': '==' and '=:=' bind no "
                                f"variable; {hint}"
                            ),
                        )
                    else:
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


def _unsafe(
    s: Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction,
) -> Iterator[tuple[Var, str]]:
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
