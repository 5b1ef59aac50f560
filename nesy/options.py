"""Argument types for every ``nesy`` command: a bad number is an argparse error (exit 2, one
``error:`` line naming the option) before any work starts.

Python's ``int()`` and ``float()`` also take ``1_0``, `` 1 ``, ``١`` and ``nan``; an option
takes none of them.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable

__all__ = ["integer", "at_least", "finite_float", "positive_float", "non_negative_float"]

_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
_MAX_DIGITS = 100  # int() of a longer string is slow and no option means such a number


def integer(text: str) -> int:
    """An integer in ASCII digits with an optional ``-``.

    >>> integer("-3")
    -3
    """
    if not _INT.fullmatch(text) or len(text) > _MAX_DIGITS:
        raise argparse.ArgumentTypeError(f"expected an integer in ASCII digits; got {text!r}")
    return int(text)


def at_least(low: int) -> Callable[[str], int]:
    """An integer option that is at least ``low`` (``at_least(0)`` for a seed).

    >>> at_least(1)("2")
    2
    """

    def parse(text: str) -> int:
        value = integer(text)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}; got {value}")
        return value

    parse.__name__ = f"integer >= {low}"  # argparse names the type in its messages
    return parse


def finite_float(text: str) -> float:
    """An ASCII decimal (``1``, ``0.5``, ``1e-4``); never ``nan`` or ``inf``.

    >>> finite_float("1e-4")
    0.0001
    """
    value = float(text) if _FLOAT.fullmatch(text) else math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite decimal number; got {text!r}")
    return value


def positive_float(text: str) -> float:
    """A finite decimal above zero (a learning rate, a timeout)."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0; got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """A finite decimal, zero or more."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative; got {text!r}")
    return value
