"""A second stage after A-NeSI: a fresh network trained by cross-entropy on the first network's
readings of the training digits, kept where the program confirms them.

Why: at N = 15 A-NeSI's network can read every one of its training digits right (with checked
labels, on nine seeds of nine), labels it never saw, yet generalise less well than the same CNN
trained on digit labels (test digits up to 0.0028 below); the sum's accuracy is the digit
accuracy to the power 2N, so that gap costs up to a tenth of the sums. Fine-tuning that network
on its own readings did not move it (benchmarks/notes/anesi.md); a fresh network trained on them
as on labels is what this stage is. When every reading is confirmed and right, it is the CNN
trained on the labels with the same seed and settings, weight for weight.

Only sum labels are read: a reading is kept when, in at least one of ``rounds`` random
regroupings of the training digits into examples (each one an epoch's draw, as in training),
its example's readings give that example's sum under the symbolic function. A wrong reading is
kept only when another wrong reading in the same example makes up for it.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.neural.nets import build_network
from nesy.train.trainer import Batch, TensorData, TrainConfig, Trainer, seed_everything
from solvers.anesi.symbolic import SymbolicFunction
from tasks.mnist_addition.pairs import random_pairs
from tasks.mnist_addition_digits.data import DigitsAdditionData
from tasks.mnist_addition_digits.metrics import read_digits

__all__ = ["Relabelled", "confirmed_readings", "relabel"]

#: Regroupings a reading gets to be confirmed in: a right reading lies in an example whose
#: readings are all right with probability ~0.93 at N = 15, so ten leave ~1e-11 unconfirmed.
ROUNDS = 10


class Relabelled(NamedTuple):
    """What :func:`relabel` returns."""

    network: nn.Module  # the fresh network, trained, in eval mode
    readings: Tensor  # (D,) the first network's reading of each training digit
    kept: Tensor  # (D,) bool: the readings the program confirmed, trained on
    train_seconds: float


def confirmed_readings(
    read: Tensor,
    train: DigitsAdditionData,
    function: SymbolicFunction,
    rounds: int,
    generator: torch.Generator,
) -> Tensor:
    """``(D,)`` bool: the readings ``read`` of ``train``'s digits that the program confirms, i.e.
    that lie in at least one of ``rounds`` random examples whose readings ``function`` maps to
    the example's sum."""
    kept = torch.zeros(len(read), dtype=torch.bool)
    for _ in range(rounds):
        tuples = random_pairs(len(read), len(train), generator, train.k)
        agree = (function(read[tuples]) == train.sums(tuples).flip(1)).all(dim=1)
        kept[tuples[agree].flatten()] = True
    return kept


def relabel(
    net: nn.Module,
    train: DigitsAdditionData,
    function: SymbolicFunction,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    schedule: str,
    seed: int,
    rounds: int = ROUNDS,
    device: str = "cpu",
) -> Relabelled:
    """A fresh ``mnist_net`` (seeded by ``seed``) trained by cross-entropy on ``net``'s confirmed
    readings of ``train``'s digits, ``batch_size`` images a step, Adam at ``lr`` annealed by
    ``schedule`` over ``epochs`` passes.

    Raises
    ------
    ConfigError
        ``epochs`` or ``rounds`` below 1, or no reading confirmed.
    """
    if epochs < 1 or rounds < 1:
        raise ConfigError(f"relabelling needs epochs and rounds >= 1; got {epochs}, {rounds}")
    read = read_digits(net.eval(), train.digits.images)
    kept = confirmed_readings(read, train, function, rounds, torch.Generator().manual_seed(seed))
    if not kept.any():
        raise ConfigError("the program confirmed none of the network's readings")
    seed_everything(seed)
    fresh = build_network("mnist_net").to(device)

    def nll(model: nn.Module, batch: Batch) -> Tensor:
        assert isinstance(batch.labels, Tensor)
        return nn.functional.nll_loss(model(batch.inputs["x"]), batch.labels)

    config = TrainConfig(
        epochs=epochs, batch_size=batch_size, lr=lr, schedule=schedule, seed=seed, device=device,
        progress=False,
    )  # fmt: skip
    data = TensorData({"x": train.digits.images[kept]}, read[kept])
    result = Trainer(fresh, config, loss=nll).fit(data)
    fresh.eval()
    return Relabelled(fresh, read, kept, result.train_seconds)
