"""A CNF formula as plain data, and the check every printed model goes through.

Literals are non-zero ints in DIMACS convention: ``v`` is variable ``v`` true, ``-v`` false;
variables are ``1..num_vars``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nesy.errors import DataError

__all__ = ["CNF", "violated_clause", "satisfies"]


@dataclass(frozen=True)
class CNF:
    """A formula in conjunctive normal form.

    Examples
    --------
    >>> f = CNF(2, ((1, -2), (2,)))
    >>> f.num_clauses, satisfies(f, [1, 2]), satisfies(f, [-1, 2])
    (2, True, False)
    """

    num_vars: int
    clauses: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "clauses", tuple(tuple(int(x) for x in c) for c in self.clauses))
        for i, clause in enumerate(self.clauses):
            for literal in clause:
                if literal == 0 or abs(literal) > self.num_vars:
                    raise DataError(
                        f"clause {i + 1}: literal {literal} is not in ±1..{self.num_vars}"
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
