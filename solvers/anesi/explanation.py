"""A-NeSI's explanation model q(w | y, P), with optional symbolic pruning.

``q(w | y, P) = prod_j q(w_j | y, w_<j, P)`` (ALGORITHMS.md D.3): step ``j`` reads the
flattened beliefs, the one-hot answer and the one-hot symbols chosen so far, through its own
MLP, and gives a distribution over symbol ``j``'s values. Trained with the prediction model by
the joint matching loss (:meth:`solvers.anesi.learner.Anesi.train_q`), it explains an answer:
which symbol values most probably gave it.

A :class:`Pruner` masks, at each step, the values from which no completion reaches ``y``, so
the explanation model's every sample and explanation satisfies ``c(w) = y`` (the paper's
guarantee of constraint satisfaction). :class:`SumPruner` is the pruner of
:class:`~solvers.anesi.symbolic.NumberSum`.

Shape letters: ``B`` batch, ``K`` symbols, ``V`` values per symbol, ``M`` output digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch
from torch import Tensor, nn
from torch.nn.functional import one_hot

from nesy.errors import ConfigError
from solvers.anesi.inference import beam_search, mlp
from solvers.anesi.symbolic import SymbolicFunction

__all__ = ["ExplanationModel", "Pruner", "SumPruner", "check_pruner"]


class Pruner(Protocol):
    """Which values of the next symbol can still lead to the answer ``y``."""

    order: tuple[int, ...]  # the symbols (columns of w) in the order they are chosen

    def allowed(self, y: Tensor, chosen: Tensor) -> Tensor:
        """``(B, V)`` bool: the values of symbol ``order[j]`` from which some completion of
        ``chosen`` ``(B, j)`` (the values of ``order[:j]``) gives ``y`` ``(B, M)``."""
        ...


class SumPruner:
    """The pruner of ``a + b = y`` for two numbers of ``n`` digits (columns as
    :class:`~solvers.anesi.symbolic.NumberSum`'s: ``a``'s digits least significant first, then
    ``b``'s).

    ``a``'s digits are chosen most significant first, each kept only where the numbers it
    starts still meet ``[max(0, y - (10^n - 1)), min(y, 10^n - 1)]``; ``b = y - a`` is then
    determined digit by digit (the paper's pruning: the first number range-restricted, the
    second fixed). int64 arithmetic: up to 18 digits.

    Examples
    --------
    >>> import torch
    >>> nothing_chosen = torch.zeros(1, 0, dtype=torch.int64)
    >>> SumPruner(1).allowed(torch.tensor([[1, 5]]), nothing_chosen).nonzero()[:, 1].tolist()
    [6, 7, 8, 9]
    """

    values = 10

    def __init__(self, n: int) -> None:
        if not 1 <= n <= 18:
            raise ConfigError(
                f"the sum's pruner works in 64-bit integers, up to 18 digits a number; got {n}"
            )
        self.n = n
        self.order = tuple(range(n - 1, -1, -1)) + tuple(range(2 * n - 1, n - 1, -1))
        self._powers = 10 ** torch.arange(n + 1, dtype=torch.int64)  # 10^0 .. 10^n

    def _number(self, digits: Tensor) -> Tensor:
        """``(B, j)`` digits, most significant first -> ``(B,)`` their value."""
        powers = self._powers[: digits.shape[1]].flip(0).to(digits.device)
        return (digits * powers).sum(dim=1)

    def allowed(self, y: Tensor, chosen: Tensor) -> Tensor:
        n, j = self.n, chosen.shape[1]
        total = self._number(y)
        top = int(self._powers[n]) - 1  # the largest n-digit number
        low, high = (total - top).clamp_min(0), total.clamp_max(top)
        if bool((low > high).any()):
            bad = int(total[low > high][0])
            raise ConfigError(f"no two numbers of {n} digits sum to {bad}")
        values = torch.arange(self.values, device=y.device)
        if j < n:  # a's digit j from the top: prefixes whose numbers meet [low, high]
            rest = int(self._powers[n - j - 1])
            start = (self._number(chosen).unsqueeze(1) * 10 + values) * rest
            return (start <= high.unsqueeze(1)) & (start + rest - 1 >= low.unsqueeze(1))
        b = total - self._number(chosen[:, :n])  # a is complete: b's digits are fixed
        digit = b // int(self._powers[2 * n - j - 1]) % 10
        return values == digit.unsqueeze(1)


def check_pruner(
    pruner: Pruner, function: SymbolicFunction, samples: int, generator: torch.Generator
) -> None:
    """Refuse a pruner that is not ``function``'s: on ``samples`` random total choices ``w``,
    every value of ``w`` must be allowed after its prefix given ``y = c(w)`` (a pruner that bars
    a true explanation would make its log-probability ``-inf``).

    Raises
    ------
    ConfigError
        A choice whose own value the pruner bars (shown), or an answer it holds impossible.
    """
    w = torch.randint(function.values, (samples, function.symbols), generator=generator)
    y, chosen = function(w), w[:, list(pruner.order)]
    for j in range(chosen.shape[1]):
        try:
            allowed = pruner.allowed(y, chosen[:, :j]).gather(1, chosen[:, j : j + 1]).squeeze(1)
        except ConfigError as error:  # an answer the pruner holds impossible
            raise ConfigError(f"the pruner is not the program's: {error}") from error
        if not bool(allowed.all()):
            i = int((~allowed).nonzero()[0])
            raise ConfigError(
                f"the pruner is not the program's: it bars the choice {w[i].tolist()}, whose "
                f"answer is {y[i].tolist()}, at symbol {pruner.order[j]}"
            )


class ExplanationModel(nn.Module):
    """q(w | y, P): one MLP per symbol, in the pruner's order (or column order without one).

    Parameters
    ----------
    symbols, values
        K and V of the beliefs ``P``.
    output_sizes
        The domain size of each output digit of ``y`` (``M`` of them).
    hidden, layers
        Each step's hidden width and number of hidden layers.
    pruner
        Masks the values that cannot reach ``y``; ``None``: no pruning.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> e = ExplanationModel(2, 10, (2, 10), hidden=8, layers=1, pruner=SumPruner(1))
    >>> P, y = torch.full((1, 2, 10), 0.1), torch.tensor([[1, 2]])  # 12
    >>> w = e.explain(P, y)
    >>> int(w.sum())
    12
    """

    def __init__(
        self,
        symbols: int,
        values: int,
        output_sizes: Sequence[int],
        *,
        hidden: int,
        layers: int,
        pruner: Pruner | None = None,
    ) -> None:
        super().__init__()
        self.values, self.output_sizes, self.pruner = values, tuple(output_sizes), pruner
        self.order = pruner.order if pruner is not None else tuple(range(symbols))
        if sorted(self.order) != list(range(symbols)):
            raise ConfigError(f"the pruner's order {self.order} is not one of {symbols} symbols")
        inputs = symbols * values + sum(self.output_sizes)
        self.steps = nn.ModuleList(
            mlp(inputs + j * values, hidden, layers, values) for j in range(symbols)
        )

    def _context(self, P: Tensor, y: Tensor) -> Tensor:
        hots = [one_hot(y[:, i], n) for i, n in enumerate(self.output_sizes)]
        return torch.cat([P.flatten(1), *(h.to(P.dtype) for h in hots)], dim=1)

    def _step(self, j: int, context: Tensor, y: Tensor, chosen: Tensor) -> Tensor:
        """Log-probabilities ``(B, V)`` of symbol ``order[j]`` given ``chosen`` ``(B, j)``;
        pruned values get ``-inf``."""
        hots = one_hot(chosen, self.values).flatten(1).to(context.dtype)
        logits = self.steps[j](torch.cat([context, hots], dim=1))
        if self.pruner is None:
            return logits.log_softmax(dim=1)
        barred = ~self.pruner.allowed(y, chosen)
        # filled again after: a beam's dead prefix bars every value, and the softmax of a row
        # of -inf is NaN, which topk would rank first
        return (
            logits.masked_fill(barred, -torch.inf)
            .log_softmax(dim=1)
            .masked_fill(barred, -torch.inf)
        )

    def log_prob(self, P: Tensor, y: Tensor, w: Tensor) -> Tensor:
        """``log q(w | y, P)``; ``-inf`` where pruning excludes ``w`` (``c(w) != y``).

        Shape:
            P: ``(B, K, V)``; y: ``(B, M)``; w: ``(B, K)`` int64 in column order -> ``(B,)``.
        """
        context, chosen = self._context(P, y), w[:, list(self.order)]
        total = context.new_zeros(len(P))
        for j in range(len(self.order)):
            step = self._step(j, context, y, chosen[:, :j])
            total = total + step.gather(1, chosen[:, j : j + 1]).squeeze(1)
        return total

    @torch.no_grad()
    def explain(self, P: Tensor, y: Tensor, beam: int = 1) -> Tensor:
        """The most probable explanation of ``y`` by beam search (``beam = 1``: greedy, each
        symbol's most probable value in turn).

        Shape:
            P: ``(B, K, V)``; y: ``(B, M)`` -> ``(B, K)`` int64 in column order.
        """
        context = self._context(P, y)

        def step(j: int, chosen: Tensor) -> Tensor:
            width = len(chosen) // len(P)
            rows = context.repeat_interleave(width, dim=0)
            return self._step(j, rows, y.repeat_interleave(width, dim=0), chosen)

        sizes = (self.values,) * len(self.order)
        chosen = beam_search(step, len(P), sizes, beam, P.device)
        w = torch.empty_like(chosen)
        w[:, list(self.order)] = chosen
        return w
