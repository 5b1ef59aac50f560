"""Kernels for min-max fuzzy relational equations (Pi-NeSy, ALGORITHMS.md A.5-A.6).

A system ``(S): G □ x = y`` has a matrix ``G`` (rows R, columns C), unknowns ``x`` (C) and a
right-hand side ``y`` (R); ``(G □ x)_r = min_c max(G_rc, x_c)``. Every function works on tensors
with any leading batch dims, so thousands of systems are solved in one call; none loops in Python
over rows or columns.

* :func:`minmax` the product ``G □ x`` (inference, and the check of a solution);
* :func:`lowest_solution` Sanchez's candidate ``x̌ = Gᵀ □^ε y`` (the lowest solution when
  ``(S)`` is consistent);
* :func:`chebyshev_distances` the per-row distances ``∇_r`` of ``(S)``; their max ``∇`` is the
  smallest L∞ change of ``y`` that makes ``(S)`` consistent;
* :func:`lowest_approximate_solution` ``x̌(∇) = Gᵀ □^ε (y ∸ ∇)`` and :func:`chebyshev_approximation`
  ``y̌ = G □ x̌(∇)``, for which ``‖y - y̌‖∞ = ∇``.

Shape letters: ``...`` batch dims, ``R`` rows, ``C`` columns.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "EPSILON",
    "minmax",
    "epsilon_product",
    "lowest_solution",
    "chebyshev_distances",
    "chebyshev_distance",
    "lowest_approximate_solution",
    "chebyshev_approximation",
]

#: The authors' ``PiNeSy_epsilon``: relative tolerance under which two degrees count as equal in
#: the ε-product (their C++ kernel floors it at 1e-9 absolute).
EPSILON = 1e-3
_FLOOR = 1e-9


def minmax(matrix: Tensor, x: Tensor) -> Tensor:
    """``(matrix □ x)_r = min_c max(matrix_rc, x_c)``.

    Shape:
        matrix: ``(..., R, C)``, x: ``(..., C)`` (broadcast against each other) -> ``(..., R)``.
    """
    return torch.maximum(matrix, x.unsqueeze(-2)).amin(-1)


def epsilon_product(a: Tensor, b: Tensor, epsilon: float = EPSILON) -> Tensor:
    """Sanchez's ε-product, ``a ε b = b if a < b else 0``, elementwise.

    ``a`` and ``b`` within ``epsilon`` of each other (relative, floored at 1e-9) count as equal,
    as in the authors' kernel: a float sum such as ``y - ∇`` otherwise lands an ulp above an entry
    it equals and turns a 0 into ``b``.
    """
    tolerance = torch.clamp(epsilon * torch.maximum(a.abs(), b.abs()), min=_FLOOR)
    return torch.where(b - a > tolerance, b, torch.zeros_like(b))


def lowest_solution(matrix: Tensor, y: Tensor, epsilon: float = EPSILON) -> Tensor:
    """``x̌_c = max_r (matrix_rc ε y_r)``: the lowest solution of ``matrix □ x = y`` if any exists.

    Shape:
        matrix: ``(..., R, C)``, y: ``(..., R)`` -> ``(..., C)``.
    """
    return epsilon_product(matrix, y.unsqueeze(-1), epsilon).amax(-2)


def chebyshev_distances(matrix: Tensor, y: Tensor) -> Tensor:
    """Per-row Chebyshev distances of ``matrix □ x = y`` (the authors' ``ComputeNabla``)::

        ∇_i = min_c max( (G_ic - y_i)^+ , g_c(y_i) ),
        g_c(t) = max_k min( (y_k - t)^+ / 2 , (y_k - G_kc)^+ ).

    Computed in ``O(R log R)`` per column instead of the formula's ``O(R²)``: with
    ``e_k = (y_k - G_kc)^+`` and ``b_k = y_k - 2 e_k``, row ``k``'s term is ``(y_k - t)/2`` when
    ``b_k <= t`` and ``e_k`` when ``b_k > t``, so
    ``g_c(t) = max( (max_{b_k <= t} y_k - t)^+ / 2 , max_{b_k > t} e_k )``: a prefix max and a
    suffix max over the rows sorted by ``b``, looked up with one ``searchsorted``. Stacked systems
    of millions of rows (Pi-NeSy's multi-sample learning) need this.

    A 0/1 right-hand side (one sample's one-hot target) takes :func:`_binary_distances`, linear
    in the rows.

    Shape:
        matrix: ``(..., R, C)``, y: ``(..., R)`` -> ``(..., R)``.
    """
    if bool(((y == 0) | (y == 1)).all()):
        return _binary_distances(matrix, y)
    matrix, y = torch.broadcast_tensors(matrix, y.unsqueeze(-1))
    columns = matrix.transpose(-1, -2)  # (..., C, R): one sorted sequence per column
    targets = y.transpose(-1, -2)
    excess = torch.relu(targets - columns)  # e_k
    breaks, order = torch.sort(targets - 2 * excess, dim=-1)  # b_k ascending
    prefix_y = torch.gather(targets, -1, order).cummax(-1).values
    suffix_e = torch.gather(excess, -1, order).flip(-1).cummax(-1).values.flip(-1)
    queries = targets  # t = y_i, the same for every column
    count = torch.searchsorted(breaks.contiguous(), queries.contiguous(), right=True)  # #{b_k <= t}
    rows = breaks.shape[-1]
    below = torch.gather(prefix_y, -1, (count - 1).clamp(min=0))
    below = torch.where(count > 0, torch.relu(below - queries) / 2, torch.zeros_like(below))
    above = torch.gather(suffix_e, -1, count.clamp(max=rows - 1))
    above = torch.where(count < rows, above, torch.zeros_like(above))
    reach = torch.maximum(below, above)  # g_c(y_i), (..., C, R)
    per_column = torch.maximum(torch.relu(columns - targets), reach)
    return per_column.amin(-2)


def _binary_distances(matrix: Tensor, y: Tensor) -> Tensor:
    """:func:`chebyshev_distances` for ``y`` in ``{0, 1}``: only rows with ``y_k = 1`` reach
    others, each by ``min(1/2, 1 - G_kc)``; so ``∇_i = min_c max(G_ic, min(1/2, 1 - m_c))`` with
    ``m_c = min_{y_k = 1} G_kc`` for a row with ``y_i = 0``, and ``∇_i = 0`` for ``y_i = 1``.
    """
    ones = (y == 1).unsqueeze(-1)
    lowest = torch.where(ones, matrix, torch.ones_like(matrix)).amin(-2, keepdim=True)  # m_c
    reach = torch.clamp(1 - lowest, max=0.5)  # 0 when no row has y = 1
    zero_rows = torch.maximum(matrix, reach).amin(-1)
    return torch.where(ones.squeeze(-1), torch.zeros_like(zero_rows), zero_rows)


def chebyshev_distance(matrix: Tensor, y: Tensor) -> Tensor:
    """``∇ = max_i ∇_i``: how far ``y`` is from the nearest consistent right-hand side.

    Shape:
        matrix: ``(..., R, C)``, y: ``(..., R)`` -> ``(...)``.
    """
    return chebyshev_distances(matrix, y).amax(-1)


def lowest_approximate_solution(
    matrix: Tensor, y: Tensor, nabla: Tensor | float, epsilon: float = EPSILON
) -> Tensor:
    """``x̌(∇) = Gᵀ □^ε (y ∸ ∇)`` with ``(y ∸ ∇)_i = max(y_i - ∇, 0)``.

    Shape:
        matrix: ``(..., R, C)``, y: ``(..., R)``, nabla: ``(...)`` or a number -> ``(..., C)``.
    """
    nabla = torch.as_tensor(nabla, dtype=y.dtype, device=y.device)
    return lowest_solution(matrix, torch.relu(y - nabla.unsqueeze(-1)), epsilon)


def chebyshev_approximation(
    matrix: Tensor, y: Tensor, nabla: Tensor | float, epsilon: float = EPSILON
) -> Tensor:
    """The lowest Chebyshev approximation ``y̌ = G □ x̌(∇)`` of ``y``.

    Shape:
        matrix: ``(..., R, C)``, y: ``(..., R)``, nabla: ``(...)`` or a number -> ``(..., R)``.
    """
    return minmax(matrix, lowest_approximate_solution(matrix, y, nabla, epsilon))
