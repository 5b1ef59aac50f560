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
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from nesy.infer.circuit import Circuit, NodeKind
from nesy.infer.layers import leaf_table

__all__ = ["LogCircuit"]


class _Layer(NamedTuple):
    start: int  # the layer's rows in the buffer: start .. stop
    stop: int
    is_and: bool
    src: Tensor  # (E,) each edge's child row (anywhere below ``start``)
    dst: Tensor  # (E,) each edge's parent, 0 .. stop - start - 1
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

    src: Tensor
    dst: Tensor
    first: Tensor
    second: Tensor
    root_row: Tensor

    def __init__(self, circuit: Circuit) -> None:
        super().__init__()
        self.num_vars = circuit.num_vars
        self.num_nodes = circuit.num_nodes
        self.num_queries = circuit.num_queries
        arrays, self._bounds = _plan(circuit)
        for name, array in arrays.items():  # derived from the circuit: not in the state dict
            self.register_buffer(name, torch.tensor(array, dtype=torch.long), persistent=False)
        self._layers: tuple[Tensor, list[_Layer]] | None = None

    def extra_repr(self) -> str:
        return (
            f"nodes={self.num_nodes}, rows={self._bounds[-1][1] if self._bounds else 0}, "
            f"layers={len(self._bounds)}, queries={self.num_queries}"
        )

    def layers(self) -> list[_Layer]:
        """The per-layer index slices, made once per set of buffers (again after ``.to()``):
        slicing afresh in every pass cost as much as the arithmetic on small batches."""
        if self._layers is None or self._layers[0] is not self.src:
            out = []
            for start, stop, is_and, e0, e1, p0, p1 in self._bounds:
                pairs = (self.first[p0:p1], self.second[p0:p1]) if p1 > p0 else None
                out.append(_Layer(start, stop, is_and, self.src[e0:e1], self.dst[e0:e1], pairs))
            self._layers = (self.src, out)
        return self._layers[1]

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        table = leaf_table(pos, neg, self.num_vars, -math.inf, 0.0)
        return _LogPass.apply(table, self).movedim(0, 1).contiguous()


def _plan(circuit: Circuit) -> tuple[dict[str, np.ndarray], list[tuple[int, ...]]]:
    """Rows for every node and, per layer, its edges. Leaves are rows of the leaf table
    (false, true, then ``+v`` at ``1 + v`` and ``-v`` at ``1 + V + v``); a one-child node
    shares its child's row; every other inner node gets a row of its own, layer after layer."""
    kind, layer, num_vars = circuit.kind, circuit.layer, circuit.num_vars
    degree = np.diff(circuit.child_ptr)
    literal = circuit.literal
    row = np.where(literal > 0, 1 + literal, np.where(literal < 0, 1 + num_vars - literal, 0))
    row = np.where(kind == NodeKind.TRUE, 1, row).astype(np.int64)
    start = 2 + 2 * num_vars
    src, dst, first, second, bounds = [], [], [], [], []
    edges = pairs = 0
    for depth in range(1, int(layer.max(initial=0)) + 1):
        nodes = np.flatnonzero(layer == depth)
        alias = nodes[degree[nodes] == 1]
        row[alias] = row[circuit.child_idx[circuit.child_ptr[alias]]]
        nodes = nodes[degree[nodes] > 1]
        if not len(nodes):
            continue
        row[nodes] = start + np.arange(len(nodes))
        count = degree[nodes]
        offsets = np.repeat(circuit.child_ptr[nodes] - np.cumsum(count) + count, count)
        children = circuit.child_idx[offsets + np.arange(count.sum())]
        src.append(row[children])
        dst.append(np.repeat(np.arange(len(nodes)), count))
        is_and = depth % 2 == 1
        paired = is_and and bool(np.all(count == 2))  # SDD elements: (prime, sub) pairs
        if paired:
            first.append(src[-1][0::2])
            second.append(src[-1][1::2])
        npairs = len(nodes) if paired else 0
        bounds.append(
            (start, start + len(nodes), is_and, edges, edges + len(children), pairs, pairs + npairs)
        )
        start, edges, pairs = start + len(nodes), edges + len(children), pairs + npairs
    empty = np.zeros(0, dtype=np.int64)
    arrays = {
        "src": np.concatenate(src or [empty]),
        "dst": np.concatenate(dst or [empty]),
        "first": np.concatenate(first or [empty]),
        "second": np.concatenate(second or [empty]),
        "root_row": row[circuit.roots],
    }
    return arrays, bounds


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
        children = below.index_select(0, layer.src)
        out.zero_()
        if layer.is_and:
            out.index_add_(0, layer.dst, children)
        else:  # OR: logsumexp, shifted by each segment's max (finite where all are -inf)
            shift = children.new_full(out.shape, -math.inf)
            shift.scatter_reduce_(0, layer.dst.view(-1, 1).expand(-1, batch), children, "amax")
            shift.clamp_(min=lowest)
            children.sub_(shift.index_select(0, layer.dst)).exp_()
            out.index_add_(0, layer.dst, children).log_().add_(shift)
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
            flow = g.index_select(0, layer.dst)
            if not layer.is_and:  # OR: the child's share exp(child - parent); 0 if both -inf
                parent = buffer[layer.start : layer.stop].index_select(0, layer.dst)
                parent.clamp_(min=lowest)
                flow.mul_(buffer.index_select(0, layer.src).sub_(parent).exp_())
            below.index_add_(0, layer.src, flow)
        return grad[: 2 + 2 * module.num_vars], None
