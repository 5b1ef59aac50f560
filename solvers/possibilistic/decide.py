"""Decisions from possibility distributions, and the threshold search on validation data
(Pi-NeSy, ALGORITHMS.md A.5 and A.7).

Shape letters: ``B`` examples, ``V`` values of an output attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from torch import Tensor

__all__ = ["decide", "ThresholdSearch", "search_thresholds", "roc_auc"]


def decide(possibility: Tensor) -> tuple[Tensor, Tensor]:
    """The most possible value of each row and whether that maximum is shared ("ambiguous").

    Min-max inference only ever copies its inputs, so ties are exact and compared with ``==``.
    An ambiguous prediction counts as wrong (A.5).

    Shape:
        possibility: ``(B, V)`` -> predictions ``(B,)`` int64, ambiguous ``(B,)`` bool.
    """
    top = possibility.amax(-1, keepdim=True)
    ambiguous = (possibility == top).sum(-1) > 1
    return possibility.argmax(-1), ambiguous


class ThresholdSearch(NamedTuple):
    """The thresholds chosen (one per group), their validation accuracy and every trial."""

    thresholds: tuple[float, ...]
    accuracy: float
    trials: list[dict[str, object]]


def search_thresholds(
    evaluate: Callable[[tuple[float, ...]], float],
    start: Sequence[float],
    grid: Sequence[float],
    *,
    min_improvement: float = 1e-4,
    stagnation: int = 1,
) -> ThresholdSearch:
    """Greedy, group by group, as the authors' ``find_hyperparameters`` scripts do.

    Every group starts at its minimal feasible threshold ``start[g]`` (the largest of its rule
    sets' :func:`~solvers.possibilistic.learning.feasible_threshold`). Then, group after group,
    the grid values above the group's threshold are tried in increasing order; a value is kept
    when it raises the validation accuracy by more than ``min_improvement`` (the authors' 0.01
    of a percentage point), and the group ends after ``stagnation`` tries without a gain.

    Parameters
    ----------
    evaluate
        Learns the whole cascade with one threshold per group and returns validation accuracy.
    start
        Each group's minimal feasible threshold (MNIST-addition has 3 groups, Sudoku 2).
    grid
        Increasing threshold values (:func:`~solvers.possibilistic.learning.threshold_grid`).
    """
    current = [float(t) for t in start]
    best = evaluate(tuple(current))
    trials: list[dict[str, object]] = [{"thresholds": list(current), "accuracy": best}]
    for group in range(len(current)):
        misses = 0
        for value in [float(v) for v in grid if v > current[group]]:
            candidate = list(current)
            candidate[group] = value
            accuracy = evaluate(tuple(candidate))
            trials.append({"thresholds": candidate, "accuracy": accuracy})
            if accuracy > best + min_improvement:
                current, best, misses = candidate, accuracy, 0
            else:
                misses += 1
                if misses >= stagnation:
                    break
    return ThresholdSearch(tuple(current), best, trials)


def roc_auc(scores: Tensor, positive: Tensor) -> float:
    """Area under the ROC curve of ``scores`` for the binary labels ``positive`` (ties count
    half), the Mann-Whitney statistic.

    Shape:
        scores: ``(B,)``, positive: ``(B,)`` bool -> a number; nan when one class is absent.
    """
    pos, neg = scores[positive], scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    above = (pos.unsqueeze(1) > neg.unsqueeze(0)).double().mean()
    tied = (pos.unsqueeze(1) == neg.unsqueeze(0)).double().mean()
    return float(above + tied / 2)
