"""The CNF value object refuses what a solver would misread."""

from __future__ import annotations

import re

import numpy as np
import pytest

from nesy.errors import DataError
from solvers.sat.cnf import CNF, MAX_VARIABLE


def test_numpy_integers_become_ints():
    cnf = CNF(np.int64(3), ((np.int32(1), -2), (np.int64(3),)))
    assert cnf.clauses == ((1, -2), (3,)) and type(cnf.clauses[0][0]) is int
    assert type(cnf.num_vars) is int


@pytest.mark.parametrize(
    ("num_vars", "clauses", "message"),
    [
        (3, ((1.5,),), "clause 1: a literal must be an integer; got 1.5"),  # int() made it 1
        (3, ((1, "1_0"),), "clause 1: a literal must be an integer; got '1_0'"),  # and this 10
        (3, ((True,),), "got True"),
        (2.0, ((1,),), "num_vars must be an integer; got 2.0"),
        (-1, (), "num_vars must lie in 0..2147483647"),
        (MAX_VARIABLE + 1, (), "num_vars must lie in 0..2147483647 (2^31-1"),
        (3, ((1,), (0,)), "clause 2: literal 0 is not in ±1..3"),
        (3, ((-4,),), "clause 1: literal -4 is not in ±1..3"),
    ],
)
def test_what_a_solver_cannot_hold_is_refused(num_vars, clauses, message):
    with pytest.raises(DataError, match=re.escape(message)):
        CNF(num_vars, clauses)
