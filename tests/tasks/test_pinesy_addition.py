"""The MNIST-addition rule base (A.8): its shapes, its inference against A.3's formula, its
labels against column addition, and the cascade's predictions on perfect and noisy inputs."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.nn.functional import one_hot

from nesy.errors import ConfigError
from solvers.possibilistic.rules import RuleSet
from tasks.mnist_addition.pinesy_rules import RULES, cascade, column_labels, explain, predict
from tasks.mnist_addition_digits.data import sum_digits


def _digits(n: int, k: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 10, (n, k), generator=generator) for _ in range(2))  # type: ignore[return-value]


def _noisy_possibilities(digits: torch.Tensor, seed: int, noise: float) -> torch.Tensor:
    """Normalised possibility distributions peaked on ``digits`` (some peaks on a wrong digit)."""
    generator = torch.Generator().manual_seed(seed)
    pi = torch.rand(*digits.shape, 10, generator=generator) * noise
    return torch.maximum(pi, one_hot(digits, 10).float())


def test_rule_base_shapes_match_a8() -> None:
    assert len(RULES.pair.rows) == 100 and RULES.pair.num_rules == 20
    assert len(RULES.triple.rows) == 200 and RULES.triple.num_rules == 21
    assert RULES.pair.inference_matrix(torch.zeros(20), torch.zeros(20)).shape == (100, 40)
    assert RULES.triple.learning_matrix(torch.zeros(3, 21), torch.zeros(3, 21)).shape == (
        3,
        200,
        42,
    )
    assert sorted(RULES.pair.row_values) == list(range(100))
    assert RULES.carry.rows == ((1,), (-1,))  # [w = 1], [w = 0]


def _formula(
    rules: RuleSet, lam: torch.Tensor, rho: torch.Tensor, params: torch.Tensor
) -> list[float]:
    """π*(u) = min_i (max(s_i, λ_i) if u ∈ Q_i else max(r_i, ρ_i)), value by value (A.3)."""
    s, r = params[0::2].tolist(), params[1::2].tolist()
    return [
        min(
            max(s[i], lam[i].item()) if u in q else max(r[i], rho[i].item())
            for i, q in enumerate(rules.conclusions)
        )
        for u in range(len(rules.values))
    ]


@pytest.mark.parametrize(
    "rules", [RULES.pair, RULES.triple, RULES.digit], ids=["pair", "triple", "digit"]
)
def test_matrix_inference_equals_the_rule_formula(rules: RuleSet) -> None:
    generator = torch.Generator().manual_seed(0)
    n = rules.num_rules
    lam, rho = torch.rand(4, n, generator=generator), torch.rand(4, n, generator=generator)
    params = torch.rand(2 * n, generator=generator)
    out = rules.infer(lam, rho, params)
    for b in range(4):
        assert out[b].tolist() == pytest.approx(_formula(rules, lam[b], rho[b], params))


def test_column_labels_are_column_addition() -> None:
    a, b = _digits(500, 4, seed=1)
    labels = column_labels(a, b)
    assert torch.equal(labels.y, sum_digits(a, b))
    for row in range(20):
        carry = 0
        for i in range(4):
            pair = int(a[row, i]) * 10 + int(b[row, i])
            assert int(labels.c[row, i]) == (pair if i == 0 else 2 * pair + carry)
            carry = (int(a[row, i]) + int(b[row, i]) + carry) // 10
            assert int(labels.w[row, i]) == carry


def test_perfect_inputs_give_every_sum_with_or_without_learning() -> None:
    a, b = _digits(200, 3, seed=2)
    labels = column_labels(a, b)
    pi_a, pi_b = one_hot(a, 10).float(), one_hot(b, 10).float()
    plain = {  # s = r = 0: plain propagation of the digits' possibilities
        "c": [torch.zeros(40)] + [torch.zeros(42)] * 2,
        "w": [torch.zeros(2)] * 3,
        "y": [torch.zeros(20)] * 3,
        "last": [torch.zeros(2)],
    }
    assert predict(cascade(pi_a, pi_b, params=plain)).correct(labels.y).all()
    learned = cascade(pi_a, pi_b, labels=labels)
    assert predict(learned).correct(labels.y).all()


def test_learned_cascade_generalises_to_unseen_noisy_sums() -> None:
    a, b = _digits(600, 2, seed=3)
    pi_a, pi_b = _noisy_possibilities(a, 4, 0.6), _noisy_possibilities(b, 5, 0.6)
    train, test = slice(0, 400), slice(400, 600)
    labels = column_labels(a, b)
    learned = cascade(pi_a[train], pi_b[train], labels=column_labels(a[train], b[train]))
    result = cascade(pi_a[test], pi_b[test], params=learned.params())
    accuracy = predict(result).correct(labels.y[test]).float().mean().item()
    assert accuracy > 0.95  # the noise never exceeds the true digit's possibility of 1


def test_ties_count_as_wrong() -> None:
    a, b = torch.tensor([[3]]), torch.tensor([[4]])
    pi_a = torch.ones(1, 1, 10)  # total ignorance about a
    prediction = predict(cascade(pi_a, one_hot(b, 10).float(), params={
        "c": [torch.zeros(40)], "w": [torch.zeros(2)], "y": [torch.zeros(20)],
        "last": [torch.zeros(2)],
    }))  # fmt: skip
    assert prediction.ambiguous.all()
    assert not prediction.correct(column_labels(a, b).y).any()


def test_explanation_names_each_concept_and_its_degree() -> None:
    a, b = torch.tensor([[7, 2]]), torch.tensor([[5, 9]])
    pi_a, pi_b = _noisy_possibilities(a, 6, 0.3), _noisy_possibilities(b, 7, 0.3)
    result = cascade(pi_a, pi_b, labels=column_labels(a, b))
    text = explain(result, 0)
    for needle in (
        "c_0 = (7, 5) (π 1.000)",
        "w_0 = 1",
        "y_0 = 2",
        "c_1 = (2, 9, 1)",
        "y_1 = 2",
        "y_2 = 1",
    ):
        assert needle in text
    assert "held down by" in text


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"\(P, k, 10\)"):
        cascade(torch.zeros(2, 3, 10), torch.zeros(2, 2, 10), labels=None)
    with pytest.raises(ConfigError, match="neither parameters nor labels"):
        cascade(torch.zeros(2, 1, 10), torch.zeros(2, 1, 10))


def test_every_pair_of_digits_is_one_row() -> None:
    covered = {RULES.pair.values[v] for v in RULES.pair.row_values}
    assert covered == set(itertools.product(range(10), range(10)))
