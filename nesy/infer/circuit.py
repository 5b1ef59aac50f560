"""Flat, layered arithmetic circuits, converted once from SDDs.

A :class:`Circuit` is a DAG of ``AND``/``OR`` nodes over leaves (literals and the constants
true/false) stored as plain numpy arrays, ready to be turned into index tensors by
:class:`nesy.infer.layers.CircuitModule`. Shape letters used throughout ``nesy.infer``:

``B``
    batch size (leading dimension of every tensor).
``V``
    number of Boolean variables; variable ``v`` is ``1..V`` and lives in column ``v - 1``.
``Q``
    number of queries, i.e. circuit roots (one per query answer).

Node order is topological (children before parents). Layers alternate: leaves are layer 0, an
``AND`` node sits on the smallest odd layer above all its children, an ``OR`` node on the smallest
even one; so every layer above 0 holds one kind of node only.

Smoothing (:func:`smooth`) needs each node's *scope*: the interval of positions, in
``var_order``, spanned by the variables below it. For a circuit converted from an SDD,
``var_order`` is the vtree's in-order, so the children of an ``AND`` have disjoint intervals
(they live under the two sides of a vtree node) and gaps can be filled with shared gadgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import numpy as np

from nesy.errors import CompileError

if TYPE_CHECKING:
    from pysdd.sdd import SddNode

__all__ = ["NodeKind", "Circuit", "circuit_from_sdd", "smooth"]


class NodeKind(IntEnum):
    """What a circuit node computes."""

    FALSE = 0
    TRUE = 1
    LITERAL = 2
    AND = 3
    OR = 4


@dataclass(frozen=True)
class Circuit:
    """A layered AND/OR circuit as flat arrays; node ``i`` has children
    ``child_idx[child_ptr[i]:child_ptr[i + 1]]``.

    Parameters
    ----------
    kind
        ``(N,)`` int8 :class:`NodeKind` of each node.
    literal
        ``(N,)`` int64 signed literal of a ``LITERAL`` node (``-v`` is "not v"), 0 elsewhere.
    child_ptr
        ``(N + 1,)`` int64 CSR offsets into ``child_idx``.
    child_idx
        ``(E,)`` int64 children, each smaller than its parent.
    layer
        ``(N,)`` int64 layer of each node (0 for leaves, odd for ``AND``, even for ``OR``).
    roots
        ``(Q,)`` int64 root node of each query.
    var_order
        ``(V,)`` int64 permutation of ``1..V`` that scopes are intervals of.
    smoothed
        Whether every ``OR``'s children and every root mention the same variables (all ``V``
        for a root).
    """

    kind: np.ndarray
    literal: np.ndarray
    child_ptr: np.ndarray
    child_idx: np.ndarray
    layer: np.ndarray
    roots: np.ndarray
    var_order: np.ndarray
    smoothed: bool = False

    def __post_init__(self) -> None:
        n = len(self.kind)
        if not (len(self.literal) == len(self.layer) == n and len(self.child_ptr) == n + 1):
            raise CompileError(
                f"circuit arrays disagree on the node count: kind {n}, literal "
                f"{len(self.literal)}, layer {len(self.layer)}, child_ptr {len(self.child_ptr)}"
            )
        for name in ("kind", "literal", "child_ptr", "child_idx", "layer", "roots", "var_order"):
            view = np.asarray(getattr(self, name)).view()  # read-only, the caller's array not
            view.setflags(write=False)
            object.__setattr__(self, name, view)

    @property
    def num_vars(self) -> int:
        """``V``, the number of Boolean variables."""
        return len(self.var_order)

    @property
    def num_nodes(self) -> int:
        """Number of nodes, leaves included."""
        return len(self.kind)

    @property
    def num_edges(self) -> int:
        """Number of parent-child edges."""
        return len(self.child_idx)

    @property
    def num_layers(self) -> int:
        """Number of layers, 1 + the highest layer (0 for an empty circuit)."""
        return int(self.layer.max()) + 1 if len(self.layer) else 0

    @property
    def num_queries(self) -> int:
        """``Q``, the number of roots."""
        return len(self.roots)

    def children(self, node: int) -> np.ndarray:
        """The children of ``node``."""
        return self.child_idx[self.child_ptr[node] : self.child_ptr[node + 1]]


def _next_layer(child_layer: int, kind: NodeKind) -> int:
    """The smallest layer above ``child_layer`` with the parity of ``kind`` (AND odd, OR even)."""
    want = 1 if kind == NodeKind.AND else 0
    layer = child_layer + 1
    return layer if layer % 2 == want else layer + 1


class _Builder:
    """Appends nodes in topological order; dedupes leaves and identical AND/OR nodes."""

    def __init__(self) -> None:
        self.kind: list[int] = []
        self.literal: list[int] = []
        self.layer: list[int] = []
        self.ptr: list[int] = [0]
        self.children: list[int] = []
        self._leaves: dict[int, int] = {}  # signed literal, or a sentinel for a constant -> node
        self._inner: dict[tuple[int, ...], int] = {}

    def _add(self, kind: NodeKind, literal: int, layer: int, children: Sequence[int]) -> int:
        self.kind.append(kind)
        self.literal.append(literal)
        self.layer.append(layer)
        self.children.extend(children)
        self.ptr.append(len(self.children))
        return len(self.kind) - 1

    def constant(self, value: bool) -> int:
        key = -(1 << 62) if value else 1 << 62
        if key not in self._leaves:
            kind = NodeKind.TRUE if value else NodeKind.FALSE
            self._leaves[key] = self._add(kind, 0, 0, ())
        return self._leaves[key]

    def literal_node(self, literal: int) -> int:
        if literal not in self._leaves:
            self._leaves[literal] = self._add(NodeKind.LITERAL, literal, 0, ())
        return self._leaves[literal]

    def inner(self, kind: NodeKind, children: Sequence[int]) -> int:
        key = (kind, *children)  # an IntEnum hashes and compares as its int
        found = self._inner.get(key)
        if found is None:
            layer = self.layer
            top = max([layer[c] for c in children])
            found = self._inner[key] = self._add(kind, 0, _next_layer(top, kind), children)
        return found

    def build(self, roots: Sequence[int], var_order: Sequence[int], smoothed: bool) -> Circuit:
        return Circuit(
            kind=np.asarray(self.kind, dtype=np.int8),
            literal=np.asarray(self.literal, dtype=np.int64),
            child_ptr=np.asarray(self.ptr, dtype=np.int64),
            child_idx=np.asarray(self.children, dtype=np.int64),
            layer=np.asarray(self.layer, dtype=np.int64),
            roots=np.asarray(roots, dtype=np.int64),
            var_order=np.asarray(var_order, dtype=np.int64),
            smoothed=smoothed,
        )


def circuit_from_sdd(roots: Sequence[SddNode], num_vars: int) -> Circuit:
    """Convert SDD roots, sharing one manager, into one :class:`Circuit`.

    The shared DAG is walked once, iteratively, deduplicating by ``node.id``. A decision node
    becomes an ``OR`` of ``AND(prime, sub)`` elements; elements with a false prime or sub are
    dropped, a true one is skipped, and an ``OR`` left with one child is that child.

    Parameters
    ----------
    roots
        One SDD per query; all from the same ``SddManager``.
    num_vars
        ``V``; every literal must be within ``1..V``. Variables the manager lacks are appended
        to ``var_order``.

    Returns
    -------
    Circuit
        Unsmoothed, with ``var_order`` the manager's vtree in-order.

    Raises
    ------
    CompileError
        If a literal is outside ``1..num_vars``.

    Examples
    --------
    >>> from pysdd.sdd import SddManager
    >>> mgr = SddManager(3)
    >>> a, b, c = (mgr.literal(i) for i in (1, 2, 3))
    >>> circuit = circuit_from_sdd([a & b | c, ~a, mgr.true()], num_vars=3)
    >>> circuit.num_queries, circuit.num_vars
    (3, 3)
    """
    if num_vars < 0:
        raise CompileError(f"num_vars must be >= 0, got {num_vars}")
    builder = _Builder()
    index: dict[int, int] = {}  # SDD node id -> circuit node
    for root in roots:
        stack: list[tuple[SddNode, list[tuple[SddNode, SddNode]] | None]] = [(root, None)]
        while stack:
            node, elements = stack.pop()
            nid = node.id
            if nid in index:
                continue
            if elements is not None:
                index[nid] = _decision(builder, index, elements)
            elif node.is_decision():  # the most common kind: asked first
                elements = list(node.elements())
                stack.append((node, elements))
                stack.extend(
                    (child, None)
                    for element in elements
                    for child in element
                    if child.id not in index
                )
            elif node.is_literal():
                lit = int(node.literal)
                if not 0 < abs(lit) <= num_vars:
                    raise CompileError(f"literal {lit} is outside variables 1..{num_vars}")
                index[nid] = builder.literal_node(lit)
            else:
                index[nid] = builder.constant(bool(node.is_true()))
    order: list[int] = []
    if roots:
        order = [v for v in roots[0].manager.var_order() if v <= num_vars]
    seen = set(order)
    order.extend(v for v in range(1, num_vars + 1) if v not in seen)
    return builder.build([index[root.id] for root in roots], order, smoothed=False)


def _decision(
    builder: _Builder, index: dict[int, int], elements: list[tuple[SddNode, SddNode]]
) -> int:
    kinds = builder.kind
    children: list[int] = []
    # kinds compared as plain ints: an enum member's look-up costs more than the comparison
    false, true, conjunction = _FALSE, _TRUE, NodeKind.AND
    for prime, sub in elements:
        p, s = index[prime.id], index[sub.id]
        kind_p, kind_s = kinds[p], kinds[s]
        if kind_p == false or kind_s == false:
            continue
        if kind_s == true:
            children.append(p)
        elif kind_p == true:
            children.append(s)
        else:
            children.append(builder.inner(conjunction, (p, s)))
    if not children:
        return builder.constant(False)
    if len(children) == 1:
        return children[0]
    return builder.inner(NodeKind.OR, children)


_FALSE, _TRUE = int(NodeKind.FALSE), int(NodeKind.TRUE)


class _Filler:
    """Gadgets ``x OR not x`` conjoined over intervals of ``var_order`` positions.

    Intervals are split as in a segment tree over ``0..V-1``, so any interval is covered by
    O(log V) shared nodes and all of them together are at most ``2V`` nodes.
    """

    def __init__(self, builder: _Builder, var_order: np.ndarray):
        self.builder = builder
        self.var_order = [int(v) for v in var_order]
        self._made: dict[tuple[int, int], int] = {}

    def _segment(self, lo: int, hi: int) -> int:
        node = self._made.get((lo, hi))
        if node is not None:
            return node
        b = self.builder
        if lo == hi:
            var = self.var_order[lo]
            lits = (b.literal_node(var), b.literal_node(-var))
            node = b.inner(NodeKind.OR, lits)
        else:
            mid = (lo + hi) // 2
            node = b.inner(NodeKind.AND, (self._segment(lo, mid), self._segment(mid + 1, hi)))
        self._made[(lo, hi)] = node
        return node

    def cover(self, lo: int, hi: int, out: list[int]) -> None:
        """Append to ``out`` the nodes that together smooth positions ``lo..hi``."""
        if lo > hi:
            return
        stack = [(0, len(self.var_order) - 1)]
        while stack:
            a, b = stack.pop()
            if hi < a or b < lo:
                continue
            if lo <= a and b <= hi:
                out.append(self._segment(a, b))
                continue
            mid = (a + b) // 2
            stack.append((mid + 1, b))
            stack.append((a, mid))


def smooth(circuit: Circuit) -> Circuit:
    """Make every ``OR``'s children, and every root, mention the same variables.

    A child of an ``OR`` missing variables is conjoined with gadgets ``x OR not x`` for them,
    and so is an ``AND`` with gaps between its children's scopes, and a root with fewer than
    all ``V`` variables. Gadgets are shared (see ``_Filler``), so the result has
    O(N + E log V) nodes. Values change only where, for a missing variable, ``pos (+) neg`` is
    not the semiring's one; max-product needs this so that every variable contributes
    ``max(pos, neg)`` and is assigned by an explanation.

    Parameters
    ----------
    circuit
        Whose ``AND`` children have disjoint scope intervals in ``var_order`` (true for any
        circuit from :func:`circuit_from_sdd`).

    Returns
    -------
    Circuit
        A new, smoothed circuit (``circuit`` itself if it is already smoothed).

    Raises
    ------
    CompileError
        If an ``AND``'s children overlap in ``var_order`` (the circuit is not decomposable
        along that order).

    Examples
    --------
    >>> from pysdd.sdd import SddManager
    >>> mgr = SddManager(2)
    >>> smooth(circuit_from_sdd([mgr.literal(1)], num_vars=2)).num_nodes  # 1 AND (1 OR (2 -2))
    5
    """
    if circuit.smoothed:
        return circuit
    num_vars = circuit.num_vars
    position = np.zeros(num_vars + 1, dtype=np.int64)
    position[circuit.var_order] = np.arange(num_vars)
    pos_of = position.tolist()
    builder = _Builder()
    filler = _Filler(builder, circuit.var_order)
    lo: list[int] = []  # scope of each new node; empty scope is (V, -1)
    hi: list[int] = []
    wrapped: dict[tuple[int, int, int], int] = {}

    def scope(node: int) -> None:  # record the scope of every new node up to ``node``
        while len(lo) <= node:
            k = builder.kind[len(lo)]
            if k == NodeKind.LITERAL:
                p = pos_of[abs(builder.literal[len(lo)])]
                lo.append(p)
                hi.append(p)
            else:
                start, end = builder.ptr[len(lo)], builder.ptr[len(lo) + 1]
                kids = builder.children[start:end]
                lo.append(min((lo[c] for c in kids), default=num_vars))
                hi.append(max((hi[c] for c in kids), default=-1))

    def wrap(node: int, a: int, b: int) -> int:  # ``node`` conjoined with gadgets up to a..b
        scope(node)
        if (lo[node], hi[node]) == (a, b):
            return node
        key = (node, a, b)
        if key not in wrapped:
            fills: list[int] = [node]
            if lo[node] > hi[node]:
                filler.cover(a, b, fills)
            else:
                filler.cover(a, lo[node] - 1, fills)
                filler.cover(hi[node] + 1, b, fills)
            wrapped[key] = builder.inner(NodeKind.AND, fills)
        return wrapped[key]

    kind, literal = circuit.kind.tolist(), circuit.literal.tolist()
    ptr, child_idx = circuit.child_ptr.tolist(), circuit.child_idx.tolist()
    new: list[int] = []
    for n, k in enumerate(kind):
        if k == NodeKind.LITERAL:
            new.append(builder.literal_node(literal[n]))
            continue
        if k in (NodeKind.TRUE, NodeKind.FALSE):
            new.append(builder.constant(k == NodeKind.TRUE))
            continue
        kids = [new[c] for c in child_idx[ptr[n] : ptr[n + 1]]]
        for c in kids:
            scope(c)
        if k == NodeKind.OR:
            a = min((lo[c] for c in kids), default=num_vars)
            b = max((hi[c] for c in kids), default=-1)
            new.append(builder.inner(NodeKind.OR, [wrap(c, a, b) for c in kids]))
            continue
        spans = sorted((lo[c], hi[c]) for c in kids if lo[c] <= hi[c])
        fills = list(kids)
        for (_, prev_hi), (next_lo, _) in zip(spans, spans[1:], strict=False):
            if next_lo <= prev_hi:
                raise CompileError(
                    f"AND node {n} is not decomposable along var_order: children scopes "
                    f"overlap at positions {next_lo}..{prev_hi}"
                )
            filler.cover(prev_hi + 1, next_lo - 1, fills)
        new.append(builder.inner(NodeKind.AND, fills))
    roots = [wrap(new[r], 0, num_vars - 1) for r in circuit.roots.tolist()]
    return builder.build(roots, circuit.var_order.tolist(), smoothed=True)
