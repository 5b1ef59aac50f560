"""A-NeSI for all-different constraints: one output bit per pair of symbols that must differ.

The symbolic function is ``y_e = [w_a != w_b]`` for every constrained pair ``e = (a, b)``; a
grid is valid when every bit is 1. The prediction model is A-NeSI's "pair" encoding for
ViSudo-PC (ALGORITHMS.md D.8): the bits are predicted independently, each by one MLP shared by
all pairs that reads only the two symbols' beliefs. It is an approximation twice over: the bits
of pairs that share a symbol are not independent, and the MLP learns ``P(w_a != w_b)`` from
samples, where the exact value is ``1 - sum_v P_a(v) P_b(v)``.

The MLP reads ``[P_a || P_b || P_a * P_b]``; the paper's reads ``[P_a || P_b]``. With the
product among its inputs the exact value is a linear function of them: at 9x9 the paper's
inputs left every split at the all-invalid 0.500 for 14 epochs (a q fitted to near one-hot
prior samples is flat around the fresh network's near-uniform beliefs), the product's reached
0.66 on validation by epoch 16.

Shape letters: ``B`` batch, ``K`` symbols, ``V`` values, ``E`` pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.nn.functional import logsigmoid

from nesy.errors import ConfigError
from solvers.anesi.inference import mlp

__all__ = ["PairsDiffer", "PairModel", "IndependentBits", "group_index"]


def group_index(groups: Sequence[Sequence[int]], symbols: int, what: str = "pairs") -> Tensor:
    """``(G, n)`` symbol indices of ``groups`` (each of ``n`` symbols), checked."""
    sizes = {len(g) for g in groups}
    if len(sizes) != 1 or min(sizes) < 2:
        raise ConfigError(f"{what} must be a non-empty list of equal-sized groups of symbols")
    index = torch.tensor([list(g) for g in groups], dtype=torch.int64)
    if int(index.min()) < 0 or int(index.max()) >= symbols:
        raise ConfigError(f"{what} must be a non-empty list of symbols 0..{symbols - 1}")
    return index


class IndependentBits(nn.Module):
    """q(y | P) = prod_e q(y_e | P) over independent bits, one per group of symbols, each bit's
    logit from one MLP shared by every group; a grid is valid when every bit is 1. Subclasses say
    what a group is (``what``), how many inputs the MLP takes per value (``features``) and how
    ``logits`` reads a group's beliefs.

    Parameters
    ----------
    groups
        The constrained groups of symbol indices, all of one size (pairs ``(a, b)``, units).
    symbols, values
        K and V of the beliefs ``P``.
    hidden, layers
        The MLP's hidden width and number of hidden layers.
    """

    what = "groups"
    features = 1
    groups: Tensor

    def __init__(
        self,
        groups: Sequence[Sequence[int]],
        *,
        symbols: int,
        values: int,
        hidden: int = 100,
        layers: int = 2,
    ) -> None:
        super().__init__()
        self.register_buffer("groups", group_index(groups, symbols, self.what))
        self.net = mlp(self.features * values, hidden, layers, 1)

    def logits(self, P: Tensor) -> Tensor:
        """The logit of each bit being 1, ``(B, K, V)`` -> ``(B, E)``."""
        raise NotImplementedError

    def log_prob(self, P: Tensor, y: Tensor) -> Tensor:
        """``log q(y | P)``: ``(B, K, V)`` beliefs, ``(B, E)`` bits -> ``(B,)``."""
        signed = torch.where(y.bool(), 1.0, -1.0).to(P.dtype)
        return logsigmoid(signed * self.logits(P)).sum(1)

    def log_valid(self, P: Tensor) -> Tensor:
        """``log q(every bit 1 | P)``, ``(B,)``: the log-probability that the grid is valid."""
        return logsigmoid(self.logits(P)).sum(1)

    @torch.no_grad()
    def predict(self, P: Tensor, beam: int = 1) -> Tensor:
        """The most probable bits ``(B, E)`` (independent, so no search; ``beam`` is unused)."""
        return (self.logits(P) > 0).to(torch.int64)


class PairsDiffer:
    """``y = c(w)``: ``(S, K)`` values -> ``(S, E)`` bits, ``y_e = [w_a != w_b]``.

    Examples
    --------
    >>> import torch
    >>> PairsDiffer([(0, 1), (1, 2)], symbols=3, values=4)(torch.tensor([[2, 2, 3]])).tolist()
    [[0, 1]]
    """

    def __init__(self, pairs: Sequence[tuple[int, int]], *, symbols: int, values: int) -> None:
        self.pairs = group_index(pairs, symbols)
        self.symbols, self.values = symbols, values
        self.output_sizes = (2,) * len(self.pairs)

    def __call__(self, w: Tensor) -> Tensor:
        pairs = self.pairs.to(w.device)
        return (w[:, pairs[:, 0]] != w[:, pairs[:, 1]]).to(torch.int64)


class PairModel(IndependentBits):
    """q(y | P) = prod_e q(y_e | P_a, P_b), one MLP on ``[P_a || P_b || P_a * P_b]`` shared by
    every pair.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> q = PairModel([(0, 1), (1, 2)], symbols=3, values=4, hidden=8, layers=1)
    >>> P = torch.full((5, 3, 4), 0.25)
    >>> q.log_prob(P, torch.ones(5, 2, dtype=torch.int64)).shape, q.predict(P).shape
    (torch.Size([5]), torch.Size([5, 2]))
    """

    what = "pairs"
    features = 3  # P_a, P_b, P_a * P_b

    def logits(self, P: Tensor) -> Tensor:
        """The logit of ``y_e = 1`` (the pair differs), ``(B, K, V)`` -> ``(B, E)``."""
        a, b = P[:, self.groups[:, 0]], P[:, self.groups[:, 1]]
        return self.net(torch.cat([a, b, a * b], dim=2)).squeeze(2)
