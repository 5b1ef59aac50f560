"""Sum accuracy of a model and digit accuracy of its network on MNIST addition."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor, nn

from nesy.neural.datasets import Digits
from nesy.train.device import inputs_on, module_device
from tasks.mnist_addition.data import AdditionData
from tasks.mnist_addition.pairs import addition_labels

__all__ = ["digit_accuracy", "sum_accuracy"]


def sum_accuracy(
    model: nn.Module, data: AdditionData, tuples: Tensor, batch_size: int = 1000
) -> float:
    """Fraction of ``tuples`` whose most probable answer is their true sum.

    Shape:
        tuples: ``(P, k)`` indices into ``data.digits``.
    """
    answers = model.answers
    assert isinstance(answers, tuple)  # an answer module's (nesy.Model, AspModel)
    device = module_device(model)
    truth = addition_labels(data.digits.labels, tuples, data.digits_per_number).tolist()
    correct = 0
    with torch.no_grad():
        for rows, labels in zip(tuples.split(batch_size), _chunks(truth, batch_size), strict=True):
            best = model(inputs_on(data.inputs(rows), device)).argmax(dim=1).tolist()
            correct += sum(answers[b] == y for b, y in zip(best, labels, strict=True))
    return correct / max(len(truth), 1)


def digit_accuracy(network: nn.Module, digits: Digits, batch_size: int = 2000) -> float:
    """Fraction of images whose most probable class (the network's argmax) is their label."""
    correct = 0
    device = module_device(network)
    with torch.no_grad():
        for images, labels in zip(
            digits.images.split(batch_size), digits.labels.split(batch_size), strict=True
        ):
            correct += int((network(images.to(device)).argmax(dim=1).cpu() == labels).sum())
    return correct / max(len(digits.labels), 1)


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]
