"""Sudoku puzzle generation with clingo, checked against a small independent backtracking solver."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nesy.errors import BackendError, ConfigError, DataError
from nesy.neural.datasets import Digits, default_mnist_dir
from tasks.visual_sudoku.puzzles import (
    Board,
    SudokuSolver,
    VisualBoards,
    count_solutions,
    load_visual_split,
    make_boards,
    make_puzzle,
    random_solution,
    visualise,
)
from tasks.visudo.data import mnist_pools


def _is_valid(grid: np.ndarray) -> bool:
    """Every row, column and 3x3 box holds 1..9 once (written here, not imported)."""
    boxes = grid.reshape(3, 3, 3, 3).swapaxes(1, 2).reshape(9, 9)
    return all(
        sorted(unit.tolist()) == list(range(1, 10)) for g in (grid, grid.T, boxes) for unit in g
    )


def _count_by_backtracking(givens: np.ndarray, limit: int = 2) -> int:
    """Solutions of ``givens`` up to ``limit``: fill the cell with fewest candidates first."""
    grid = givens.copy()
    rows, cols, boxes = np.zeros((3, 9), dtype=np.int64)
    for r, c in zip(*np.nonzero(grid), strict=True):
        bit = 1 << int(grid[r, c])
        if (rows[r] | cols[c] | boxes[r // 3 * 3 + c // 3]) & bit:
            return 0  # clashing givens
        rows[r] |= bit
        cols[c] |= bit
        boxes[r // 3 * 3 + c // 3] |= bit

    def search() -> int:
        best, best_options = None, None
        for r, c in zip(*np.nonzero(grid == 0), strict=True):
            used = rows[r] | cols[c] | boxes[r // 3 * 3 + c // 3]
            options = [v for v in range(1, 10) if not used & (1 << v)]
            if best_options is None or len(options) < len(best_options):
                best, best_options = (r, c), options
                if len(options) <= 1:
                    break
        if best is None:
            return 1
        r, c = best
        b = r // 3 * 3 + c // 3
        found = 0
        for v in best_options:
            bit = 1 << v
            grid[r, c] = v
            rows[r] |= bit
            cols[c] |= bit
            boxes[b] |= bit
            found += search()
            grid[r, c] = 0
            rows[r] ^= bit
            cols[c] ^= bit
            boxes[b] ^= bit
            if found >= limit:
                break
        return found

    return min(search(), limit)


def _n_givens(board: Board) -> int:
    return int((board.givens > 0).sum())


@pytest.fixture(scope="module")
def boards() -> list[Board]:
    return make_boards(12, np.random.default_rng(3))


def test_random_solution_is_a_valid_grid_and_depends_on_the_seed():
    grids = [random_solution(np.random.default_rng(seed)) for seed in range(6)]
    for grid in grids:
        assert grid.shape == (9, 9) and grid.dtype == np.int64 and _is_valid(grid)
    assert len({grid.tobytes() for grid in grids}) == len(grids)
    # Beyond the first row too: the rest is not clingo's fixed completion.
    assert len({grid[1:].tobytes() for grid in grids}) == len(grids)
    assert (random_solution(np.random.default_rng(4)) == grids[4]).all()


def test_count_solutions_agrees_with_backtracking():
    rng = np.random.default_rng(0)
    grid = random_solution(rng)
    assert count_solutions(grid) == 1
    assert count_solutions(np.zeros((9, 9), dtype=np.int64), limit=4) == 4
    clash = np.zeros((9, 9), dtype=np.int64)
    clash[0, 0] = clash[0, 8] = 5
    assert count_solutions(clash) == 0 == _count_by_backtracking(clash)
    counts = set()
    with SudokuSolver() as solver:
        for n_blank in (30, 45, 50, 55, 60):
            for _ in range(3):
                givens = grid.copy()
                givens.flat[rng.choice(81, n_blank, replace=False)] = 0
                count = solver.count(givens, limit=2)
                assert count == _count_by_backtracking(givens, limit=2)
                counts.add(count)
    assert counts == {1, 2}  # both outcomes exercised


def test_solutions_are_distinct_valid_completions():
    givens = random_solution(np.random.default_rng(1))
    givens[3:] = 0
    with SudokuSolver() as solver:
        grids = solver.solutions(givens, limit=3)
        assert grids.shape == (3, 9, 9)
        assert len({g.tobytes() for g in grids}) == 3
        assert all(_is_valid(g) and (g[:3] == givens[:3]).all() for g in grids)
        solver.close()
        with pytest.raises(BackendError, match="closed"):
            solver.count(givens)


def test_make_puzzle_has_the_target_count_and_a_unique_solution():
    board = make_puzzle(np.random.default_rng(5), 30)
    shown = board.givens > 0
    assert _n_givens(board) == 30
    assert _is_valid(board.solution)
    assert (board.givens[shown] == board.solution[shown]).all()
    assert _count_by_backtracking(board.givens) == 1
    again = make_puzzle(np.random.default_rng(5), 30)
    assert (again.givens == board.givens).all() and (again.solution == board.solution).all()


def test_an_unreachable_target_gives_a_minimal_puzzle():
    board = make_puzzle(np.random.default_rng(2), 17)
    assert 17 < _n_givens(board) <= 30
    assert _count_by_backtracking(board.givens) == 1
    for r, c in zip(*np.nonzero(board.givens), strict=True):
        fewer = board.givens.copy()
        fewer[r, c] = 0
        assert _count_by_backtracking(fewer) == 2, (r, c)


def test_make_boards_are_unique_within_range_and_reproducible(boards):
    for board in boards:
        shown = board.givens > 0
        assert 17 <= _n_givens(board) <= 35
        assert _is_valid(board.solution)
        assert (board.givens[shown] == board.solution[shown]).all()
        assert _count_by_backtracking(board.givens) == 1
    assert len({_n_givens(board) for board in boards}) > 3
    assert (
        make_boards(2, np.random.default_rng(3))[1].givens.tobytes() == boards[1].givens.tobytes()
    )


def _labelled_pool(per_digit: int) -> Digits:
    """A pool whose images carry their pool index as every pixel, digits 0..9 in turn."""
    labels = torch.arange(10 * per_digit) % 10
    images = (
        torch.arange(10 * per_digit, dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 28, 28)
    )
    return Digits(images.contiguous(), labels)


def test_visualise_shows_each_given_as_an_image_of_its_digit(boards):
    pool = _labelled_pool(per_digit=50)
    visual = visualise(boards, pool, np.random.default_rng(0))
    assert isinstance(visual, VisualBoards)
    assert visual.images.shape == (12, 9, 9, 1, 28, 28) and visual.images.dtype == torch.float32
    assert visual.givens.shape == visual.solutions.shape == visual.image_ids.shape == (12, 9, 9)
    shown = visual.givens > 0
    assert (visual.givens.numpy() == np.stack([b.givens for b in boards])).all()
    assert (visual.image_ids[~shown] == -1).all()
    assert (pool.labels[visual.image_ids[shown]] == visual.givens[shown]).all()
    assert (visual.images[~shown] == 0).all()
    assert (visual.images[shown][:, 0, 0, 0].long() == visual.image_ids[shown]).all()
    needed = np.bincount(visual.givens[shown].numpy(), minlength=10)[1:]
    assert visual.max_reuse == max(-(-needed // 50))


def test_visualise_refuses_a_pool_that_is_too_small_or_missing_a_digit(boards):
    pool = _labelled_pool(per_digit=5)
    visual = visualise(boards, pool, np.random.default_rng(0))
    uses = np.bincount(visual.image_ids[visual.image_ids >= 0].numpy())
    assert visual.max_reuse == uses.max()
    for digit in range(1, 10):  # within a digit, reuse is even
        digit_uses = uses[digit::10]
        assert len(digit_uses) == 5 and digit_uses.max() - digit_uses.min() <= 1
    with pytest.raises(DataError, match="max_reuse=2"):
        visualise(boards, pool, np.random.default_rng(0), max_reuse=2)
    no_sevens = pool.labels != 7
    with pytest.raises(DataError, match="no image of digit 7"):
        visualise(
            boards, Digits(pool.images[no_sevens], pool.labels[no_sevens]), np.random.default_rng(0)
        )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_boards(0, np.random.default_rng(0)), "at least one board"),
        (lambda: make_boards(1, np.random.default_rng(0), 16, 20), "min_givens must lie in 17..81"),
        (lambda: make_boards(1, np.random.default_rng(0), 30, 82), "max_givens must lie"),
        (lambda: make_boards(1, np.random.default_rng(0), 30, 20), r"min_givens \(30\) exceeds"),
        (lambda: make_puzzle(np.random.default_rng(0), 16), "n_givens must lie"),
        (lambda: count_solutions(np.zeros((9, 8), dtype=int)), r"\(9, 9\) integer array"),
        (lambda: count_solutions(np.zeros((9, 9))), "integer array"),
        (lambda: count_solutions(np.full((9, 9), 10)), "0..9"),
        (lambda: count_solutions(np.zeros((9, 9), dtype=int), limit=0), "at least 1"),
        (lambda: visualise([], _labelled_pool(1), np.random.default_rng(0)), "at least one board"),
        (lambda: load_visual_split(-1, 1, 1), "non-negative"),
    ],
)
def test_bad_arguments_raise_config_errors(call, message):
    with pytest.raises(ConfigError, match=message):
        call()


def test_visualise_refuses_max_reuse_below_one(boards):
    with pytest.raises(ConfigError, match="max_reuse must be at least 1"):
        visualise(boards, _labelled_pool(5), np.random.default_rng(0), max_reuse=0)


@pytest.mark.skipif(
    not (default_mnist_dir() / "t10k-labels-idx1-ubyte.gz").exists(),
    reason="the official MNIST test set is missing",
)
def test_load_visual_split_on_real_mnist():
    split = load_visual_split(0, n_train=3, n_test=2)
    assert split.train.images.shape == (3, 9, 9, 1, 28, 28)
    assert split.test.images.shape == (2, 9, 9, 1, 28, 28)
    train_pool, _, test_pool = mnist_pools(0)
    for visual, pool in zip(split, (train_pool, test_pool), strict=True):
        shown = visual.givens > 0
        assert (pool.labels[visual.image_ids[shown]] == visual.givens[shown]).all()
        assert (visual.images[shown] == pool.images[visual.image_ids[shown]]).all()
        assert (visual.image_ids[~shown] == -1).all()
        assert visual.images[shown].abs().amax(dim=(1, 2, 3)).gt(0).all()
        assert visual.max_reuse == 1
    # The test boards come from their own stream: the same whatever n_train is.
    other = load_visual_split(0, n_train=1, n_test=2)
    assert (other.test.givens == split.test.givens).all()
    assert (other.test.image_ids == split.test.image_ids).all()
    assert (other.train.givens[0] == split.train.givens[0]).all()
