"""What Prolog's spellings mean in the .nesy dialect, where clingo gives them another meaning.

The parser builds comparisons, arithmetic and probability labels through these functions; each
returns the IR node or raises :class:`Refused` (a message and the span it is about), which the
parser turns into a :class:`~nesy.errors.NesyTypeError` with the source text.

- ``==`` and ``=:=`` compare without binding (IR op ``==``). ``==``, ``\\==`` and ``\\=``
  compare *terms* in Prolog, so arithmetic in them is refused: ``1+1 == 2`` is false in
  Prolog and would be true in clingo.
- ``/`` is refused under Prolog's arithmetic operators (``is``, ``=:=``, ``=\\=``, ``=<``),
  where ProbLog divides floats; ``//`` and ``div`` divide integers rounding down and ``mod``
  takes the divisor's sign, as ProbLog computes them; ``rem`` is refused (Prolog systems
  disagree on its sign). ``/`` and ``\\`` under clingo's operators keep clingo's meaning.
- In arithmetic (an operand of an operator, a side of an order comparison, the right of
  ``is``) ``abs(E)`` is clingo's ``|E|`` and Prolog's other functions are refused; elsewhere
  ``f(...)`` is a compound term, as in clingo.
- A probability label is computed as ProbLog computes it: with floats.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import TypeGuard, TypeVar

from nesy.lang import ir
from nesy.lang.builtins import ARITHMETIC_FUNCTIONS, PROBLOG_DIALECT
from nesy.lang.ir import Span, Term

__all__ = ["Refused", "comparison", "arithmetic", "binop", "label"]

_Node = TypeVar("_Node")

# Source comparison operators -> the IR's (see ir.Comparison).
_CANONICAL_OP = {"\\=": "!=", "\\==": "!=", "=<": "<=", "=:=": "==", "=\\=": "!=", "is": "="}
#: Prolog's arithmetic comparisons: '/' divides floats under them in ProbLog
_PROLOG_ARITHMETIC = {"is", "=:=", "=\\=", "=<"}
#: comparisons of terms, not values: arithmetic in them means something else in Prolog
_TERM_COMPARISONS = {
    "==": "'==' compares terms, not values ('1+1 == 2' is false in Prolog); "
    "use '=:=' to compare values",
    "\\==": "'\\==' compares terms, not values; use '=\\=' to compare values",
    "\\=": "'\\=' is Prolog's 'does not unify', a comparison of terms, not values; "
    "use '=\\=' (or clingo's '!=') to compare values",
}
#: comparisons whose sides are arithmetic (where abs/1 is |X|); `is` only on its right
_ARITHMETIC_SIDES = {"<", "<=", ">", ">=", "=<", "=:=", "=\\="}
_LABEL_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


class Refused(Exception):
    """A spelling the .nesy dialect refuses; ``span`` is the part to point at."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.message = message
        self.span = span


def canonical_op(op: str) -> str:
    """The IR's operator for a source comparison operator."""
    return _CANONICAL_OP.get(op, op)


def _find(term: Term, wanted: Callable[[object], TypeGuard[_Node]]) -> _Node | None:
    """The first node of ``term`` (pre-order) for which ``wanted`` holds."""
    return next((node for node in ir.walk(term) if wanted(node)), None)


def _is_arithmetic(node: object) -> TypeGuard[ir.BinOp | ir.UnaryMinus | ir.Abs | ir.Interval]:
    return isinstance(node, ir.BinOp | ir.UnaryMinus | ir.Abs | ir.Interval)


def _is_division(node: object) -> TypeGuard[ir.BinOp]:
    return isinstance(node, ir.BinOp) and node.op == "/"


def _is_pool_or_interval(node: object) -> TypeGuard[ir.Pool | ir.Interval]:
    return isinstance(node, ir.Pool | ir.Interval)


def comparison(op: str, left: Term, right: Term, span: Span) -> ir.Comparison:
    """``left op right`` with ``op`` as written, checked against what it means to a Prolog
    user, with the IR's operator."""
    if op in _TERM_COMPARISONS:
        for side in (left, right):
            found = _find(side, _is_arithmetic)
            if found is not None:
                raise Refused(_TERM_COMPARISONS[op], found.span)
    if op == "is" and _is_arithmetic(left):
        raise Refused(
            "the left of 'is' must be a variable or a number: Prolog unifies it with the value "
            "on the right",
            left.span,
        )
    if op in _PROLOG_ARITHMETIC:
        found = _find(right if op == "is" else ir.Func("", (left, right)), _is_division)
        if found is not None:
            raise Refused(
                f"'/' under '{op}' divides integers in clingo (7/2 = 3) but floats in ProbLog "
                "(7/2 = 3.5), and the .nesy dialect has no floats: write '//' for integer "
                "division (rounding down, as ProbLog's '//')",
                found.span,
            )
    if op == "is":
        right = arithmetic(right)
    elif op in _ARITHMETIC_SIDES:
        left, right = arithmetic(left), arithmetic(right)
    return ir.Comparison(canonical_op(op), left, right, span)


def arithmetic(term: Term) -> Term:
    """``term`` where Prolog evaluates it: ``abs(E)`` becomes clingo's ``|E|``, and Prolog's
    other arithmetic functions are refused (clingo would keep them as compound terms)."""
    if not isinstance(term, ir.Func):
        return term
    signature = (term.name, len(term.args))
    if signature == ("abs", 1):
        return ir.Abs(arithmetic(term.args[0]), term.span)
    if signature in ARITHMETIC_FUNCTIONS:
        hint = ""
        if term.name in ("min", "max"):
            hint = " (aggregates #min and #max take the least and greatest)"
        raise Refused(
            f"{term.name}/{len(term.args)} is a Prolog arithmetic function that the .nesy "
            f"dialect does not have{hint}; {PROBLOG_DIALECT}",
            term.span,
        )
    return term


def binop(op: str, left: Term, right: Term, span: Span) -> ir.BinOp:
    """``left op right`` for an arithmetic operator (the IR's: ``//`` for ``div`` too)."""
    if op == "rem":
        raise Refused(
            "'rem' is not supported: Prolog systems disagree on its sign (ISO Prolog: the "
            "dividend's, ProbLog 2.3: the divisor's); write 'mod' for the divisor's sign or "
            "clingo's '\\' for the dividend's",
            span,
        )
    left, right = arithmetic(left), arithmetic(right)
    if op in ("//", "mod"):  # rendered with each operand several times: see ir.BinOp
        found = _find(ir.Func("", (left, right)), _is_pool_or_interval)
        if found is not None:
            raise Refused(
                f"an interval or pool cannot be an operand of '{op}' in the .nesy dialect",
                found.span,
            )
    return ir.BinOp(op, left, right, span)


def label(op: str, left: float, right: float, span: Span) -> float:
    """A probability label's arithmetic, in floats as ProbLog computes it."""
    try:
        value = _LABEL_OPS[op](left, right)
    except ZeroDivisionError as exc:
        raise Refused("division by zero in a probability label", span) from exc
    except OverflowError:
        return math.inf  # out of [0, 1]: the checks say so
    if isinstance(value, complex):
        raise Refused(f"the probability label is not a real number ({left:g} ** {right:g})", span)
    return value
