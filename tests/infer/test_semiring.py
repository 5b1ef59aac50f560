"""The semiring registry and its segment reductions, against per-segment torch reductions."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from nesy.errors import ConfigError
from nesy.infer.semiring import (
    SEMIRINGS,
    get_semiring,
    segment_argmax,
    segment_logsumexp,
    segment_max,
    segment_min,
    segment_prod,
    segment_sum,
)

INF = math.inf
SEGMENT = torch.tensor([0, 0, 0, 1, 2, 2])  # three segments of 3, 1 and 2 edges


def _per_segment(values: torch.Tensor, reduce) -> torch.Tensor:
    return torch.stack([reduce(values[s == SEGMENT]) for s in range(3)])


def test_registry_names_and_units():
    assert set(SEMIRINGS) == {"prob", "log", "max_product", "max_min"}
    assert (get_semiring("prob").zero, get_semiring("prob").one) == (0.0, 1.0)
    assert (get_semiring("log").zero, get_semiring("log").one) == (-INF, 0.0)
    assert get_semiring("max_product").needs_smoothing and get_semiring("max_min").needs_smoothing
    assert get_semiring("log").select is None and get_semiring("max_product").select is not None
    assert all(s.name == name and s.domain for name, s in SEMIRINGS.items())


def test_unknown_semiring_lists_the_known_ones():
    with pytest.raises(
        ConfigError,
        match=r"unknown semiring 'viterbi'; expected one of 'prob', "
        r"'log', 'max_product', 'max_min'",
    ):
        get_semiring("viterbi")


def test_semiring_is_frozen_and_registry_read_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_semiring("log").zero = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        SEMIRINGS["mine"] = get_semiring("log")  # type: ignore[index]


@pytest.mark.parametrize(
    ("segment_reduce", "reference"),
    [
        (segment_sum, lambda x: x.sum(0)),
        (segment_prod, lambda x: x.prod(0)),
        (segment_logsumexp, lambda x: torch.logsumexp(x, 0)),
        (segment_max, lambda x: x.max(0).values),
        (segment_min, lambda x: x.min(0).values),
    ],
)
def test_segment_reductions_match_torch(segment_reduce, reference):
    torch.manual_seed(0)
    values = torch.randn(6, 4, dtype=torch.float64)  # (E, B)
    got = segment_reduce(values, SEGMENT, 3)
    assert got.shape == (3, 4)
    torch.testing.assert_close(got, _per_segment(values, reference))


@pytest.mark.parametrize("segment_reduce", [segment_sum, segment_prod, segment_logsumexp])
def test_segment_reductions_gradcheck(segment_reduce):
    torch.manual_seed(1)
    values = torch.rand(6, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: segment_reduce(x, SEGMENT, 3), (values,))


def test_prod_gradient_with_zero_factors():
    values = torch.tensor([[0.0, 2.0, 3.0, 0.0, 0.0, 5.0]], requires_grad=True)
    segment_prod(values.T, SEGMENT, 3).sum().backward()
    assert values.grad.tolist() == [[6.0, 0.0, 0.0, 1.0, 5.0, 0.0]]


def test_logsumexp_of_minus_infinity_is_safe():
    values = torch.tensor([[-INF, -INF, -INF, -INF, 0.0, -INF]], requires_grad=True)
    out = segment_logsumexp(values.T, SEGMENT, 3).T
    assert out.tolist() == [[-INF, -INF, 0.0]]
    out[:, 2].sum().backward()
    assert values.grad.tolist() == [[0.0, 0.0, 0.0, 0.0, 1.0, 0.0]]
    values.grad = None
    out = segment_logsumexp(values.T, SEGMENT, 3)
    out.sum().backward()  # d(-inf)/dx is taken as 0, never NaN
    assert not torch.isnan(values.grad).any()


def test_max_picks_first_tie_and_routes_gradient_to_it():
    values = torch.tensor([[1.0, 3.0, 3.0, 2.0, -INF, -INF]], requires_grad=True)
    assert segment_argmax(values.T, SEGMENT, 3).T.tolist() == [[1, 3, 4]]
    out = segment_max(values.T, SEGMENT, 3).T
    assert out.tolist() == [[3.0, 2.0, -INF]]
    out.sum().backward()
    assert values.grad.tolist() == [[0.0, 1.0, 0.0, 1.0, 1.0, 0.0]]


@pytest.mark.parametrize("segment_reduce", [segment_sum, segment_prod, segment_logsumexp])
def test_trailing_dimensions_reduce_elementwise(segment_reduce):
    # A semiring with vector elements (e.g. top-k) reduces (E, B, k) -> (n, B, k).
    torch.manual_seed(2)
    values = torch.rand(6, 2, 5, dtype=torch.float64)
    got = segment_reduce(values, SEGMENT, 3)
    assert got.shape == (3, 2, 5)
    for j in range(5):
        torch.testing.assert_close(got[..., j], segment_reduce(values[..., j], SEGMENT, 3))


@pytest.mark.parametrize("segment_reduce", [segment_logsumexp, segment_max, segment_min])
def test_nan_is_not_hidden(segment_reduce):
    values = torch.tensor([[1.0, math.nan, 0.0, 2.0, 3.0, 4.0]]).T
    out = segment_reduce(values, SEGMENT, 3).T
    assert out[0, 0].isnan() and not out[0, 1:].isnan().any()
