"""How every ViSudo-PC learner is trained, scored and its epoch chosen, the same for each
backend: the loss of a validity label, a puzzle called valid when the network's most probable
reading is a valid grid, and the weights of the epoch best on the validation puzzles by that rule
kept."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor, nn

from nesy.train.trainer import TrainConfig
from solvers.asp.layer import log_not
from tasks.visudo.data import Puzzles, is_valid_sudoku

__all__ = ["argmax_accuracy", "on_validation", "selecting_config", "validity_loss"]


def argmax_accuracy(net: nn.Module, puzzles: Puzzles) -> float:
    """The fraction of ``puzzles`` classified right by the validity of ``net``'s most probable
    reading of every cell (the ceiling's rule)."""
    count, cells = puzzles.images.shape[:2]
    size = math.isqrt(cells)
    with torch.no_grad():
        digits = net(puzzles.images.flatten(0, 1)).argmax(1).view(count, size, size).numpy()
    predicted = np.array([is_valid_sudoku(d) for d in digits])
    return float((predicted == puzzles.valid.numpy().astype(bool)).mean())


def selecting_config(epochs: int, batch_size: int, lr: float, seed: int) -> TrainConfig:
    """Adam, constant ``lr``; the weights of the epoch best on the validation puzzles (the
    first of equals) are kept."""
    return TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        progress=False,
        select="valid_accuracy",
    )


def on_validation(puzzles: Puzzles, net: nn.Module) -> Callable[[nn.Module], dict[str, float]]:
    """The evaluation hook: validity of ``net``'s argmax readings of ``puzzles``."""
    return lambda _: {"valid_accuracy": argmax_accuracy(net, puzzles)}


def validity_loss(log_valid: Tensor, valid: Tensor) -> Tensor:
    """The mean negative log-likelihood of the labels ``valid`` ``(B,)`` given each grid's
    ``log P(valid)`` ``(B,)``: ``-log P(valid)`` or ``-log(1 - P(valid))``."""
    return -torch.where(valid, log_valid, log_not(log_valid)).mean()
