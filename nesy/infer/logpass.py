"""The layered circuit in the ``log`` semiring with a hand-written backward pass: the training path.

:class:`~nesy.infer.layers.CircuitModule` evaluates any semiring with differentiable torch ops,
so autograd records every op of every layer; for ``log`` (a segment ``logsumexp`` is a dozen
ops) that bookkeeping, not arithmetic, dominated a training step. Here the forward pass runs
without autograd into one buffer of all layers' slots, and the backward pass is the textbook
one for a sum-product circuit: a parent's gradient flows to each child unchanged through
``AND`` (a sum of log-values) and weighted by ``exp(child - parent)`` through ``OR`` (the
child's share of the parent's probability). The layout is the module's (see
:mod:`nesy.infer.layers`); the ``log`` semiring's results there are the reference it is tested
against.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, NamedTuple, Protocol

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["LayerLayout", "log_circuit"]


class LayerLayout(Protocol):
    """What the pass reads of a :class:`~nesy.infer.layers.CircuitModule`'s layout."""

    edge_src: Tensor
    edge_dst: Tensor
    inject: Tensor
    root_slot: Tensor
    bounds: tuple[tuple[int, int, int, int, int], ...]
    sizes: tuple[tuple[int, int, int], ...]


def log_circuit(layout: LayerLayout, table: Tensor) -> Tensor:
    """Root log-values ``(Q, B)`` of the circuit for the leaf table ``(2 + 2V, B)``."""
    return _LogCircuit.apply(table, layout)


class _Layer(NamedTuple):
    start: int  # the layer's slots in the buffer: start .. stop
    stop: int
    reduced: int  # slots in each block: reduced, unary (then leaves)
    unary: int
    src: Tensor  # reduced edges: child slot in the layer below
    dst: Tensor  # reduced edges: parent slot
    dst_rows: Tensor  # dst expanded to (E, 1), for scatter_reduce
    copy_src: Tensor  # the unary slots' child slot in the layer below
    inject: Tensor  # the leaf slots' rows of the leaf table
    pairs: tuple[Tensor, Tensor] | None  # an AND layer of two-child nodes: first, second child


# Slicing the layout's index tensors afresh in every pass cost as much as the arithmetic on
# small batches; the slices are made once per set of buffers (a new set after ``.to(...)``).
# Keyed by the buffer's id, held by a weak reference that drops the entry with the buffer.
_SLICES: dict[int, tuple[weakref.ref[Tensor], list[_Layer]]] = {}


def _layers(layout: LayerLayout) -> list[_Layer]:
    key = id(layout.edge_src)
    cached = _SLICES.get(key)
    if cached is None or cached[0]() is not layout.edge_src:
        out, start = [], 0
        for (e0, e1, e2, i0, i1), sizes in zip(layout.bounds, layout.sizes, strict=True):
            src, dst = layout.edge_src[e0:e1], layout.edge_dst[e0:e1]
            stop = start + sum(sizes)
            # SDD elements are (prime, sub) pairs: an AND layer of pairs adds two gathers, which
            # is cheaper than a segment sum.
            two = len(out) % 2 == 1 and len(src) == 2 * sizes[0]
            two = two and bool((dst == torch.arange(len(src), device=dst.device) // 2).all())
            pairs = (src[0::2].contiguous(), src[1::2].contiguous()) if two else None
            layer = _Layer(
                start,
                stop,
                sizes[0],
                sizes[1],
                src,
                dst,
                dst.view(-1, 1),
                layout.edge_src[e1:e2],
                layout.inject[i0:i1],
                pairs,
            )
            out.append(layer)
            start = stop
        _SLICES[key] = (weakref.ref(layout.edge_src, lambda _: _SLICES.pop(key, None)), out)
        return out
    return cached[1]


def _forward(layout: LayerLayout, table: Tensor) -> Tensor:
    layers = _layers(layout)
    batch = table.shape[1]
    buffer = table.new_empty(layers[-1].stop if layers else 0, batch)
    prev = buffer[:0]
    for depth, layer in enumerate(layers):
        slots = buffer[layer.start : layer.stop]
        reduced, unary = layer.reduced, layer.unary
        if layer.pairs is not None:  # AND of two children: the sum of their log-values
            out = torch.index_select(prev, 0, layer.pairs[0], out=slots[:reduced])
            out.add_(prev.index_select(0, layer.pairs[1]))
        elif reduced:
            children = prev.index_select(0, layer.src)
            out = slots[:reduced].zero_()
            if depth % 2:  # AND: the sum of the children's log-values
                out.index_add_(0, layer.dst, children)
            else:  # OR: logsumexp, shifted by each segment's max (0 where all are -inf)
                shift = children.new_full((reduced, batch), -math.inf)
                shift.scatter_reduce_(0, layer.dst_rows.expand(-1, batch), children, "amax")
                shift.masked_fill_(shift == -math.inf, 0.0)
                children.sub_(shift.index_select(0, layer.dst)).exp_()
                out.index_add_(0, layer.dst, children).log_().add_(shift)
        if unary:
            torch.index_select(prev, 0, layer.copy_src, out=slots[reduced : reduced + unary])
        if len(layer.inject):
            torch.index_select(table, 0, layer.inject, out=slots[reduced + unary :])
        prev = slots
    return buffer


def _backward(layout: LayerLayout, table: Tensor, buffer: Tensor, grad_roots: Tensor) -> Tensor:
    layers = _layers(layout)
    grad = torch.zeros_like(buffer)
    grad_table = torch.zeros_like(table)
    if not layers:
        return grad_table
    grad[layers[-1].start :].index_add_(0, layout.root_slot, grad_roots)
    for depth in range(len(layers) - 1, -1, -1):
        layer = layers[depth]
        reduced, unary = layer.reduced, layer.unary
        g, values = grad[layer.start : layer.stop], buffer[layer.start : layer.stop]
        below = slice(layers[depth - 1].start if depth else 0, layer.start)
        g_below, v_below = grad[below], buffer[below]
        if layer.pairs is not None:
            g_below.index_add_(0, layer.pairs[0], g[:reduced])
            g_below.index_add_(0, layer.pairs[1], g[:reduced])
        elif reduced:
            flow = g[:reduced].index_select(0, layer.dst)
            if depth % 2 == 0:  # OR: the child's share exp(child - parent); 0 under a -inf parent
                parent = values[:reduced].index_select(0, layer.dst)
                share = (v_below.index_select(0, layer.src) - parent).exp_()
                flow.mul_(share.masked_fill_(parent == -math.inf, 0.0))
            g_below.index_add_(0, layer.src, flow)
        if unary:  # one edge per pass-through slot, in slot order
            g_below.index_add_(0, layer.copy_src, g[reduced : reduced + unary])
        if len(layer.inject):
            grad_table.index_add_(0, layer.inject, g[reduced + unary :])
    return grad_table


class _LogCircuit(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, table: Tensor, layout: LayerLayout) -> Tensor:
        with torch.no_grad():
            buffer = _forward(layout, table)
            top = buffer[buffer.shape[0] - sum(layout.sizes[-1]) :] if layout.sizes else buffer
            roots = top.index_select(0, layout.root_slot)
        ctx.layout = layout
        ctx.save_for_backward(table, buffer)
        return roots

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_roots: Tensor) -> tuple[Tensor, None]:
        table, buffer = ctx.saved_tensors
        return _backward(ctx.layout, table, buffer, grad_roots.contiguous()), None
