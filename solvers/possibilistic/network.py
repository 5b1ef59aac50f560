"""The Pi-NeSy perception CNN and its supervised training (design, ALGORITHMS.md A.10).

Pi-NeSy trains its digit classifier on labelled digits first and reasons possibilistically on
its outputs afterwards, so the training here is plain cross-entropy on digit labels.

Shape letters: ``n`` images, ``B`` batch, ``K`` outputs (``n_out``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from nesy.errors import ConfigError
from nesy.train.trainer import SCHEDULES, Batch, TrainConfig, Trainer

__all__ = ["PiNesyCNN", "ClassifierLog", "train_classifier", "predict_probabilities"]

# Pi-NeSy normalises raw MNIST by torchvision's (mean, std) of the training set's [0, 1] pixels.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


class PiNesyCNN(nn.Module):
    """Pi-NeSy's CNN: four convolutions and four fully connected layers, with batch norm.

    Takes images normalised the repository's way (``[-1, 1]``, see
    :mod:`nesy.neural.datasets`) and returns **logits** (no softmax).

    Parameters
    ----------
    n_out
        Number of classes (10 digits; 4 for Sudoku 4x4).

    Raises
    ------
    ConfigError
        ``n_out < 1``.

    Shape:
        x: ``(B, 1, 28, 28)`` -> ``(B, K)`` logits.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> PiNesyCNN(4).eval()(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 4])
    """

    def __init__(self, n_out: int = 10) -> None:
        super().__init__()
        if isinstance(n_out, bool) or not isinstance(n_out, int) or n_out < 1:
            raise ConfigError(f"PiNesyCNN needs n_out >= 1 classes; got {n_out!r}")
        self.n_out = n_out
        # a convolution followed by batch norm needs no bias: BN's shift replaces it
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 5, padding="same"),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, 5, padding="same", bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 32 x 28 x 28 -> 32 x 14 x 14
            nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding="same"),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.Conv2d(64, 64, 3, padding="same", bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> 64 x 7 x 7 = 3136
            nn.Dropout(0.25),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(64 * 7 * 7, 256, bias=False),
            nn.BatchNorm1d(256),
            nn.ReLU(),
            nn.Linear(256, 128, bias=False),
            nn.BatchNorm1d(128),
            nn.ReLU(),
            nn.Linear(128, 84, bias=False),
            nn.BatchNorm1d(84),
            nn.ReLU(),
            nn.Dropout(0.25),
            nn.Linear(84, n_out),
        )

    def forward(self, x: Tensor) -> Tensor:
        # The repository's images are (p - 0.5) / 0.5 for pixels p in [0, 1], but Pi-NeSy's
        # hyper-parameters were tuned on torchvision's (p - 0.1307) / 0.3081. Undo the first map
        # and apply the second, so callers can pass the repository's images unchanged.
        pixels = (x + 1.0) / 2.0
        return self.classifier(self.features((pixels - MNIST_MEAN) / MNIST_STD))

    def extra_repr(self) -> str:
        return f"n_out={self.n_out}, output=logits"


class ClassifierLog(NamedTuple):
    """What :func:`train_classifier` recorded.

    ``epochs[i]`` holds ``epoch`` (1-based), ``loss`` (mean training cross-entropy over the
    epoch), ``lr`` (the learning rate used), ``seconds`` (training time, validation excluded) and,
    when validation data was given, ``val_accuracy`` (after the epoch, in eval mode).
    """

    epochs: list[dict[str, Any]]


def _check_images(images: Tensor, who: str) -> None:
    if (
        not isinstance(images, Tensor)
        or images.dim() != 4
        or tuple(images.shape[1:]) != (1, 28, 28)
    ):
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise ConfigError(f"{who}: expected images of shape (n, 1, 28, 28); got {shape}")


def _check_data(images: Tensor, labels: Tensor, n_out: int, who: str) -> None:
    _check_images(images, who)
    if not isinstance(labels, Tensor) or labels.dim() != 1:
        shape = tuple(labels.shape) if isinstance(labels, Tensor) else type(labels).__name__
        raise ConfigError(f"{who}: expected labels of shape (n,); got {shape}")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ConfigError(f"{who}: labels must be integers; got dtype {labels.dtype}")
    if len(images) != len(labels):
        raise ConfigError(f"{who}: {len(images)} images but {len(labels)} labels")
    if len(labels) == 0:
        raise ConfigError(f"{who}: no images")
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= n_out:
        bad = low if low < 0 else high
        raise ConfigError(f"{who}: label {bad} is outside 0..{n_out - 1} (n_out={n_out})")


class _Shuffled:
    """Labelled images in a new order every epoch (an :class:`~nesy.train.trainer.EpochData`).

    Batch norm cannot normalise a batch of one in training mode: a lone last image joins the
    batch before it rather than being dropped.
    """

    def __init__(self, images: Tensor, labels: Tensor) -> None:
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        chunks = list(torch.randperm(len(self), generator=generator).split(batch_size))
        if len(chunks) > 1 and len(chunks[-1]) == 1:
            chunks[-2:] = [torch.cat(chunks[-2:])]
        for chunk in chunks:
            labels = self.labels[chunk]
            # the loss reads the labels from the inputs, where they are typed tensors
            yield Batch({"images": self.images[chunk], "labels": labels}, labels)


def _cross_entropy(model: nn.Module, batch: Batch) -> Tensor:
    return F.cross_entropy(model(batch.inputs["images"]), batch.inputs["labels"])


def train_classifier(
    images: Tensor,
    labels: Tensor,
    n_out: int,
    *,
    epochs: int = 20,
    batch_size: int = 64,
    seed: int = 0,
    validation: tuple[Tensor, Tensor] | None = None,
    progress: bool = False,
) -> tuple[PiNesyCNN, ClassifierLog]:
    """Train a :class:`PiNesyCNN` on labelled digits the way Pi-NeSy does (A.10).

    Adadelta (lr 1.0), the learning rate multiplied by 0.7 after every epoch (StepLR), and
    cross-entropy on the labels, fitted by nesy's :class:`~nesy.train.trainer.Trainer`. The run
    is deterministic given ``seed`` and leaves the global random generators as it found them.

    Parameters
    ----------
    images, labels
        Training images (normalised to ``[-1, 1]``) and their classes in ``0..n_out - 1``.
    n_out
        Number of classes.
    epochs
        Passes over the data (>= 1).
    batch_size
        Images per step (>= 2, since batch norm needs two); Pi-NeSy uses 32 for Sudoku 4x4.
    seed
        Seeds the initialisation and dropout (one stream of torch's generator, initialisation
        first), and the shuffling's ``torch.Generator``.
    validation
        Optional ``(images, labels)`` scored after every epoch.
    progress
        Show the trainer's tqdm bar per epoch (only when stderr is a terminal).

    Returns
    -------
    tuple[PiNesyCNN, ClassifierLog]
        The trained network, in eval mode, and one record per epoch.

    Raises
    ------
    ConfigError
        Images not ``(n, 1, 28, 28)``, labels not ``(n,)`` integers in ``0..n_out - 1``, lengths
        that differ, no images, or ``n_out``/``epochs``/``batch_size`` out of range.

    Shape:
        images: ``(n, 1, 28, 28)``, labels: ``(n,)``.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> x, y = torch.rand(8, 1, 28, 28, generator=g) * 2 - 1, torch.arange(8) % 4
    >>> net, log = train_classifier(x, y, 4, epochs=2, batch_size=4)
    >>> len(log.epochs), round(log.epochs[1]["lr"], 2), net.training
    (2, 0.7, False)
    """
    for name, value, least in (
        ("n_out", n_out, 1),
        ("epochs", epochs, 1),
        ("batch_size", batch_size, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise ConfigError(
                f"train_classifier: {name} must be an integer >= {least}; got {value!r}"
            )
    _check_data(images, labels, n_out, "train_classifier")
    if validation is not None:
        _check_data(*validation, n_out, "train_classifier (validation)")
    config = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=1.0,
        seed=seed,
        optimizer="adadelta",
        schedule="step_0.7",
        progress=progress,
    )

    def val_accuracy(net: nn.Module) -> dict[str, float]:
        assert validation is not None  # the hook is only given with validation data
        hits = predict_probabilities(net, validation[0]).argmax(1) == validation[1]
        return {"val_accuracy": hits.float().mean().item()}

    # initialisation and dropout draw from torch's global generator: seed a private copy of it,
    # which the trainer then leaves alone (seed_globals=False) so dropout follows initialisation
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = PiNesyCNN(n_out)
        trainer = Trainer(
            net,
            config,
            evaluate=None if validation is None else val_accuracy,
            loss=_cross_entropy,
        )
        result = trainer.fit(_Shuffled(images.float(), labels.long()), seed_globals=False)
    records: list[dict[str, Any]] = []
    for epoch in result.epochs:
        lr = config.lr * SCHEDULES[config.schedule](epoch.epoch, epochs)
        records.append(
            {
                "epoch": epoch.epoch,
                "loss": epoch.loss,
                "lr": lr,
                "seconds": epoch.train_seconds,
                **epoch.metrics,
            }
        )
    net.eval()
    return net, ClassifierLog(records)


def predict_probabilities(net: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """Class probabilities of ``images``: softmax of ``net``'s outputs, in eval mode, no gradients.

    Works for networks that return logits or log-probabilities (softmax undoes either). Each
    module's train/eval mode is restored afterwards.

    Raises
    ------
    ConfigError
        Images not ``(n, 1, 28, 28)`` or ``batch_size < 1``.

    Shape:
        images: ``(n, 1, 28, 28)`` -> ``(n, K)`` on the CPU, rows summing to 1.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> p = predict_probabilities(PiNesyCNN(4), torch.zeros(3, 1, 28, 28))
    >>> p.shape, bool(torch.allclose(p.sum(1), torch.ones(3)))
    (torch.Size([3, 4]), True)
    """
    _check_images(images, "predict_probabilities")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"predict_probabilities: batch_size must be >= 1; got {batch_size!r}")
    # per module, since a caller may keep some parts (e.g. batch norm) in a mode of their own
    modes = [(module, module.training) for module in net.modules()]
    device = next(net.parameters(), torch.empty(0)).device
    net.eval()
    try:
        with torch.no_grad():
            outputs = [
                net(chunk.to(device).float()).softmax(-1).cpu()
                for chunk in images.split(batch_size)
            ]
    finally:
        for module, training in modes:
            module.training = training
    return torch.cat(outputs)
