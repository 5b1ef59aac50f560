"""A CNF formula as plain data, and the check every printed model goes through.

Literals are non-zero ints in DIMACS convention: ``v`` is variable ``v`` true, ``-v`` false;
variables are ``1..num_vars``, and ``num_vars`` is at most :data:`MAX_VARIABLE` (``2**31 - 1``):
the SAT solvers hold literals in 32-bit signed ints, and a larger one would wrap around to
another variable (``2**32 + 1`` to ``1``) and change the formula without a word.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import SupportsIndex

from nesy.errors import DataError

__all__ = ["CNF", "MAX_VARIABLE", "violated_clause", "satisfies"]

MAX_VARIABLE = 2**31 - 1  # the largest variable a 32-bit signed literal holds


def _integer(value: object, what: str) -> int:
    """``value`` as an int, if it is an integer (not a bool, a float or a string)."""
    try:
        if isinstance(value, bool) or not isinstance(value, SupportsIndex):
            raise TypeError
        return operator.index(value)  # int and numpy integers; not 1.5, '1_0' or True
    except TypeError:
        raise DataError(f"{what} must be an integer; got {value!r}") from None


@dataclass(frozen=True)
class CNF:
    """A formula in conjunctive normal form.

    Raises
    ------
    DataError
        ``num_vars`` outside ``0..MAX_VARIABLE``, or a literal that is not an integer in
        ``±1..num_vars``.

    Examples
    --------
    >>> f = CNF(2, ((1, -2), (2,)))
    >>> f.num_clauses, satisfies(f, [1, 2]), satisfies(f, [-1, 2])
    (2, True, False)
    """

    num_vars: int
    clauses: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        num_vars = _integer(self.num_vars, "num_vars")
        if not 0 <= num_vars <= MAX_VARIABLE:
            raise DataError(
                f"num_vars must lie in 0..{MAX_VARIABLE} (2^31-1, the most variables a SAT "
                f"solver holds); got {num_vars}"
            )
        object.__setattr__(self, "num_vars", num_vars)
        clauses = tuple(map(tuple, self.clauses))
        flat = list(chain.from_iterable(clauses))  # the checks run at C speed when all is well
        if set(map(type, flat)) - {int}:
            clauses = tuple(
                tuple(_integer(x, f"clause {i + 1}: a literal") for x in c)
                for i, c in enumerate(clauses)
            )
            flat = list(chain.from_iterable(clauses))
        object.__setattr__(self, "clauses", clauses)
        if flat and (max(flat) > num_vars or min(flat) < -num_vars or 0 in flat):
            for i, clause in enumerate(clauses):
                for literal in clause:
                    if literal == 0 or abs(literal) > num_vars:
                        raise DataError(
                            f"clause {i + 1}: literal {literal} is not in ±1..{num_vars}"
                        )

    @property
    def num_clauses(self) -> int:
        return len(self.clauses)

    def with_clauses(self, clauses: Iterable[Sequence[int]]) -> CNF:
        """The same variables with other clauses."""
        return CNF(self.num_vars, tuple(tuple(c) for c in clauses))


def violated_clause(cnf: CNF, model: Iterable[int]) -> int | None:
    """Index of the first clause the model (a set of true literals) leaves false, or ``None``.

    A variable the model does not mention makes none of its literals true.
    """
    true = set(model)
    for i, clause in enumerate(cnf.clauses):
        if not any(literal in true for literal in clause):
            return i
    return None


def satisfies(cnf: CNF, model: Iterable[int]) -> bool:
    """Whether every clause has a literal in ``model``."""
    return violated_clause(cnf, model) is None
