"""ViSudo-PC with A-NeSI: learn to read a grid's digits from validity labels alone, without the
ASP backend's per-unit product (:mod:`tasks.visudo.asp_training`).

The program gives the pairs of cells that must differ (its ``same_unit/4`` atoms,
:func:`~tasks.visudo.pinesy_sudoku.program_pairs`). A-NeSI's symbolic function is, by default,
one bit per unit (the maximal cliques of those pairs: rows, columns, boxes), ``[the unit's
digits are all different]``, predicted by :class:`~solvers.anesi.units.UnitModel`; or, as in the
paper, one bit per pair, ``[w_a != w_b]``, by :class:`~solvers.anesi.pairs.PairModel`. The
perception's loss is that of the paper (D.8): ``-log q(valid)`` for a valid grid,
``-log(1 - q(valid))`` for an invalid one, ``q(valid)`` the product of the bits' probabilities
of being 1. Scoring and the choice of epoch are those of
the ASP backend (:mod:`tasks.visudo.evaluation`), and so is the cell network (DeepProbLog's
MNIST net with centred logits).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.lang import ir
from nesy.neural.nets import MnistNet
from nesy.train.trainer import Batch, EpochRecord, TensorData, Trainer
from solvers.anesi.learner import Anesi, AnesiConfig, PredictiveModel
from solvers.anesi.pairs import IndependentBits, PairModel, PairsDiffer
from solvers.anesi.units import UnitModel, UnitsDiffer, units_of
from tasks.visudo import ANESI_ENCODINGS
from tasks.visudo.asp_training import LOG_HALF, VisudoRun
from tasks.visudo.data import Puzzles, VisudoSplit
from tasks.visudo.evaluation import (
    argmax_accuracy,
    on_validation,
    selecting_config,
    validity_loss,
)
from tasks.visudo.pinesy_sudoku import program_pairs

__all__ = ["VISUDO_ANESI", "train_visudo_anesi"]

#: A-NeSI's settings for ViSudo-PC: the paper's 9x9 pair MLP (100 hidden, 2 layers); 20 prior
#: samples a step (each gives 810 pair bits at 9x9: a q step costs ~0.07 s), q warmed up on the
#: prior for 200 steps first.
VISUDO_ANESI = AnesiConfig(samples=20, hidden=100, layers=2, warmup=200)


def _encoding(
    encoding: str, pairs: list[tuple[int, int]], size: int, config: AnesiConfig
) -> tuple[PairsDiffer | UnitsDiffer, IndependentBits]:
    """The symbolic function and q of ``encoding`` over the program's pairs."""
    shape = {"symbols": size * size, "values": size}
    net = {"hidden": config.hidden, "layers": config.layers}
    if encoding == "pairs":
        return PairsDiffer(pairs, **shape), PairModel(pairs, **shape, **net)
    if encoding == "units":
        units = units_of(pairs)
        return UnitsDiffer(units, **shape), UnitModel(units, **shape, **net)
    raise ConfigError(f"unknown encoding {encoding!r}; choose one of {', '.join(ANESI_ENCODINGS)}")


def _q_valid(anesi: Anesi, puzzles: Puzzles) -> float:
    """The fraction of ``puzzles`` classified right by ``q(valid) >= 1/2``."""
    assert isinstance(anesi.q, IndependentBits)
    with torch.no_grad():
        log_valid = torch.cat(
            [anesi.q.log_valid(anesi.beliefs(x)) for x in puzzles.images.split(50)]
        )
    return float(((log_valid >= LOG_HALF) == puzzles.valid.bool()).double().mean())


def train_visudo_anesi(
    program: ir.Program,
    split: VisudoSplit,
    *,
    epochs: int = 20,
    batch_size: int = 10,
    lr: float = 1e-3,
    seed: int = 0,
    config: AnesiConfig = VISUDO_ANESI,
    encoding: str = ANESI_ENCODINGS[0],
    log: Callable[[str], None] = lambda _: None,
) -> VisudoRun:
    """Train the cell network with A-NeSI from validity labels; keep the epoch best on
    validation. ``probability_accuracy`` is q's own call, ``q(valid) >= 1/2``.

    Raises
    ------
    ConfigError
        A grid that is not 4x4 or 9x9, a program without ``same_unit/4`` pairs on the grid, or
        an unknown encoding.
    """
    if split.size not in (4, 9):
        raise ConfigError(f"ViSudo-PC grids are 4x4 or 9x9; got {split.size}")
    torch.manual_seed(seed)
    start = time.perf_counter()
    size = split.size
    pairs = program_pairs(program, size)
    function, q = _encoding(encoding, pairs, size, config)
    net = MnistNet(size, centred=True)
    anesi = Anesi(net, function, config, q)
    anesi.warm_up()
    build = time.perf_counter() - start

    def loss(_: nn.Module, batch: Batch) -> Tensor:
        valid = batch.labels
        assert isinstance(valid, Tensor)

        def perception_loss(q: PredictiveModel, P: Tensor) -> Tensor:
            assert isinstance(q, IndependentBits)
            return validity_loss(q.log_valid(P), valid)

        return anesi.joint(batch.inputs["images"], perception_loss).perception

    def report(record: EpochRecord, _: nn.Module) -> None:
        log(f"epoch {record.epoch}: validation accuracy {record.metrics['valid_accuracy']:.3f}")

    # the trainer steps, and restores at its best epoch, the cell network alone: q and the
    # prior keep their last state (q's call on the test puzzles reads the last q)
    trainer = Trainer(
        net,
        selecting_config(epochs, batch_size, lr, seed),
        loss=loss,
        evaluate=on_validation(split.validation, net),
        on_epoch_end=report,
    )
    train = TensorData({"images": split.train.images}, split.train.valid.bool())
    best = trainer.fit(train).best
    assert best is not None  # an accuracy is a number: some epoch is the best
    return VisudoRun(
        argmax_accuracy(net, split.test),
        _q_valid(anesi, split.test),
        best.metrics["valid_accuracy"],
        epochs,
        best.epoch,
        time.perf_counter() - start,
        build,
    )
