"""The explanation model q(w | y, P) and the sum's symbolic pruning, against brute force."""

from __future__ import annotations

import itertools

import pytest
import torch

from nesy.errors import ConfigError
from nesy.neural.nets import build_network
from solvers.anesi.explanation import ExplanationModel, SumPruner
from solvers.anesi.learner import Anesi, AnesiConfig
from solvers.anesi.symbolic import NumberSum


def _every_choice(n: int) -> torch.Tensor:
    return torch.tensor(list(itertools.product(range(10), repeat=2 * n)))


@pytest.mark.parametrize("n", [1, 2])
def test_the_sum_pruner_keeps_exactly_the_values_some_completion_needs(n):
    """For every answer and every prefix in the pruner's order, the values kept are those of
    the total choices that extend the prefix and give the answer (enumerated)."""
    w = _every_choice(n)
    y = NumberSum(n)(w)
    pruner = SumPruner(n)
    ordered = w[:, list(pruner.order)]
    generator = torch.Generator().manual_seed(n)
    for i in torch.randint(len(w), (40,), generator=generator).tolist():
        same_answer = (y == y[i]).all(dim=1)
        for j in range(2 * n):
            prefix = ordered[i, :j]
            extends = same_answer & (ordered[:, :j] == prefix).all(dim=1)
            expected = set(ordered[extends, j].tolist())
            kept = pruner.allowed(y[i : i + 1], prefix.unsqueeze(0))[0]
            assert set(kept.nonzero().flatten().tolist()) == expected


def test_the_sum_pruner_refuses_an_answer_no_two_numbers_give():
    with pytest.raises(ConfigError, match="no two numbers of 1 digits sum to 19"):
        SumPruner(1).allowed(torch.tensor([[1, 9]]), torch.zeros(1, 0, dtype=torch.int64))
    with pytest.raises(ConfigError, match="18 digits"):
        SumPruner(19)


def test_a_pruned_explanation_model_is_a_distribution_over_the_answer_s_explanations():
    """At N = 1, untrained: q(w | y, P) sums to 1 over the choices that give y and is 0 (log
    -inf) on the others; its greedy explanation gives y, also at N = 3."""
    torch.manual_seed(0)
    model = ExplanationModel(2, 10, (2, 10), hidden=16, layers=1, pruner=SumPruner(1))
    P = torch.distributions.Dirichlet(torch.ones(10)).sample((1, 2))
    w = _every_choice(1)
    y = NumberSum(1)(w)
    with torch.no_grad():  # each choice under its own answer
        logq = model.log_prob(P.expand(len(w), -1, -1), y, w)
    for answer in y.unique(dim=0):
        mass = logq[(y == answer).all(dim=1)].exp().sum()
        assert mass == pytest.approx(1.0, abs=1e-5)
    with torch.no_grad():
        wrong = model.log_prob(P, torch.tensor([[0, 5]]), torch.tensor([[2, 2]]))  # 2 + 2 != 5
    assert wrong.item() == -torch.inf
    three = ExplanationModel(6, 10, (2, 10, 10, 10), hidden=16, layers=1, pruner=SumPruner(3))
    answers = NumberSum(3)(torch.randint(10, (50, 6)))
    P3 = torch.distributions.Dirichlet(torch.ones(10)).sample((50, 6))
    assert torch.equal(NumberSum(3)(three.explain(P3, answers)), answers)


def test_joint_matching_learns_answers_and_their_explanations():
    """A-NeSI's explain variant at N = 1, q and the explanation model warmed up on the prior
    alone: on certain beliefs q predicts the sum, the explanation of that sum is the beliefs'
    digits, and q(y | P) q(w | y, P) moves towards p(w | P) = 1 (untrained: ~0.01)."""
    torch.manual_seed(0)
    config = AnesiConfig(
        samples=200, hidden=64, layers=1, q_lr=3e-3, warmup=600, explain=True, prune=True
    )
    anesi = Anesi(build_network("mnist_net"), NumberSum(1), config, pruner=SumPruner(1))
    w = torch.tensor([[a, b] for a in range(10) for b in range(10)])
    P = torch.eye(10)[w]
    y = NumberSum(1)(w)
    assert anesi.explanation is not None

    def joint() -> torch.Tensor:
        with torch.no_grad():
            return (anesi.q.log_prob(P, y) + anesi.explanation.log_prob(P, y, w)).exp()

    assert joint().median() < 0.05
    anesi.warm_up()
    neural, _ = anesi.predict(P)
    assert (neural == y).all(dim=1).double().mean() >= 0.9
    assert (anesi.explain(P, y) == w).all(dim=1).double().mean() >= 0.9
    assert joint().median() >= 0.5


def test_pruning_needs_the_explanation_model_and_a_pruner():
    with pytest.raises(ConfigError, match="needs explain"):
        AnesiConfig(prune=True)
    with pytest.raises(ConfigError, match="needs a pruner"):
        Anesi(build_network("mnist_net"), NumberSum(1), AnesiConfig(explain=True, prune=True))
    anesi = Anesi(build_network("mnist_net"), NumberSum(1), AnesiConfig())
    with pytest.raises(ConfigError, match="no explanation model"):
        anesi.explain(torch.full((1, 2, 10), 0.1), torch.tensor([[0, 3]]))


@pytest.mark.parametrize("n", [1, 2])
def test_the_viterbi_explanation_is_the_enumerated_most_probable_one(n):
    """The oracle the explanation model is scored against: for random beliefs and every kind of
    sum (with and without carries), the digits of the best-scoring choice that gives the sum."""
    from tasks.mnist_addition_digits.explanations import most_probable_digits

    torch.manual_seed(n)
    w = _every_choice(n)
    y = NumberSum(n)(w)
    log_P = torch.distributions.Dirichlet(torch.full((10,), 0.5)).sample((30, 2 * n)).log()
    sums = y[torch.randint(len(w), (30,))]
    scores = log_P[:, torch.arange(2 * n), w].sum(dim=2)  # (30, choices)
    scores = scores.masked_fill((y.unsqueeze(0) != sums.unsqueeze(1)).any(dim=2), -torch.inf)
    best = most_probable_digits(log_P, sums)
    assert torch.equal(NumberSum(n)(best), sums)
    assert torch.allclose(log_P[torch.arange(30).unsqueeze(1), torch.arange(2 * n), best].sum(1),
                          scores.max(dim=1).values)  # fmt: skip


def test_a_beam_as_wide_as_the_choices_finds_the_most_probable_explanation():
    """At N = 2 under pruning ``a`` has at most 100 values and ``b`` one: a beam of 100 is
    exhaustive, so it returns the explanation of highest q(w | y, P) among the enumerated ones
    (the beam's dead prefixes, whose next digit has no allowed value, must rank last)."""
    torch.manual_seed(3)
    model = ExplanationModel(4, 10, (2, 10, 10), hidden=16, layers=1, pruner=SumPruner(2))
    P = torch.distributions.Dirichlet(torch.ones(10)).sample((3, 4))
    answers = NumberSum(2)(torch.randint(10, (3, 4)))
    w = _every_choice(2)
    with torch.no_grad():
        logq = torch.stack(
            [model.log_prob(P[i].expand(len(w), -1, -1), y.expand(len(w), -1), w)
             for i, y in enumerate(answers)]
        )  # fmt: skip
    assert torch.equal(model.explain(P, answers, beam=100), w[logq.argmax(dim=1)])


def test_a_pruner_that_is_not_the_program_s_is_refused():
    """The sum's pruner against functions that are not the sum: one whose answers no sum
    reaches, and one whose answers are sums' (``|a - b|``) but whose explanations it bars."""
    from solvers.anesi.explanation import check_pruner

    class Product:
        symbols, values, output_sizes = 2, 10, (2, 10)

        def __call__(self, w: torch.Tensor) -> torch.Tensor:
            product = w[:, 0] * w[:, 1]
            return torch.stack([product // 10, product % 10], dim=1)

    class Difference(Product):
        def __call__(self, w: torch.Tensor) -> torch.Tensor:
            difference = (w[:, 0] - w[:, 1]).abs()
            return torch.stack([difference // 10, difference % 10], dim=1)

    generator = torch.Generator().manual_seed(0)
    check_pruner(SumPruner(2), NumberSum(2), 200, generator)  # its own function passes
    with pytest.raises(ConfigError, match="the pruner is not the program's: no two numbers"):
        check_pruner(SumPruner(1), Product(), 200, generator)  # e.g. 6 * 6 = 36 > 9 + 9
    with pytest.raises(ConfigError, match="the pruner is not the program's: it bars the choice"):
        check_pruner(SumPruner(1), Difference(), 200, generator)
