"""Probability -> possibility transformations of softmax outputs (Pi-NeSy, ALGORITHMS.md A.2).

Both sort the probabilities in decreasing order, ``p(1) >= ... >= p(m)``, and give the ``k``-th
value a possibility:

* method 1, **antipignistic**: ``pi(v) = sum_u min(p(u), p(v))``, i.e. ``k p(k) + sum_{j>k} p(j)``;
* method 2, **minimum specificity** (optimal): ``pi(v_(k)) = sum_{j>=k} p(j)``.

Ties follow the authors' code, a stable sort: of two equal probabilities the one with the lower
index is ranked first, so method 2 gives it the higher possibility (method 1 is symmetric in ties
by its definition and gives them equal possibility either way).

Shape letters: ``...`` any leading dims, ``m`` domain size.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nesy.errors import ConfigError

__all__ = ["METHODS", "antipignistic", "minimum_specificity", "to_possibility"]

#: The transformations by their number in the paper ("Pi-NeSy-1", "Pi-NeSy-2").
METHODS = (1, 2)


def _sorted_suffix(p: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    ordered, order = torch.sort(p, dim=-1, descending=True, stable=True)
    suffix = ordered.flip(-1).cumsum(-1).flip(-1)  # suffix[k] = sum_{j >= k} p(j)
    return ordered, order, suffix


def _unsort(values: Tensor, order: Tensor) -> Tensor:
    # Possibilities are normalised by definition (the top value sums every probability); the
    # float sum of a softmax can miss 1 by an ulp, which would break argmax ties, so clamp.
    return torch.empty_like(values).scatter_(-1, order, values.clamp(max=1.0))


def antipignistic(p: Tensor) -> Tensor:
    """Method 1. ``(0.7, 0.2, 0.1) -> (1.0, 0.5, 0.3)``.

    Shape:
        p: ``(..., m)`` probabilities summing to 1 -> ``(..., m)`` possibilities.
    """
    ordered, order, suffix = _sorted_suffix(p)
    rank = torch.arange(1, p.shape[-1] + 1, dtype=p.dtype, device=p.device)
    result = rank * ordered + (suffix - ordered)
    result[..., 0] = 1.0
    return _unsort(result, order)


def minimum_specificity(p: Tensor) -> Tensor:
    """Method 2. ``(0.7, 0.2, 0.1) -> (1.0, 0.3, 0.1)``.

    Shape:
        p: ``(..., m)`` probabilities summing to 1 -> ``(..., m)`` possibilities.
    """
    _, order, suffix = _sorted_suffix(p)
    suffix[..., 0] = 1.0
    return _unsort(suffix, order)


def to_possibility(p: Tensor, method: int) -> Tensor:
    """The transformation ``method`` (1 or 2) of the probabilities ``p``."""
    if method == 1:
        return antipignistic(p)
    if method == 2:
        return minimum_specificity(p)
    raise ConfigError(f"unknown probability-to-possibility method {method!r}; expected 1 or 2")
