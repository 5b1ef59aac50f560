"""SR(n): NeuroSAT's random SAT/UNSAT pairs that differ in one literal.

Clauses of width ``1 + Bernoulli(0.7) + Geometric(0.4)`` over distinct variables with random signs
are added until the formula becomes unsatisfiable (checked incrementally with a python-sat
solver). With ``F`` the satisfiable clauses before and ``c`` the last clause, ``F and c`` is UNSAT
and ``F and c'`` is SAT, where ``c'`` is ``c`` with its first literal negated: every model of
``F`` falsifies all of ``c``, so it satisfies ``c'``.
"""

from __future__ import annotations

import numpy as np
from pysat.solvers import Solver

from nesy.errors import ConfigError
from solvers.sat.cnf import CNF

__all__ = ["sr_pair", "sr_pairs", "clause_width", "pigeonhole"]


def clause_width(rng: np.random.Generator, num_vars: int) -> int:
    """``1 + Bernoulli(0.7) + Geometric(0.4)`` (geometric on ``1, 2, ...``), at most ``n``."""
    return min(num_vars, 1 + int(rng.random() < 0.7) + int(rng.geometric(0.4)))


def sr_pair(num_vars: int, rng: np.random.Generator, solver: str = "minisat22") -> tuple[CNF, CNF]:
    """One SR(n) pair ``(unsat, sat)``.

    Examples
    --------
    >>> unsat, sat = sr_pair(10, np.random.default_rng(0))
    >>> unsat.num_vars, unsat.clauses[:-1] == sat.clauses[:-1]
    (10, True)
    >>> unsat.clauses[-1][0] == -sat.clauses[-1][0]
    True
    """
    if num_vars < 1:
        raise ConfigError(f"SR(n) needs n >= 1; got {num_vars}")
    clauses: list[tuple[int, ...]] = []
    with Solver(name=solver) as oracle:
        while True:
            width = clause_width(rng, num_vars)
            variables = rng.choice(num_vars, size=width, replace=False) + 1
            signs = np.where(rng.random(width) < 0.5, -1, 1)
            clause = tuple(int(v) for v in variables * signs)
            oracle.add_clause(clause)
            if not oracle.solve():
                break
            clauses.append(clause)
    flipped = (-clause[0], *clause[1:])
    return CNF(num_vars, (*clauses, clause)), CNF(num_vars, (*clauses, flipped))


def sr_pairs(count: int, low: int, high: int, seed: int) -> list[tuple[CNF, CNF]]:
    """``count`` pairs of SR(U(low, high)): ``n`` drawn uniformly from ``low..high``."""
    rng = np.random.default_rng(seed)
    return [sr_pair(int(rng.integers(low, high + 1)), rng) for _ in range(count)]


def pigeonhole(pigeons: int, holes: int) -> CNF:
    """PHP(pigeons, holes): every pigeon in a hole, no two in one; UNSAT when pigeons > holes and
    exponentially hard for resolution, which makes it a timeout test.

    Examples
    --------
    >>> php = pigeonhole(3, 2)
    >>> php.num_vars, php.num_clauses
    (6, 9)
    """

    def var(p: int, h: int) -> int:
        return p * holes + h + 1

    clauses = [tuple(var(p, h) for h in range(holes)) for p in range(pigeons)]
    clauses += [
        (-var(p, h), -var(q, h))
        for h in range(holes)
        for p in range(pigeons)
        for q in range(p + 1, pigeons)
    ]
    return CNF(pigeons * holes, tuple(clauses))
