"""Conversion of SDDs to flat circuits, and smoothing."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from pysdd.sdd import SddManager, Vtree

from nesy.errors import CompileError
from nesy.infer.circuit import Circuit, NodeKind, circuit_from_sdd, smooth


def _manager(num_vars: int, seed: int, vtree_type: str = "balanced") -> SddManager:
    order = list(range(1, num_vars + 1))
    random.Random(seed).shuffle(order)
    return SddManager.from_vtree(Vtree(var_count=num_vars, var_order=order, vtree_type=vtree_type))


def _random_sdd(mgr: SddManager, rng: random.Random, num_vars: int, depth: int):
    if depth == 0 or rng.random() < 0.2:
        var = rng.randint(1, num_vars)
        return mgr.literal(var if rng.random() < 0.5 else -var)
    left = _random_sdd(mgr, rng, num_vars, depth - 1)
    right = _random_sdd(mgr, rng, num_vars, depth - 1)
    node = left & right if rng.random() < 0.5 else left | right
    return ~node if rng.random() < 0.2 else node


def _var_sets(circuit: Circuit) -> list[frozenset[int]]:
    sets: list[frozenset[int]] = []
    for n in range(circuit.num_nodes):
        if circuit.kind[n] == NodeKind.LITERAL:
            sets.append(frozenset({abs(int(circuit.literal[n]))}))
        else:
            sets.append(frozenset().union(*(sets[c] for c in circuit.children(n))))
    return sets


def _truth(circuit: Circuit, node: int, assignment: dict[int, bool]) -> bool:
    kind = circuit.kind[node]
    if kind in (NodeKind.TRUE, NodeKind.FALSE):
        return kind == NodeKind.TRUE
    if kind == NodeKind.LITERAL:
        lit = int(circuit.literal[node])
        return assignment[abs(lit)] == (lit > 0)
    values = [_truth(circuit, int(c), assignment) for c in circuit.children(node)]
    return all(values) if kind == NodeKind.AND else any(values)


def _check_structure(circuit: Circuit) -> None:
    for n in range(circuit.num_nodes):
        kids = circuit.children(n)
        kind, layer = circuit.kind[n], circuit.layer[n]
        if kind in (NodeKind.TRUE, NodeKind.FALSE, NodeKind.LITERAL):
            assert len(kids) == 0 and layer == 0
        else:
            assert len(kids) > 0 and np.all(kids < n)  # topological
            assert layer % 2 == (1 if kind == NodeKind.AND else 0)
            assert layer == min(
                x
                for x in range(1, layer + 1)
                if x % 2 == layer % 2 and x > circuit.layer[kids].max()
            )


def test_converts_shared_dag_once():
    mgr = SddManager(4)
    a, b, c, d = (mgr.literal(i) for i in range(1, 5))
    f = (a & b) | (~c & d)
    g = f & c
    circuit = circuit_from_sdd([f, g, f], num_vars=4)
    assert circuit.num_queries == 3 and circuit.roots[0] == circuit.roots[2]
    assert circuit.num_vars == 4 and list(circuit.var_order) == [1, 2, 3, 4]
    assert circuit.num_edges == len(circuit.child_idx) == circuit.child_ptr[-1]
    assert circuit.num_layers == circuit.layer.max() + 1
    _check_structure(circuit)
    leaves = circuit.literal[circuit.kind == NodeKind.LITERAL]
    assert len(set(leaves.tolist())) == len(leaves)  # leaves are deduplicated


@pytest.mark.parametrize("seed", range(8))
def test_random_formulas_keep_their_models(seed):
    rng = random.Random(seed)
    num_vars = 5
    mgr = _manager(num_vars, seed, rng.choice(["balanced", "right", "left", "vertical"]))
    roots = [_random_sdd(mgr, rng, num_vars, 4) for _ in range(3)]
    circuit = circuit_from_sdd(roots, num_vars=num_vars)
    assert list(circuit.var_order) == list(mgr.var_order())
    smoothed = smooth(circuit)
    _check_structure(circuit)
    _check_structure(smoothed)
    for bits in range(2**num_vars):
        assignment = {v: bool(bits >> (v - 1) & 1) for v in range(1, num_vars + 1)}
        lits = [v if assignment[v] else -v for v in range(1, num_vars + 1)]
        for q, root in enumerate(roots):
            expected = _sdd_holds(mgr, root, lits)
            assert _truth(circuit, int(circuit.roots[q]), assignment) == expected
            assert _truth(smoothed, int(smoothed.roots[q]), assignment) == expected


def _sdd_holds(mgr: SddManager, root, lits: list[int]) -> bool:
    node = root
    for lit in lits:
        node = mgr.condition(lit, node)
    return bool(node.is_true())


@pytest.mark.parametrize("seed", range(6))
def test_smoothed_ors_and_roots_mention_the_same_variables(seed):
    rng = random.Random(100 + seed)
    num_vars = 7
    mgr = _manager(num_vars, seed)
    roots = [_random_sdd(mgr, rng, num_vars - 1, 4) for _ in range(3)] + [mgr.true(), mgr.false()]
    smoothed = smooth(circuit_from_sdd(roots, num_vars=num_vars))
    assert smoothed.smoothed and smooth(smoothed) is smoothed
    sets = _var_sets(smoothed)
    for n in range(smoothed.num_nodes):
        kids = smoothed.children(n)
        if smoothed.kind[n] == NodeKind.OR:
            assert all(sets[c] == sets[n] for c in kids)
        if smoothed.kind[n] == NodeKind.AND:  # still decomposable
            assert sum(len(sets[c]) for c in kids) == len(sets[n])
    for root in smoothed.roots:
        assert sets[root] == frozenset(range(1, num_vars + 1))


def test_constant_and_literal_roots():
    mgr = SddManager(3)
    circuit = circuit_from_sdd([mgr.true(), mgr.false(), mgr.literal(-2)], num_vars=3)
    kinds = [NodeKind(circuit.kind[r]) for r in circuit.roots]
    assert kinds == [NodeKind.TRUE, NodeKind.FALSE, NodeKind.LITERAL]
    assert circuit.literal[circuit.roots[2]] == -2
    assert circuit.num_layers == 1 and circuit.num_edges == 0


def test_no_roots_and_extra_variables():
    circuit = circuit_from_sdd([], num_vars=3)
    assert circuit.num_nodes == 0 and circuit.num_queries == 0 and circuit.num_layers == 0
    assert list(circuit.var_order) == [1, 2, 3]
    mgr = SddManager(2)
    circuit = circuit_from_sdd([mgr.literal(1) | mgr.literal(2)], num_vars=4)
    assert sorted(circuit.var_order.tolist()) == [1, 2, 3, 4]
    assert set(circuit.var_order[2:].tolist()) == {3, 4}


def test_literal_outside_the_variables_is_rejected():
    mgr = SddManager(3)
    with pytest.raises(CompileError, match=r"literal -3 is outside variables 1\.\.2"):
        circuit_from_sdd([mgr.literal(1) & mgr.literal(-3)], num_vars=2)


def test_arrays_are_read_only_and_checked():
    mgr = SddManager(2)
    circuit = circuit_from_sdd([mgr.literal(1) & mgr.literal(2)], num_vars=2)
    with pytest.raises(ValueError, match="read-only"):
        circuit.kind[0] = 0
    with pytest.raises(CompileError, match="disagree on the node count"):
        Circuit(
            np.zeros(2, np.int8),
            np.zeros(1, np.int64),
            np.zeros(3, np.int64),
            np.zeros(0, np.int64),
            np.zeros(2, np.int64),
            np.zeros(1, np.int64),
            np.arange(1, 3),
        )


def test_smoothing_rejects_overlapping_and_children():
    # AND(1, OR(1, -1)) mentions variable 1 twice: not decomposable.
    circuit = Circuit(
        kind=np.array([NodeKind.LITERAL, NodeKind.LITERAL, NodeKind.OR, NodeKind.AND], np.int8),
        literal=np.array([1, -1, 0, 0]),
        child_ptr=np.array([0, 0, 0, 2, 4]),
        child_idx=np.array([0, 1, 0, 2]),
        layer=np.array([0, 0, 2, 3]),
        roots=np.array([3]),
        var_order=np.array([1]),
    )
    with pytest.raises(CompileError, match="AND node 3 is not decomposable"):
        smooth(circuit)


def test_smoothing_is_not_quadratic():
    # "at least one of x1..xV" on a right-linear vtree: element (x_i, true) misses V - i
    # variables, so gadgets per missing variable would cost ~V^2/2 nodes.
    num_vars = 512
    mgr = _manager(num_vars, 0, "right")
    root = mgr.false()
    for v in range(1, num_vars + 1):
        root = root | mgr.literal(v)
    circuit = circuit_from_sdd([root], num_vars=num_vars)
    smoothed = smooth(circuit)
    bound = circuit.num_nodes + 4 * num_vars + 2 * circuit.num_edges * math.log2(num_vars)
    assert smoothed.num_nodes < bound < num_vars**2 / 4
    assert smoothed.num_edges < 2 * bound


def test_deep_circuits_need_no_recursion():
    num_vars = 3000
    mgr = SddManager.from_vtree(Vtree(var_count=num_vars, vtree_type="right"))
    root = mgr.true()
    for v in range(num_vars, 0, -1):
        root = mgr.literal(-v if v % 3 else v) & root
    root = root | mgr.literal(1)
    circuit = circuit_from_sdd([root], num_vars=num_vars)
    assert circuit.num_layers > num_vars
    smoothed = smooth(circuit)
    assert smoothed.num_layers >= circuit.num_layers
