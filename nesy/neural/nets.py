"""Perception networks and the registry that names them.

Every network here returns **log-probabilities** (a ``log_softmax`` over its domain), which is
what :class:`nesy.Model` expects from a neural predicate.

Shape letters: ``B`` batch, ``N`` size of the network's domain.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError

__all__ = ["MnistNet", "Mlp", "Observed", "NETWORKS", "build_network"]


class MnistNet(nn.Module):
    """DeepProbLog's MNIST network (LeNet-style), with a ``log_softmax`` output.

    The layers are exactly those of DeepProbLog's ``MNIST_Net``: an encoder
    ``Conv2d(1, 6, 5) -> MaxPool2d(2) -> ReLU -> Conv2d(6, 16, 5) -> MaxPool2d(2) -> ReLU`` and a
    classifier ``Linear(256, 120) -> ReLU -> Linear(120, 84) -> ReLU -> Linear(84, N)``. The only
    difference is the output: DeepProbLog applies ``softmax``; this network applies
    ``log_softmax`` (``exp`` of its output is DeepProbLog's output).

    Parameters
    ----------
    n
        Size of the output domain (10 digits by default).
    centred
        Batch-normalise the logits before the ``log_softmax``, with a learnt scale per value but
        no shift. With weak supervision such as a grid's validity, a network that reads every
        image alike sits at a stationary point of the likelihood (the uniform reading of an
        all-different constraint); centring the logits over the batch removes that direction,
        so the signal that tells images apart is what grows, and the scale lets the network
        grow confident.

    Shape:
        x: ``(B, 1, 28, 28)`` images -> ``(B, N)`` log-probabilities.

    Examples
    --------
    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> MnistNet()(torch.zeros(3, 1, 28, 28)).shape
    torch.Size([3, 10])
    """

    def __init__(self, n: int = 10, *, centred: bool = False) -> None:
        super().__init__()
        if n < 1:
            raise ConfigError(f"MnistNet needs a domain of at least one value; got n={n}")
        self.n = n
        self.centre = _Centred(n) if centred else nn.Identity()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 6, 5),
            nn.MaxPool2d(2, 2),  # 6 x 24 x 24 -> 6 x 12 x 12
            nn.ReLU(True),
            nn.Conv2d(6, 16, 5),  # -> 16 x 8 x 8
            nn.MaxPool2d(2, 2),  # -> 16 x 4 x 4
            nn.ReLU(True),
        )
        self.classifier = nn.Sequential(
            nn.Linear(16 * 4 * 4, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, n),
        )

    def forward(self, x: Tensor) -> Tensor:
        h = self.encoder(x).flatten(1)
        logits: Tensor = self.centre(self.classifier(h))
        return logits.log_softmax(dim=-1)

    def extra_repr(self) -> str:
        return f"n={self.n}, output=log_softmax"


class _Centred(nn.Module):
    """Batch normalisation with a scale and no shift: ``gamma * (x - mean) / std``."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(n, affine=False)
        self.scale = nn.Parameter(torch.ones(n))

    def forward(self, x: Tensor) -> Tensor:
        normed: Tensor = self.norm(x)
        return normed * self.scale


class Mlp(nn.Module):
    """A multilayer perceptron for vectors, with a ``log_softmax`` output.

    The input size is read from the first batch (``nn.LazyLinear``): run one forward pass, as
    :func:`nesy.fit` does, before handing the parameters to an optimiser.

    Parameters
    ----------
    n
        Size of the output domain.
    hidden
        Width of the one hidden layer.

    Shape:
        x: ``(B, ...)``, flattened to ``(B, F)`` -> ``(B, N)`` log-probabilities.

    Examples
    --------
    >>> import torch
    >>> Mlp(3)(torch.zeros(2, 4, 5)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n: int, hidden: int = 64) -> None:
        super().__init__()
        if n < 1 or hidden < 1:
            raise ConfigError(f"Mlp needs n >= 1 and hidden >= 1; got n={n}, hidden={hidden}")
        self.n = n
        self.layers = nn.Sequential(
            nn.Flatten(), nn.LazyLinear(hidden), nn.ReLU(), nn.Linear(hidden, n)
        )

    def forward(self, x: Tensor) -> Tensor:
        logits: Tensor = self.layers(x.float())
        return logits.log_softmax(dim=-1)


class Observed(nn.Module):
    """An observed value as a "network": integer labels -> their log one-hot distribution.

    Feeds data (e.g. the digits of an addition's label) into a neural predicate of a program:
    the log-probability is 0 at the label and ``-inf`` elsewhere. It has no parameters.

    Parameters
    ----------
    num_classes
        Size of the domain (labels must lie in ``0..num_classes - 1``).

    Shape:
        x: ``(B,)`` integer labels -> ``(B, num_classes)`` float32 log-probabilities.

    Examples
    --------
    >>> import torch
    >>> Observed(3)(torch.tensor([2, 0])).tolist()
    [[-inf, -inf, 0.0], [0.0, -inf, -inf]]
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        if num_classes < 1:
            raise ConfigError(f"Observed needs at least one class; got num_classes={num_classes}")
        self.num_classes = num_classes

    def forward(self, x: Tensor) -> Tensor:
        labels = x.reshape(len(x), -1)[:, 0].to(torch.int64) if x.dim() > 1 else x.to(torch.int64)
        out = torch.full((len(labels), self.num_classes), -torch.inf, device=x.device)
        return out.scatter(1, labels.unsqueeze(1), 0.0)

    def extra_repr(self) -> str:
        return f"num_classes={self.num_classes}, output=log one-hot"


#: Network name (as written in ``nn(NAME, ...)``) -> constructor taking no arguments.
NETWORKS: dict[str, Callable[[], nn.Module]] = {
    "mnist_net": MnistNet,
    "observed": Observed,
}


def build_network(name: str) -> nn.Module:
    """A fresh, randomly initialised network registered under ``name``.

    Parameters
    ----------
    name
        A key of :data:`NETWORKS`, e.g. ``"mnist_net"``.

    Returns
    -------
    nn.Module
        A network returning log-probabilities.

    Raises
    ------
    ConfigError
        ``name`` is not registered; the message lists the known names.

    Examples
    --------
    >>> type(build_network("mnist_net")).__name__
    'MnistNet'
    """
    try:
        factory = NETWORKS[name]
    except KeyError:
        known = ", ".join(sorted(NETWORKS))
        raise ConfigError(f"unknown network '{name}'; known networks: {known}") from None
    return factory()
