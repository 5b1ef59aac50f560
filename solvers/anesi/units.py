"""A-NeSI for all-different constraints, one output bit per unit (a row, column or box).

The pair encoding (:mod:`.pairs`) predicts ``[w_a != w_b]`` for each of 9x9 ViSudo-PC's 810
pairs independently, which forgets that the pairs of one unit share their cells: its
``q(valid)`` is the looser relaxation, below the ASP backend's product over units. Here the
symbolic function is one bit per unit, ``y_u = [the values of unit u are all different]``, and
q predicts each unit's bit from the unit's beliefs, so ``q(valid)`` learns the same product over
units that the ASP backend computes exactly (an approximation still: the units share cells too).

The units are the maximal cliques of the program's pairs (for a Sudoku: its 27 units), so the
program stays the one source of the constraint. q's MLP, shared by every unit, reads one
feature per value ``v`` that does not depend on the order of the unit's cells: the expected
number of the unit's pairs that both take ``v``, ``sum_{a<b} P_a(v) P_b(v) = (S_v^2 - sum_c
P_c(v)^2) / 2`` with ``S_v = sum_c P_c(v)``; for a pair it is the pair model's product feature.
It is zero exactly for certain beliefs that are all different, and uniform beliefs score as
badly as random digits. With the expected counts ``S_v`` among the inputs (1 for uniform beliefs
as for a valid unit) q learnt on near-certain prior samples called uniform beliefs valid, and
the perception went uniform (test accuracy 0.500 on two 9x9 splits).

Shape letters: ``B`` batch, ``K`` symbols, ``V`` values, ``U`` units, ``n`` cells per unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import torch
from torch import Tensor

from solvers.anesi.pairs import IndependentBits, group_index

__all__ = ["units_of", "UnitsDiffer", "UnitModel"]


def units_of(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, ...]]:
    """The maximal cliques of the graph whose edges are ``pairs``, each sorted, in order.

    Examples
    --------
    >>> units_of([(0, 1), (1, 2), (0, 2), (2, 3)])
    [(0, 1, 2), (2, 3)]
    """
    graph = nx.Graph(list(pairs))
    return sorted(tuple(sorted(clique)) for clique in nx.find_cliques(graph))


class UnitsDiffer:
    """``y = c(w)``: ``(S, K)`` values -> ``(S, U)`` bits, ``y_u`` = unit ``u`` all different.

    Examples
    --------
    >>> import torch
    >>> UnitsDiffer([(0, 1, 2), (2, 3, 4)], symbols=5, values=3)(torch.tensor([[0, 1, 2, 2, 1]]))
    tensor([[1, 0]])
    """

    def __init__(self, units: Sequence[Sequence[int]], *, symbols: int, values: int) -> None:
        self.units = group_index(units, symbols, "units")
        self.symbols, self.values = symbols, values
        self.output_sizes = (2,) * len(self.units)

    def __call__(self, w: Tensor) -> Tensor:
        cells = w[:, self.units.to(w.device)].sort(dim=2).values  # (S, U, n)
        return (cells[:, :, 1:] != cells[:, :, :-1]).all(dim=2).to(torch.int64)


class UnitModel(IndependentBits):
    """q(y | P) = prod_u q(y_u | P_unit), one MLP shared by every unit on order-free features
    of the unit's beliefs (the module docstring).

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> q = UnitModel([(0, 1, 2), (1, 2, 3)], symbols=4, values=3, hidden=8, layers=1)
    >>> P = torch.full((5, 4, 3), 1 / 3)
    >>> q.log_prob(P, torch.ones(5, 2, dtype=torch.int64)).shape, q.predict(P).shape
    (torch.Size([5]), torch.Size([5, 2]))
    """

    what = "units"
    features = 1  # the expected equal pairs per value

    def logits(self, P: Tensor) -> Tensor:
        """The logit of ``y_u = 1`` (unit ``u`` all different), ``(B, K, V)`` -> ``(B, U)``."""
        cells = P[:, self.groups]  # (B, U, n, V)
        equal_pairs = (cells.sum(2).square() - cells.square().sum(2)) / 2
        return self.net(equal_pairs).squeeze(2)
