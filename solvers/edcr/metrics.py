"""Scores for error detection, classification after correction, and recovered constraints."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "DetectionScores",
    "detection_scores",
    "accuracy",
    "macro_f1",
    "class_precision",
    "class_recall",
    "ratio",
    "f1_of",
]


class DetectionScores(NamedTuple):
    """How well flags find the model's mistakes (an error is the positive class)."""

    precision: float
    recall: float
    f1: float
    accuracy: float
    balanced_accuracy: float


def ratio(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def f1_of(precision: float, recall: float) -> float:
    return ratio(2 * precision * recall, precision + recall)


def detection_scores(flagged: np.ndarray, errors: np.ndarray) -> DetectionScores:
    """Score flags ``(n,)`` bool against the true mistakes ``(n,)`` bool.

    Examples
    --------
    >>> import numpy as np
    >>> s = detection_scores(np.array([1, 1, 0, 0], bool), np.array([1, 0, 1, 0], bool))
    >>> s.precision, s.recall, s.accuracy
    (0.5, 0.5, 0.5)
    """
    flagged, errors = np.asarray(flagged, bool), np.asarray(errors, bool)
    caught = int((flagged & errors).sum())
    precision = ratio(caught, flagged.sum())
    recall = ratio(caught, errors.sum())
    specificity = ratio((~flagged & ~errors).sum(), (~errors).sum())
    return DetectionScores(
        precision,
        recall,
        f1_of(precision, recall),
        float((flagged == errors).mean()) if len(errors) else 0.0,
        (recall + specificity) / 2,
    )


def accuracy(predictions: np.ndarray, labels: np.ndarray) -> float:
    """Fraction right; an abstention (a negative label) counts as wrong."""
    return float((np.asarray(predictions) == np.asarray(labels)).mean()) if len(labels) else 0.0


def class_precision(predictions: np.ndarray, labels: np.ndarray, label: int) -> float:
    predicted = np.asarray(predictions) == label
    return ratio((predicted & (np.asarray(labels) == label)).sum(), predicted.sum())


def class_recall(predictions: np.ndarray, labels: np.ndarray, label: int) -> float:
    truth = np.asarray(labels) == label
    return ratio((truth & (np.asarray(predictions) == label)).sum(), truth.sum())


def macro_f1(predictions: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """Mean F1 over the classes ``0..K-1`` (abstentions count as wrong for their true class).

    Examples
    --------
    >>> import numpy as np
    >>> macro_f1(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    0.6666666666666666
    """
    scores = [
        f1_of(class_precision(predictions, labels, k), class_recall(predictions, labels, k))
        for k in range(num_classes)
    ]
    return float(np.mean(scores))
