"""Relabelling after A-NeSI keeps only the readings the sums confirm."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nesy.errors import ConfigError
from nesy.neural.datasets import Digits
from solvers.anesi.symbolic import NumberSum
from tasks.mnist_addition_digits.data import DigitsAdditionData
from tasks.mnist_addition_digits.relabel import confirmed_readings, relabel


def _data(n: int, count: int = 600) -> DigitsAdditionData:
    labels = torch.randint(0, 10, (count,), generator=torch.Generator().manual_seed(1))
    return DigitsAdditionData(Digits(torch.zeros(count, 1, 28, 28), labels), n)


def test_a_wrong_reading_is_never_confirmed_and_every_right_one_is():
    """One wrong digit in an example changes its sum, so at N = 3 a wrong reading is kept only
    beside a second one that makes up for it; seven among 600 never meet."""
    train = _data(3)
    read = train.digits.labels.clone()
    wrong = torch.arange(0, 600, 86)
    read[wrong] = (read[wrong] + 1) % 10
    kept = confirmed_readings(read, train, NumberSum(3), 10, torch.Generator().manual_seed(0))
    assert not kept[wrong].any()
    right = torch.ones(600, dtype=torch.bool)
    right[wrong] = False
    assert kept[right].all()
    once = confirmed_readings(read, train, NumberSum(3), 1, torch.Generator().manual_seed(0))
    assert once.sum() < kept.sum()  # one regrouping leaves right readings beside wrong ones


def _always_zero() -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10), nn.LogSoftmax(dim=1))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.copy_(torch.arange(10, 0, -1, dtype=torch.float32))
    return net


def test_relabelling_refuses_what_it_cannot_train_on():
    train = _data(3)
    settings = {"batch_size": 64, "lr": 1e-3, "schedule": "constant", "seed": 0}
    with pytest.raises(ConfigError, match="confirmed none of the network's readings"):
        relabel(_always_zero(), train, NumberSum(3), epochs=1, **settings)
    with pytest.raises(ConfigError, match="epochs and rounds >= 1"):
        relabel(_always_zero(), train, NumberSum(3), epochs=0, **settings)
