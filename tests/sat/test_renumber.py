"""Dense solver numbers for sparse formulas: the same answers and scores, and no solver crash on
a variable near 2^31-1."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from solvers.sat.cnf import CNF, satisfies
from solvers.sat.guide import GuideScores, solve
from solvers.sat.renumber import Renumbering

SPARSE = CNF(9, ((2, 9), (-2, -9), (9, 5)))


def test_dense_formulas_keep_their_numbers():
    assert Renumbering.of(CNF(5, ((1, -2), (3,)))) == Renumbering(5)  # 4 and 5 unused: no gap
    assert Renumbering.of(CNF(0, ())) == Renumbering(0)


def test_gaps_are_closed_and_undone():
    numbers = Renumbering.of(SPARSE)
    assert numbers == Renumbering(3, (2, 5, 9))
    assert numbers.clauses(SPARSE) == [[1, 3], [-1, -3], [3, 2]]
    assert numbers.scores(np.arange(9.0)).tolist() == [1.0, 4.0, 8.0]
    assert numbers.model([-1, 2, 3], 9) == (-1, -2, -3, -4, 5, -6, -7, -8, 9)


def _phases(truth: dict[int, bool]):
    def scorer(cnf: CNF) -> GuideScores:
        phase = np.zeros(cnf.num_vars)
        phase[[v - 1 for v, value in truth.items() if value]] = 1.0
        return GuideScores(phase=phase, core=np.linspace(1.0, 0.0, cnf.num_vars))

    return scorer


@pytest.mark.parametrize(
    ("solver", "guide"),
    [("cadical195", "phases"), ("cadical195", "core"), ("minisat22", "core"), ("glucose4", "none")],
)
def test_guides_steer_the_formulas_variables(solver, guide):
    # Two models: 2 true and 9 false, or the reverse. The scores pick the first, by the formula's
    # numbers (a renumbering that left the scores alone would steer variable 9 by 5's score).
    result = solve(SPARSE, guide=guide, scorer=_phases({2: True, 5: True}), solver=solver)
    assert result.status is True and satisfies(SPARSE, result.model)
    assert len(result.model) == 9 and result.model[3] == -4  # unused: false
    if guide != "none":
        assert result.model[1] == 2 and result.model[8] == -9


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def test_a_variable_near_the_limit_does_not_crash_the_solver(tmp_path: Path):
    # MiniSat's family crashed (SIGSEGV) on variable 2^31-1 and CaDiCaL aborted on the memory it
    # asked for; the solver now sees variables 1 and 2. The model of 2^31-1 literals and the
    # random scores are then more than this process may have: a clean error, not a crash.
    path = tmp_path / "top.cnf"
    path.write_text("p cnf 2147483647 2\n2147483647 1 0\n-1 0\n")
    done = subprocess.run(
        [sys.executable, "-m", "nesy", "sat", "solve", str(path)]
        + ["--solver", "minisat22", "--guide", "random-phases"],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    assert done.returncode == 1, done.stderr
    assert f"{path}: out of memory for a formula of 2147483647 variables" in done.stderr
    assert "Traceback" not in done.stderr
