"""Batched, differentiable evaluation of a :class:`~nesy.infer.circuit.Circuit` as an ``nn.Module``.

The circuit is laid out once into layers of *slots* that each read only the layer below (as
KLay does). Layer ``l``'s slots come in three blocks: the circuit's nodes of layer ``l`` with
several children (reduced by the semiring: ``AND`` on odd layers, ``OR`` on even ones), then
one-child slots (pass-through copies of a node that a parent higher up still needs, and
one-child nodes), then literal and constant leaves that layer ``l + 1`` reads, taken straight
from the table of literal weights. Evaluating a layer is one gather of children's values, one
segment reduction and one concatenation; the only Python loop is over layers. Values are
node-major, ``(slots, B)``, so gathers and scatters move contiguous rows.
Shape letters ``B``, ``V``, ``Q`` are defined in :mod:`nesy.infer.circuit`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn

from nesy.errors import CompileError, ConfigError, DataError
from nesy.infer.circuit import Circuit, NodeKind, smooth
from nesy.infer.semiring import get_semiring

__all__ = ["CircuitModule", "leaf_table"]

_REDUCED, _UNARY, _LEAF = 0, 1, 2  # the blocks of a layer's slots, in order


class _Plan(NamedTuple):
    edge_src: np.ndarray  # (E',) child slot in layer l - 1; per layer: reduced, then unary edges
    edge_dst: np.ndarray  # (E',) parent slot in layer l
    edge_node: np.ndarray  # (E',) the circuit's child node of the edge (-1: a copy)
    inject: np.ndarray  # leaf-table rows of each layer's leaf block, layer after layer
    bounds: tuple[tuple[int, int, int, int, int], ...]  # per layer: edges e0 e1 e2, inject i0 i1
    sizes: tuple[tuple[int, int, int], ...]  # per layer: slots in each block
    root_slot: np.ndarray  # (Q,) slot of each root in the top layer
    winner_row: np.ndarray  # (N,) row of a several-children OR among all reduced OR slots, or -1


def _plan(circuit: Circuit) -> _Plan:
    """Lay the circuit out in slots: a run of layers for an inner node, as many as its highest
    parent needs; for a leaf, one slot in each layer just below a parent (or the top, if a root).
    """
    kind, layer, roots = circuit.kind, circuit.layer.astype(np.int64), circuit.roots
    n, num_vars = circuit.num_nodes, circuit.num_vars
    degree = np.diff(circuit.child_ptr)
    parent = np.repeat(np.arange(n), degree)
    child, edge = circuit.child_idx, np.arange(circuit.num_edges)
    leaf = kind <= NodeKind.LITERAL
    inner_ok = np.where(kind == NodeKind.AND, layer % 2 == 1, (layer % 2 == 0) & (layer > 0))
    if (
        np.any(leaf != (layer == 0))
        or np.any(~leaf & (~inner_ok | (degree == 0)))
        or np.any(layer[child] >= layer[parent])
    ):
        raise CompileError(
            "circuit layers are inconsistent: want leaves on layer 0, AND odd, OR even, "
            "every inner node with children on lower layers"
        )
    top = int(layer[roots].max()) if len(roots) else 0
    keep = layer[parent] <= top  # nodes above the highest root are never read
    parent, child, edge = parent[keep], child[keep], edge[keep]
    read = layer.copy()  # the last layer an inner node must be held in
    np.maximum.at(read, child, layer[parent] - 1)
    read[roots] = top
    count = np.where(~leaf & (layer <= top), read - layer + 1, 0)
    start = np.concatenate(([0], np.cumsum(count)))
    inner_node = np.repeat(np.arange(n), count)
    inner_layer = layer[inner_node] + np.arange(start[-1]) - start[inner_node]
    reduced = (inner_layer == layer[inner_node]) & (degree[inner_node] > 1)
    span = top + 1
    leaf_edge = leaf[child]
    leaf_key = np.unique(
        np.concatenate(
            (
                child[leaf_edge] * span + layer[parent[leaf_edge]] - 1,
                roots[leaf[roots]] * span + top,
            )
        )
    )  # (leaf, layer) pairs
    slot_layer = np.concatenate((inner_layer, leaf_key % span))
    block = np.concatenate((np.where(reduced, _REDUCED, _UNARY), np.full(len(leaf_key), _LEAF)))
    sizes = np.bincount(slot_layer * 3 + block, minlength=3 * span).reshape(span, 3)
    order = np.lexsort((block, slot_layer))
    rank = np.empty(len(order), dtype=np.int64)
    first = np.concatenate(([0], np.cumsum(sizes.sum(1))))
    rank[order] = np.arange(len(order)) - first[slot_layer[order]]
    inner_rank, leaf_rank = rank[: start[-1]], rank[start[-1] :]

    def slot(node: np.ndarray, at: np.ndarray) -> np.ndarray:
        out = np.empty(len(node), dtype=np.int64)
        is_leaf = leaf[node]
        inner, outer = node[~is_leaf], node[is_leaf]
        out[~is_leaf] = inner_rank[start[inner] + at[~is_leaf] - layer[inner]]
        out[is_leaf] = leaf_rank[np.searchsorted(leaf_key, outer * span + at[is_leaf])]
        return out

    copies = np.flatnonzero(inner_layer > layer[inner_node])
    at = np.concatenate((layer[parent], inner_layer[copies]))
    eblock = np.concatenate(
        (np.where(degree[parent] > 1, _REDUCED, _UNARY), np.full(len(copies), _UNARY))
    )
    src = np.concatenate((slot(child, layer[parent] - 1), inner_rank[copies - 1]))
    dst = np.concatenate((inner_rank[start[parent]], inner_rank[copies]))
    edge_node = np.concatenate((child, np.full(len(copies), -1)))
    by = np.lexsort((np.concatenate((edge, np.zeros(len(copies), np.int64))), dst, eblock, at))
    src, dst, edge_node = src[by], dst[by], edge_node[by]
    edges = np.cumsum(np.bincount(at * 2 + eblock, minlength=2 * span))
    at_leaf = np.lexsort((leaf_rank, leaf_key % span))
    inject_rows = leaf_key[at_leaf] // span
    literal = circuit.literal[inject_rows]
    var = np.abs(literal) - 1
    inject = np.where(literal > 0, 2 + var, np.where(literal < 0, 2 + num_vars + var, 0))
    inject = np.where(kind[inject_rows] == NodeKind.TRUE, 1, inject)
    injected = np.concatenate(([0], np.cumsum(sizes[:, _LEAF])))
    ends = edges.reshape(span, 2)  # per layer, where its reduced and its unary edges end
    starts = np.concatenate(([0], ends[:-1, 1]))
    bounds = tuple(
        zip(
            starts.tolist(),
            ends[:, 0].tolist(),
            ends[:, 1].tolist(),
            injected[:-1].tolist(),
            injected[1:].tolist(),
            strict=True,
        )
    )
    or_rows = np.where(np.arange(span) % 2 == 0, sizes[:, _REDUCED], 0)
    or_base = np.concatenate(([0], np.cumsum(or_rows)))[:-1]
    several_or = (kind == NodeKind.OR) & (degree > 1) & (layer <= top)
    winner_row = np.full(n, -1, dtype=np.int64)
    winner_row[several_or] = or_base[layer[several_or]] + inner_rank[start[:-1][several_or]]
    return _Plan(
        src,
        dst,
        edge_node,
        inject,
        bounds,
        tuple(map(tuple, sizes.tolist())),
        slot(roots, np.full(len(roots), top)),
        winner_row,
    )


def leaf_table(pos: Tensor, neg: Tensor, num_vars: int, zero: float, one: float) -> Tensor:
    """The leaf table ``(2 + 2V, B)``: ``zero``, ``one``, the positive, then the negative literals.

    Raises
    ------
    DataError
        If ``pos`` and ``neg`` are not both ``(B, V)`` floating-point tensors.
    """
    for name, weights in (("pos", pos), ("neg", neg)):
        if weights.dim() != 2 or weights.shape[1] != num_vars:
            raise DataError(
                f"expected {name} of shape (B, V={num_vars}), got {tuple(weights.shape)}"
            )
    if pos.shape != neg.shape:
        raise DataError(
            f"pos and neg disagree on the batch size: pos {tuple(pos.shape)}, "
            f"neg {tuple(neg.shape)}"
        )
    if not pos.is_floating_point():
        raise DataError(f"expected floating-point weights, got {pos.dtype}")
    units = pos.new_tensor([[zero], [one]]).expand(2, len(pos))
    return torch.cat((units, pos.T, neg.T.to(pos.dtype)))


class CircuitModule(nn.Module):
    """Evaluate a circuit's roots for a batch of literal weights in a semiring.

    Parameters
    ----------
    circuit
        The compiled circuit, converted once (e.g. by
        :func:`~nesy.infer.circuit.circuit_from_sdd`).
    semiring
        Name in :data:`~nesy.infer.semiring.SEMIRINGS`: ``"log"`` (log-probabilities, the
        training default), ``"prob"`` (probabilities), ``"max_product"`` (log-probabilities,
        Viterbi), ``"max_min"`` (possibility degrees); or the approximate ``"top_k"``
        (log-probabilities; see below).
    smoothed
        Evaluate the :func:`~nesy.infer.circuit.smooth`-ed circuit. Default: when the semiring
        needs it (max-product, max-min). Smoothing with ``prob``/``log`` makes every missing
        variable count ``pos (+) neg``, which is only right for weights like ``(p, 1 - p)``.
    k
        For ``"top_k"`` (required there): how many proofs each node keeps, an integer
        ``>= 1``. Not allowed for other semirings.

    Raises
    ------
    ConfigError
        For an unknown semiring, ``smoothed=False`` with one that needs smoothing, ``top_k``
        without a valid ``k``, or ``k`` with another semiring.

    Top-k proofs (approximate):
        A *proof* of a root is a sub-circuit of it: from the root, every child of an ``AND``
        and one child of an ``OR``, down to literals; its weight is the sum of its literals'
        log-weights. By default the circuit is not smoothed, and a proof is a *partial*
        assignment that implies the root, leaving out the variables it does not need (as a
        ProbLog proof does; with ``(log p, log(1 - p))`` weights a left-out fact counts
        ``p + (1 - p) = 1``). Determinism makes a root's proofs mutually exclusive and
        decomposability keeps each variable once, so the exact ``log`` value is the
        ``logsumexp`` of all proof weights. ``top_k`` keeps the ``k`` heaviest at every node;
        :meth:`forward` returns the ``logsumexp`` of the root's ``k`` kept ones: a lower
        bound on the ``log`` value, equal to it when the root has at most ``k`` proofs of
        non-zero weight (so, with ``(p, 1 - p)`` weights, at most ``k`` models of non-zero
        probability). Which partial assignments are proofs depends on the circuit (the SDD's
        vtree): ``a | b`` may give ``{a}, {not a, b}``. With ``smoothed=True`` every proof
        assigns all ``V`` variables, so proofs are models and ``k = 1`` gives
        ``max_product``'s value. Gradients reach only the literals of the kept proofs.

    Shape:
        - pos: ``(B, V)`` weight of each positive literal, in the semiring's domain.
        - neg: ``(B, V)`` weight of each negative literal.
        - Output: ``(B, Q)``, one value per root.

    Examples
    --------
    >>> import torch
    >>> from pysdd.sdd import SddManager
    >>> from nesy.infer.circuit import circuit_from_sdd
    >>> mgr = SddManager(2)
    >>> a, b = mgr.literal(1), mgr.literal(2)
    >>> module = CircuitModule(circuit_from_sdd([a | b, a & ~b], num_vars=2), semiring="prob")
    >>> p = torch.tensor([[0.5, 0.5], [1.0, 0.0]])
    >>> module(p, 1 - p)
    tensor([[0.7500, 0.2500],
            [1.0000, 1.0000]])
    """

    edge_src: Tensor
    edge_dst: Tensor
    edge_node: Tensor
    inject: Tensor
    root_slot: Tensor
    winner_row: Tensor
    roots: Tensor
    literal: Tensor
    child_ptr: Tensor
    child_idx: Tensor

    def __init__(
        self,
        circuit: Circuit,
        semiring: str = "log",
        *,
        smoothed: bool | None = None,
        k: int | None = None,
    ):
        super().__init__()
        self.semiring = get_semiring(semiring, k=k)
        if self.semiring.with_k is not None and k is None:
            raise ConfigError(f"semiring {semiring!r} needs k, the number of proofs to keep")
        if smoothed is None:
            smoothed = self.semiring.needs_smoothing
        if self.semiring.needs_smoothing and not smoothed:
            raise ConfigError(f"semiring {semiring!r} needs a smoothed circuit; got smoothed=False")
        if smoothed:
            circuit = smooth(circuit)
        plan = _plan(circuit)
        buffers = {  # derived from the circuit, so not part of the state dict
            name: getattr(plan, name) for name in ("edge_src", "edge_dst", "inject", "root_slot")
        }
        if self.semiring.select is not None:  # explain walks the circuit itself, top-down
            buffers.update(
                edge_node=plan.edge_node,
                winner_row=plan.winner_row,
                roots=circuit.roots,
                literal=circuit.literal,
                child_ptr=circuit.child_ptr,
                child_idx=circuit.child_idx,
            )
        for name, array in buffers.items():
            self.register_buffer(name, torch.tensor(array, dtype=torch.long), persistent=False)
        self.bounds = plan.bounds
        self.sizes = plan.sizes
        self.smoothed = smoothed
        self.num_vars = circuit.num_vars
        self.num_nodes = circuit.num_nodes
        self.num_edges = circuit.num_edges
        self.num_queries = circuit.num_queries

    def extra_repr(self) -> str:
        return (
            f"nodes={self.num_nodes}, edges={self.num_edges}, layers={len(self.sizes)}, "
            f"slots={sum(map(sum, self.sizes))}, queries={self.num_queries}, "
            f"semiring={self.semiring.name!r}, smoothed={self.smoothed}"
            + ("" if self.semiring.k is None else f", k={self.semiring.k}")
        )

    def _bottom_up(self, pos: Tensor, neg: Tensor, winners: list[Tensor] | None) -> Tensor:
        """Root values ``(Q, B)``; appends each OR layer's winning edges to ``winners``."""
        semiring = self.semiring
        table = semiring.lift(leaf_table(pos, neg, self.num_vars, semiring.zero, semiring.one))
        values = table[:0]
        for layer, ((e0, e1, e2, i0, i1), (reduced, _, _)) in enumerate(
            zip(self.bounds, self.sizes, strict=True)
        ):
            parts = []
            if reduced:
                children = values.index_select(0, self.edge_src[e0:e1])
                dst = self.edge_dst[e0:e1]
                if layer % 2:
                    parts.append(self.semiring.times(children, dst, reduced))
                elif winners is None:
                    parts.append(self.semiring.plus(children, dst, reduced))
                else:
                    assert self.semiring.select is not None
                    won = self.semiring.select(children, dst, reduced)
                    winners.append(won + e0)
                    parts.append(children.gather(0, won))
            if e2 > e1:
                parts.append(values.index_select(0, self.edge_src[e1:e2]))
            if i1 > i0:
                parts.append(table.index_select(0, self.inject[i0:i1]))
            values = parts[0] if len(parts) == 1 else torch.cat(parts or [table[:0]])
        return values.index_select(0, self.root_slot)

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        """Values of the roots.

        Parameters
        ----------
        pos, neg
            Weights of the positive and negative literal of each variable; column ``v - 1``
            is variable ``v``.

        Returns
        -------
        Tensor
            Root values in the semiring's domain (for ``top_k``, the ``logsumexp`` of the kept
            proofs' log-weights).

        Raises
        ------
        DataError
            If ``pos`` and ``neg`` are not both ``(B, V)`` floating-point tensors.

        Shape:
            - pos: ``(B, V)``; neg: ``(B, V)``.
            - Output: ``(B, Q)``.
        """
        return self.semiring.readout(self._bottom_up(pos, neg, None).movedim(0, 1).contiguous())

    def forward_topk(self, pos: Tensor, neg: Tensor) -> Tensor:
        """The log-weights of each root's ``k`` best proofs (``top_k`` only).

        Sorted descending; ``-inf`` where a root has fewer than ``k`` proofs of non-zero
        weight. :meth:`forward` is their ``logsumexp``.

        Raises
        ------
        ConfigError
            If the semiring is not ``top_k``.
        DataError
            As :meth:`forward`.

        Shape:
            - pos: ``(B, V)``; neg: ``(B, V)``.
            - Output: ``(B, Q, k)``.

        Examples
        --------
        >>> import torch
        >>> from pysdd.sdd import SddManager
        >>> from nesy.infer.circuit import circuit_from_sdd
        >>> mgr = SddManager(2)
        >>> a, b = mgr.literal(1), mgr.literal(2)
        >>> module = CircuitModule(circuit_from_sdd([a | b], num_vars=2), "top_k", k=3)
        >>> p = torch.tensor([[0.5, 0.4]])
        >>> module.forward_topk(p.log(), (1 - p).log()).exp()  # proofs {a}, {not a, b}
        tensor([[[0.5000, 0.2000, 0.0000]]])
        """
        if self.semiring.k is None:
            raise ConfigError(f"forward_topk needs the top_k semiring, got {self.semiring.name!r}")
        return self._bottom_up(pos, neg, None).movedim(0, 1).contiguous()

    @torch.no_grad()
    def explain(self, pos: Tensor, neg: Tensor) -> tuple[Tensor, Tensor]:
        """Root values and, per root, an assignment that attains it (max-product, max-min).

        A bottom-up pass records the winning child of every ``OR``; a top-down pass follows the
        winners from each (example, root) pair to its literals, one circuit level per step,
        with tensors. For a root of value zero (``-inf`` in max-product: no model has non-zero
        weight) the assignment is arbitrary.

        Parameters
        ----------
        pos, neg
            As in :meth:`forward`.

        Returns
        -------
        values : Tensor
            Root values, as :meth:`forward` (without gradients).
        assignment : Tensor
            int8: 1 where the variable is true, 0 where false. Every variable is assigned,
            since the circuit is smoothed.

        Raises
        ------
        ConfigError
            If the semiring's ``OR`` does not select a child (``prob``, ``log``).

        Shape:
            - pos: ``(B, V)``; neg: ``(B, V)``.
            - values: ``(B, Q)``; assignment: ``(B, Q, V)``.

        Examples
        --------
        >>> import math, torch
        >>> from pysdd.sdd import SddManager
        >>> from nesy.infer.circuit import circuit_from_sdd
        >>> mgr = SddManager(3)
        >>> a, b = mgr.literal(1), mgr.literal(2)
        >>> module = CircuitModule(circuit_from_sdd([a | b], num_vars=3), "max_product")
        >>> p = torch.tensor([[0.4, 0.3, 0.9]])
        >>> values, assignment = module.explain(p.log(), (1 - p).log())
        >>> assignment.tolist(), round(math.exp(values.item()), 3)  # a, not b, c: .4*.7*.9
        ([[[1, 0, 1]]], 0.252)
        """
        if self.semiring.select is None:
            raise ConfigError(
                f"explain needs a semiring whose OR selects a child "
                f"(max_product, max_min); got {self.semiring.name!r}"
            )
        won: list[Tensor] = []
        values = self._bottom_up(pos, neg, won).movedim(0, 1).contiguous()
        winners = torch.cat(won) if won else self.roots.new_zeros(0, len(pos))
        batch, queries = len(pos), self.num_queries
        # One spare column takes the writes of frontier nodes that are not literals.
        assignment = pos.new_full((batch * queries, self.num_vars + 1), -1, dtype=torch.int8)
        row = torch.arange(batch * queries, device=pos.device)  # b * Q + q
        node = self.roots.repeat(batch)
        degree = self.child_ptr[1:] - self.child_ptr[:-1]
        last_edge = max(len(self.child_idx) - 1, 0)
        while len(node):  # the nodes reached form a tree, as AND children share no variable
            literal = self.literal[node]
            column = torch.where(literal != 0, literal.abs() - 1, self.num_vars)
            assignment[row, column] = (literal > 0).to(torch.int8)
            # An OR with several children goes to its winner, any other node to all children.
            winner = self.winner_row[node]
            count = torch.where(winner >= 0, 1, degree[node])
            at = torch.repeat_interleave(count)
            rank = torch.arange(len(at), device=pos.device) - (count.cumsum(0) - count)[at]
            node, row, winner = node[at], row[at], winner[at]
            every = self.child_idx[(self.child_ptr[node] + rank).clamp(max=last_edge)]
            if len(winners):  # a circuit without OR nodes has no winners to follow
                chosen = self.edge_node[winners[winner.clamp(min=0), row // queries]]
                every = torch.where(winner >= 0, chosen, every)
            node = every
        assignment = assignment[:, : self.num_vars]
        return values, assignment.view(batch, queries, self.num_vars)
