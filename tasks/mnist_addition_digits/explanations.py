"""The exact most probable explanation of a sum: the oracle of A-NeSI's explanation model.

Given beliefs ``P`` over the ``2N`` digits of ``a`` and ``b`` and the sum ``y``, the most
probable digits that add up to ``y`` are found exactly by a Viterbi pass over the columns, the
carry being the state: column ``i`` takes ``(a_i, b_i)`` with ``a_i + b_i + carry_in =
y_i + 10 carry_out``. Linear in N, where enumeration is ``10^(2N)``.

Shape letters: ``B`` batch, ``N`` digits per number.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["most_probable_digits"]


def most_probable_digits(log_P: Tensor, sums: Tensor) -> Tensor:
    """The most probable digits of ``a`` and ``b`` under ``log_P`` with ``a + b`` = ``sums``.

    Shape:
        log_P: ``(B, 2N, 10)`` log-beliefs, columns as
        :class:`~solvers.anesi.symbolic.NumberSum`'s (``a``'s digits least significant first,
        then ``b``'s); sums: ``(B, N + 1)`` digits, most significant (the final carry) first
        -> ``(B, 2N)`` int64 digits in the same columns. A sum no two N-digit numbers make gets
        digits whose sum differs from it (its score is ``-inf``).

    Examples
    --------
    >>> import torch
    >>> log_P = torch.full((1, 2, 10), -5.0)
    >>> log_P[0, 0, 4] = log_P[0, 1, 9] = -0.1  # reads 4 and 9, but the sum is 12
    >>> most_probable_digits(log_P, torch.tensor([[1, 2]])).tolist()
    [[3, 9]]
    """
    batch, n = len(log_P), log_P.shape[1] // 2
    values = torch.arange(10, device=log_P.device)
    pair = values.view(10, 1) + values.view(1, 10)  # a_i + b_i
    best = log_P.new_full((batch, 2), -torch.inf)  # the best score reaching each carry
    best[:, 0] = 0.0
    choices = []  # per column: (B, carry_out, 2) best (carry_in, a * 10 + b)
    for i in range(n):
        score = log_P[:, i].unsqueeze(2) + log_P[:, n + i].unsqueeze(1)  # (B, 10, 10)
        digit = sums[:, n - i].view(batch, 1, 1)
        candidates = []  # (B, carry_in, carry_out, 100)
        for incoming in (0, 1):
            total = pair + incoming
            right = (total % 10).unsqueeze(0) == digit
            per_out = [
                torch.where(right & (total // 10 == out), score, -torch.inf) for out in (0, 1)
            ]
            candidates.append(best[:, incoming, None, None] + torch.stack(per_out, 1).flatten(2))
        table = torch.stack(candidates, dim=1)  # (B, carry_in, carry_out, 100)
        top, where = table.max(dim=3)  # (B, carry_in, carry_out)
        best, carry_in = top.max(dim=1)  # (B, carry_out)
        choices.append(torch.stack([carry_in, where.gather(1, carry_in.unsqueeze(1))[:, 0]], 2))
    digits = torch.zeros(batch, 2 * n, dtype=torch.int64, device=log_P.device)
    carry = sums[:, 0].clamp(0, 1)
    rows = torch.arange(batch, device=log_P.device)
    for i in range(n - 1, -1, -1):
        came_from, ab = choices[i][rows, carry].unbind(1)
        digits[:, i], digits[:, n + i] = ab // 10, ab % 10
        carry = came_from
    return digits
