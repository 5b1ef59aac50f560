"""Possibilistic rule sets: rules "if p_i then q_i", the partition of the output domain, and the
matrices of inference and learning (Pi-NeSy, ALGORITHMS.md A.3-A.6).

A :class:`RuleSet` has an output attribute ``b`` (its values) and ``n`` rules; rule ``i``
concludes ``b ∈ Q_i`` and carries two parameters: ``s_i = π(q|¬p)`` and ``r_i = π(¬q|p)``, so
``1 - r_i`` is the certainty of ``q`` when ``p`` holds and ``1 - s_i`` that of ``¬q`` when ``p``
fails. Premise degrees come in as ``λ_i = Π(p_i)`` and ``ρ_i = Π(¬p_i)``. Inference::

    π*_b(u) = min_i ( max(s_i, λ_i) if u ∈ Q_i else max(r_i, ρ_i) )

written, as the authors do, as a min-max product ``M □ x`` whose rows are the partition of
``D_b`` cut out by the conclusions and whose input is ``x = [λ_1, ρ_1, ..., λ_n, ρ_n]``. The
learning matrix ``Γ`` swaps the roles (``M □ [λ, ρ] = Γ □ [s, r]``), so learning ``[s, r]`` from
one example is solving ``Γ □ x = y``.

Shape letters: ``B`` examples, ``n`` rules, ``R`` partition rows, ``m`` premise domain size.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from nesy.errors import ConfigError
from solvers.possibilistic.fre import minmax

__all__ = ["partition", "RuleSet", "premise_degrees"]


def partition(conclusions: Sequence[frozenset[int]], size: int) -> list[tuple[int, ...]]:
    """The partition of ``range(size)`` cut out by the conclusions, in the authors' order (A.4).

    Each row is a signed list of 1-based rule numbers (``+i``: in ``Q_i``, ``-i``: outside it);
    rows are generated rule by rule, ``+`` before ``-``, and a row is kept only if some value
    satisfies it.

    Examples
    --------
    >>> partition([frozenset({0, 1}), frozenset({1, 2})], 3)
    [(1, 2), (1, -2), (-1, 2)]
    """
    domain = frozenset(range(size))
    rows: list[tuple[tuple[int, ...], frozenset[int]]] = [((), domain)]
    for number, inside in enumerate(conclusions, start=1):
        split = []
        for signs, values in rows:
            if values & inside:
                split.append(((*signs, number), values & inside))
            if values - inside:
                split.append(((*signs, -number), values - inside))
        rows = split or rows
    return [signs for signs, _ in rows]


@dataclass(frozen=True)
class RuleSet:
    """``n`` rules concluding on one output attribute whose partition rows are single values.

    Parameters
    ----------
    name
        The output attribute, e.g. ``"c_1"``.
    values
        Its domain ``D_b``, in the order possibility vectors use.
    conclusions
        ``Q_i`` for each rule, as indices into ``values``.
    premises
        A readable text for each rule's premise (explanations print it), e.g. ``"a_1 = 3"``.
    """

    name: str
    values: tuple[Hashable, ...]
    conclusions: tuple[frozenset[int], ...]
    premises: tuple[str, ...]
    rows: tuple[tuple[int, ...], ...] = field(init=False)
    #: ``row_values[r]``: the index of the one value partition row ``r`` stands for.
    row_values: tuple[int, ...] = field(init=False)
    #: ``(R, n)`` bool: whether partition row ``r`` lies inside rule ``i``'s conclusion ``Q_i``.
    inside: Tensor = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.premises) != len(self.conclusions):
            raise ConfigError(
                f"rule set {self.name}: {len(self.premises)} premises for "
                f"{len(self.conclusions)} conclusions"
            )
        rows = partition(self.conclusions, len(self.values))
        row_values = []
        for signs in rows:
            covered = set(range(len(self.values)))
            for number in signs:
                conclusion = self.conclusions[abs(number) - 1]
                covered = covered & conclusion if number > 0 else covered - conclusion
            if len(covered) != 1:
                shown = sorted(self.values[v] for v in covered)  # type: ignore[type-var]
                raise ConfigError(
                    f"rule set {self.name}: partition row {signs} covers {len(covered)} values "
                    f"{shown[:4]}; the conclusions must single out every value"
                )
            row_values.append(covered.pop())
        object.__setattr__(self, "rows", tuple(rows))
        object.__setattr__(self, "row_values", tuple(row_values))
        # Built once: every inference and learning matrix is laid out by it.
        inside = torch.zeros(len(rows), self.num_rules, dtype=torch.bool)
        for r, signs in enumerate(rows):
            for number in signs:
                inside[r, abs(number) - 1] = number > 0
        object.__setattr__(self, "inside", inside)

    @property
    def num_rules(self) -> int:
        return len(self.conclusions)

    def _interleave(self, inside: Tensor, when_in: Tensor, when_out: Tensor) -> Tensor:
        # Columns (2i, 2i+1): (when_in_i, 1) for rows inside Q_i, (1, when_out_i) outside.
        ones = torch.ones_like(when_in)
        first = torch.where(inside, when_in.unsqueeze(-2), ones.unsqueeze(-2))
        second = torch.where(inside, ones.unsqueeze(-2), when_out.unsqueeze(-2))
        return torch.stack((first, second), dim=-1).flatten(-2)

    def inference_matrix(self, s: Tensor, r: Tensor) -> Tensor:
        """``M``: ``(s_i, 1)`` where row is inside ``Q_i``, ``(1, r_i)`` outside.

        Shape:
            s, r: ``(..., n)`` -> ``(..., R, 2n)``.
        """
        return self._interleave(self.inside.to(s.device), s, r)

    def learning_matrix(self, lam: Tensor, rho: Tensor) -> Tensor:
        """``Γ``: ``(λ_i, 1)`` where row is inside ``Q_i``, ``(1, ρ_i)`` outside.

        Shape:
            lam, rho: ``(..., n)`` -> ``(..., R, 2n)``.
        """
        return self._interleave(self.inside.to(lam.device), lam, rho)

    def targets(self, labels: Tensor) -> Tensor:
        """One-hot targets over the partition rows for value indices ``labels``.

        Shape:
            labels: ``(...)`` int -> ``(..., R)`` float.
        """
        row_of = torch.empty(len(self.values), dtype=torch.long)
        row_of[list(self.row_values)] = torch.arange(len(self.rows))
        rows = row_of.to(labels.device)[labels]
        return torch.nn.functional.one_hot(rows, len(self.rows)).float()

    def infer(self, lam: Tensor, rho: Tensor, params: Tensor) -> Tensor:
        """``π*_b`` over ``values`` from premise degrees and parameters ``[s_1, r_1, ...]``.

        Shape:
            lam, rho: ``(B, n)``, params: ``(2n,)`` -> ``(B, |values|)``.
        """
        s, r = params[0::2], params[1::2]
        x = torch.stack((lam, rho), dim=-1).flatten(-2)  # [λ_1, ρ_1, ..., λ_n, ρ_n]
        by_row = minmax(self.inference_matrix(s, r), x)
        out = torch.empty_like(by_row)
        out[..., list(self.row_values)] = by_row
        return out


def premise_degrees(possibility: Tensor, inside: Tensor) -> tuple[Tensor, Tensor]:
    """``λ_i = max_{v ∈ P_i} π(v)`` and ``ρ_i = max_{v ∉ P_i} π(v)`` of premises "a ∈ P_i".

    Shape:
        possibility: ``(B, m)`` π_a, inside: ``(n, m)`` bool, ``P_i`` -> two ``(B, n)``.
    """
    spread = possibility.unsqueeze(-2)  # (B, 1, m); possibilities are >= 0, so 0 masks out
    lam = torch.where(inside, spread, 0.0).amax(-1)
    rho = torch.where(inside, 0.0, spread).amax(-1)
    return lam, rho
