"""The Program IR: plain, frozen dataclasses produced once by the parser.

Node grammar (every node carries a ``span``)::

    Term       = Var | Const | Str | Func | BinOp | UnaryMinus | Abs | Interval | Pool
    BodyItem   = Literal | Comparison | Aggregate | Boolean
    Statement  = Rule | Constraint | ChoiceRule | ProbFact | AnnotatedDisjunction
               | NeuralPredicate | Query | Evidence | Show | ConstDef | Defined

Every node renders back to clingo syntax with ``str()``; the grounder builds its clingo input
from these renderings, so the IR is the single source of truth for what the program says.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from nesy.errors import ConfigError
from nesy.span import Span

__all__ = [
    "Span",
    "Var",
    "Const",
    "Str",
    "Func",
    "BinOp",
    "UnaryMinus",
    "Abs",
    "Interval",
    "Pool",
    "Term",
    "Atom",
    "Literal",
    "Comparison",
    "Boolean",
    "AggregateElement",
    "Guard",
    "Aggregate",
    "BodyItem",
    "Rule",
    "Constraint",
    "ChoiceElement",
    "ChoiceRule",
    "ProbFact",
    "AnnotatedDisjunction",
    "NeuralPredicate",
    "Query",
    "Evidence",
    "Show",
    "ConstDef",
    "Defined",
    "Statement",
    "Program",
    "walk",
    "variables",
]


_NO_SPAN = Span("<generated>", 0, 0, 0, 0)


# --- terms -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Var:
    name: str  # "_" is the anonymous variable
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    """An integer or a symbolic constant (lower-case identifier)."""

    value: int | str
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Str:
    """A double-quoted string; ``value`` holds it unescaped."""

    value: str
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'


@dataclass(frozen=True, slots=True)
class Func:
    """A compound term ``name(args)``; ``name == ""`` is a tuple."""

    name: str
    args: tuple[Term, ...]
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        inner = ",".join(str(a) for a in self.args)
        if self.name == "" and len(self.args) == 1:
            inner += ","
        return f"{self.name}({inner})"


@dataclass(frozen=True, slots=True)
class BinOp:
    """Arithmetic on 32-bit integers: op is one of clingo's ``+ - * / \\ **`` (``/`` truncates,
    ``\\`` is the remainder with the sign of the dividend) or one of Prolog's ``//`` (floor
    division, as ProbLog computes it) and ``mod`` (the remainder with the sign of the divisor).

    clingo has neither of Prolog's two, so they render as clingo arithmetic that computes them:
    ``A mod B`` as ``((A\\B)+B)\\B`` and ``A // B`` as ``A/B`` plus ``-1`` where the
    remainders differ. Both are exact while ``|B| <= 2**30`` (``(A\\B)+B`` stays in range).
    """

    op: str
    left: Term
    right: Term
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        left, right = self.left, self.right
        if self.op == "mod":
            return _floor_mod(str(left), str(right))
        if self.op == "//":
            a, b = str(left), str(right)
            return f"(({a}/{b})+((({a}\\{b})-{_floor_mod(a, b)})/{b}))"
        return f"({left}{self.op}{right})"


def _floor_mod(a: str, b: str) -> str:
    return f"((({a}\\{b})+{b})\\{b})"


@dataclass(frozen=True, slots=True)
class UnaryMinus:
    arg: Term
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"-({self.arg})"


@dataclass(frozen=True, slots=True)
class Abs:
    """``|arg|``, clingo's absolute value; the parser reads Prolog's ``abs(E)`` in arithmetic
    as this (outside arithmetic ``abs(x)`` stays a compound term, as in clingo)."""

    arg: Term
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"|{self.arg}|"


@dataclass(frozen=True, slots=True)
class Interval:
    """``lo..hi``, both bounds included."""

    lo: Term
    hi: Term
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"({self.lo}..{self.hi})"


@dataclass(frozen=True, slots=True)
class Pool:
    """``(a;b;c)``: the statement holds for each alternative."""

    alternatives: tuple[Term, ...]
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return "(" + ";".join(str(a) for a in self.alternatives) + ")"


Term = Var | Const | Str | Func | BinOp | UnaryMinus | Abs | Interval | Pool


# --- atoms and body items -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Atom:
    predicate: str
    args: tuple[Term, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)

    @property
    def signature(self) -> tuple[str, int]:
        return (self.predicate, len(self.args))

    def __str__(self) -> str:
        if not self.args:
            return self.predicate
        return f"{self.predicate}({','.join(str(a) for a in self.args)})"


@dataclass(frozen=True, slots=True)
class Literal:
    """An atom, or its default negation ``not atom``."""

    atom: Atom
    negated: bool = False
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"not {self.atom}" if self.negated else str(self.atom)


def clingo_op(op: str) -> str:
    """A comparison operator as clingo writes it (``==`` is clingo's ``=``)."""
    return "=" if op == "==" else op


@dataclass(frozen=True, slots=True)
class Comparison:
    """``left op right`` with op in ``= == != < <= > >=``.

    ``=`` is clingo's: it compares values and binds a variable on one side from the other
    (``X is E`` parses as ``X = E``). ``==`` compares the same way but binds nothing, so each
    of its variables must be bound elsewhere: it is Prolog's ``==`` (term identity, the parser
    refuses arithmetic in it) and ``=:=`` (arithmetic equality of bound values). Both render as
    clingo's ``=``, which on bound terms is the same test.
    """

    op: str
    left: Term
    right: Term
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"{self.left}{clingo_op(self.op)}{self.right}"


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` (clingo's ``#true``) or ``fail`` / ``false`` (``#false``) in a body."""

    value: bool
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return "#true" if self.value else "#false"


@dataclass(frozen=True, slots=True)
class AggregateElement:
    """``terms : condition`` inside an aggregate (``true`` in a condition: a Boolean)."""

    terms: tuple[Term, ...]
    condition: tuple[Literal | Comparison | Boolean, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        text = ",".join(str(t) for t in self.terms)
        if self.condition:
            text += ":" + ",".join(str(c) for c in self.condition)
        return text


@dataclass(frozen=True, slots=True)
class Guard:
    """One bound of an aggregate, read as ``aggregate op term``."""

    op: str
    term: Term
    span: Span = field(default=_NO_SPAN, compare=False)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class Aggregate:
    """``#count``, ``#sum``, ``#min`` or ``#max`` with at most two guards.

    Guards are normalised so that each reads ``aggregate op term``: the source ``2 <= #count{..}``
    becomes ``Guard(">=", 2)``.
    """

    function: str
    elements: tuple[AggregateElement, ...]
    guards: tuple[Guard, ...]
    negated: bool = False
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        text = f"#{self.function}{{{';'.join(str(e) for e in self.elements)}}}"
        guards = self.guards
        if len(guards) == 2:  # clingo has one guard on each side: `lo <= #agg{..} < hi`
            text = f"{guards[0].term}{clingo_op(_FLIP[guards[0].op])}{text}"
            guards = guards[1:]
        for guard in guards:
            text += f"{clingo_op(guard.op)}{guard.term}"
        return f"not {text}" if self.negated else text


BodyItem = Literal | Comparison | Aggregate | Boolean


def _body(body: tuple[BodyItem, ...]) -> str:
    return ",".join(str(b) for b in body)


# --- statements ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """``head :- body.``; a fact has an empty body."""

    head: Atom
    body: tuple[BodyItem, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"{self.head}:-{_body(self.body)}." if self.body else f"{self.head}."


@dataclass(frozen=True, slots=True)
class Constraint:
    """``:- body.``"""

    body: tuple[BodyItem, ...]
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f":-{_body(self.body)}."


@dataclass(frozen=True, slots=True)
class ChoiceElement:
    atom: Atom
    condition: tuple[Literal | Comparison | Boolean, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        if not self.condition:
            return str(self.atom)
        return f"{self.atom}:{','.join(str(c) for c in self.condition)}"


@dataclass(frozen=True, slots=True)
class ChoiceRule:
    """``lower { a; b : c } upper :- body.``; missing bounds are ``None``."""

    elements: tuple[ChoiceElement, ...]
    lower: Term | None = None
    upper: Term | None = None
    body: tuple[BodyItem, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        text = "{" + ";".join(str(e) for e in self.elements) + "}"
        if self.lower is not None:
            text = f"{self.lower}{text}"
        if self.upper is not None:
            text = f"{text}{self.upper}"
        return f"{text}:-{_body(self.body)}." if self.body else f"{text}."


@dataclass(frozen=True, slots=True)
class ProbFact:
    """``p::atom :- body.``: each ground instance is true with probability p, independently."""

    probability: float
    atom: Atom
    body: tuple[BodyItem, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class AnnotatedDisjunction:
    """``p1::a1; p2::a2 :- body.``: at most one head per ground instance (none with 1 - sum p)."""

    heads: tuple[tuple[float, Atom], ...]
    body: tuple[BodyItem, ...] = ()
    span: Span = field(default=_NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class NeuralPredicate:
    """``nn(network, [X1..Xk], Y, [domain]) :: atom.``

    For each ground input tuple exactly one ``atom`` with ``Y`` in ``domain`` holds; the network's
    softmax over the domain (in the listed order) is its distribution.
    """

    network: str
    inputs: tuple[Var, ...]
    output: Var
    domain: tuple[Term, ...]  # ground terms, intervals already expanded
    atom: Atom
    span: Span = field(default=_NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Query:
    """``query(atom).``: variables in ``atom`` range over its ground instances."""

    atom: Atom
    span: Span = field(default=_NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Evidence:
    """``evidence(atom, true|false).`` (``evidence(atom).`` means true)."""

    atom: Atom
    value: bool = True
    span: Span = field(default=_NO_SPAN, compare=False)


@dataclass(frozen=True, slots=True)
class Show:
    """``#show p/n.``"""

    predicate: str
    arity: int
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"#show {self.predicate}/{self.arity}."


@dataclass(frozen=True, slots=True)
class ConstDef:
    """``#const name = value.``: a default that :meth:`Program.with_constants` can override."""

    name: str
    value: Term
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"#const {self.name}={self.value}."


@dataclass(frozen=True, slots=True)
class Defined:
    """``#defined p/n.``: ``p/n`` deliberately has no rules here (its facts come from another
    file, or it is meant to be false); body literals on it are then no error."""

    predicate: str
    arity: int
    span: Span = field(default=_NO_SPAN, compare=False)

    def __str__(self) -> str:
        return f"#defined {self.predicate}/{self.arity}."


Statement = (
    Rule
    | Constraint
    | ChoiceRule
    | ProbFact
    | AnnotatedDisjunction
    | NeuralPredicate
    | Query
    | Evidence
    | Show
    | ConstDef
    | Defined
)


_S = TypeVar("_S")


@dataclass(frozen=True, slots=True)
class Program:
    """A parsed program: its statements in source order."""

    statements: tuple[Statement, ...]
    source: str = "<string>"

    def of_type(self, kind: type[_S]) -> tuple[_S, ...]:
        return tuple(s for s in self.statements if isinstance(s, kind))

    @property
    def queries(self) -> tuple[Query, ...]:
        return self.of_type(Query)

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return self.of_type(Evidence)

    @property
    def neural_predicates(self) -> tuple[NeuralPredicate, ...]:
        return self.of_type(NeuralPredicate)

    def constant(self, name: str) -> int:
        """The integer a ``#const name = ...`` declares (what sizes a task, e.g. ``n``)."""
        for definition in self.of_type(ConstDef):
            value = definition.value
            if (
                definition.name == name
                and isinstance(value, Const)
                and isinstance(value.value, int)
            ):
                return value.value
        raise ConfigError(f"{self.source}: no integer '#const {name} = ...' to size the task")

    def with_constants(self, values: dict[str, int]) -> Program:
        """The same program with these ``#const`` values (each must be declared)."""
        declared = {c.name for c in self.of_type(ConstDef)}
        unknown = sorted(set(values) - declared)
        if unknown:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(
                f"no #const {', '.join(unknown)} in {self.source} (declared: {known})"
            )
        for name, value in values.items():  # clingo would wrap it silently
            if isinstance(value, int) and not -(2**31) <= value < 2**31:
                raise ConfigError(
                    f"#const {name} = {value} is outside clingo's 32-bit integers "
                    f"[{-(2**31)}, {2**31 - 1}]"
                )
        statements = tuple(
            ConstDef(s.name, Const(values[s.name]), s.span)
            if isinstance(s, ConstDef) and s.name in values
            else s
            for s in self.statements
        )
        return Program(statements, self.source)


def _children(node: object) -> tuple[object, ...]:
    if isinstance(node, Func | Atom):
        return node.args
    if isinstance(node, BinOp | Comparison):
        return (node.left, node.right)
    if isinstance(node, UnaryMinus | Abs):
        return (node.arg,)
    if isinstance(node, Interval):
        return (node.lo, node.hi)
    if isinstance(node, Pool):
        return node.alternatives
    if isinstance(node, Literal):
        return (node.atom,)
    return ()


def walk(node: object) -> Iterator[object]:
    """``node`` and every term inside it (of an atom, literal, comparison or term), pre-order,
    left to right."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def variables(node: object) -> Iterator[Var]:
    """Every variable occurrence in ``node``, left to right (``_`` included; callers filter).

    >>> [v.name for v in variables(Atom("p", (Var("X"), BinOp("+", Var("Y"), Const(1)))))]
    ['X', 'Y']
    """
    return (sub for sub in walk(node) if isinstance(sub, Var))
