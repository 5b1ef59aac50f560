"""Text to :class:`~nesy.lang.ir.Program`: the lark grammar, one tree-to-IR pass, readable errors.

The grammar lives in ``grammar.lark`` next to this module. :func:`parse` builds the IR in one
pass of :class:`_Builder` over lark's tree, then runs :func:`nesy.lang.check.check` on it.

The .nesy dialect is clingo's syntax with ProbLog's annotations. Where Prolog spells
something that clingo reads differently, :mod:`nesy.lang.spelling` decides what it means (or
refuses it); constructs the dialect leaves out fail to parse and are named by
:mod:`nesy.lang.syntax_errors`; :mod:`nesy.lang.check` then checks the whole program (integer
range, safety, undefined predicates, Prolog directives). In the builder itself: ``true`` in a
body is clingo's ``#true``, ``fail`` and ``false`` are ``#false``; a float where a term goes is
refused; integer literals past 11 digits are refused before Python converts them.

Prolog directives. ``:- body.`` is an integrity constraint, except where ``body`` is exactly
one positive atom whose predicate name is a Prolog directive's (``use_module``, ``consult``,
``ensure_loaded``, ``include``, ``module``, ``dynamic``, ``discontiguous``, ``multifile``,
``initialization``, ``set_prolog_flag``, ``table``, ``op``, ...: ``builtins.DIRECTIVES``) and
the program defines no predicate of that name and arity: that is a directive, refused by
:mod:`nesy.lang.check`. So ``:- p(X), q(X).`` and ``:- not dynamic.`` stay constraints, and so
does ``:- table(X).`` in a program that defines ``table/1``. Directives written in operator
form (``:- dynamic p/1.``, ``:- table p/2.``) or as a list (``:- [file].``) do not parse; the
syntax error names them.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from os import PathLike
from pathlib import Path
from typing import NoReturn, ParamSpec, TypeVar

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedInput
from lark.tree import Meta

from nesy.errors import NesyError, NesySyntaxError, NesyTypeError
from nesy.lang import ir, spelling
from nesy.lang.arith import out_of_range
from nesy.lang.builtins import BUILTIN_VALUES
from nesy.lang.check import check
from nesy.lang.ir import Program, Span, Statement, Term
from nesy.lang.source_file import read_program
from nesy.lang.syntax_errors import FLOAT_MESSAGE, syntax_error

__all__ = ["parse", "parse_file", "parse_files"]

_T = TypeVar("_T")
_P = ParamSpec("_P")


def parse(text: str, source: str = "<string>") -> Program:
    """Parse and check a program.

    Parameters
    ----------
    text
        The program text.
    source
        The name spans and error messages use for the text (usually its file name).

    Returns
    -------
    Program
        The statements in source order.

    Raises
    ------
    NesySyntaxError
        The text is not a program; the error points at the offending token or character.
    NesyTypeError
        The program is well-formed but meaningless (unsafe variable, bad probability, ...).

    Examples
    --------
    >>> program = parse("0.3::edge(a,b). path(X,Y) :- edge(X,Y).")
    >>> [type(s).__name__ for s in program.statements]
    ['ProbFact', 'Rule']
    >>> str(program.statements[1])
    'path(X,Y):-edge(X,Y).'
    """
    program = Program(tuple(_statements(text, source)), source)
    check(program, text)
    return program


def parse_file(path: str | PathLike[str]) -> Program:
    """Parse and check the program in the file at ``path`` (UTF-8); see :func:`parse`."""
    return parse(read_program(path), str(path))


def parse_files(paths: Sequence[str | PathLike[str]]) -> Program:
    """Parse several files as one program (rules in one, facts in another), named after the
    first, and check them together: a predicate defined in one file may be used in another
    without a ``#defined`` declaration. Errors point into the file they are about."""
    if not paths:
        raise NesyError("parse_files needs at least one file")
    texts = {str(path): read_program(path) for path in paths}
    statements = [s for source, text in texts.items() for s in _statements(text, source)]
    program = Program(tuple(statements), str(paths[0]))
    check(program, texts)
    return program


def _statements(text: str, source: str) -> list[Statement]:
    """The statements of ``text``, unchecked."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise syntax_error(exc, text, source, _parser()) from exc
    except LarkError as exc:  # defensive: any other lark failure is still a syntax error
        raise NesySyntaxError(f"cannot parse: {exc}", Span(source, 1, 1, 1, 1), text) from exc
    return _Builder(source, text).build(tree)


@functools.cache
def _parser() -> Lark:
    grammar = importlib.resources.files("nesy.lang").joinpath("grammar.lark").read_text("utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=_cache_file("grammar"),
    )


def _cache_file(name: str) -> str:
    """Where lark keeps the built parser tables: building them costs ~0.3 s per process, a third
    of a small `nesy solve`. Lark checks the grammar's hash in the file and rebuilds on a
    mismatch; in the user's own cache folder (not /tmp: lark's cache is a pickle, which no other
    user may be able to plant), and skipped silently when it cannot be written."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nesy"
    with contextlib.suppress(OSError):
        root.mkdir(parents=True, exist_ok=True)
    return str(root / f"{name}-{sys.version_info[0]}.{sys.version_info[1]}.lark")


# --- tree to IR ----------------------------------------------------------------------------

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "==": "==", "!=": "!="}
_CLINGO_VAR = re.compile(r"_*[A-Z][A-Za-z0-9_']*|_")
_ESCAPE = re.compile(r"\\(.)")


def _var_name(token: Token) -> str:
    """Prolog's ``_x`` is a variable but clingo's is a constant: it becomes ``_V_x``."""
    return str(token) if _CLINGO_VAR.fullmatch(token) else "_V" + token


def _int_value(term: Term) -> int | None:
    return term.value if isinstance(term, ir.Const) and isinstance(term.value, int) else None


#: more digits than this is outside clingo's integers whatever the sign (2**31 has 10)
_MAX_INT_DIGITS = 11
#: the most values a neural predicate's domain interval may expand to
_MAX_DOMAIN = 1_000_000


#: what the grammar's rules build besides IR nodes: a body, a condition, a probabilistic head,
#: a choice rule's upper bound ("upper" or "exact", the term) and an atom's or function's
#: argument tuples (several: a pool) with where they are written
_Body = tuple[ir.BodyItem, ...]
_Condition = tuple[ir.Literal | ir.Comparison | ir.Boolean, ...]
_Head = tuple[float, ir.Atom]
_Bound = tuple[str, Term]
_Args = tuple[tuple[tuple[Term, ...], ...], Span]


class _Builder:
    """One method per grammar rule (or alias), called as ``method(meta, *children)``.

    Like a lark ``Transformer`` with ``v_args(meta=True, inline=True)``, but walking the tree
    iteratively: no recursion limit on deep terms and no per-call wrapper overhead. A child is
    a token, ``None`` for an absent ``[optional]``, or what its own rule's method built; each
    method's parameters say which, as the grammar lays them out.
    """

    def __init__(self, source: str, text: str):
        self._source = source
        self._text = text

    def build(self, tree: Tree[Token]) -> list[Statement]:
        results: list[object] = []
        stack: list[tuple[Tree[Token] | Token | None, bool]] = [(tree, False)]
        while stack:
            node, children_done = stack.pop()
            if not isinstance(node, Tree):  # a token, or None for an absent [optional]
                results.append(node)
            elif children_done:
                count = len(node.children)
                children = results[len(results) - count :]
                del results[len(results) - count :]
                results.append(getattr(self, node.data)(node.meta, *children))
            else:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.children))
        statements = results[0]
        assert isinstance(statements, list)  # the root is `start`, built by start()
        return statements

    def _span(self, meta: Meta) -> Span:
        return Span(self._source, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tspan(self, tok: Token) -> Span:
        # the lexer gives every token it reads a position; only hand-made tokens lack one
        assert tok.line is not None and tok.column is not None
        assert tok.end_line is not None and tok.end_column is not None
        return Span(self._source, tok.line, tok.column, tok.end_line, tok.end_column)

    def _error(self, message: str, span: Span) -> NesySyntaxError:
        return NesySyntaxError(message, span, self._text)

    # statements

    def start(self, meta: Meta, *statements: Statement) -> list[Statement]:
        return list(statements)

    def rule(self, meta: Meta, head: ir.Atom, body: _Body | None) -> ir.Rule:
        return ir.Rule(head, body or (), self._span(meta))

    def constraint(self, meta: Meta, body: _Body) -> ir.Constraint:
        return ir.Constraint(body, self._span(meta))

    def choice_rule(
        self,
        meta: Meta,
        lower: Term | None,
        *rest: *tuple[*tuple[ir.ChoiceElement | None, ...], _Bound | None, _Body | None],
    ) -> ir.ChoiceRule:
        elements = tuple(e for e in rest[:-2] if e is not None)
        upper, body = rest[-2], rest[-1]
        if upper is not None and upper[0] == "exact":
            if lower is not None:
                raise self._error(
                    "a choice rule with '= n' cannot also have a lower bound", lower.span
                )
            lower = upper[1]
        return ir.ChoiceRule(
            elements, lower, None if upper is None else upper[1], body or (), self._span(meta)
        )

    def upper_bound(self, meta: Meta, term: Term) -> _Bound:
        return ("upper", term)

    def exact_bound(self, meta: Meta, term: Term) -> _Bound:
        return ("exact", term)

    def choice_element(
        self, meta: Meta, atom: ir.Atom, condition: _Condition | None
    ) -> ir.ChoiceElement:
        return ir.ChoiceElement(atom, condition or (), self._span(meta))

    def prob_rule(
        self, meta: Meta, *children: *tuple[*tuple[_Head, ...], _Body | None]
    ) -> ir.ProbFact | ir.AnnotatedDisjunction:
        heads, body = children[:-1], children[-1] or ()
        if len(heads) == 1:
            return ir.ProbFact(heads[0][0], heads[0][1], body, self._span(meta))
        return ir.AnnotatedDisjunction(tuple(heads), body, self._span(meta))

    def prob_head(self, meta: Meta, probability: float, atom: ir.Atom) -> _Head:
        return (probability, atom)

    # probability labels: floats, computed as ProbLog computes them

    def label_number(self, meta: Meta, token: Token) -> float:
        digits = str(token).lstrip("0")
        if token.type == "INT" and len(digits) > 308:  # float() of it: inf, but int() refuses
            return math.inf
        return float(token)  # '1e999' is inf: out of [0, 1], which the checks report

    def label_other(self, meta: Meta, name: Token, *_args: _Args | None) -> float:
        raise NesyTypeError(
            f"a probability label must be a number or arithmetic over numbers, not '{name}' "
            "(the .nesy dialect has no variable or learnable probabilities)",
            self._span(meta),
            self._text,
        )

    def _label_op(self, op: str, meta: Meta, left: float, right: float) -> float:
        return self._spelled(spelling.label, op, left, right, self._span(meta))

    def label_neg(self, meta: Meta, value: float) -> float:
        return -value

    label_add = functools.partialmethod(_label_op, "+")
    label_sub = functools.partialmethod(_label_op, "-")
    label_mul = functools.partialmethod(_label_op, "*")
    label_div = functools.partialmethod(_label_op, "/")
    label_pow = functools.partialmethod(_label_op, "**")

    def neural(
        self,
        meta: Meta,
        network: Token,
        inputs: tuple[ir.Var, ...],
        output: Token,
        domain: tuple[Term, ...],
        atom: ir.Atom,
    ) -> ir.NeuralPredicate:
        out = ir.Var(_var_name(output), self._tspan(output))
        return ir.NeuralPredicate(str(network), inputs, out, domain, atom, self._span(meta))

    def nn_inputs(self, meta: Meta, *tokens: Token | None) -> tuple[ir.Var, ...]:
        return tuple(ir.Var(_var_name(t), self._tspan(t)) for t in tokens if t is not None)

    def nn_domain(self, meta: Meta, *terms: Term | None) -> tuple[Term, ...]:
        values: list[Term] = []
        for term in terms:
            if term is None:
                continue
            lo, hi = (
                (_int_value(term.lo), _int_value(term.hi))
                if isinstance(term, ir.Interval)
                else (None, None)
            )
            if lo is not None and hi is not None:  # `[0..9]`: intervals are expanded
                if hi - lo >= _MAX_DOMAIN:
                    raise self._type_error(
                        f"a neural predicate's domain of {hi - lo + 1} values is too large "
                        f"(at most {_MAX_DOMAIN:,}: one network output per value)",
                        term.span,
                    )
                values.extend(ir.Const(v, term.span) for v in range(lo, hi + 1))
            else:  # anything else is kept; the checks reject non-ground values
                values.append(term)
        return tuple(values)

    def query(self, meta: Meta, atom: ir.Atom) -> ir.Query:
        return ir.Query(atom, self._span(meta))

    def evidence(self, meta: Meta, atom: ir.Atom, value: Token | None) -> ir.Evidence:
        if value is not None and value not in ("true", "false"):
            raise self._error(
                f"unexpected '{value}'; expected 'true' or 'false'", self._tspan(value)
            )
        return ir.Evidence(atom, value != "false", self._span(meta))

    def show(self, meta: Meta, name: Token, arity: Token) -> ir.Show:
        return ir.Show(str(name), self._arity(arity), self._span(meta))

    def defined(self, meta: Meta, name: Token, arity: Token) -> ir.Defined:
        return ir.Defined(str(name), self._arity(arity), self._span(meta))

    def _arity(self, token: Token) -> int:
        if len(token.lstrip("0")) > _MAX_INT_DIGITS:
            raise NesyTypeError(f"arity {token} is too large", self._tspan(token), self._text)
        return int(token)

    def const_def(self, meta: Meta, name: Token, value: Term) -> ir.ConstDef:
        return ir.ConstDef(str(name), value, self._span(meta))

    # bodies

    def body(self, meta: Meta, *items: ir.BodyItem) -> _Body:
        return tuple(items)

    def condition(self, meta: Meta, *items: ir.Literal | ir.Comparison | ir.Boolean) -> _Condition:
        return tuple(items)

    def pos_literal(self, meta: Meta, atom: ir.Atom) -> ir.Literal | ir.Boolean:
        if not atom.args and atom.predicate in BUILTIN_VALUES:
            return ir.Boolean(BUILTIN_VALUES[atom.predicate], self._span(meta))
        return ir.Literal(atom, False, self._span(meta))

    def neg_literal(self, meta: Meta, _negation: bool, atom: ir.Atom) -> ir.Literal | ir.Boolean:
        if not atom.args and atom.predicate in BUILTIN_VALUES:
            return ir.Boolean(not BUILTIN_VALUES[atom.predicate], self._span(meta))
        return ir.Literal(atom, True, self._span(meta))

    def negation(self, meta: Meta, token: Token) -> bool:
        return True

    def cmp(self, meta: Meta, token: Token) -> str:
        return str(token)  # the source spelling: comparison() reads it before canonicalising

    def comparison(self, meta: Meta, left: Term, op: str, right: Term) -> ir.Comparison:
        return self._spelled(spelling.comparison, op, left, right, self._span(meta))

    def _spelled(self, build: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``build(*args)`` from :mod:`nesy.lang.spelling`, its refusal a positioned error."""
        try:
            return build(*args, **kwargs)
        except spelling.Refused as exc:
            raise self._type_error(exc.message, exc.span) from None

    def _type_error(self, message: str, span: Span) -> NesyTypeError:
        return NesyTypeError(message, span, self._text)

    def aggregate(
        self,
        meta: Meta,
        negated: bool | None,
        left: Term | None,
        left_op: str | None,
        function: Token,
        *rest: *tuple[*tuple[ir.AggregateElement | None, ...], str | None, Term | None],
    ) -> ir.Aggregate:
        elements = tuple(e for e in rest[:-2] if e is not None)
        right_op, right = rest[-2], rest[-1]
        guards = []
        if left is not None:
            assert left_op is not None  # the grammar's [term cmp]: both or neither
            guards.append(ir.Guard(_FLIP[spelling.canonical_op(left_op)], left, left.span))
        if right is not None:
            assert right_op is not None  # the grammar's [cmp term]: both or neither
            guards.append(ir.Guard(spelling.canonical_op(right_op), right, right.span))
        return ir.Aggregate(
            str(function)[1:], elements, tuple(guards), bool(negated), self._span(meta)
        )

    def agg_element(
        self, meta: Meta, *children: *tuple[*tuple[Term, ...], _Condition | None]
    ) -> ir.AggregateElement:
        return ir.AggregateElement(tuple(children[:-1]), children[-1] or (), self._span(meta))

    # atoms and terms

    def atom(self, meta: Meta, name: Token, args: _Args | None) -> ir.Atom:
        return ir.Atom(str(name), self._flat_args(args), self._span(meta))

    def args(self, meta: Meta, *tuples: tuple[Term, ...]) -> _Args:
        return (tuples, self._span(meta))

    def arg_tuple(self, meta: Meta, *terms: Term) -> tuple[Term, ...]:
        return tuple(terms)

    def _flat_args(self, args: _Args | None) -> tuple[Term, ...]:
        """Arguments of an atom or function: ``f(1;2)`` pools its single argument."""
        if args is None:
            return ()
        tuples, span = args
        if len(tuples) == 1:
            return tuples[0]
        if all(len(t) == 1 for t in tuples):
            return (ir.Pool(tuple(t[0] for t in tuples), span),)
        raise self._error(
            "a pool of several arguments is not supported; "
            "pool one argument in parentheses, e.g. p(a,(1;2))",
            span,
        )

    def func(self, meta: Meta, name: Token, args: _Args | None) -> ir.Func:
        return ir.Func(str(name), self._flat_args(args), self._span(meta))

    def paren(self, meta: Meta, args: _Args | None) -> Term:
        if args is None:
            return ir.Func("", (), self._span(meta))
        tuples, _ = args
        span = self._span(meta)
        alternatives = [t[0] if len(t) == 1 else ir.Func("", t, span) for t in tuples]
        if len(alternatives) > 1:
            return ir.Pool(tuple(alternatives), span)
        return alternatives[0]

    def var(self, meta: Meta, token: Token) -> ir.Var:
        return ir.Var(_var_name(token), self._span(meta))

    def int(self, meta: Meta, token: Token) -> ir.Const:
        if len(token.lstrip("0")) > _MAX_INT_DIGITS:  # int() would refuse past 4,300 digits
            raise self._type_error(out_of_range(_huge(token)), self._span(meta))
        return ir.Const(int(token), self._span(meta))

    def const(self, meta: Meta, token: Token) -> ir.Const:
        return ir.Const(str(token), self._span(meta))

    def float(self, meta: Meta, token: Token) -> NoReturn:
        span = self._span(meta)
        if re.search(r"(^|[.\s])t\(\s*$", self._text[: token.start_pos]):  # t(0.5)::a.
            raise self._error(
                "learnable probabilities 't(p)::...' are not supported in the .nesy dialect",
                span,
            )
        raise self._error(FLOAT_MESSAGE, span)

    def string(self, meta: Meta, token: Token) -> ir.Str:
        value = _ESCAPE.sub(lambda m: "\n" if m.group(1) == "n" else m.group(1), token[1:-1])
        return ir.Str(value, self._span(meta))

    def neg(self, meta: Meta, term: Term) -> ir.Const | ir.UnaryMinus:
        if isinstance(term, ir.Const) and isinstance(term.value, int):
            return ir.Const(-term.value, self._span(meta))
        return ir.UnaryMinus(self._spelled(spelling.arithmetic, term), self._span(meta))

    def interval(self, meta: Meta, lo: Term, hi: Term) -> ir.Interval:
        return ir.Interval(lo, hi, self._span(meta))

    def _binop(self, op: str, meta: Meta, left: Term, right: Term) -> ir.BinOp:
        return self._spelled(spelling.binop, op, left, right, self._span(meta))

    add = functools.partialmethod(_binop, "+")
    sub = functools.partialmethod(_binop, "-")
    mul = functools.partialmethod(_binop, "*")
    div = functools.partialmethod(_binop, "/")
    floordiv = functools.partialmethod(_binop, "//")
    mod = functools.partialmethod(_binop, "\\")
    prolog_mod = functools.partialmethod(_binop, "mod")
    rem = functools.partialmethod(_binop, "rem")
    pow = functools.partialmethod(_binop, "**")


def _huge(token: Token) -> int:
    """A stand-in value for an integer literal too long to convert: only its size is shown."""
    size: int = 10 ** (len(token.lstrip("0")) - 1)  # a power of ten: int ** int is Any to mypy
    return size
