"""Strongly connected components, dependencies first: networkx is the oracle."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from nesy.infer.components import components_dependencies_first


@pytest.mark.parametrize("seed", range(30))
def test_components_and_their_order_agree_with_networkx(seed):
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    edges = {a: [rng.randrange(n + 5) for _ in range(rng.randint(0, 3))] for a in range(n)}
    found = components_dependencies_first(range(n), edges)  # nodes >= n lie outside
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from((a, b) for a, targets in edges.items() for b in targets if b < n)
    assert sorted(map(sorted, found)) == sorted(
        map(sorted, nx.strongly_connected_components(graph))
    )
    position = {node: i for i, members in enumerate(found) for node in members}
    for a, b in graph.edges:
        assert position[b] <= position[a]  # a component comes after those it reaches


def test_a_chain_deeper_than_the_recursion_limit():
    n = 50_000
    found = components_dependencies_first(range(n), {a: [a + 1] for a in range(n - 1)})
    assert found == [[a] for a in reversed(range(n))]
