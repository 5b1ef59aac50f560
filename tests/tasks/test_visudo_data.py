"""ViSudo-PC generation: grids, twins, image draws, and splits from real MNIST data."""

from __future__ import annotations

import time
from collections import Counter

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError, DataError
from nesy.neural.datasets import Digits
from tasks.visudo.data import (
    MAX_CORRUPTIONS,
    Puzzles,
    _corrupt,
    _DigitCycler,
    is_valid_sudoku,
    make_puzzles,
    make_split,
    mnist_pools,
    random_valid_grid,
)

VALID_4X4 = np.array([[0, 1, 2, 3], [2, 3, 0, 1], [1, 0, 3, 2], [3, 2, 1, 0]])


def _synthetic_pool(per_digit: int, digits: int = 10) -> Digits:
    """``per_digit`` images of each digit; pixel (0, 0) of image ``i`` holds ``i``."""
    labels = torch.arange(per_digit * digits) % digits
    images = torch.zeros(len(labels), 1, 28, 28)
    images[:, 0, 0, 0] = torch.arange(len(labels), dtype=torch.float32)
    return Digits(images, labels)


def _units_ok(grid: np.ndarray) -> tuple[bool, bool, bool]:
    """(rows, columns, boxes) each a permutation of 0..n-1, checked cell by cell."""
    n = len(grid)
    box = int(round(n**0.5))
    digits = set(range(n))
    rows = all({int(v) for v in grid[r]} == digits for r in range(n))
    cols = all({int(grid[r, c]) for r in range(n)} == digits for c in range(n))
    boxes = all(
        {int(grid[br + r, bc + c]) for r in range(box) for c in range(box)} == digits
        for br in range(0, n, box)
        for bc in range(0, n, box)
    )
    return rows, cols, boxes


def _draws_per_image(puzzles: Puzzles, pool_size: int) -> np.ndarray:
    """Times each pool image is drawn, counting a twin's inherited images once per pair."""
    n_valid = len(puzzles.valid) // 2
    uses = np.zeros(pool_size, dtype=np.int64)
    for valid_ids, twin_ids in zip(
        puzzles.image_ids[:n_valid].tolist(), puzzles.image_ids[n_valid:].tolist(), strict=True
    ):
        valid_count, twin_count = Counter(valid_ids), Counter(twin_ids)
        for image in valid_count.keys() | twin_count.keys():
            uses[image] += max(valid_count[image], twin_count[image])
    return uses


# --- grids -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 9])
def test_random_valid_grid_is_valid_and_differs_across_seeds(size):
    grids = [random_valid_grid(size, np.random.default_rng(seed)) for seed in range(50)]
    for grid in grids:
        assert grid.shape == (size, size)
        assert is_valid_sudoku(grid)
        assert _units_ok(grid) == (True, True, True)
    distinct = len({grid.tobytes() for grid in grids})
    # 4x4 has only 288 grids, so a few of 50 draws may coincide; 9x9 draws never should.
    assert distinct >= (40 if size == 4 else 50)


def test_random_valid_grid_reaches_every_4x4_grid():
    rng = np.random.default_rng(0)
    grids = {random_valid_grid(4, rng).tobytes() for _ in range(4000)}
    assert len(grids) == 288  # the number of 4x4 Sudoku grids


def test_is_valid_sudoku_rejects_each_kind_of_duplicate_separately():
    row_broken = VALID_4X4.copy()  # swap within a column and a box: only rows break
    row_broken[[0, 1], 0] = row_broken[[1, 0], 0]
    col_broken = VALID_4X4.copy()  # swap within a row and a box: only columns break
    col_broken[0, [0, 1]] = col_broken[0, [1, 0]]
    box_broken = VALID_4X4[:, [0, 2, 1, 3]]  # swap columns across boxes: only boxes break
    assert _units_ok(row_broken) == (False, True, True)
    assert _units_ok(col_broken) == (True, False, True)
    assert _units_ok(box_broken) == (True, True, False)
    for grid in (row_broken, col_broken, box_broken):
        assert not is_valid_sudoku(grid)
    assert is_valid_sudoku(VALID_4X4)
    assert not is_valid_sudoku(VALID_4X4 + 1)  # digits are 0..n-1


def test_is_valid_sudoku_refuses_other_shapes():
    with pytest.raises(ConfigError, match="4x4 or 9x9"):
        is_valid_sudoku(np.zeros((5, 5), dtype=int))
    with pytest.raises(ConfigError, match="4x4 or 9x9"):
        is_valid_sudoku(np.zeros((4, 9), dtype=int))


# --- image draws and corruptions ---------------------------------------------------------------


def test_digit_cycler_uses_every_image_once_per_pass():
    labels = np.array([0] * 7 + [1] * 3)
    cycler = _DigitCycler(labels, 2, np.random.default_rng(0))
    draws = [cycler.draw(0) for _ in range(7 * 20 + 3)]
    for start in range(0, 7 * 20, 7):
        assert sorted(draws[start : start + 7]) == list(range(7))
    assert len({tuple(draws[start : start + 7]) for start in range(0, 140, 7)}) > 1  # reshuffled
    assert max(Counter(draws).values()) == 21  # ceil(143 / 7): as even as possible
    assert {cycler.draw(1) for _ in range(3)} == {7, 8, 9}


def test_corruption_count_is_geometric_and_both_kinds_occur():
    size = 9
    digits = random_valid_grid(size, np.random.default_rng(1)).ravel()
    ids = 1000 + np.arange(size * size)  # apart from the cycler's ids, so replacements show
    cycler = _DigitCycler(np.arange(200) % size, size, np.random.default_rng(2))
    rng = np.random.default_rng(3)
    counts, swaps_among_singles = [], []
    for _ in range(2000):
        new_digits, new_ids, count = _corrupt(digits, ids, size, cycler, rng)
        counts.append(count)
        changed = (new_ids != ids).sum()
        assert changed <= 2 * count  # later corruptions may undo earlier ones
        if count == 1:  # a swap moves 2 of the puzzle's images; a replacement brings in 1 new
            is_swap = bool((new_ids >= 1000).all())
            assert changed == (2 if is_swap else 1)
            assert is_swap == (sorted(new_digits) == sorted(digits))
            swaps_among_singles.append(is_swap)
    counts = np.array(counts)
    assert counts.min() >= 1 and counts.max() <= MAX_CORRUPTIONS
    # P(k corruptions) = 0.5**k below the cap: about 1/2 have one, 1/4 two, 1/8 three.
    assert 0.46 < (counts == 1).mean() < 0.54
    assert 0.21 < (counts == 2).mean() < 0.29
    assert 0.095 < (counts == 3).mean() < 0.155
    assert 0.44 < np.mean(swaps_among_singles) < 0.56


# --- puzzles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [4, 9])
def test_make_puzzles_valid_first_then_invalid_twins(size):
    pool = _synthetic_pool(per_digit=200)
    puzzles = make_puzzles(size, 30, pool, np.random.default_rng(0))
    cells = size * size
    assert puzzles.images.shape == (60, cells, 1, 28, 28)
    assert puzzles.images.dtype == torch.float32
    assert puzzles.digits.shape == puzzles.image_ids.shape == (60, cells)
    assert puzzles.digits.dtype == puzzles.image_ids.dtype == torch.int64
    assert puzzles.valid.tolist() == [True] * 30 + [False] * 30
    for digits, valid in zip(puzzles.digits.numpy(), puzzles.valid.tolist(), strict=True):
        assert is_valid_sudoku(digits.reshape(size, size)) == valid
    # Each cell's image is the pool image it names, and shows the cell's digit.
    assert torch.equal(puzzles.images[:, :, 0, 0, 0].long(), puzzles.image_ids)
    assert torch.equal(pool.labels[puzzles.image_ids], puzzles.digits)
    assert int(puzzles.digits.max()) == size - 1  # only digits 0..n-1 from a 10-digit pool
    # A twin is its valid puzzle with at most MAX_CORRUPTIONS swaps (2 cells) or replacements.
    changed = (puzzles.image_ids[:30] != puzzles.image_ids[30:]).sum(dim=1)
    assert bool(((changed >= 1) & (changed <= 2 * MAX_CORRUPTIONS)).all())


def test_make_puzzles_is_determined_by_the_generator():
    pool = _synthetic_pool(per_digit=50)
    first, again, other = (
        make_puzzles(4, 10, pool, np.random.default_rng(seed)) for seed in (7, 7, 8)
    )
    assert all(torch.equal(a, b) for a, b in zip(first, again, strict=True))
    assert not torch.equal(first.image_ids, other.image_ids)


def test_make_split_without_reuse_when_the_pools_suffice():
    pool = _synthetic_pool(per_digit=100)
    split = make_split(4, 0, pool, pool, pool, n_train=10, n_validation=5, n_test=5)
    assert split.max_reuse == 1
    assert (split.size, split.seed) == (4, 0)
    assert [len(p.valid) for p in (split.train, split.validation, split.test)] == [20, 10, 10]
    assert _draws_per_image(split.train, len(pool.labels)).max() == 1


def test_make_split_reuses_evenly_when_a_pool_is_small():
    pool = _synthetic_pool(per_digit=10)  # 4x4: each digit fills 4 cells a puzzle, 40 draws/10
    split = make_split(4, 0, pool, pool, pool, n_train=10, n_validation=1, n_test=1)
    uses = _draws_per_image(split.train, len(pool.labels))
    assert uses[pool.labels < 4].min() >= 3  # a replacement later undone frees a slot
    assert split.max_reuse == uses.max() <= 6  # 40 draws + a few replacements per digit


def test_bad_sizes_counts_and_pools_are_refused():
    pool = _synthetic_pool(per_digit=20)
    rng = np.random.default_rng(0)
    with pytest.raises(ConfigError, match="4x4 or 9x9"):
        random_valid_grid(5, rng)
    with pytest.raises(ConfigError, match="4x4 or 9x9"):
        make_puzzles(16, 1, pool, rng)
    with pytest.raises(ConfigError, match="n_valid=0"):
        make_puzzles(4, 0, pool, rng)
    with pytest.raises(ConfigError, match="n_test"):
        make_split(4, 0, pool, pool, pool, n_test=0)
    with pytest.raises(ConfigError, match="non-negative"):
        make_split(4, -1, pool, pool, pool)
    no_threes = Digits(pool.images[pool.labels != 3], pool.labels[pool.labels != 3])
    with pytest.raises(DataError, match=r"digit\(s\) \[3\]"):
        make_puzzles(4, 1, no_threes, rng)
    no_sevens = Digits(pool.images[pool.labels != 7], pool.labels[pool.labels != 7])
    make_puzzles(4, 1, no_sevens, rng)  # 4x4 puzzles need digits 0..3 only


# --- real MNIST data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pools() -> tuple[Digits, Digits, Digits]:
    return mnist_pools(0)


def test_mnist_pools_are_disjoint_and_split_each_class(pools):
    train, validation, test = pools
    assert torch.bincount(train.labels).tolist() == [333] * 10
    assert torch.bincount(validation.labels).tolist() == [167] * 10
    assert len(test.labels) == 10_000
    train_images = {image.numpy().tobytes() for image in train.images}
    assert len(train_images) == len(train.labels)
    assert not any(image.numpy().tobytes() in train_images for image in validation.images)
    other = mnist_pools(1)[0]
    assert not torch.equal(train.images, other.images)  # the partition depends on the seed


def _check_split(split, pools) -> list[int]:
    """Asserts each set's images show its digits; returns each set's largest draw count."""
    reuse = []
    for puzzles, pool in zip((split.train, split.validation, split.test), pools, strict=True):
        assert torch.equal(pool.labels[puzzles.image_ids], puzzles.digits)
        assert torch.equal(puzzles.images[3], pool.images[puzzles.image_ids[3]])
        for digits, valid in zip(puzzles.digits.numpy(), puzzles.valid.tolist(), strict=True):
            assert is_valid_sudoku(digits.reshape(split.size, split.size)) == valid
        reuse.append(int(_draws_per_image(puzzles, len(pool.labels)).max()))
    assert split.max_reuse == max(reuse)
    return reuse


def test_4x4_split_from_mnist(pools):
    split = make_split(4, 0, *pools)
    assert [len(p.valid) for p in (split.train, split.validation, split.test)] == [200, 100, 100]
    # Training needs 400 images of each digit (333 in its pool), validation 200 (167): a second
    # pass over each pool, never a third; the 10,000 test images suffice.
    assert _check_split(split, pools) == [2, 2, 1]
    again = make_split(4, 0, *pools)
    assert torch.equal(split.train.image_ids, again.train.image_ids)
    assert not torch.equal(split.train.digits, make_split(4, 1, *pools).train.digits)


def test_9x9_split_from_mnist_builds_quickly(pools):
    start = time.perf_counter()
    split = make_split(9, 0, *pools)
    assert time.perf_counter() - start < 20
    assert split.train.images.shape == (200, 81, 1, 28, 28)
    # Training needs 900 images of each digit from 333, validation 450 from 167: three passes.
    assert _check_split(split, pools) == [3, 3, 1]
