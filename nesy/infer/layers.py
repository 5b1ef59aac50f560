"""Batched, differentiable evaluation of a :class:`~nesy.infer.circuit.Circuit` as an ``nn.Module``.

The circuit is laid out once into layers of *slots* that each read only the layer below (as
KLay does; :mod:`nesy.infer.layout` makes the plan). Evaluating a layer is one gather of its
children's values, one segment reduction and one concatenation with its pass-through copies
and its leaves; the only Python loop is over layers. Values are node-major, ``(slots, B)``, so
gathers and scatters move contiguous rows.
Shape letters ``B``, ``V``, ``Q`` are defined in :mod:`nesy.infer.circuit`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.infer.circuit import Circuit, smooth
from nesy.infer.layout import LayerSlots, plan_layers
from nesy.infer.leaves import leaf_table
from nesy.infer.semiring import get_semiring

__all__ = ["CircuitModule"]


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

    child_slot: Tensor
    parent_slot: Tensor
    child_node: Tensor
    leaf_row: Tensor
    root_slot: Tensor
    or_winner_row: Tensor
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
    ) -> None:
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
        plan = plan_layers(circuit)
        buffers = {  # derived from the circuit, so not part of the state dict
            "child_slot": plan.child_slot,
            "parent_slot": plan.parent_slot,
            "leaf_row": plan.leaf_row,
            "root_slot": plan.root_slot,
        }
        if self.semiring.select is not None:  # explain walks the circuit itself, top-down
            buffers.update(
                child_node=plan.child_node,
                or_winner_row=plan.or_winner_row,
                roots=circuit.roots,
                literal=circuit.literal,
                child_ptr=circuit.child_ptr,
                child_idx=circuit.child_idx,
            )
        for name, array in buffers.items():
            self.register_buffer(name, torch.tensor(array, dtype=torch.long), persistent=False)
        self.layers: tuple[LayerSlots, ...] = plan.layers
        self.num_slots = plan.num_slots
        self.smoothed = smoothed
        self.num_vars = circuit.num_vars
        self.num_nodes = circuit.num_nodes
        self.num_edges = circuit.num_edges
        self.num_queries = circuit.num_queries

    def extra_repr(self) -> str:
        return (
            f"nodes={self.num_nodes}, edges={self.num_edges}, layers={len(self.layers)}, "
            f"slots={self.num_slots}, queries={self.num_queries}, "
            f"semiring={self.semiring.name!r}, smoothed={self.smoothed}"
            + ("" if self.semiring.k is None else f", k={self.semiring.k}")
        )

    def _bottom_up(self, pos: Tensor, neg: Tensor, winners: list[Tensor] | None) -> Tensor:
        """Root values ``(Q, B)``; appends each OR layer's winning edges to ``winners``."""
        semiring = self.semiring
        table = semiring.lift(leaf_table(pos, neg, self.num_vars, semiring.zero, semiring.one))
        values = table[:0]
        for layer, slots in enumerate(self.layers):
            parts = []
            if slots.reduced:
                edges = slots.reduced_edges
                children = values.index_select(0, self.child_slot[edges])
                parent = self.parent_slot[edges]
                if layer % 2:
                    parts.append(semiring.times(children, parent, slots.reduced))
                elif winners is None:
                    parts.append(semiring.plus(children, parent, slots.reduced))
                else:
                    assert semiring.select is not None
                    won = semiring.select(children, parent, slots.reduced)
                    winners.append(won + edges.start)
                    parts.append(children.gather(0, won))
            if slots.passed:
                parts.append(values.index_select(0, self.child_slot[slots.passed_edges]))
            if slots.leaves:
                parts.append(table.index_select(0, self.leaf_row[slots.leaf_rows]))
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
            winner = self.or_winner_row[node]
            count = torch.where(winner >= 0, 1, degree[node])
            at = torch.repeat_interleave(count)
            rank = torch.arange(len(at), device=pos.device) - (count.cumsum(0) - count)[at]
            node, row, winner = node[at], row[at], winner[at]
            every = self.child_idx[(self.child_ptr[node] + rank).clamp(max=last_edge)]
            if len(winners):  # a circuit without OR nodes has no winners to follow
                chosen = self.child_node[winners[winner.clamp(min=0), row // queries]]
                every = torch.where(winner >= 0, chosen, every)
            node = every
        assignment = assignment[:, : self.num_vars]
        return values, assignment.view(batch, queries, self.num_vars)
