"""Constant integer arithmetic as clingo computes it, and the cases where clingo gets it wrong.

clingo's integers are 32-bit: a literal or a result outside ``[-2**31, 2**31 - 1]`` wraps
without a word (``2**100`` is 0, ``2147483647 + 1`` is ``-2147483648``), and
``-2147483648 / -1`` stops the process with a floating-point exception. :func:`fold` evaluates
the constant part of a term exactly, with Python integers and clingo's operators, and raises
:class:`ConstantError` where clingo would wrap, crash, or quietly drop the rule (division by
zero). Arithmetic over variables is only known once clingo grounds it, and is not checked here.
"""

from __future__ import annotations

import math

from nesy.lang.ir import Abs, BinOp, Const, Func, Interval, Pool, Span, Term, UnaryMinus

__all__ = ["INT_MIN", "INT_MAX", "ConstantError", "fold", "out_of_range"]

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1
_RANGE = f"clingo's 32-bit integers [{INT_MIN}, {INT_MAX}]"
#: a power with more bits than this is not computed (it is out of range anyway)
_MAX_BITS = 4096


class ConstantError(Exception):
    """Constant arithmetic that clingo would get wrong; ``span`` is the subterm's."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.message = message
        self.span = span


def out_of_range(value: int) -> str:
    """The message for an integer literal outside clingo's range."""
    return f"integer {_shown(value)} is outside {_RANGE} (clingo would silently wrap it)"


def _shown(value: int) -> str:
    bits = abs(value).bit_length()  # str() refuses integers past 4,300 digits
    digits = int(bits * math.log10(2)) + 1 if bits > 1000 else len(str(abs(value)))
    if digits > 40:
        return f"{'-' if value < 0 else ''}<a number of {digits} digits>"
    return str(value)


def _checked(value: int, node: Term) -> int:
    if not INT_MIN <= value <= INT_MAX:
        raise ConstantError(
            f"integer overflow: this arithmetic evaluates to {_shown(value)}, outside {_RANGE} "
            "(clingo would silently wrap it)",
            node.span,
        )
    return value


def _tdiv(a: int, b: int) -> int:
    """clingo's ``/``: the quotient truncated towards zero."""
    quotient = abs(a) // abs(b)
    return -quotient if (a < 0) != (b < 0) else quotient


def _trem(a: int, b: int) -> int:
    """clingo's ``\\``: the remainder with the sign of the dividend."""
    return a - b * _tdiv(a, b)


def _binop(node: BinOp, a: int, b: int) -> int:
    op = node.op
    if op == "+":
        return _checked(a + b, node)
    if op == "-":
        return _checked(a - b, node)
    if op == "*":
        return _checked(a * b, node)
    if op == "**":
        if b < 0:
            raise ConstantError(
                "'**' with a negative exponent: clingo computes 0 (or nothing for 0 ** -n), "
                "ProbLog a fraction; the .nesy dialect has no fractions",
                node.span,
            )
        if abs(a) >= 2 and b * abs(a).bit_length() > _MAX_BITS:  # too big to compute, or show
            digits = int(b * math.log10(abs(a))) + 1
            raise ConstantError(
                f"integer overflow: this power is a number of about {digits} digits, outside "
                f"{_RANGE} (clingo would silently wrap it)",
                node.span,
            )
        return _checked(a**b, node)
    if b == 0:
        raise ConstantError(
            "division by zero: clingo leaves the operation undefined and silently drops the rule",
            node.span,
        )
    if a == INT_MIN and b == -1:  # the quotient is 2**31; clingo's remainder computes it too
        raise ConstantError(
            f"integer overflow: {INT_MIN} divided by -1 is outside {_RANGE} "
            "(clingo stops with a floating-point exception on it)",
            node.span,
        )
    if op == "/":
        return _tdiv(a, b)
    if op == "\\":
        return _trem(a, b)
    # Prolog's `mod` and `//`, through the clingo arithmetic BinOp renders them as: every
    # intermediate value must be in range for the rendering to be exact.
    floor_mod = _trem(_checked(_trem(a, b) + b, node), b)
    if op == "mod":
        return floor_mod
    if op == "//":
        correction = _tdiv(_checked(_trem(a, b) - floor_mod, node), b)
        return _tdiv(a, b) + correction
    raise AssertionError(f"unknown operator {op!r}")


def fold(term: Term) -> int | None:
    """The value of ``term`` if it is constant integer arithmetic, else ``None``.

    Every integer literal and every constant subterm inside ``term`` (in arguments, pools and
    intervals as well) is checked on the way.

    Raises
    ------
    ConstantError
        A literal or a constant subterm that clingo would wrap, crash on, or leave undefined.

    Examples
    --------
    >>> fold(BinOp("mod", Const(-7), Const(2)))
    1
    >>> fold(BinOp("//", Const(-7), Const(2)))
    -4
    >>> fold(BinOp("**", Const(2), Const(100)))
    Traceback (most recent call last):
    ...
    nesy.lang.arith.ConstantError: integer overflow: this arithmetic evaluates to 1267650600228229401496703205376, outside clingo's 32-bit integers [-2147483648, 2147483647] (clingo would silently wrap it)
    """  # noqa: E501
    if isinstance(term, Const):
        if isinstance(term.value, int) and not INT_MIN <= term.value <= INT_MAX:
            raise ConstantError(out_of_range(term.value), term.span)
        return term.value if isinstance(term.value, int) else None
    if isinstance(term, Func):
        for arg in term.args:
            fold(arg)
        return None
    if isinstance(term, Pool):
        for alternative in term.alternatives:
            fold(alternative)
        return None
    if isinstance(term, Interval):
        fold(term.lo)
        fold(term.hi)
        return None
    if isinstance(term, UnaryMinus | Abs):
        value = fold(term.arg)
        if value is None:
            return None
        return _checked(-value if isinstance(term, UnaryMinus) else abs(value), term)
    if isinstance(term, BinOp):
        left, right = fold(term.left), fold(term.right)
        if left is None or right is None:
            return None
        return _binop(term, left, right)
    return None  # variables and strings
