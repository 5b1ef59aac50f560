"""ViSudo-PC with the ASP backend: learn to read the digits of a grid from validity labels alone.

A grid is valid when no unit shows a digit twice (``programs/visudo_*.nesy``). The cell network
sees only images and whether the whole grid was valid; digits are learnt up to a renaming,
which validity cannot tell apart and does not need.

- **4x4, exact.** ``P(valid)`` is the probability of the 288 valid grids, listed by clingo once
  and compiled into a decision diagram; ``P(invalid) = 1 - P(valid)`` (the program gives every
  total choice one stable model).
- **9x9, by units.** The valid 9x9 grids cannot be listed (6.7e21). Every unit is the same
  all-different constraint over 9 cells, whose 9! = 362,880 models clingo lists once, for the
  program's first row; the diagram (2^9 nodes) then scores each of the 27 units on its own
  cells. ``P(valid)`` is approximated by the product of the units' probabilities: exact for
  each unit, an approximation for the grid (the units share cells).

The cell network is DeepProbLog's MNIST net with centred logits (``MnistNet(centred=True)``):
without it the uniform reading, a stationary point of every unit's likelihood, swallows the 9x9
runs. A puzzle is called valid when the network's most probable reading of it is a valid grid (the
ceiling's rule, and the epoch is chosen on validation puzzles by it); ``P(valid) >= 1/2`` is
reported beside it. The supervised ceiling trains the same network with the digit labels of the
same training cells, keeps its best epoch on the validation puzzles, then checks the validity of
its argmax readings. Both train with :class:`~nesy.train.trainer.Trainer` (a loss hook, the best
epoch by ``select="valid_accuracy"``).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor, nn

from nesy.errors import CompileError, ConfigError
from nesy.lang import ir
from nesy.neural.nets import MnistNet
from nesy.train.trainer import Batch, EpochRecord, TensorData, Trainer
from solvers.asp.diagram import Diagram
from solvers.asp.layer import AspModel, group_table
from solvers.asp.program import ChoiceGroup, is_total
from tasks.visudo.data import Puzzles, VisudoSplit
from tasks.visudo.evaluation import (
    argmax_accuracy,
    on_validation,
    selecting_config,
    validity_loss,
)

__all__ = ["GridScorer", "VisudoRun", "train_visudo", "train_ceiling", "LOG_HALF"]

LOG_HALF = math.log(0.5)


def _cell(row: int, column: int) -> str:
    return f"cell({row},{column})"


@functools.lru_cache(maxsize=4)
def grid_diagrams(program: ir.Program, size: int) -> tuple[list[ChoiceGroup], list[Diagram]]:
    """The program's choice groups and the diagrams whose product is ``P(valid)``: one, exact,
    at 4x4; one per unit at 9x9. Listed once per program (the 9x9 unit takes ~25 s)."""
    placeholder = {"cell_net": nn.Identity()}  # building lists models; it runs no network
    if not is_total(program):  # training scores an invalid grid by 1 - P(valid)
        raise CompileError(
            f"{program.source}: P(invalid) = 1 - P(valid) needs one stable model per grid; "
            "the program has constraints, choice rules or negation through recursion"
        )
    if size == 4:
        model = AspModel(program, placeholder, observations=[[("valid", True)]])
        return model.asp.groups, model.diagrams
    model = AspModel(program, placeholder, observations=[[("unit_clash(row(0))", False)]])
    return model.asp.groups, unit_diagrams(model.asp.groups, model.diagrams[0], size)


class GridScorer(nn.Module):
    """``log P(valid)`` of a batch of grids: exact at 4x4, the product over units at 9x9.

    Shape:
        images: ``(B, n * n, 1, 28, 28)`` -> ``(B,)``.
    """

    def __init__(self, program: ir.Program, size: int, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.groups, self.diagrams = grid_diagrams(program, size)
        self.names = [_cell(r, c) for r in range(size) for c in range(size)]

    def forward(self, images: Tensor) -> Tensor:
        inputs = {name: images[:, i] for i, name in enumerate(self.names)}
        table = group_table(self.groups, {"cell_net": self.net}, inputs, len(images))
        return torch.stack([d.log_probability(table) for d in self.diagrams], 1).sum(1)


def unit_diagrams(groups: list[ChoiceGroup], row_zero: Diagram, size: int) -> list[Diagram]:
    """The first row's diagram moved onto every unit's cells (each unit is the same
    all-different constraint, symmetric in its cells)."""
    group_of = {g.inputs[0]: i for i, g in enumerate(groups)}
    box = int(math.isqrt(size))
    units = [[(r, c) for c in range(size)] for r in range(size)]
    units += [[(r, c) for r in range(size)] for c in range(size)]
    units += [
        [(br + r, bc + c) for r in range(box) for c in range(box)]
        for br in range(0, size, box)
        for bc in range(0, size, box)
    ]
    diagrams = []
    for cells in units:
        unit_groups = [group_of[_cell(r, c)] for r, c in cells]
        levels = tuple(
            replace(level, group=unit_groups[i]) for i, level in enumerate(row_zero.levels)
        )
        diagrams.append(replace(row_zero, levels=levels))
    return diagrams


@dataclass
class VisudoRun:
    accuracy: float  # test puzzles classified right by the validity of the most probable reading
    probability_accuracy: float  # ... by P(valid) >= 1/2
    validation_accuracy: float
    epochs_run: int
    best_epoch: int
    seconds: float
    build_seconds: float


def _accuracy(scorer: GridScorer, puzzles: Puzzles) -> tuple[float, float]:
    """(validity of the argmax readings, P(valid) >= 1/2): the fraction of puzzles each
    classifies right."""
    with torch.no_grad():
        log_p = torch.cat(
            [scorer(puzzles.images[i : i + 50]) for i in range(0, len(puzzles.valid), 50)]
        )
        predicted = (log_p >= LOG_HALF).numpy()
    truth = puzzles.valid.numpy().astype(bool)
    return argmax_accuracy(scorer.net, puzzles), float((predicted == truth).mean())


def train_visudo(
    program: ir.Program,
    split: VisudoSplit,
    *,
    epochs: int = 30,
    batch_size: int = 10,
    lr: float = 1e-3,
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> VisudoRun:
    """Train the cell network from validity labels; keep the epoch best on validation."""
    if split.size not in (4, 9):
        raise ConfigError(f"ViSudo-PC grids are 4x4 or 9x9; got {split.size}")
    torch.manual_seed(seed)
    start = time.perf_counter()
    scorer = GridScorer(program, split.size, MnistNet(split.size, centred=True))
    build = time.perf_counter() - start  # listing models, unless cached
    train = TensorData({"images": split.train.images}, split.train.valid.bool())

    def loss(model: nn.Module, batch: Batch) -> Tensor:
        valid = batch.labels
        assert isinstance(valid, Tensor)
        return validity_loss(model(batch.inputs["images"]), valid)

    def report(record: EpochRecord, _: nn.Module) -> None:
        log(f"epoch {record.epoch}: validation accuracy {record.metrics['valid_accuracy']:.3f}")

    config = selecting_config(epochs, batch_size, lr, seed)
    trainer = Trainer(
        scorer,
        config,
        loss=loss,
        evaluate=on_validation(split.validation, scorer.net),
        on_epoch_end=report,
    )
    result = trainer.fit(train)
    best = result.best
    assert best is not None  # an accuracy is a number: some epoch is the best
    accuracy, probability_accuracy = _accuracy(scorer, split.test)
    return VisudoRun(
        accuracy,
        probability_accuracy,
        best.metrics["valid_accuracy"],
        epochs,
        best.epoch,
        time.perf_counter() - start,
        build,
    )


def _nll(model: nn.Module, batch: Batch) -> Tensor:
    assert isinstance(batch.labels, Tensor)
    return nn.functional.nll_loss(model(batch.inputs["images"]), batch.labels)


def train_ceiling(
    split: VisudoSplit, *, epochs: int = 30, batch_size: int = 64, lr: float = 1e-3, seed: int = 0
) -> float:
    """The supervised ceiling: the same network trained with the training cells' digit labels
    (each distinct image once per epoch), its epoch chosen on the validation puzzles, then the
    validity check of its argmax readings of the test puzzles."""
    torch.manual_seed(seed)
    _, first = np.unique(split.train.image_ids.numpy().ravel(), return_index=True)
    images = split.train.images.flatten(0, 1)[first]
    digits = split.train.digits.flatten()[first]
    net = MnistNet(split.size, centred=True)
    config = selecting_config(epochs, batch_size, lr, seed)
    Trainer(net, config, loss=_nll, evaluate=on_validation(split.validation, net)).fit(
        TensorData({"images": images}, digits)
    )
    return argmax_accuracy(net, split.test)
