"""ProbLog's arithmetic: ``X is E`` and the comparisons ``=:= =\\= < > =< >=``.

ProbLog 2.3 evaluates with Python's operators, so nesy does too: ``7/2`` is ``3.5``, ``4/2`` is
``2.0``, ``//`` floors (``-7 // 2`` is ``-4``), ``mod`` and ``rem`` both take the divisor's sign,
integers are unbounded. What it cannot evaluate (an unbound variable, an unknown function, a
division by zero, a result too large to hold) is an error that names it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable

from nesy.errors import NesyTypeError
from nesy.ground.unify import Env, walk
from nesy.lang.prolog_term import Struct, Term, Text, Var, render

__all__ = ["evaluate", "ArithmeticFault"]

#: an integer result wider than this many bits is refused (``2**(10**9)`` would take minutes)
MAX_BITS = 1_000_000


class ArithmeticFault(NesyTypeError):
    """An expression that cannot be evaluated."""


#: the value of an arithmetic expression
Number = int | float
#: an arithmetic function of its arguments' values (one of a type it cannot take raises
#: ``TypeError``, which :func:`evaluate` reports)
Function = Callable[..., Number]


def _power(a: Number, b: Number) -> Number:
    wide = isinstance(b, int) and b > 0 and a not in (0, 1, -1)
    if isinstance(a, int) and wide and b * max(a.bit_length(), 1) > MAX_BITS:
        raise ArithmeticFault(f"{a}**{b} is larger than {MAX_BITS:,} bits")
    power: Number = a**b  # an int, or a float for a negative or fractional exponent
    return power


def _shift(a: int, b: int) -> int:
    if b > MAX_BITS:
        raise ArithmeticFault(f"{a}<<{b} is larger than {MAX_BITS:,} bits")
    return a << b


_BINARY: dict[str, Function] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "//": lambda a, b: a // b,
    "mod": lambda a, b: a % b,
    "rem": lambda a, b: a % b,
    "div": lambda a, b: (a - (a % b)) // b,
    "**": _power,
    "^": _power,
    "min": min,
    "max": max,
    "/\\": lambda a, b: a & b,
    "\\/": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "<<": _shift,
    ">>": lambda a, b: a >> b,
    "atan2": math.atan2,
    "atan": math.atan2,
    "exp": math.pow,
}
_UNARY: dict[str, Function] = {
    "-": lambda a: -a,
    "+": lambda a: a,
    "\\": lambda a: ~a,
    "abs": abs,
    "sign": lambda a: 1 if a > 0 else -1 if a < 0 else 0,
    "integer": int,
    "float": float,
    "float_integer_part": lambda a: float(int(a)),
    "float_fractional_part": lambda a: a - int(a),
    "ceiling": lambda a: int(math.ceil(a)),
    "floor": lambda a: int(math.floor(a)),
    "round": lambda a: int(round(a)),
    "truncate": lambda a: int(math.trunc(a)),
    **{
        name: getattr(math, name)
        for name in [
            "exp",
            "log",
            "log10",
            "sqrt",
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "tanh",
            "asinh",
            "acosh",
            "atanh",
            "lgamma",
            "gamma",
            "erf",
            "erfc",
        ]
    },
}
_CONSTANTS = {
    "pi": math.pi,
    "e": math.e,
    "inf": math.inf,
    "nan": math.nan,
    "epsilon": sys.float_info.epsilon,
}


def evaluate(term: Term, env: Env) -> Number:
    """The value of an arithmetic expression under ``env``: a plain Python number, which
    compares by value (``1.0 == 1``); :func:`~nesy.lang.prolog_term.number` makes it a term."""
    term = walk(term, env)
    if isinstance(term, float):
        return float(term)
    if isinstance(term, int):
        return term
    if isinstance(term, Var):
        raise ArithmeticFault("arithmetic on an unbound variable (instantiation error)")
    if isinstance(term, Text):
        raise ArithmeticFault(f"{render(term)} is a string, not a number")
    assert isinstance(term, Struct)
    arity = len(term.args)
    if arity == 0 and term.name in _CONSTANTS:
        return _CONSTANTS[term.name]
    function = {1: _UNARY, 2: _BINARY}.get(arity, {}).get(term.name)
    if function is None:
        raise ArithmeticFault(f"unknown arithmetic function {term.name}/{arity} in {render(term)}")
    values = [evaluate(a, env) for a in term.args]
    try:
        return function(*values)
    except ZeroDivisionError as exc:
        raise ArithmeticFault(f"division by zero in {render(term)}") from exc
    except (OverflowError, ValueError, TypeError) as exc:
        raise ArithmeticFault(f"cannot evaluate {render(term)}: {exc}") from exc
