"""A-NeSI's checked labels (``AnesiConfig.pseudo_labels``), against enumeration."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import torch

from nesy.errors import ConfigError
from nesy.neural.nets import build_network
from solvers.anesi.learner import Anesi, AnesiConfig
from solvers.anesi.symbolic import NumberSum


def _anesi(n: int, weight: float = 1.0) -> Anesi:
    config = AnesiConfig(pseudo_labels=weight, warmup=0, samples=8)
    return Anesi(build_network("mnist_net"), NumberSum(n), config)


def test_checked_labels_are_the_best_choice_within_one_change_of_the_readings():
    """For N = 2 (10^4 total choices): the label is the reading where it gives the sum, else
    the most probable total choice that differs from the readings in one digit and gives the
    sum (enumerated), else none."""
    n = 2
    anesi = _anesi(n)
    every = torch.tensor(list(itertools.product(range(10), repeat=2 * n)))
    sums = NumberSum(n)(every)
    generator = torch.Generator().manual_seed(0)
    truth = torch.randint(10, (300, 2 * n), generator=generator)
    log_P = (3 * torch.randn(300, 2 * n, 10, generator=generator)).log_softmax(dim=2)
    log_P.scatter_add_(2, truth.unsqueeze(2), torch.full((300, 2 * n, 1), 4.0))
    log_P = log_P.log_softmax(dim=2)  # the truth mostly read, sometimes not
    y = NumberSum(n)(truth)
    labels, found = anesi.checked_labels(log_P, y)
    readings = log_P.argmax(dim=2)
    for i in range(len(truth)):
        near = ((every != readings[i]).sum(dim=1) <= 1) & (sums == y[i]).all(dim=1)
        assert bool(found[i]) == bool(near.any())
        if near.any():
            score = log_P[i].gather(1, every[near].T).sum(dim=0)
            assert labels[i].tolist() == every[near][score.argmax()].tolist()
    read = (NumberSum(n)(readings) == y).all(dim=1)
    repaired = found & ~read
    assert read.any() and repaired.any() and (~found).any()  # each case occurs
    assert (labels[~found] == readings[~found]).all()


def test_checked_labels_repair_a_digit_misread_in_a_15_digit_sum():
    n = 15
    anesi = _anesi(n)
    truth = torch.randint(10, (1, 2 * n), generator=torch.Generator().manual_seed(1))
    log_P = torch.full((1, 2 * n, 10), -9.0).scatter(2, truth.unsqueeze(2), -0.01)
    wrong = (truth[0, 7] + 3) % 10
    log_P[0, 7] = -9.0
    log_P[0, 7, wrong] = -0.1
    log_P[0, 7, truth[0, 7]] = -2.5  # misread, with some belief left on the truth
    labels, found = anesi.checked_labels(log_P, NumberSum(n)(truth))
    assert found.tolist() == [True] and labels.tolist() == truth.tolist()


def test_checked_labels_add_their_cross_entropy_to_the_perception_s_loss():
    """Where the readings give the sums, the term is their cross-entropy, summed over an
    example's digits."""
    torch.manual_seed(0)
    x = torch.rand(2, 4, 1, 28, 28)
    anesi = _anesi(2)
    with torch.no_grad():
        y = NumberSum(2)(anesi.beliefs(x).argmax(dim=2))  # the readings check
    loss = anesi.joint_loss(x, y).perception
    log_P = anesi.log_beliefs(x)
    q_alone = -anesi.q.log_prob(log_P.exp(), y).mean()
    cross_entropy = -log_P.max(dim=2).values.sum(dim=1).mean()
    assert torch.allclose(loss, q_alone + cross_entropy, atol=1e-4)


@pytest.mark.parametrize("weight", [-1.0, float("inf"), float("nan")])
def test_a_checked_label_weight_must_be_finite_and_not_negative(weight):
    with pytest.raises(ConfigError, match="pseudo_labels"):
        AnesiConfig(pseudo_labels=weight)


def test_a_negative_checked_label_weight_is_refused_on_the_command_line(capsys):
    from nesy.cli import main

    program = str(Path(__file__).resolve().parents[2] / "programs" / "mnist_addition_numbers.nesy")
    with pytest.raises(SystemExit) as stop:
        main(["train", program, "--anesi-pseudo-labels", "-1"])
    assert stop.value.code == 2
    assert "--anesi-pseudo-labels: must not be negative" in capsys.readouterr().err
