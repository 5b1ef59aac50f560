"""The leaf table that the layered evaluators read literals and constants from.

Rows ``(2 + 2V, B)``: the semiring's ``zero`` (row 0), its ``one`` (row 1), the positive
literals (``+v`` at row ``1 + v``), then the negative ones (``-v`` at row ``1 + V + v``). Both
:class:`~nesy.infer.layers.CircuitModule` and :class:`~nesy.infer.logpass.LogCircuit` build it
with :func:`leaf_table` and find a leaf's row with :func:`leaf_rows`.
Shape letters ``B``, ``V`` as in :mod:`nesy.infer.circuit`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from nesy.errors import DataError
from nesy.infer.circuit import Circuit, NodeKind

__all__ = ["leaf_table", "leaf_rows"]

ZERO_ROW, ONE_ROW = 0, 1


def leaf_rows(circuit: Circuit, nodes: np.ndarray | None = None) -> np.ndarray:
    """The leaf-table row of each of ``nodes`` (default: every node); ``ZERO_ROW`` for false
    and for inner nodes.

    Examples
    --------
    >>> from pysdd.sdd import SddManager
    >>> from nesy.infer.circuit import circuit_from_sdd
    >>> mgr = SddManager(2)
    >>> circuit = circuit_from_sdd([mgr.literal(2), mgr.literal(-1), mgr.true()], num_vars=2)
    >>> leaf_rows(circuit, circuit.roots).tolist()  # +2 at 1 + 2, -1 at 1 + 2 + 1, true at 1
    [3, 4, 1]
    """
    literal = circuit.literal if nodes is None else circuit.literal[nodes]
    kind = circuit.kind if nodes is None else circuit.kind[nodes]
    num_vars = circuit.num_vars
    rows = np.where(literal > 0, 1 + literal, np.where(literal < 0, 1 + num_vars - literal, 0))
    rows = np.where(kind == NodeKind.TRUE, ONE_ROW, rows)
    return rows.astype(np.int64)


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
