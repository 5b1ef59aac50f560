"""Where every value of :class:`~nesy.infer.layers.CircuitModule` lives: the layered plan.

The circuit is laid out once into layers of *slots* that each read only the layer below (as
KLay does). Layer ``l``'s slots come in three blocks, in this order:

``reduced``
    the circuit's nodes of layer ``l`` with several children, reduced by the semiring
    (``AND`` on odd layers, ``OR`` on even ones);
``passed``
    one-child slots: copies of a node that a parent higher up still needs (a node is held in
    a run of slots, one per layer from its own up to the last one a parent reads it from),
    and one-child nodes;
``leaves``
    literal and constant leaves that layer ``l + 1`` (or the top, for a root) reads, taken
    straight from the leaf table (:mod:`nesy.infer.leaves`).

:func:`plan_layers` makes the plan in named steps: check the layering, keep the edges below
the top root, give inner nodes their runs and leaves their (leaf, layer) slots, number every
slot within its layer, wire the edges to slots, and look up the leaves' table rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nesy.errors import CompileError
from nesy.infer.circuit import Circuit, NodeKind
from nesy.infer.leaves import leaf_rows

__all__ = ["LayerSlots", "LayeredPlan", "plan_layers"]

_REDUCED, _PASSED, _LEAF = 0, 1, 2  # the blocks of a layer's slots, in order
_BLOCKS = 3


class LayerSlots(NamedTuple):
    """One layer of the plan: its slots per block, and where its work lies in the plan's arrays."""

    reduced: int  # several-children nodes, reduced by the semiring
    passed: int  # one-child slots: copies and one-child nodes
    leaves: int  # leaves read from the leaf table
    reduced_edges: slice  # into the edge arrays: the reduced slots' edges
    passed_edges: slice  # into the edge arrays: one edge per passed slot, in slot order
    leaf_rows: slice  # into ``LayeredPlan.leaf_row``: the leaf slots' rows, in slot order


@dataclass(frozen=True)
class LayeredPlan:
    """The slots of a circuit, as int64 arrays and one :class:`LayerSlots` per layer.

    Edges are sorted by layer, then block (reduced edges before passed ones), then parent slot,
    then the circuit's order of children.
    """

    child_slot: np.ndarray  # (E',) per edge: the child's slot in the layer below
    parent_slot: np.ndarray  # (E',) per edge: the parent's slot in its layer
    child_node: np.ndarray  # (E',) per edge: the circuit's child node (-1 for a copy)
    leaf_row: np.ndarray  # per leaf slot, layer after layer: its leaf-table row
    root_slot: np.ndarray  # (Q,) per root: its slot in the top layer
    or_winner_row: np.ndarray  # (N,) per several-children OR: its row among all reduced OR
    # slots, layer after layer (where explanations record winners); -1 for other nodes
    layers: tuple[LayerSlots, ...]

    @property
    def num_slots(self) -> int:
        """Slots in all layers together."""
        return sum(layer.reduced + layer.passed + layer.leaves for layer in self.layers)


class _Nodes(NamedTuple):
    """Per-node facts that the steps share, read off the circuit once."""

    layer: np.ndarray  # (N,) int64
    degree: np.ndarray  # (N,) number of children
    is_leaf: np.ndarray  # (N,) literal or constant
    top: int  # the highest root's layer: the plan's top layer


class _Edges(NamedTuple):
    """The circuit's edges that a layer up to the top one reads."""

    parent: np.ndarray  # (E',) parent node
    child: np.ndarray  # (E',) child node
    number: np.ndarray  # (E',) the edge's number in the circuit (its order among siblings)


class _InnerRuns(NamedTuple):
    """Each inner node's run of slots, one per layer from its own up to the last one read."""

    start: np.ndarray  # (N + 1,) where each node's run starts among all inner slots
    node: np.ndarray  # (S,) per inner slot: its node
    layer: np.ndarray  # (S,) per inner slot: its layer
    reduced: np.ndarray  # (S,) per inner slot: the first of a several-children node's run


class _Numbering(NamedTuple):
    """Every slot's number within its layer."""

    inner: np.ndarray  # (S,) per inner slot
    leaf_pairs: np.ndarray  # sorted ``leaf * (top + 1) + layer`` keys of the leaf slots
    leaf: np.ndarray  # per leaf pair
    sizes: np.ndarray  # (top + 1, 3) slots per layer and block


def plan_layers(circuit: Circuit) -> LayeredPlan:
    """Lay ``circuit`` out in slots.

    Raises
    ------
    CompileError
        If the circuit's layers are inconsistent (see :class:`~nesy.infer.circuit.Circuit`).
    """
    nodes = _read_nodes(circuit)
    parent = np.repeat(np.arange(circuit.num_nodes), nodes.degree)  # of every edge
    _check_layering(circuit, nodes, parent)
    edges = _edges_below(circuit, nodes, parent)
    runs = _inner_runs(circuit, nodes, edges)
    numbering = _number_slots(runs, _leaf_pairs(circuit, nodes, edges), nodes.top)
    child_slot, parent_slot, child_node, edge_ends = _wire_edges(nodes, edges, runs, numbering)
    roots = circuit.roots
    return LayeredPlan(
        child_slot=child_slot,
        parent_slot=parent_slot,
        child_node=child_node,
        leaf_row=_leaf_slot_rows(circuit, numbering),
        root_slot=_slot_of(nodes, roots, np.full(len(roots), nodes.top), runs, numbering),
        or_winner_row=_or_winner_rows(circuit, nodes, runs, numbering),
        layers=_layer_slots(numbering.sizes, edge_ends),
    )


def _read_nodes(circuit: Circuit) -> _Nodes:
    layer = circuit.layer.astype(np.int64)
    top = int(layer[circuit.roots].max()) if len(circuit.roots) else 0
    is_leaf = circuit.kind <= int(NodeKind.LITERAL)
    return _Nodes(layer, np.diff(circuit.child_ptr), is_leaf, top)


def _check_layering(circuit: Circuit, nodes: _Nodes, parent: np.ndarray) -> None:
    """Leaves on layer 0, AND odd, OR even, every inner node above all of its children."""
    layer, leaf = nodes.layer, nodes.is_leaf
    is_and = circuit.kind == int(NodeKind.AND)
    inner_ok = np.where(is_and, layer % 2 == 1, (layer % 2 == 0) & (layer > 0))
    if (
        np.any(leaf != (layer == 0))
        or np.any(~leaf & (~inner_ok | (nodes.degree == 0)))
        or np.any(layer[circuit.child_idx] >= layer[parent])
    ):
        raise CompileError(
            "circuit layers are inconsistent: want leaves on layer 0, AND odd, OR even, "
            "every inner node with children on lower layers"
        )


def _edges_below(circuit: Circuit, nodes: _Nodes, parent: np.ndarray) -> _Edges:
    """The edges whose parent is at most on the top layer (nodes above are never read)."""
    keep = nodes.layer[parent] <= nodes.top
    number = np.arange(circuit.num_edges)
    return _Edges(parent[keep], circuit.child_idx[keep], number[keep])


def _inner_runs(circuit: Circuit, nodes: _Nodes, edges: _Edges) -> _InnerRuns:
    """An inner node is held from its own layer up to one below its highest parent (the top
    for a root); only its first slot reduces its children, and only with several of them."""
    layer = nodes.layer
    last_read = layer.copy()
    np.maximum.at(last_read, edges.child, layer[edges.parent] - 1)
    last_read[circuit.roots] = nodes.top
    count = np.where(~nodes.is_leaf & (layer <= nodes.top), last_read - layer + 1, 0)
    start = np.concatenate(([0], np.cumsum(count)))
    node = np.repeat(np.arange(circuit.num_nodes), count)
    slot_layer = layer[node] + np.arange(start[-1]) - start[node]
    reduced = (slot_layer == layer[node]) & (nodes.degree[node] > 1)
    return _InnerRuns(start, node, slot_layer, reduced)


def _leaf_pairs(circuit: Circuit, nodes: _Nodes, edges: _Edges) -> np.ndarray:
    """The (leaf, layer) pairs that need a slot, as sorted ``leaf * (top + 1) + layer`` keys:
    one in the layer just below each parent of a leaf, and one in the top for a leaf root."""
    span, leaf, roots = nodes.top + 1, nodes.is_leaf, circuit.roots
    leaf_edge = leaf[edges.child]
    below_parent = nodes.layer[edges.parent[leaf_edge]] - 1
    under_parents = edges.child[leaf_edge] * span + below_parent
    return np.unique(np.concatenate((under_parents, roots[leaf[roots]] * span + nodes.top)))


def _number_slots(runs: _InnerRuns, leaf_pairs: np.ndarray, top: int) -> _Numbering:
    """Number every slot within its layer: block by block, and within a block inner slots in
    node order, leaves in key order."""
    span = top + 1
    slot_layer = np.concatenate((runs.layer, leaf_pairs % span))
    block = np.concatenate(
        (np.where(runs.reduced, _REDUCED, _PASSED), np.full(len(leaf_pairs), _LEAF))
    )
    sizes = np.bincount(slot_layer * _BLOCKS + block, minlength=_BLOCKS * span)
    sizes = sizes.reshape(span, _BLOCKS)
    order = np.lexsort((block, slot_layer))
    layer_start = np.concatenate(([0], np.cumsum(sizes.sum(1))))
    number = np.empty(len(order), dtype=np.int64)
    number[order] = np.arange(len(order)) - layer_start[slot_layer[order]]
    inner_slots = len(runs.node)
    return _Numbering(number[:inner_slots], leaf_pairs, number[inner_slots:], sizes)


def _slot_of(
    nodes: _Nodes, node: np.ndarray, layer: np.ndarray, runs: _InnerRuns, numbering: _Numbering
) -> np.ndarray:
    """The slot number of each ``node`` in the matching ``layer``."""
    out = np.empty(len(node), dtype=np.int64)
    is_leaf = nodes.is_leaf[node]
    inner, outer = node[~is_leaf], node[is_leaf]
    run_offset = layer[~is_leaf] - nodes.layer[inner]
    out[~is_leaf] = numbering.inner[runs.start[inner] + run_offset]
    span = nodes.top + 1
    key = np.searchsorted(numbering.leaf_pairs, outer * span + layer[is_leaf])
    out[is_leaf] = numbering.leaf[key]
    return out


def _wire_edges(
    nodes: _Nodes, edges: _Edges, runs: _InnerRuns, numbering: _Numbering
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The edges into every slot: the circuit's own (into a node's first slot, from each child's
    slot just below) and one per copy (from the same node's slot just below). Returns child
    slots, parent slots and child nodes in the plan's edge order, and ``(top + 1, 2)``: where
    each layer's reduced and passed edges end."""
    layer = nodes.layer
    copies = np.flatnonzero(runs.layer > layer[runs.node])
    parent_layer = np.concatenate((layer[edges.parent], runs.layer[copies]))
    several = nodes.degree[edges.parent] > 1
    block = np.concatenate((np.where(several, _REDUCED, _PASSED), np.full(len(copies), _PASSED)))
    below = layer[edges.parent] - 1
    child_slot = np.concatenate(
        (_slot_of(nodes, edges.child, below, runs, numbering), numbering.inner[copies - 1])
    )
    parent_slot = np.concatenate(
        (numbering.inner[runs.start[edges.parent]], numbering.inner[copies])
    )
    child_node = np.concatenate((edges.child, np.full(len(copies), -1)))
    sibling_order = np.concatenate((edges.number, np.zeros(len(copies), np.int64)))
    order = np.lexsort((sibling_order, parent_slot, block, parent_layer))
    span = nodes.top + 1
    ends = np.cumsum(np.bincount(parent_layer * 2 + block, minlength=2 * span)).reshape(span, 2)
    return child_slot[order], parent_slot[order], child_node[order], ends


def _leaf_slot_rows(circuit: Circuit, numbering: _Numbering) -> np.ndarray:
    """The leaf-table row of every leaf slot, layer after layer, in slot order."""
    span = len(numbering.sizes)
    in_slot_order = np.lexsort((numbering.leaf, numbering.leaf_pairs % span))
    return leaf_rows(circuit, numbering.leaf_pairs[in_slot_order] // span)


def _layer_slots(sizes: np.ndarray, edge_ends: np.ndarray) -> tuple[LayerSlots, ...]:
    """Each layer's block sizes, and its slices of the edges and of the leaf slots' rows."""
    reduced_ends, passed_ends = edge_ends[:, 0].tolist(), edge_ends[:, 1].tolist()
    leaf_ends = np.cumsum(sizes[:, _LEAF]).tolist()
    layers, edge_start, leaf_start = [], 0, 0
    for (reduced, passed, leaves), reduced_end, passed_end, leaf_end in zip(
        sizes.tolist(), reduced_ends, passed_ends, leaf_ends, strict=True
    ):
        layers.append(
            LayerSlots(
                reduced=reduced,
                passed=passed,
                leaves=leaves,
                reduced_edges=slice(edge_start, reduced_end),
                passed_edges=slice(reduced_end, passed_end),
                leaf_rows=slice(leaf_start, leaf_end),
            )
        )
        edge_start, leaf_start = passed_end, leaf_end
    return tuple(layers)


def _or_winner_rows(
    circuit: Circuit, nodes: _Nodes, runs: _InnerRuns, numbering: _Numbering
) -> np.ndarray:
    """Each several-children OR's row among the reduced OR slots of all layers, counted layer
    after layer (even layers only); -1 for every other node."""
    span = nodes.top + 1
    or_slots = np.where(np.arange(span) % 2 == 0, numbering.sizes[:, _REDUCED], 0)
    layer_base = np.concatenate(([0], np.cumsum(or_slots)))[:-1]
    layer = nodes.layer
    is_or = circuit.kind == int(NodeKind.OR)
    several_or = is_or & (nodes.degree > 1) & (layer <= nodes.top)
    rows = np.full(circuit.num_nodes, -1, dtype=np.int64)
    first_slot = numbering.inner[runs.start[:-1][several_or]]
    rows[several_or] = layer_base[layer[several_or]] + first_slot
    return rows
