"""The Pi-NeSy kernels against ALGORITHMS.md A.11's vectors (verbatim), the formula itself, and
the defining properties of the lowest approximate solution."""

from __future__ import annotations

import pytest
import torch

from nesy.errors import ConfigError
from solvers.possibilistic.fre import (
    chebyshev_approximation,
    chebyshev_distance,
    chebyshev_distances,
    lowest_approximate_solution,
    lowest_solution,
    minmax,
)
from solvers.possibilistic.learning import NO_THRESHOLD, learn_parameters, threshold_grid
from solvers.possibilistic.rules import RuleSet, partition, premise_degrees
from solvers.possibilistic.transform import antipignistic, minimum_specificity, to_possibility

F64 = torch.float64


def t(*values: object) -> torch.Tensor:
    return torch.tensor(values, dtype=F64)


@pytest.fixture
def a11() -> RuleSet:
    """b ∈ {u1, u2, u3}; R1 concludes b ∈ {u1, u2}, R2 concludes b ∈ {u2, u3}."""
    return RuleSet("b", ("u1", "u2", "u3"), (frozenset({0, 1}), frozenset({1, 2})), ("p1", "p2"))


def in_row_order(rules: RuleSet, by_value: torch.Tensor) -> torch.Tensor:
    return by_value[..., list(rules.row_values)]


# --- A.11, verbatim -----------------------------------------------------------------------------


def test_a11_partition_and_inference_matrix(a11: RuleSet) -> None:
    assert a11.rows == ((1, 2), (1, -2), (-1, 2))
    assert [a11.values[v] for v in a11.row_values] == ["u2", "u1", "u3"]
    s1, r1, s2, r2 = 0.2, 0.3, 0.1, 0.4
    matrix = a11.inference_matrix(t(s1, s2), t(r1, r2))
    expected = t([s1, 1, s2, 1], [s1, 1, 1, r2], [1, r1, s2, 1])
    assert torch.equal(matrix, expected)


def test_a11_inference(a11: RuleSet) -> None:
    lam, rho = t([1.0, 0.6]), t([0.5, 1.0])  # x = [λ1, ρ1, λ2, ρ2] = [1, .5, .6, 1]
    out = a11.infer(lam, rho, t(0.2, 0.3, 0.1, 0.4))
    assert torch.allclose(in_row_order(a11, out), t([0.6, 1.0, 0.5]))


def test_a11_one_sample_learning(a11: RuleSet) -> None:
    gamma = a11.learning_matrix(t(0.3, 0.4), t(1.0, 1.0))
    assert torch.equal(gamma, t([0.3, 1, 0.4, 1], [0.3, 1, 1, 1], [1, 1, 0.4, 1]))
    y = a11.targets(torch.tensor(1)).to(F64)  # truth u2 -> row 0
    assert torch.equal(y, t(1, 0, 0))
    assert torch.allclose(chebyshev_distances(gamma, y), t(0, 0.5, 0.5))
    assert chebyshev_distance(gamma, y).item() == pytest.approx(0.5)
    assert torch.allclose(chebyshev_approximation(gamma, y, 0.5), t(0.5, 0.5, 0.5))

    gamma2 = a11.learning_matrix(t(1.0, 0.4), t(0.9, 1.0))
    y2 = a11.targets(torch.tensor(0)).to(F64)  # truth u1
    assert chebyshev_distance(gamma2, y2).item() == pytest.approx(0.4)
    assert torch.allclose(chebyshev_approximation(gamma2, y2, 0.4), t(0.4, 1.0, 0.4))


def test_a11_many_samples_no_thresholds(a11: RuleSet) -> None:
    lam, rho = t([0.3, 0.4], [1.0, 0.4]), t([1.0, 1.0], [0.9, 1.0])
    gammas = a11.learning_matrix(lam, rho)
    targets = a11.targets(torch.tensor([1, 0])).to(F64)
    learned = learn_parameters(gammas, targets, NO_THRESHOLD)
    assert learned.nabla_nc.item() == pytest.approx(0.05)
    assert torch.allclose(learned.params, t(0.45, 0, 0.45, 0))  # [s1, r1, s2, r2]
    assert learned.kept.all()
    out = in_row_order(a11, a11.infer(lam, rho, learned.params))
    assert torch.allclose(out[0], t(0.45, 0.45, 0.45))  # all tied: counted wrong
    assert torch.allclose(out[1], t(0.45, 1.0, 0.45))


# --- the formula and the properties -------------------------------------------------------------


def _nabla_by_formula(gamma: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    rows, columns = gamma.shape
    out = torch.empty(rows, dtype=gamma.dtype)
    for i in range(rows):
        out[i] = min(
            max(
                max(gamma[i, j] - y[i], 0.0),
                max(
                    min(max(y[k] - y[i], 0.0) / 2, max(y[k] - gamma[k, j], 0.0))
                    for k in range(rows)
                ),
            )
            for j in range(columns)
        )
    return out


def _random_system(generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    rows, columns = (int(v) for v in torch.randint(2, 6, (2,), generator=generator))
    gamma = torch.randint(0, 101, (rows, columns), generator=generator).to(F64) / 100
    y = torch.randint(0, 101, (rows,), generator=generator).to(F64) / 100
    return gamma, y


def test_fast_distances_equal_the_formula() -> None:
    generator = torch.Generator().manual_seed(1)
    for _ in range(300):
        gamma, y = _random_system(generator)
        assert torch.allclose(chebyshev_distances(gamma, y), _nabla_by_formula(gamma, y))


def test_binary_targets_take_the_linear_path_and_agree_with_the_formula() -> None:
    generator = torch.Generator().manual_seed(6)
    for _ in range(300):
        gamma, _ = _random_system(generator)
        y = (torch.rand(gamma.shape[0], generator=generator) < 0.3).to(F64)
        assert torch.allclose(chebyshev_distances(gamma, y), _nabla_by_formula(gamma, y))


def test_batched_kernels_equal_one_system_at_a_time() -> None:
    generator = torch.Generator().manual_seed(2)
    gamma = torch.rand(4, 3, 7, 5, generator=generator, dtype=F64)
    y = torch.rand(4, 3, 7, generator=generator, dtype=F64)
    batched = chebyshev_distances(gamma, y)
    solutions = lowest_solution(gamma, y)
    for a in range(4):
        for b in range(3):
            assert torch.allclose(batched[a, b], _nabla_by_formula(gamma[a, b], y[a, b]))
            assert torch.equal(solutions[a, b], lowest_solution(gamma[a, b], y[a, b]))


def test_lowest_approximate_solution_reaches_exactly_nabla_and_nothing_beats_it() -> None:
    generator = torch.Generator().manual_seed(3)
    for _ in range(400):
        gamma, y = _random_system(generator)
        nabla = chebyshev_distance(gamma, y)
        x = lowest_approximate_solution(gamma, y, nabla)
        reached = (minmax(gamma, x) - y).abs().max()
        assert reached.item() == pytest.approx(nabla.item(), abs=1e-12)
        trials = torch.rand(200, gamma.shape[1], generator=generator, dtype=F64)
        best_random = (minmax(gamma, trials) - y).abs().amax(-1).min()
        assert best_random.item() >= nabla.item() - 1e-12


def test_consistent_system_is_solved_by_its_lowest_solution() -> None:
    generator = torch.Generator().manual_seed(4)
    for _ in range(200):
        gamma, _ = _random_system(generator)
        x_true = torch.randint(0, 101, (gamma.shape[1],), generator=generator).to(F64) / 100
        y = minmax(gamma, x_true)  # consistent by construction
        assert chebyshev_distance(gamma, y).item() == 0
        x = lowest_solution(gamma, y)
        assert torch.allclose(minmax(gamma, x), y)
        assert bool((x <= x_true + 1e-12).all())  # lowest: below every solution


# --- transformations, partition, premises -------------------------------------------------------


def test_transformations_worked_example() -> None:
    p = torch.tensor([0.2, 0.7, 0.1])
    assert torch.allclose(antipignistic(p), torch.tensor([0.5, 1.0, 0.3]))
    assert torch.allclose(minimum_specificity(p), torch.tensor([0.3, 1.0, 0.1]))
    with pytest.raises(ConfigError, match="expected 1 or 2"):
        to_possibility(p, 3)


def test_transformations_against_their_definitions() -> None:
    p = torch.softmax(torch.randn(50, 10, generator=torch.Generator().manual_seed(5)), -1)
    expected = torch.minimum(p.unsqueeze(-1), p.unsqueeze(-2)).sum(-1)  # Σ_u min(p(u), p(v))
    assert torch.allclose(antipignistic(p), expected, atol=1e-6)
    spec = minimum_specificity(p)
    for row, pi in zip(p, spec, strict=True):
        for v in range(10):
            assert pi[v] == pytest.approx(row[row <= row[v]].sum().clamp(max=1).item(), abs=1e-6)
    assert (spec.amax(-1) == 1).all() and (antipignistic(p).amax(-1) == 1).all()


def test_minimum_specificity_ties_follow_the_stable_sort() -> None:
    pi = minimum_specificity(torch.tensor([0.25, 0.5, 0.25]))
    assert torch.allclose(pi, torch.tensor([0.5, 1.0, 0.25]))  # the earlier tie ranks higher


def test_partition_order_and_singleton_check() -> None:
    digits = [frozenset({i}) for i in range(4)]
    expected = [(1, -2, -3, -4), (-1, 2, -3, -4), (-1, -2, 3, -4), (-1, -2, -3, 4)]
    assert partition(digits, 4) == expected
    with pytest.raises(ConfigError, match="single out every value"):
        RuleSet("b", (0, 1, 2), (frozenset({0}),), ("p",))


def test_premise_degrees() -> None:
    pi = torch.tensor([[1.0, 0.3, 0.6]])
    inside = torch.tensor([[True, False, False], [False, True, True]])
    lam, rho = premise_degrees(pi, inside)
    assert torch.allclose(lam, torch.tensor([[1.0, 0.6]]))
    assert torch.allclose(rho, torch.tensor([[0.6, 1.0]]))


def test_thresholds_drop_inconsistent_samples(a11: RuleSet) -> None:
    grid = threshold_grid()
    assert len(grid) == 30 and bool((grid.diff() > 0).all())
    assert grid[-1].item() == pytest.approx(1.001)
    lam, rho = t([0.3, 0.4], [1.0, 0.4]), t([1.0, 1.0], [0.9, 1.0])
    gammas, targets = a11.learning_matrix(lam, rho), a11.targets(torch.tensor([1, 0])).to(F64)
    learned = learn_parameters(gammas, targets, 0.45)  # sample 1 (∇ = 0.5) is dropped
    assert learned.kept.tolist() == [False, True]
    assert learned.nabla_nc.item() == pytest.approx(0.0)  # sample 2 alone is made consistent
    out = in_row_order(a11, a11.infer(lam[1:], rho[1:], learned.params))
    assert torch.allclose(out, chebyshev_approximation(gammas[1], targets[1], 0.4).unsqueeze(0))
    tiny = learn_parameters(gammas, targets, 0.0)  # below every ∇: the nearest sample is kept
    assert tiny.kept.tolist() == [False, True]
    with pytest.raises(ConfigError, match="do not match"):
        learn_parameters(gammas, targets[:, :2], 0.5)
