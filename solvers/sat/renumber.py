"""Dense variable numbers for the solver, so that its memory follows the variables in use.

Every python-sat solver sizes its per-variable arrays by the largest variable it is given, not by
how many it is given: one clause ``2147483647 0`` makes CaDiCaL abort on a failed allocation and
the MiniSat family crash outright (measured on python-sat 1.9.dev24). A formula whose clauses
leave gaps in the numbering is therefore handed to the solver renumbered: the variables in use,
in ascending order, become ``1..k``. A formula without gaps (every SATLIB file, every SR pair)
keeps its numbers, so its runs are exactly as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

import numpy as np

from solvers.sat.cnf import CNF

__all__ = ["Renumbering"]


@dataclass(frozen=True)
class Renumbering:
    """Solver variable ``i`` is formula variable ``used[i - 1]``; ``used is None`` when the two
    numberings agree.

    Examples
    --------
    >>> r = Renumbering.of(CNF(9, ((2, -9), (9,))))
    >>> r.used, r.num_vars, r.clauses(CNF(9, ((2, -9), (9,))))
    ((2, 9), 2, [[1, -2], [2]])
    >>> r.model([-1, 2], 9)
    (-1, -2, -3, -4, -5, -6, -7, -8, 9)
    >>> Renumbering.of(CNF(3, ((1, 2), (-2,)))).used is None
    True
    """

    num_vars: int
    used: tuple[int, ...] | None = None

    @classmethod
    def of(cls, cnf: CNF) -> Renumbering:
        """Dense numbers for the variables ``cnf``'s clauses use, or the identity when the
        variables they use are ``1..k`` already (or ``cnf`` has no gaps below its largest)."""
        used = sorted(set(map(abs, chain.from_iterable(cnf.clauses))))
        if not used or used[-1] == len(used):
            return cls(cnf.num_vars)
        return cls(len(used), tuple(used))

    def clauses(self, cnf: CNF) -> list[list[int]]:
        """``cnf``'s clauses in solver numbers."""
        if self.used is None:
            return [list(c) for c in cnf.clauses]
        index = {v: i for i, v in enumerate(self.used, 1)}
        return [[index[x] if x > 0 else -index[-x] for x in c] for c in cnf.clauses]

    def scores(self, values: np.ndarray) -> np.ndarray:
        """Per-variable values ``(num_vars of the formula,)`` -> ``(self.num_vars,)``."""
        return values if self.used is None else values[np.asarray(self.used) - 1]

    def model(self, true: Iterable[int], num_vars: int) -> tuple[int, ...]:
        """One literal per formula variable ``1..num_vars`` from the solver's model; a variable
        the solver did not report (or no clause uses) is false."""
        literals = {x for x in true if x > 0}
        if self.used is not None:
            literals = {self.used[x - 1] for x in literals}
        return tuple(v if v in literals else -v for v in range(1, num_vars + 1))
