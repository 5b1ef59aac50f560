"""Semirings as data: segment reductions for OR and AND, their units, and the input domain.

A circuit layer hands a semiring its children's values ``(E, B)`` (one row per edge of the
layer: node-major, so that gathers and scatters move contiguous rows), the parent of each edge
``(E,)`` in ``0..n-1`` and ``n``; the semiring reduces them to ``(n, B)``. Every parent has at
least one child. This is all the circuit module asks of a semiring (plus ``select`` for
explanations), so semirings whose elements are not scalars (a top-k semiring keeping ``k``
log-probabilities per node) fit by adding trailing dimensions and a ``lift``.

Registered semirings (literal weights are in the domain)::

    name          domain                       OR          AND      zero   one
    prob          probabilities                sum         product  0      1
    log           log-probabilities            logsumexp   sum      -inf   0
    max_product   log-probabilities            max         sum      -inf   0
    max_min       possibility degrees [0, 1]   max         min      0      1

and one approximate semiring, kept apart in :data:`APPROXIMATE_SEMIRINGS` (its root value only
bounds the exact one) but found by :func:`get_semiring` all the same::

    top_k         log-probabilities            top-k of    top-k of  all    (0, -inf,
                  (elements: k best proofs)    the union   the sums  -inf   ..., -inf)

Its elements are lists of ``k`` log-weights (a trailing dimension; see :mod:`nesy.infer.topk`),
read out at the roots by ``logsumexp`` over the list: the log of the total weight of the ``k``
best proofs, a lower bound on the ``log`` semiring's value.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import torch
from torch import Tensor

from nesy.errors import ConfigError
from nesy.infer.topk import segment_topk_product, segment_topk_union, topk_lift, topk_readout

__all__ = [
    "SegmentReduce",
    "SegmentSelect",
    "Semiring",
    "SEMIRINGS",
    "APPROXIMATE_SEMIRINGS",
    "get_semiring",
    "top_k",
    "segment_sum",
    "segment_prod",
    "segment_logsumexp",
    "segment_max",
    "segment_min",
    "segment_argmax",
    "segment_argmin",
]

SegmentReduce = Callable[[Tensor, Tensor, int], Tensor]
"""``(values (E, ...), segment (E,), n) -> (n, ...)``: reduce the rows of each segment."""

SegmentSelect = Callable[[Tensor, Tensor, int], Tensor]
"""``(values (E, ...), segment (E,), n) -> (n, ...)`` int64: per segment, the winning edge."""


def _identity(x: Tensor) -> Tensor:
    return x


@dataclass(frozen=True)
class Semiring:
    """A commutative semiring as the circuit module uses it.

    Parameters
    ----------
    name
        Registry key.
    plus
        Segment reduction for ``OR`` nodes.
    times
        Segment reduction for ``AND`` nodes.
    zero
        Value of the constant false (neutral for ``plus``), in the domain.
    one
        Value of the constant true (neutral for ``times``), in the domain.
    domain
        What literal weights mean, e.g. ``"log-probabilities"``.
    select
        For a selective ``plus`` (it returns one of its arguments, as max does): which child
        wins; enables explanations. ``None`` otherwise.
    needs_smoothing
        Whether a variable missing under an ``OR`` changes the result unless the circuit is
        smoothed (true where ``pos (+) neg`` is not ``one`` in general, e.g. max-product).
    lift
        Maps an ``(X, B)`` tensor of domain scalars to semiring elements; the identity for
        scalar semirings.
    readout
        Maps root elements ``(B, Q, ...)`` back to domain scalars ``(B, Q)``; the identity for
        scalar semirings.
    approximate
        Whether the root value only approximates (bounds) the exact one.
    k
        The list length of a ``top_k`` instance; ``None`` for other semirings.
    with_k
        For a semiring parameterised by a list length (``top_k``): makes the instance keeping
        ``k`` entries. ``None`` for other semirings.
    """

    name: str
    plus: SegmentReduce
    times: SegmentReduce
    zero: float
    one: float
    domain: str
    select: SegmentSelect | None = None
    needs_smoothing: bool = False
    lift: Callable[[Tensor], Tensor] = _identity
    readout: Callable[[Tensor], Tensor] = _identity
    approximate: bool = False
    k: int | None = None
    with_k: Callable[[int], Semiring] | None = None


def _shape(values: Tensor, n: int) -> tuple[int, ...]:
    return (n, *values.shape[1:])


def _expand(segment: Tensor, values: Tensor) -> Tensor:
    return segment.view((-1,) + (1,) * (values.dim() - 1)).expand_as(values)


def segment_sum(values: Tensor, segment: Tensor, n: int) -> Tensor:
    """Sum of each segment."""
    return values.new_zeros(_shape(values, n)).index_add(0, segment, values)


def segment_prod(values: Tensor, segment: Tensor, n: int) -> Tensor:
    """Product of each segment (gradients are exact also when some factors are 0)."""
    out = values.new_ones(_shape(values, n))
    return out.scatter_reduce(0, _expand(segment, values), values, "prod", include_self=False)


def segment_logsumexp(values: Tensor, segment: Tensor, n: int) -> Tensor:
    """``log(sum(exp(.)))`` of each segment, shifted by the segment's max.

    A segment whose values are all ``-inf`` gives ``-inf`` with zero gradient, not NaN: the
    shift is 0 there, and the log never sees a zero sum. NaN inputs give NaN.
    """
    with torch.no_grad():
        shift = values.new_full(_shape(values, n), -math.inf)
        shift = shift.scatter_reduce(
            0, _expand(segment, values), values, "amax", include_self=False
        )
        shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    total = segment_sum((values - shift.index_select(0, segment)).exp_(), segment, n)
    empty = total == 0  # (a NaN stays NaN)
    safe = torch.where(empty, torch.ones_like(total), total)
    return torch.where(empty, torch.full_like(total, -math.inf), torch.log(safe) + shift)


def _selector(reduce: str) -> SegmentSelect:
    def select(values: Tensor, segment: Tensor, n: int) -> Tensor:
        with torch.no_grad():
            index = _expand(segment, values)
            best = values.new_empty(_shape(values, n))
            best = best.scatter_reduce(0, index, values, reduce, include_self=False)
            edges = torch.arange(len(values), device=values.device)
            wins = (values == best.index_select(0, segment)) | values.isnan()  # NaN propagates
            candidate = torch.where(wins, _expand(edges, values), len(values))
            first = torch.full(best.shape, len(values), device=values.device)
            return first.scatter_reduce(0, index, candidate, "amin", include_self=True)

    select.__doc__ = f"Per segment, the first edge holding the segment's {reduce[1:]}."
    return select


segment_argmax = _selector("amax")
segment_argmin = _selector("amin")


def _by_selection(select: SegmentSelect) -> SegmentReduce:
    def reduce(values: Tensor, segment: Tensor, n: int) -> Tensor:
        # Gather the winner so that the gradient goes to one child, as torch.max(dim) does
        # (scatter_reduce's amax backward splits it, and miscounts ties with its init value).
        return values.gather(0, select(values, segment, n))

    return reduce


segment_max = _by_selection(segment_argmax)
segment_min = _by_selection(segment_argmin)

SEMIRINGS: Mapping[str, Semiring] = MappingProxyType(
    {
        "prob": Semiring(
            "prob",
            plus=segment_sum,
            times=segment_prod,
            zero=0.0,
            one=1.0,
            domain="probabilities in [0, 1]",
        ),
        "log": Semiring(
            "log",
            plus=segment_logsumexp,
            times=segment_sum,
            zero=-math.inf,
            one=0.0,
            domain="log-probabilities in [-inf, 0]",
        ),
        "max_product": Semiring(
            "max_product",
            plus=segment_max,
            times=segment_sum,
            zero=-math.inf,
            one=0.0,
            domain="log-probabilities in [-inf, 0]",
            select=segment_argmax,
            needs_smoothing=True,
        ),
        "max_min": Semiring(
            "max_min",
            plus=segment_max,
            times=segment_min,
            zero=0.0,
            one=1.0,
            domain="possibility degrees in [0, 1]",
            select=segment_argmax,
            needs_smoothing=True,
        ),
    }
)
"""The exact semirings by name; ``"log"`` is the training default."""


def top_k(k: int) -> Semiring:
    """The approximate ``top_k`` semiring keeping the ``k`` best proofs of every node.

    Elements are ``(..., k)`` log-weights sorted descending, padded with ``-inf``; ``OR`` keeps
    the ``k`` largest of the union, ``AND`` the ``k`` largest sums (:mod:`nesy.infer.topk`); the
    readout is ``logsumexp`` over the list. What a proof is depends on smoothing; see
    :class:`~nesy.infer.layers.CircuitModule`.

    Raises
    ------
    ConfigError
        If ``k`` is not an integer ``>= 1``.

    Examples
    --------
    >>> top_k(2).lift(torch.tensor([[-0.5]]))
    tensor([[[-0.5000,    -inf]]])
    """
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
        raise ConfigError(f"top_k needs an integer k >= 1, got {k!r}")
    k = int(k)
    return Semiring(
        "top_k",
        plus=segment_topk_union,
        times=segment_topk_product,
        zero=-math.inf,
        one=0.0,
        domain="log-probabilities in [-inf, 0]",
        lift=functools.partial(topk_lift, k=k),
        readout=topk_readout,
        approximate=True,
        k=k,
        with_k=top_k,
    )


APPROXIMATE_SEMIRINGS: Mapping[str, Semiring] = MappingProxyType({"top_k": top_k(1)})
"""Semirings whose root value only approximates the exact one (``top_k`` here with ``k = 1``;
:func:`get_semiring` with ``k`` makes others)."""


def get_semiring(name: str, *, k: int | None = None) -> Semiring:
    """The semiring called ``name``, exact or approximate.

    Parameters
    ----------
    name
        A key of :data:`SEMIRINGS` or :data:`APPROXIMATE_SEMIRINGS`.
    k
        For ``"top_k"``: how many proofs to keep (default 1). Not allowed for other semirings.

    Raises
    ------
    ConfigError
        If ``name`` is unknown (the message lists the known names), or ``k`` is given for a
        semiring without a list length, or is not an integer ``>= 1``.

    Examples
    --------
    >>> get_semiring("log").zero
    -inf
    >>> get_semiring("top_k", k=4).k
    4
    """
    semiring = SEMIRINGS.get(name) or APPROXIMATE_SEMIRINGS.get(name)
    if semiring is None:
        known = ", ".join(
            [repr(n) for n in SEMIRINGS] + [f"{n!r} (approximate)" for n in APPROXIMATE_SEMIRINGS]
        )
        raise ConfigError(f"unknown semiring {name!r}; expected one of {known}")
    if k is None:
        return semiring
    if semiring.with_k is None:
        raise ConfigError(f"k is only for the top_k semiring, not {name!r}; got k={k!r}")
    return semiring.with_k(k)
