"""A-NeSI's prediction model q(y | P), factorised output digit by output digit.

``q(y | P) = prod_i q(y_i | y_<i, P)`` (ALGORITHMS.md D.3): step ``i`` reads the flattened
beliefs and the one-hot earlier digits, through its own MLP, and gives a distribution over
digit ``i``. Alone it is A-NeSI's "predict-only" variant; the explanation model q(w | y, P) and
symbolic pruning are in :mod:`.explanation`.

Shape letters: ``B`` batch, ``K`` symbols, ``V`` values per symbol, ``M`` output digits,
``W`` beam width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch.nn.functional import one_hot

__all__ = ["PredictionModel", "beam_search", "mlp"]


def mlp(inputs: int, hidden: int, layers: int, outputs: int) -> nn.Sequential:
    sizes = [inputs] + [hidden] * layers
    body: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:], strict=False):
        body += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*body, nn.Linear(sizes[-1], outputs))


class PredictionModel(nn.Module):
    """q(y | P): one MLP per output digit, most significant first.

    Parameters
    ----------
    symbols, values
        K and V of the beliefs ``P``.
    output_sizes
        The domain size of each output digit (``M`` of them).
    hidden, layers
        Each step's hidden width and number of hidden layers.
    reverse
        Predict the last output digit first. For a sum written most significant first this is
        the order of written addition: each step's carry comes from digits already predicted.
        Not the paper's order (most significant first); at N = 15 it raised q's own sum
        accuracy after 30 epochs from 0.05 to 0.35 (benchmarks/notes/anesi.md). ``y`` in and
        out keeps the functions' order either way.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> q = PredictionModel(2, 10, (2, 10), hidden=8, layers=1)
    >>> P = torch.full((3, 2, 10), 0.1)
    >>> q.log_prob(P, torch.tensor([[0, 5], [1, 2], [0, 0]])).shape
    torch.Size([3])
    >>> q.predict(P, beam=4).shape
    torch.Size([3, 2])
    """

    def __init__(
        self,
        symbols: int,
        values: int,
        output_sizes: Sequence[int],
        *,
        hidden: int = 800,
        layers: int = 3,
        reverse: bool = False,
    ) -> None:
        super().__init__()
        self.symbols, self.values, self.reverse = symbols, values, reverse
        self.output_sizes = tuple(output_sizes)[:: -1 if reverse else 1]  # in q's order
        beliefs = symbols * values
        self.steps = nn.ModuleList(
            mlp(beliefs + sum(self.output_sizes[:i]), hidden, layers, size)
            for i, size in enumerate(self.output_sizes)
        )

    def _step(self, i: int, flat: Tensor, earlier: Tensor) -> Tensor:
        """Log-probabilities ``(B, size_i)`` of digit ``i`` given the earlier digits ``(B, i)``."""
        hots = [
            one_hot(earlier[:, j], n).to(flat.dtype) for j, n in enumerate(self.output_sizes[:i])
        ]
        return self.steps[i](torch.cat([flat, *hots], dim=1)).log_softmax(dim=1)

    def log_prob(self, P: Tensor, y: Tensor) -> Tensor:
        """``log q(y | P)``.

        Shape:
            P: ``(B, K, V)`` probabilities; y: ``(B, M)`` int64 digits -> ``(B,)``.
        """
        flat = P.flatten(1)
        y = y.flip(1) if self.reverse else y
        total = flat.new_zeros(len(P))
        for i in range(len(self.output_sizes)):
            total = total + self._step(i, flat, y[:, :i]).gather(1, y[:, i : i + 1]).squeeze(1)
        return total

    @torch.no_grad()
    def predict(self, P: Tensor, beam: int = 1) -> Tensor:
        """The most probable ``y`` by beam search (``beam = 1``: greedy, digit by digit).

        Shape:
            P: ``(B, K, V)`` probabilities -> ``(B, M)`` int64 digits.
        """
        flat = P.flatten(1)

        def step(i: int, prefixes: Tensor) -> Tensor:
            return self._step(i, flat.repeat_interleave(len(prefixes) // len(P), dim=0), prefixes)

        best = beam_search(step, len(P), self.output_sizes, beam, P.device)
        return best.flip(1) if self.reverse else best


def beam_search(
    step: Callable[[int, Tensor], Tensor],
    batch: int,
    sizes: Sequence[int],
    beam: int,
    device: torch.device,
) -> Tensor:
    """The most probable sequence of an autoregressive model, by beam search.

    ``step(i, prefixes)`` gives the log-probabilities ``(B*W, sizes[i])`` of item ``i`` after
    each prefix ``(B*W, i)``, the ``W`` prefixes of each example in consecutive rows; ``-inf``
    marks a value that is not allowed. Returns ``(B, len(sizes))`` int64, the best of the last
    beam (``beam = 1``: greedy).
    """
    prefixes = torch.zeros(batch, 1, 0, dtype=torch.int64, device=device)  # (B, W, i)
    scores = torch.zeros(batch, 1, device=device)  # (B, W)
    for i, size in enumerate(sizes):
        width = prefixes.shape[1]
        logp = step(i, prefixes.reshape(batch * width, i)).view(batch, width, size)
        scores, best = (scores.unsqueeze(2) + logp).view(batch, -1).topk(min(beam, width * size), 1)
        parent, value = best // size, best % size
        kept = prefixes.gather(1, parent.unsqueeze(2).expand(-1, -1, i))
        prefixes = torch.cat([kept, value.unsqueeze(2)], dim=2)
    return prefixes[:, 0]
