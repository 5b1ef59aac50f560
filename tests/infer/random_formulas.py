"""Random Boolean formulas over variables 1..NUM_VARS - 1, their SDDs and their truth tables:
the brute-force side of the circuit tests."""

import itertools
import random

import numpy as np
import torch
from pysdd.sdd import SddManager, Vtree

from nesy.infer.circuit import Circuit, circuit_from_sdd

NUM_VARS = 6  # formulas use variables 1..5 only, so variable 6 is never mentioned
ASSIGNMENTS = torch.tensor(list(itertools.product([False, True], repeat=NUM_VARS)))


def random_formula(rng: random.Random, depth: int):
    """A random formula as a nested tuple over variables 1..NUM_VARS - 1."""
    if depth == 0 or rng.random() < 0.2:
        return ("lit", rng.choice([-1, 1]) * rng.randint(1, NUM_VARS - 1))
    op = rng.choice(["and", "or", "and", "or", "not"])
    if op == "not":
        return ("not", random_formula(rng, depth - 1))
    return (op, random_formula(rng, depth - 1), random_formula(rng, depth - 1))


def to_sdd(mgr: SddManager, formula):
    op, *args = formula
    if op == "lit":
        return mgr.literal(args[0])
    if op == "not":
        return ~to_sdd(mgr, args[0])
    left, right = (to_sdd(mgr, a) for a in args)
    return left & right if op == "and" else left | right


def holds(formula, assignment: torch.Tensor) -> torch.Tensor:
    """Truth of ``formula`` under each row of ``assignment`` (M, V) bool."""
    op, *args = formula
    if op == "lit":
        column = assignment[:, abs(args[0]) - 1]
        return column if args[0] > 0 else ~column
    if op == "not":
        return ~holds(args[0], assignment)
    left, right = (holds(a, assignment) for a in args)
    return left & right if op == "and" else left | right


def random_problem(seed: int):
    """Random roots (plus true, false and a literal) on a random vtree, and their models."""
    rng = random.Random(seed)
    order = list(range(1, NUM_VARS + 1))
    rng.shuffle(order)
    vtree = Vtree(
        var_count=NUM_VARS,
        var_order=order,
        vtree_type=rng.choice(["balanced", "right", "left", "random"]),
    )
    mgr = SddManager.from_vtree(vtree)
    formulas = [random_formula(rng, 4) for _ in range(4)]
    formulas += [("or", ("lit", 1), ("lit", -1)), ("and", ("lit", 2), ("lit", -2)), ("lit", -3)]
    roots = [to_sdd(mgr, f) for f in formulas]
    models = torch.stack([holds(f, ASSIGNMENTS) for f in formulas])  # (Q, M)
    return circuit_from_sdd(roots, num_vars=NUM_VARS), models


def one_child_circuit() -> Circuit:
    """OR(AND(x1)) and AND(OR(not x2), x1), hand-built: one-child nodes, a leaf root, and
    node 5 above every root; roots are P(x1), P(not x2) * P(x1) and P(x1)."""
    return Circuit(
        kind=np.array([2, 2, 3, 4, 4, 4, 3], np.int8),
        literal=np.array([1, -2, 0, 0, 0, 0, 0]),
        child_ptr=np.array([0, 0, 0, 1, 2, 3, 5, 7]),
        child_idx=np.array([0, 2, 1, 3, 4, 0, 4]),
        layer=np.array([0, 0, 1, 2, 2, 4, 3]),
        roots=np.array([3, 6, 0]),
        var_order=np.array([1, 2]),
    )
