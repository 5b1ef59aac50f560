"""The ``log`` semiring's circuit with a hand-written backward pass: the training path.

:class:`~nesy.infer.layers.CircuitModule` evaluates any semiring with differentiable torch
ops, laid out so that each layer reads only the one below (pass-through copies carry values
up). For training in the ``log`` semiring two things cost more than the arithmetic there:
autograd's bookkeeping over a dozen ops per segment ``logsumexp``, and the copies. Here every
node has one row in a single buffer ``[leaf table; layer 1; layer 2; ...]`` and reads its
children wherever they are below it; the forward pass runs without autograd, and the backward
pass is the textbook one for a sum-product circuit: a parent's gradient flows to each child
unchanged through ``AND`` (a sum of log-values) and weighted by ``exp(child - parent)``
through ``OR`` (the child's share of the parent's probability). ``CircuitModule(circuit,
"log")`` computes the same values and is the reference this module is tested against.

Shape letters as in :mod:`nesy.infer.circuit`: ``B`` batch, ``V`` variables, ``Q`` roots.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from nesy.infer.circuit import Circuit
from nesy.infer.leaves import leaf_rows, leaf_table

__all__ = ["LogCircuit", "LogPlan", "LogLayer", "plan_log_pass"]


class LogLayer(NamedTuple):
    """One layer of the log pass: its rows of the buffer and its share of the plan's arrays."""

    rows: slice  # the layer's rows in the buffer ``[leaf table; layer 1; layer 2; ...]``
    is_and: bool
    edges: slice  # into ``LogPlan.child_row`` and ``LogPlan.parent``
    pairs: slice  # into ``LogPlan.pair_first/pair_second``: empty unless every node is an AND
    # of two children (an SDD's elements), which is evaluated as one add of two gathers


@dataclass(frozen=True)
class LogPlan:
    """A row of the buffer for every inner node with several children; int64 arrays.

    Leaves are rows of the leaf table (:mod:`nesy.infer.leaves`); a one-child node shares its
    child's row; every other inner node gets a row of its own, layer after layer.
    """

    child_row: np.ndarray  # (E,) per edge: the child's row, anywhere below its parent's layer
    parent: np.ndarray  # (E,) per edge: the parent's index among its layer's rows
    pair_first: np.ndarray  # per two-child AND: its first child's row
    pair_second: np.ndarray  # per two-child AND: its second child's row
    root_row: np.ndarray  # (Q,) per root: its row
    layers: tuple[LogLayer, ...]


class _LayerEdges(NamedTuple):
    """One layer's several-children nodes and their edges, before the layers are joined."""

    size: int  # nodes, so rows
    is_and: bool
    child_row: np.ndarray
    parent: np.ndarray
    paired: bool  # every node an AND of two children


def plan_log_pass(circuit: Circuit) -> LogPlan:
    """Give the circuit's nodes their rows, layer by layer, and collect each layer's edges."""
    row = leaf_rows(circuit)  # inner nodes: set below
    first_row = next_row = 2 + 2 * circuit.num_vars
    degree = np.diff(circuit.child_ptr)
    layers = []
    for depth in range(1, circuit.num_layers):
        nodes = np.flatnonzero(circuit.layer == depth)
        one_child = nodes[degree[nodes] == 1]
        row[one_child] = row[circuit.child_idx[circuit.child_ptr[one_child]]]
        several = nodes[degree[nodes] > 1]
        if len(several):
            row[several] = next_row + np.arange(len(several))
            count = degree[several]
            layers.append(_layer_edges(circuit, several, count, row, is_and=depth % 2 == 1))
            next_row += len(several)
    return _join_layers(layers, first_row, row[circuit.roots])


def _layer_edges(
    circuit: Circuit, nodes: np.ndarray, count: np.ndarray, row: np.ndarray, is_and: bool
) -> _LayerEdges:
    """The edges of ``nodes`` (one layer's, with ``count`` children each), in node order and
    each node's order of children."""
    offsets = np.repeat(circuit.child_ptr[nodes] - np.cumsum(count) + count, count)
    children = circuit.child_idx[offsets + np.arange(count.sum())]
    parent = np.repeat(np.arange(len(nodes)), count)
    paired = is_and and bool(np.all(count == 2))  # SDD elements: (prime, sub) pairs
    return _LayerEdges(len(nodes), is_and, row[children], parent, paired)


def _join_layers(layers: list[_LayerEdges], first_row: int, root_row: np.ndarray) -> LogPlan:
    """Concatenate the layers' edges and record each layer's slices of them."""
    planned, row, edges, pairs = [], first_row, 0, 0
    for layer in layers:
        num_pairs = layer.size if layer.paired else 0
        planned.append(
            LogLayer(
                rows=slice(row, row + layer.size),
                is_and=layer.is_and,
                edges=slice(edges, edges + len(layer.child_row)),
                pairs=slice(pairs, pairs + num_pairs),
            )
        )
        row, edges, pairs = row + layer.size, edges + len(layer.child_row), pairs + num_pairs
    paired_rows = [layer.child_row for layer in layers if layer.paired]
    return LogPlan(
        child_row=_concatenate([layer.child_row for layer in layers]),
        parent=_concatenate([layer.parent for layer in layers]),
        pair_first=_concatenate([rows[0::2] for rows in paired_rows]),
        pair_second=_concatenate([rows[1::2] for rows in paired_rows]),
        root_row=root_row,
        layers=tuple(planned),
    )


def _concatenate(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


class _Layer(NamedTuple):
    """A :class:`LogLayer` with its slices of the index tensors taken."""

    start: int  # the layer's rows in the buffer: start .. stop
    stop: int
    is_and: bool
    child_row: Tensor  # (E,) each edge's child row (anywhere below ``start``)
    parent: Tensor  # (E,) each edge's parent, 0 .. stop - start - 1
    pairs: tuple[Tensor, Tensor] | None  # AND of two children each: first rows, second rows


class LogCircuit(nn.Module):
    """Root log-probabilities of a circuit for a batch of literal log-weights.

    Parameters
    ----------
    circuit
        A compiled circuit (not necessarily smoothed; weights like ``(log p, log(1 - p))``
        make every left-out variable count ``p + (1 - p) = 1``).

    Shape:
        - pos: ``(B, V)`` log-weight of each positive literal.
        - neg: ``(B, V)`` log-weight of each negative literal.
        - Output: ``(B, Q)``.

    Examples
    --------
    >>> import torch
    >>> from pysdd.sdd import SddManager
    >>> from nesy.infer.circuit import circuit_from_sdd
    >>> mgr = SddManager(2)
    >>> a, b = mgr.literal(1), mgr.literal(2)
    >>> module = LogCircuit(circuit_from_sdd([a | b, a & ~b], num_vars=2))
    >>> p = torch.tensor([[0.5, 0.5]])
    >>> module(p.log(), (1 - p).log()).exp()
    tensor([[0.7500, 0.2500]])
    """

    child_row: Tensor
    parent: Tensor
    pair_first: Tensor
    pair_second: Tensor
    root_row: Tensor

    def __init__(self, circuit: Circuit) -> None:
        super().__init__()
        self.num_vars = circuit.num_vars
        self.num_nodes = circuit.num_nodes
        self.num_queries = circuit.num_queries
        plan = plan_log_pass(circuit)
        buffers = {  # derived from the circuit: not in the state dict
            "child_row": plan.child_row,
            "parent": plan.parent,
            "pair_first": plan.pair_first,
            "pair_second": plan.pair_second,
            "root_row": plan.root_row,
        }
        for name, array in buffers.items():
            self.register_buffer(name, torch.tensor(array, dtype=torch.long), persistent=False)
        self.planned_layers = plan.layers
        self._layers: tuple[Tensor, list[_Layer]] | None = None

    def extra_repr(self) -> str:
        rows = self.planned_layers[-1].rows.stop if self.planned_layers else 0
        return (
            f"nodes={self.num_nodes}, rows={rows}, "
            f"layers={len(self.planned_layers)}, queries={self.num_queries}"
        )

    def layers(self) -> list[_Layer]:
        """The per-layer index slices, made once per set of buffers (again after ``.to()``):
        slicing afresh in every pass cost as much as the arithmetic on small batches."""
        if self._layers is None or self._layers[0] is not self.child_row:
            out = []
            for layer in self.planned_layers:
                pairs = None
                if layer.pairs.stop > layer.pairs.start:
                    pairs = (self.pair_first[layer.pairs], self.pair_second[layer.pairs])
                child_row, parent = self.child_row[layer.edges], self.parent[layer.edges]
                rows = layer.rows
                out.append(_Layer(rows.start, rows.stop, layer.is_and, child_row, parent, pairs))
            self._layers = (self.child_row, out)
        return self._layers[1]

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        table = leaf_table(pos, neg, self.num_vars, -math.inf, 0.0)
        roots: Tensor = _LogPass.apply(table, self)  # type: ignore[no-untyped-call]
        return roots.movedim(0, 1).contiguous()


def _forward(layers: list[_Layer], table: Tensor) -> Tensor:
    batch, lowest = table.shape[1], torch.finfo(table.dtype).min
    buffer = table.new_empty(layers[-1].stop if layers else len(table), batch)
    buffer[: len(table)] = table
    for layer in layers:
        below, out = buffer[: layer.start], buffer[layer.start : layer.stop]
        if layer.pairs is not None:  # AND of two children: the sum of their log-values
            torch.index_select(below, 0, layer.pairs[0], out=out)
            out.add_(below.index_select(0, layer.pairs[1]))
            continue
        children = below.index_select(0, layer.child_row)
        out.zero_()
        if layer.is_and:
            out.index_add_(0, layer.parent, children)
        else:  # OR: logsumexp, shifted by each segment's max (finite where all are -inf)
            shift = children.new_full(out.shape, -math.inf)
            shift.scatter_reduce_(0, layer.parent.view(-1, 1).expand(-1, batch), children, "amax")
            shift.clamp_(min=lowest)
            children.sub_(shift.index_select(0, layer.parent)).exp_()
            out.index_add_(0, layer.parent, children).log_().add_(shift)
    return buffer


class _LogPass(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, table: Tensor, module: LogCircuit) -> Tensor:
        layers = module.layers()
        with torch.no_grad():
            buffer = _forward(layers, table)
            roots = buffer.index_select(0, module.root_row)
        ctx.module = module
        ctx.save_for_backward(buffer)
        return roots

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_roots: Tensor) -> tuple[Tensor, None]:
        (buffer,) = ctx.saved_tensors
        module: LogCircuit = ctx.module
        lowest = torch.finfo(buffer.dtype).min
        grad = torch.zeros_like(buffer)
        grad.index_add_(0, module.root_row, grad_roots.contiguous())
        for layer in reversed(module.layers()):
            g, below = grad[layer.start : layer.stop], grad[: layer.start]
            if layer.pairs is not None:
                below.index_add_(0, layer.pairs[0], g)
                below.index_add_(0, layer.pairs[1], g)
                continue
            flow = g.index_select(0, layer.parent)
            if not layer.is_and:  # OR: the child's share exp(child - parent); 0 if both -inf
                parent = buffer[layer.start : layer.stop].index_select(0, layer.parent)
                parent.clamp_(min=lowest)
                flow.mul_(buffer.index_select(0, layer.child_row).sub_(parent).exp_())
            below.index_add_(0, layer.child_row, flow)
        return grad[: 2 + 2 * module.num_vars], None
