"""N-digit addition examples: the same 5,000 training digits regrouped every epoch into
``5000 // (2N)`` disjoint examples of ``2N`` images, labelled only by their sum; test on
:func:`num_test_examples` fixed examples (seed 0) of the test set."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor

from nesy.errors import ConfigError
from nesy.neural.datasets import Digits
from nesy.train.trainer import Batch
from tasks.mnist_addition.pairs import random_pairs

__all__ = ["CORRECT", "TEST_IMAGES", "DigitsAdditionData", "num_test_examples", "sum_digits"]

#: The one answer of the carry program (``query(correct).``): every example's label.
CORRECT = "correct"
#: Test images the fixed N-digit test examples are drawn from (``10000 // (2N)`` examples).
TEST_IMAGES = 10000


def num_test_examples(digits: int) -> int:
    """How many test examples N-digit addition is scored on: ``10000 // (2N)`` (each test image
    once), but at least 5,000, the official test images regrouped as often as that takes.

    The sum accuracy of a few hundred examples (N = 15: 333) is too noisy to compare with the
    ceiling ``d^(2N)``, which uses all 10,000 images; regrouping the same images costs nothing,
    since the network reads each image once per evaluation.
    """
    return max(TEST_IMAGES // (2 * digits), 5000)


def sum_digits(a: Tensor, b: Tensor) -> Tensor:
    """The base-10 digits of ``a + b``, column by column with carries (no big integers).

    Shape:
        a, b: ``(P, N)`` digits, column 0 the least significant -> ``(P, N + 1)`` int64, column
        ``N`` the final carry.

    Examples
    --------
    >>> import torch
    >>> sum_digits(torch.tensor([[9, 9]]), torch.tensor([[3, 0]])).tolist()  # 99 + 3 = 102
    [[2, 0, 1]]
    """
    carry = torch.zeros(len(a), dtype=torch.int64)
    out = []
    for i in range(a.shape[1]):
        total = a[:, i].to(torch.int64) + b[:, i].to(torch.int64) + carry
        out.append(total % 10)
        carry = total // 10
    out.append(carry)
    return torch.stack(out, dim=1)


class DigitsAdditionData:
    """N-digit addition examples for the carry program, re-drawn every epoch.

    Every epoch a random permutation of the images is cut into ``len(self)`` disjoint tuples of
    ``2N`` images: columns ``0..N-1`` are the digits ``a(0..N-1)`` of the first number (``a(0)``
    the least significant), columns ``N..2N-1`` the digits ``b(0..N-1)`` of the second. Inputs
    ``s(0..N)`` are the base-10 digits of the sum (``s(N)`` the final carry), as int64 labels
    for the ``observed`` network; the label of every example is the answer ``"correct"``.

    Parameters
    ----------
    digits
        The images and their digit labels.
    n
        Digits per number (N >= 1).
    """

    def __init__(self, digits: Digits, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"digits per number must be an integer >= 1; got {n!r}")
        self.digits = digits
        self.n = n
        self.k = 2 * n
        if len(self) < 1:
            raise ConfigError(f"{len(digits.labels)} images make no example of {self.k} images")

    def __len__(self) -> int:
        return len(self.digits.labels) // self.k

    def input_names(self) -> tuple[str, ...]:
        """The carry program's inputs: ``a(0..N-1)``, ``b(0..N-1)``, ``s(0..N)``."""
        n = self.n
        return (
            tuple(f"a({i})" for i in range(n))
            + tuple(f"b({i})" for i in range(n))
            + tuple(f"s({i})" for i in range(n + 1))
        )

    def sums(self, tuples: Tensor) -> Tensor:
        """The true sums' digits ``(P, N + 1)`` of ``tuples`` ``(P, 2N)``."""
        labels = self.digits.labels[tuples]
        return sum_digits(labels[:, : self.n], labels[:, self.n :])

    def inputs(self, tuples: Tensor) -> dict[str, Tensor]:
        """``{a(i), b(i): (P, 1, 28, 28) images; s(i): (P,) sum digits}`` of ``tuples`` (P, 2N)."""
        n, images = self.n, self.digits.images
        out = {f"a({i})": images[tuples[:, i]] for i in range(n)}
        out.update({f"b({i})": images[tuples[:, n + i]] for i in range(n)})
        s = self.sums(tuples)
        out.update({f"s({i})": s[:, i] for i in range(n + 1)})
        return out

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        tuples = random_pairs(len(self.digits.labels), len(self), generator, self.k)
        # The epoch's inputs in one go, then views of them: gathering 2N images and computing
        # the sum's digits batch by batch cost ~6% of a training step at N = 15.
        epoch = self.inputs(tuples)
        for start in range(0, len(tuples), batch_size):
            rows = {name: value[start : start + batch_size] for name, value in epoch.items()}
            yield Batch(rows, [CORRECT] * len(next(iter(rows.values()))))
