"""Sum accuracy by the symbolic prediction, and digit accuracy, on N-digit addition."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from nesy.train.device import module_device
from tasks.mnist_addition_digits.data import DigitsAdditionData, sum_digits

__all__ = ["read_digits", "symbolic_sum_accuracy"]


@torch.no_grad()
def read_digits(network: nn.Module, images: Tensor, batch_size: int = 2000) -> Tensor:
    """``(D,)`` the digit ``network`` reads in each image (its argmax), in the network's mode."""
    device = module_device(network)
    return torch.cat([network(x.to(device)).argmax(dim=1).cpu() for x in images.split(batch_size)])


def symbolic_sum_accuracy(
    network: nn.Module, data: DigitsAdditionData, tuples: Tensor, batch_size: int = 2000
) -> tuple[float, float]:
    """Sum accuracy by the *symbolic prediction*, and digit accuracy on all of ``data``'s images.

    Each image's digit is the network's argmax; the predicted sum is computed from those digits
    (column by column, with carries), and an example is right when every digit of the predicted
    sum equals the true sum's (i.e. the predicted sum equals the true sum).

    Shape:
        tuples: ``(P, 2N)`` indices into ``data.digits``.

    Returns
    -------
    tuple[float, float]
        ``(sum accuracy over the P examples, digit accuracy over all of data's images)``.
    """
    predicted = read_digits(network, data.digits.images, batch_size)
    digit_acc = float((predicted == data.digits.labels).double().mean())
    guess = predicted[tuples]
    pred_sum = sum_digits(guess[:, : data.n], guess[:, data.n :])
    right = (pred_sum == data.sums(tuples)).all(dim=1)
    return (float(right.double().mean()) if len(tuples) else 0.0), digit_acc
