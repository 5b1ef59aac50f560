"""Segment reductions of the approximate ``top_k`` semiring: the ``k`` best proofs of a node.

An element is a list of ``k`` log-weights sorted descending and padded with ``-inf``: the
weights of the ``k`` most probable proofs of a node, stored in a trailing dimension, so that
the circuit module's values are ``(slots, B, k)``. The reductions take ``k`` from the trailing
dimension; only :func:`topk_lift` is told it.

``OR``
    the ``k`` largest entries of the union of the children's lists
    (:func:`segment_topk_union`). Nodes are grouped by fan-in (rounded up to a power of two)
    and each group is one dense ``topk``, so a few wide nodes cost no padding elsewhere.
``AND``
    the ``k`` largest sums ``a_i + b_j`` of the children's lists, folded pairwise over the
    children (:func:`segment_topk_product`). Since the lists are sorted, a sum with
    ``(i + 1)(j + 1) > k`` has ``k`` sums at least as large that rank before it, so only the
    ``O(k log k)`` pairs under that hyperbola are formed.

Gradients flow, through ``topk``/``gather``, to the entries that were kept, so to the literal
weights of the selected proofs only. See ``CircuitModule`` for what a proof is (partial or
total assignments, by smoothing).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor

__all__ = ["topk_lift", "topk_readout", "segment_topk_union", "segment_topk_product"]


def topk_lift(weights: Tensor, k: int) -> Tensor:
    """``(...,)`` log-weights to one-proof lists ``(..., k)``: ``(w, -inf, ..., -inf)``.

    Examples
    --------
    >>> topk_lift(torch.tensor([0.0, -1.0]), 3)
    tensor([[ 0., -inf, -inf],
            [-1., -inf, -inf]])
    """
    pad = weights.new_full((*weights.shape, k - 1), -math.inf)
    return torch.cat((weights.unsqueeze(-1), pad), dim=-1)


def topk_readout(lists: Tensor) -> Tensor:
    """``(..., k) -> (...)``: ``logsumexp`` over the list, the log of the kept proofs' total.

    All ``-inf`` gives ``-inf`` with zero gradient (``torch.logsumexp`` would give NaN).

    Examples
    --------
    >>> topk_readout(torch.tensor([[-1.0, -1.0], [-math.inf, -math.inf]]))
    tensor([-0.3069,    -inf])
    """
    with torch.no_grad():
        shift = lists.amax(-1, keepdim=True)
        shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    total = (lists - shift).exp().sum(-1)
    empty = total == 0
    safe = torch.where(empty, torch.ones_like(total), total)
    return torch.where(empty, torch.full_like(total, -math.inf), safe.log() + shift.squeeze(-1))


class _Place(torch.autograd.Function):
    """Rows of ``x`` (plus a constant ``pad`` row, numbered ``len(x)``) by an index that takes
    every row of ``x`` exactly once, so that the backward pass is a gather too (``inverse``:
    where each row went), not the scatter-add of ``index_select``'s backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, pad: Tensor | None, index: Tensor, inverse: Tensor) -> Tensor:
        ctx.save_for_backward(inverse)
        return (x if pad is None else torch.cat((x, pad))).index_select(0, index)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None, None]:
        (inverse,) = ctx.saved_tensors
        return grad.index_select(0, inverse), None, None, None


def _by_segment(
    values: Tensor, segment: Tensor, n: int, pad: list[float], reduce: Callable[[Tensor], Tensor]
) -> Tensor:
    """Apply ``reduce``, ``(s, w, M, k) -> (s, M, k)``, to every segment's rows stacked.

    Segments are grouped by width, the power of two at or above their row count, and short
    ones are filled with the list ``pad``: padding at most doubles the rows. When all segments
    are contiguous and equally long (an SDD's ``AND`` layers) the rows are only viewed.
    """
    edges, k, mid = len(values), values.shape[-1], values.shape[1:-1]
    flat = values.reshape(edges, math.prod(mid), k)  # (E, M, k)
    m = flat.shape[1]
    if n == 0:
        return values.new_empty((0, *mid, k))
    counts = torch.bincount(segment, minlength=n)
    start = counts.cumsum(0) - counts
    ordered = bool((segment[1:] >= segment[:-1]).all())
    if ordered and bool((counts == counts[0]).all()):
        return reduce(flat.view(n, int(counts[0]), m, k)).reshape(n, *mid, k)
    with torch.no_grad():
        order = None if ordered else torch.argsort(segment, stable=True)
        width = torch.where(counts > 1, 2 ** torch.log2(counts.double()).ceil().long(), 1)
        groups, indices = [], []
        for w in torch.unique(width).tolist():
            segs = torch.nonzero(width == w).squeeze(1)
            rank = torch.arange(w, device=values.device)
            at = (start[segs, None] + rank).clamp(max=edges - 1)
            edge = at if order is None else order[at]
            indices.append(torch.where(rank < counts[segs, None], edge, edges).flatten())
            groups.append((segs, w))
        index = torch.cat(indices)
        inverse = torch.empty(edges, dtype=torch.long, device=values.device)
        real = index < edges
        inverse[index[real]] = torch.nonzero(real).squeeze(1)
        segs = torch.cat([g for g, _ in groups])
        to_segment = torch.empty_like(segs)
        to_segment[segs] = torch.arange(n, device=values.device)
    pad_row = flat.new_tensor(pad).expand(1, m, k)
    placed: Tensor = _Place.apply(flat, pad_row, index, inverse)  # type: ignore[no-untyped-call]
    blocks = placed.split([len(g) * w for g, w in groups])
    out = torch.cat([reduce(b.view(-1, w, m, k)) for b, (_, w) in zip(blocks, groups, strict=True)])
    by_segment: Tensor = _Place.apply(out, None, to_segment, segs)  # type: ignore[no-untyped-call]
    return by_segment.reshape(n, *mid, k)


def _union_block(block: Tensor) -> Tensor:
    if block.shape[1] == 1:
        return block[:, 0]
    s, w, m, k = block.shape
    return block.movedim(1, 2).reshape(s, m, w * k).topk(k, dim=-1).values


def segment_topk_union(values: Tensor, segment: Tensor, n: int) -> Tensor:
    """Per segment, the ``k`` largest entries of its rows' lists, sorted descending.

    Shape:
        values ``(E, ..., k)``, segment ``(E,)`` in ``0..n-1`` (every segment non-empty)
        -> ``(n, ..., k)``.
    """
    k = values.shape[-1]
    return _by_segment(values, segment, n, [-math.inf] * k, _union_block)


class _Stair(NamedTuple):
    """Rows ``first <= i < end`` of the left list pair with columns ``j < width`` of the right."""

    first: int
    end: int
    width: int


_STAIRS: dict[tuple[int, torch.device], tuple[tuple[_Stair, ...], Tensor]] = {}


def _stairs(k: int, device: torch.device) -> tuple[tuple[_Stair, ...], Tensor]:
    """The pairs ``(i, j)`` with ``(i + 1)(j + 1) <= k``, all that a top-k sum can use: as
    stairs of equal width, and as a ``(2, P)`` table of ``i`` and ``j`` in the order the stairs
    list them."""
    key = (k, device)
    if key not in _STAIRS:
        stairs, i = [], 0
        while i < k:
            width, end = k // (i + 1), i + 1
            while end < k and k // (end + 1) == width:
                end += 1
            stairs.append(_Stair(i, end, width))
            i = end
        pairs = [(r, c) for s in stairs for r in range(s.first, s.end) for c in range(s.width)]
        _STAIRS[key] = (tuple(stairs), torch.tensor(pairs, device=device).T.contiguous())
    return _STAIRS[key]


class _OuterTopk(torch.autograd.Function):
    """The ``k`` largest ``left[..., i] + right[..., j]`` of two descending lists; the backward
    pass adds each kept sum's gradient to its two terms."""

    @staticmethod
    def forward(ctx: Any, left: Tensor, right: Tensor) -> Tensor:
        k = left.shape[-1]
        stairs, pairs = _stairs(k, left.device)
        sums = left.new_empty((*left.shape[:-1], pairs.shape[1]))  # left, right: same shape
        at = 0
        for first, end, width in stairs:
            size = (end - first) * width
            out = sums[..., at : at + size].unflatten(-1, (end - first, width))
            torch.add(left[..., first:end, None], right[..., None, :width], out=out)
            at += size
        best, chosen = sums.topk(k, dim=-1)
        ctx.save_for_backward(chosen, pairs)
        return best

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, Tensor]:
        chosen, pairs = ctx.saved_tensors
        rows, columns = (p.take(chosen) for p in pairs)
        zero = torch.zeros_like(grad)
        return zero.scatter_add(-1, rows, grad), zero.scatter_add(-1, columns, grad)


def _outer_topk(left: Tensor, right: Tensor) -> Tensor:
    best: Tensor = _OuterTopk.apply(left, right)  # type: ignore[no-untyped-call]
    return best


def _product_block(block: Tensor) -> Tensor:
    out = block[:, 0]
    for j in range(1, block.shape[1]):
        out = out + block[:, j] if out.shape[-1] == 1 else _outer_topk(out, block[:, j])
    return out


def segment_topk_product(values: Tensor, segment: Tensor, n: int) -> Tensor:
    """Per segment, the ``k`` largest sums of one entry from each row's list, descending.

    Folds each segment's rows pairwise, all segments of a width at once (rows padded with the
    unit list ``(0, -inf, ..., -inf)``), so there are as many steps as the widest segment has
    rows (2 for a circuit from an SDD).

    Shape:
        values ``(E, ..., k)``, segment ``(E,)`` in ``0..n-1`` (every segment non-empty)
        -> ``(n, ..., k)``.
    """
    k = values.shape[-1]
    return _by_segment(values, segment, n, [0.0] + [-math.inf] * (k - 1), _product_block)
