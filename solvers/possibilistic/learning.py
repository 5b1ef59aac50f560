"""Learning rule parameters from many samples with thresholds (Pi-NeSy, ALGORITHMS.md A.7).

Each training sample ``k`` gives a system ``Γ_k □ [s, r] = y_k`` (its premise degrees and its
one-hot label, see :meth:`RuleSet.learning_matrix`). The samples further than ``τ`` from
consistency (Chebyshev distance ``∇_k >= τ``) are dropped; the others are replaced by their
lowest Chebyshev approximations ``y̌_k``, stacked into one system, and the lowest approximate
solution of that system at ``∇_NC`` (the largest row distance still below ``τ``) is the parameter
vector. As in the authors' code, the final solution is taken over all stacked rows, not only those
below ``τ``.

Shape letters: ``...`` independent rule sets learned in one call (e.g. Sudoku's 810 cell pairs),
``K`` samples, ``R`` rows, ``C = 2n`` parameters.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from nesy.errors import ConfigError
from solvers.possibilistic.fre import (
    EPSILON,
    chebyshev_approximation,
    chebyshev_distance,
    chebyshev_distances,
    lowest_approximate_solution,
)

__all__ = [
    "NO_THRESHOLD",
    "threshold_grid",
    "feasible_threshold",
    "Learned",
    "sample_distances",
    "learn_parameters",
]

#: The ablation ``PiNeSy_use_thresholds=false``: every sample is kept.
NO_THRESHOLD = 1.01


def threshold_grid(n: int = 30, gamma: float = 5.0, epsilon: float = EPSILON) -> Tensor:
    """``T = {(i/n)^γ (1 + ε) : i = 1..n}``, dense near 0 where the useful thresholds lie.

    Shape:
        -> ``(n,)`` increasing.
    """
    if n < 1 or gamma <= 0:
        raise ConfigError(f"threshold grid needs n >= 1 and gamma > 0; got n={n}, gamma={gamma}")
    steps = torch.arange(1, n + 1, dtype=torch.float64) / n
    return steps**gamma * (1 + epsilon)


def feasible_threshold(nabla: Tensor, grid: Tensor) -> Tensor:
    """Per rule set, the smallest grid value that keeps one of its samples (``∇_k < τ``): the
    authors' minimal feasible threshold, which keeps every sample below that grid value.

    Shape:
        nabla: ``(..., K)``, grid: ``(G,)`` increasing -> ``(...)``.

    Examples
    --------
    >>> feasible_threshold(torch.tensor([[0.3, 0.2], [0.5, 0.9]]), torch.tensor([0.1, 0.4, 1.0]))
    tensor([0.4000, 1.0000])
    """
    grid = grid.to(nabla.dtype)
    below = (grid <= nabla.amin(-1, keepdim=True)).sum(-1)  # grid values that keep nothing
    return grid[below.clamp(max=len(grid) - 1)]


class Learned(NamedTuple):
    """Parameters learned for one or more rule sets, and what the thresholds kept.

    Shape:
        params: ``(..., C)`` ``[s_1, r_1, ..., s_n, r_n]``; kept: ``(..., K)`` bool;
        nabla: ``(..., K)`` per-sample distances; nabla_nc: ``(...)``; tau: ``(...)`` the
        threshold each rule set was learned with.
    """

    params: Tensor
    kept: Tensor
    nabla: Tensor
    nabla_nc: Tensor
    tau: Tensor


def sample_distances(gammas: Tensor, targets: Tensor) -> Tensor:
    """``∇_k`` of every sample's own system.

    Shape:
        gammas: ``(..., K, R, C)``, targets: ``(..., K, R)`` -> ``(..., K)``.
    """
    return chebyshev_distance(gammas, targets)


def learn_parameters(
    gammas: Tensor,
    targets: Tensor,
    tau: float | Tensor,
    grid: Tensor | None = None,
    epsilon: float = EPSILON,
) -> Learned:
    """``RuleParametersLearning(τ)`` of A.7, for every rule set in the batch dims at once.

    ``τ`` is raised, per rule set, to its minimal feasible threshold on ``grid``
    (:func:`feasible_threshold`), so that at least one sample is kept; pass ``0`` to learn every
    rule set at its own minimal feasible threshold, and :data:`NO_THRESHOLD` to keep every
    sample.

    Parameters
    ----------
    gammas
        Learning matrices ``Γ_k`` of the samples.
    targets
        Their one-hot targets over the partition rows.
    tau
        The threshold, one for all rule sets or one per rule set ``(...)``.
    grid
        The threshold grid; default :func:`threshold_grid`.

    Shape:
        gammas: ``(..., K, R, C)``, targets: ``(..., K, R)`` -> :class:`Learned`.
    """
    if gammas.shape[:-1] != targets.shape:
        raise ConfigError(
            f"learning matrices {tuple(gammas.shape)} do not match targets {tuple(targets.shape)}"
        )
    nabla = sample_distances(gammas, targets)  # (..., K)
    feasible = feasible_threshold(nabla, threshold_grid() if grid is None else grid)
    tau = torch.maximum(torch.as_tensor(tau, dtype=nabla.dtype).expand(feasible.shape), feasible)
    kept = nabla < tau.unsqueeze(-1)
    approx = chebyshev_approximation(gammas, targets, nabla)  # (..., K, R) y̌_k
    # Dropped samples become rows with y = 0: such a row adds nothing to any other row's
    # distance (its terms are min(0, .) = 0) nor to the lowest solution (G ε 0 = 0).
    approx = torch.where(kept.unsqueeze(-1), approx, torch.zeros_like(approx))
    # So the stacked system needs only the kept samples: move them first and cut the others
    # (padding with dropped ones where rule sets keep different numbers). Low thresholds keep
    # a few samples of many, and the stacked distances cost O(rows log rows).
    width = max(int(kept.sum(-1).max()), 1)
    order = torch.argsort((~kept).to(torch.int8), dim=-1, stable=True)[..., :width]
    gammas = gammas.gather(-3, order[..., None, None].expand(*order.shape, *gammas.shape[-2:]))
    approx = approx.gather(-2, order[..., None].expand(*order.shape, approx.shape[-1]))
    kept = kept.gather(-1, order)
    flat_g = gammas.flatten(-3, -2)  # (..., K'*R, C): one stacked system
    flat_y = approx.flatten(-2)
    row_nabla = chebyshev_distances(flat_g, flat_y)
    row_kept = kept.unsqueeze(-1).expand(approx.shape).flatten(-2)
    below = row_kept & (row_nabla < tau.unsqueeze(-1))
    nabla_nc = torch.where(below, row_nabla, torch.zeros_like(row_nabla)).amax(-1)
    params = lowest_approximate_solution(flat_g, flat_y, nabla_nc, epsilon)
    return Learned(params, nabla < tau.unsqueeze(-1), nabla, nabla_nc, tau)
