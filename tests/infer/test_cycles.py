"""Recursive components compiled by cycle breaking (nesy.infer.logic._CycleBreaker)."""

import itertools
import random

import pytest

import nesy
from nesy.errors import CompileError
from nesy.infer.compile import compile_queries


def _reachable(edges: set[tuple[int, int]], source: int, target: int) -> bool:
    seen, todo = {source}, [source]
    while todo:
        node = todo.pop()
        for a, b in edges:
            if a == node and b not in seen:
                seen.add(b)
                todo.append(b)
    return target in seen and (source != target or any(a == source for a, _ in edges))


def _by_enumeration(weights: dict[tuple[int, int], float], source: int, target: int) -> float:
    """Reachability by summing over every subset of edges (independent of nesy)."""
    total = 0.0
    edges = list(weights)
    for present in itertools.product((False, True), repeat=len(edges)):
        world = {e for e, on in zip(edges, present, strict=True) if on}
        if source == target:  # a path back: some edge out of source, then reach it again
            hit = any(_reachable(world, b, source) for a, b in world if a == source)
        else:
            hit = _reachable(world, source, target)
        if hit:
            weight = 1.0
            for e, on in zip(edges, present, strict=True):
                weight *= weights[e] if on else 1.0 - weights[e]
            total += weight
    return total


@pytest.mark.parametrize("seed", range(3))
def test_dense_cyclic_graph_matches_enumeration(seed):
    rng = random.Random(seed)
    nodes = range(4)
    weights = {(a, b): round(rng.uniform(0.2, 0.9), 2) for a in nodes for b in nodes if a != b}
    weights = dict(rng.sample(sorted(weights.items()), 10))
    facts = " ".join(f"{p}::e({a},{b})." for (a, b), p in weights.items())
    text = facts + " p(X,Y) :- e(X,Y). p(X,Y) :- e(X,Z), p(Z,Y). query(p(0,3)). query(p(1,1))."
    probs = nesy.query(nesy.parse(text))
    assert probs["p(0,3)"] == pytest.approx(_by_enumeration(weights, 0, 3), abs=1e-12)
    assert probs["p(1,1)"] == pytest.approx(_by_enumeration(weights, 1, 1), abs=1e-12)


def test_component_deeper_than_the_recursion_limit():
    # A ring of 2000 nodes: one recursive component, unfolded 2000 atoms deep.
    n, p = 2000, 0.9999
    text = (
        f"node(0..{n - 1}). {p}::e(X,(X+1)\\{n}) :- node(X). "
        f"r(X) :- e(X,{n - 1}). r(X) :- e(X,Y), r(Y). query(r(0))."
    )
    probs = nesy.query(nesy.parse(text))
    assert probs["r(0)"] == pytest.approx(p ** (n - 1), rel=1e-9)


def test_budget_fires_inside_a_recursive_component():
    cells = [(r, c) for r in range(4) for c in range(4)]
    facts = " ".join(
        f"0.6::e(n{r}_{c},n{r2}_{c2})."
        for (r, c), (r2, c2) in itertools.product(cells, cells)
        if abs(r - r2) + abs(c - c2) == 1
    )
    rules = " p(X,Y) :- e(X,Y). p(X,Y) :- e(X,Z), p(Z,Y). query(p(n0_0,n3_3))."
    program = nesy.parse(facts + rules)
    with pytest.raises(CompileError, match="budget: 500 nodes"):
        compile_queries(program, tuple(q.atom for q in program.queries), max_sdd_size=500)


def test_many_ground_queries_each_find_their_atom():
    facts = " ".join(f"0.5::c({i})." for i in range(300))
    rules = " ".join(f"q({i}) :- c({i}), c({(i + 1) % 300})." for i in range(300))
    queries = " ".join(f"query(q({i}))." for i in range(300)) + " query(c(7)). query(q(300))."
    probs = nesy.query(nesy.parse(facts + " " + rules + " " + queries))
    assert len(probs) == 302
    assert probs["q(299)"] == pytest.approx(0.25, abs=1e-12)
    assert probs["c(7)"] == pytest.approx(0.5, abs=1e-12)
    assert probs["q(300)"] == 0.0
