"""ASPER's few-shot Sudoku study (ALGORITHMS.md §C): the method as published and a repaired one.

Al Machot's notebook (``Fadi2200/ASPEN``) trains a shallow MLP to fill Sudoku grids from puzzles
and ASP-solved targets, adding two "logic" terms to the loss. Running it as coded shows three
flaws, which :attr:`Mode.LITERAL` keeps on purpose (for parity with the published table) and
:attr:`Mode.REPAIRED` fixes:

* **Generator.** The literal full grid comes from a deterministic backtracking fill of the empty
  grid (digits tried 1..9 in order), so every puzzle has the *same* solution; only the 10 blank
  positions differ. The repaired generator draws a different grid per puzzle: clingo solves the
  empty grid with random decisions (``--rand-freq=1 --sign-def=rnd``, seeded from the caller's
  generator), so the data set is reproducible but its puzzles share no solution.
* **Targets.** The masked solution marks a hidden cell with 0, and Keras' ``to_categorical(0 - 1)``
  makes that the one-hot of the *last* class, so the literal loss teaches "digit 9" for every
  masked cell. The repaired loss ignores masked cells.
* **Logic terms.** The literal "expert"/uniqueness term sums over the digit axis before comparing
  (every cell sums to 1 on both sides, so it is ≈0 with no useful gradient), and the literal
  "constraints" term is handed the *full* solution, which has no blank cells, so it is the
  constant 243 per sample. The repaired terms are the unit penalty of §C.4.

The four loss combinations, per mode (CE = cross-entropy on the masked solution):

=========== ============================================ =========================================
Combo       literal (the notebook, as coded)             repaired
=========== ============================================ =========================================
STANDARD    CE, masked cells as class 9                  CE on the unmasked cells only
EXPERT      + uniqueness term as coded (≈0)              + unit penalty (:func:`unit_penalty`)
CONSTRAINTS + constraints term on the full solution      + unit penalty with the givens clamped
            (constant 243)                               to their one-hot (the blank cells must
                                                         supply each unit's missing digits)
ALL         CE + both terms                              CE + both penalties
=========== ============================================ =========================================

Shape letters: ``P`` puzzles, ``B`` a batch of them; grids are ``(9, 9)`` row-major with digits
1..9 and 0 for an empty cell; predictions are ``(B, 9, 9, 9)`` over digit classes 0..8.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

import clingo
import numpy as np
import torch
from torch import Tensor, nn

from nesy.errors import ConfigError, DataError
from nesy.train.trainer import Batch, TrainConfig, Trainer

__all__ = [
    "BLANKS",
    "IGNORE",
    "Mode",
    "Combo",
    "SudokuData",
    "backtracking_grid",
    "is_solution",
    "generate",
    "encode_targets",
    "SudokuMLP",
    "literal_uniqueness",
    "literal_constraints",
    "unit_penalty",
    "asper_loss",
    "kfold",
    "NOTEBOOK",
    "FOLDS",
    "FoldResult",
    "cross_validate",
]

#: Cells the notebook blanks in each puzzle (its ``generate_sudoku_puzzle(10)``).
BLANKS = 10
#: Target class of a masked cell in repaired mode: ``nn.functional.nll_loss`` skips it.
IGNORE = -100

#: The published ASP program, less its ``cell(r, c, v)`` facts for the givens (see :class:`_ASP`).
_PROGRAM = """
{ cell(Row,Col,Val) : Val=1..9 } = 1 :- Row=1..9, Col=1..9.
:- cell(Row,Col1,Val), cell(Row,Col2,Val), Col1 != Col2.
:- cell(Row1,Col,Val), cell(Row2,Col,Val), Row1 != Row2.
:- cell(Row1,Col1,Val), cell(Row2,Col2,Val), Row1 != Row2, Col1 != Col2,
   (Row1-1)/3 = (Row2-1)/3, (Col1-1)/3 = (Col2-1)/3.
"""


class Mode(Enum):
    """Which version of the study: the notebook as coded, or its flaws fixed."""

    LITERAL = "literal"
    REPAIRED = "repaired"


class Combo(Enum):
    """The published loss combinations (what each term means per mode: module docstring)."""

    STANDARD = "standard"
    EXPERT = "expert"
    CONSTRAINTS = "constraints"
    ALL = "all"

    @property
    def expert(self) -> bool:
        return self in (Combo.EXPERT, Combo.ALL)

    @property
    def constraints(self) -> bool:
        return self in (Combo.CONSTRAINTS, Combo.ALL)


@dataclass(frozen=True, slots=True)
class SudokuData:
    """Puzzles with their masked and full ASP solutions, all ``(P, 9, 9)`` int64, 0 = empty."""

    puzzles: Tensor
    masked: Tensor
    solutions: Tensor

    def __len__(self) -> int:
        return len(self.puzzles)

    def __getitem__(self, index: Tensor | np.ndarray | slice) -> SudokuData:
        index = torch.as_tensor(index) if isinstance(index, np.ndarray) else index
        return SudokuData(self.puzzles[index], self.masked[index], self.solutions[index])


def backtracking_grid() -> np.ndarray:
    """The notebook's full grid: backtracking from the empty grid, digits tried 1..9 in order.

    It is deterministic, which is why every literal puzzle shares one solution.

    Examples
    --------
    >>> backtracking_grid()[0].tolist()
    [1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> bool(is_solution(backtracking_grid()))
    True
    """
    grid = np.zeros((9, 9), dtype=np.int64)

    def fill(cell: int) -> bool:
        if cell == 81:
            return True
        row, col = divmod(cell, 9)
        box = grid[row - row % 3 : row - row % 3 + 3, col - col % 3 : col - col % 3 + 3]
        for digit in range(1, 10):
            if digit not in grid[row] and digit not in grid[:, col] and digit not in box:
                grid[row, col] = digit
                if fill(cell + 1):
                    return True
        grid[row, col] = 0
        return False

    fill(0)
    return grid


def is_solution(grid: np.ndarray | Tensor) -> bool:
    """Whether a ``(9, 9)`` grid is a full Sudoku solution: each unit holds 1..9 once."""
    grid = np.asarray(grid)
    boxes = grid.reshape(3, 3, 3, 3).transpose(0, 2, 1, 3).reshape(9, 9)
    units = np.concatenate([grid, grid.T, boxes])
    return bool((np.sort(units, axis=1) == np.arange(1, 10)).all())


class _ASP:
    """The published program, grounded once; each solve passes the givens as assumptions.

    The notebook adds the givens as facts and grounds a fresh program per puzzle. Assuming the
    givens' ``cell`` atoms true admits the same answer sets, and skips the ~10 ms grounding.
    """

    def __init__(self, options: list[str]) -> None:
        self._control = clingo.Control(options)
        self._control.add("base", [], _PROGRAM)
        self._control.ground([("base", [])])

    def first_answer(self, givens: np.ndarray) -> np.ndarray:
        """The first answer set as a grid; ``givens`` is ``(9, 9)``, 0 = empty."""
        assumptions = [
            (clingo.Function("cell", [clingo.Number(int(v)) for v in (r + 1, c + 1, d)]), True)
            for (r, c), d in np.ndenumerate(givens)
            if d
        ]
        grid = np.zeros((9, 9), dtype=np.int64)
        with self._control.solve(yield_=True, assumptions=assumptions) as handle:
            model = next(iter(handle), None)
            if model is None:
                raise DataError(f"the puzzle has no solution:\n{givens}")
            for symbol in model.symbols(atoms=True):
                row, col, digit = (a.number for a in symbol.arguments)
                grid[row - 1, col - 1] = digit
        return grid


def _blank(grid: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """A copy of ``grid`` with ``count`` random distinct cells set to 0."""
    out = grid.flatten()
    out[rng.choice(81, count, replace=False)] = 0
    return out.reshape(9, 9)


def generate(
    n_puzzles: int,
    mask_rate: float,
    mode: Mode,
    rng: np.random.Generator,
    blanks: int = BLANKS,
) -> SudokuData:
    """Puzzles, full ASP solutions and masked solutions, as the notebook's
    ``generate_masked_and_full_data`` makes them (literal), or from one random grid per puzzle
    (repaired).

    Each puzzle is a full grid with ``blanks`` random cells emptied; clingo's first answer set is
    its full solution, and ``int(mask_rate * 81)`` random cells of that are zeroed (the table's
    "difficulty").

    Raises
    ------
    ConfigError
        If ``n_puzzles < 1``, ``mask_rate`` is outside [0, 1] or ``blanks`` outside 1..81.
    """
    if n_puzzles < 1:
        raise ConfigError(f"n_puzzles must be at least 1; got {n_puzzles}")
    if not 0.0 <= mask_rate <= 1.0:
        raise ConfigError(f"mask_rate must be in [0, 1]; got {mask_rate}")
    if not 1 <= blanks <= 81:
        raise ConfigError(f"blanks must be in 1..81; got {blanks}")
    if mode is Mode.LITERAL:  # the notebook refills the grid per puzzle, to the same grid
        asp, grids = _ASP([]), [backtracking_grid()] * n_puzzles
    else:
        asp = _ASP([f"--seed={rng.integers(2**31 - 1)}", "--rand-freq=1", "--sign-def=rnd"])
        grids = [asp.first_answer(np.zeros((9, 9), dtype=np.int64)) for _ in range(n_puzzles)]
    puzzles = [_blank(grid, blanks, rng) for grid in grids]
    solutions = [asp.first_answer(puzzle) for puzzle in puzzles]
    masked = [_blank(solution, int(mask_rate * 81), rng) for solution in solutions]
    return SudokuData(*(torch.from_numpy(np.stack(x)) for x in (puzzles, masked, solutions)))


def encode_targets(masked: Tensor, mode: Mode) -> Tensor:
    """Target classes ``(B, 9, 9)`` of a masked solution: digit ``d`` is class ``d - 1``.

    A masked cell (0) becomes class 8, digit 9, in literal mode: Keras' ``to_categorical(-1)``
    one-hot-encodes the last class. In repaired mode it becomes :data:`IGNORE`.
    """
    if mode is Mode.LITERAL:
        return (masked - 1) % 9
    return torch.where(masked > 0, masked - 1, IGNORE)


class SudokuMLP(nn.Module):
    """The notebook's network: Dense(64, ReLU) → Dense(32, ReLU) → Dense(729) → softmax per cell.

    Layers start as Keras' ``Dense`` does (Glorot-uniform weights, zero biases).

    Shape:
        puzzles ``(B, 9, 9)`` digits, 0 = empty (fed as ``digit / 9``) → log-probabilities
        ``(B, 9, 9, 9)``.
    """

    def __init__(self, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(81, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 729)
        )
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight, generator=generator)
                nn.init.zeros_(layer.bias)

    def forward(self, puzzles: Tensor) -> Tensor:
        logits = self.layers(puzzles.flatten(1).float() / 9)
        return logits.view(-1, 9, 9, 9).log_softmax(-1)


def _unit_sums(values: Tensor) -> Tensor:
    """Sums over each row, column and 3x3 box: ``(B, 9, 9, K)`` → ``(B, 27, K)``."""
    batch = len(values)
    boxes = values.view(batch, 3, 3, 3, 3, -1).sum((2, 4)).flatten(1, 2)
    return torch.cat([values.sum(2), values.sum(1), boxes], 1)


def literal_uniqueness(probs: Tensor, solutions: Tensor) -> Tensor:
    """The notebook's ``unique_numbers_loss(y_pred, full_y_true)`` per sample, ``(B,)``.

    It compares digit-axis sums (1 per cell on both sides) over rows, columns, and over each
    box's three row-triples (its loop visits every box 9 times), so it is ≈0 up to rounding.

    Shape:
        probs ``(B, 9, 9, 9)`` probabilities, solutions ``(B, 9, 9)`` digits → ``(B,)``.
    """
    gap = probs.sum(-1) - nn.functional.one_hot(solutions - 1, 9).sum(-1)  # (B, 9, 9)
    cells = gap.abs().sum((1, 2))
    triples = gap.view(-1, 9, 3, 3).sum(-1).abs().sum((1, 2))
    return 2 * cells + 9 * triples


def literal_constraints(probs: Tensor, solutions: Tensor) -> Tensor:
    """The notebook's ``sudoku_constraints_loss`` per sample, fed the full solution as it is.

    Per digit and unit it squares ``Σ p(d) · empty − 1``, where a cell is "empty" when its
    one-hot target is all zero. No cell of a full solution is, so this is the constant 243
    (9 digits x 27 units) with zero gradient.

    Shape:
        probs ``(B, 9, 9, 9)`` probabilities, solutions ``(B, 9, 9)`` digits → ``(B,)``.
    """
    empty = nn.functional.one_hot(solutions - 1, 9).sum(-1, keepdim=True) == 0
    return ((_unit_sums(probs * empty) - 1) ** 2).sum((1, 2))


def unit_penalty(probs: Tensor) -> Tensor:
    """``Σ_unit Σ_d (Σ_{cell ∈ unit} p_cell(d) − 1)²`` per sample: 0 exactly when each row,
    column and box holds each digit's probability mass once (so 0 on a valid one-hot grid).

    Shape:
        probs ``(B, 9, 9, 9)`` probabilities → ``(B,)``.
    """
    return ((_unit_sums(probs) - 1) ** 2).sum((1, 2))


def asper_loss(log_probs: Tensor, batch: SudokuData, mode: Mode, combo: Combo) -> Tensor:
    """The training loss of one batch, a scalar (the four combos per mode: module docstring).

    Literal mode returns what the notebook differentiates: its loss is the ``(B, 9, 9)``
    cross-entropy plus the batch-summed terms broadcast onto every cell, and
    ``GradientTape.gradient`` of a non-scalar differentiates its sum. Repaired mode averages the
    per-puzzle sum of cross-entropy (known cells) and penalties over the batch. (Keras also clips
    probabilities to [1e-7, 1 - 1e-7] in its cross-entropy; this log-softmax is not clipped.)

    Shape:
        log_probs ``(B, 9, 9, 9)`` → ``()``.
    """
    targets = encode_targets(batch.masked, mode)
    nll = nn.functional.nll_loss(
        log_probs.reshape(-1, 9), targets.flatten(), ignore_index=IGNORE, reduction="sum"
    )
    probs = log_probs.exp()
    if mode is Mode.LITERAL:
        terms = torch.zeros(())
        if combo.expert:
            terms = terms + literal_uniqueness(probs, batch.solutions).sum()
        if combo.constraints:
            terms = terms + literal_constraints(probs, batch.solutions).sum()
        return nll + targets.numel() * terms
    penalty = torch.zeros(())
    if combo.expert:
        penalty = penalty + unit_penalty(probs).sum()
    if combo.constraints:
        givens = nn.functional.one_hot((batch.puzzles - 1).clamp(min=0), 9).float()
        clamped = torch.where(batch.puzzles[..., None] > 0, givens, probs)
        penalty = penalty + unit_penalty(clamped).sum()
    return (nll + penalty) / len(log_probs)


def kfold(n: int, folds: int, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` indices as scikit-learn's ``KFold(folds, shuffle=True)`` makes them:
    test folds are consecutive slices of a permutation (the first ``n % folds`` one longer),
    train indices are sorted.

    Raises
    ------
    ConfigError
        If there are fewer items than folds, or fewer than 2 folds.
    """
    if folds < 2:
        raise ConfigError(f"cross-validation needs at least 2 folds; got {folds}")
    if n < folds:
        raise ConfigError(f"{folds}-fold cross-validation needs at least {folds} puzzles; got {n}")
    order = rng.permutation(n)
    splits = []
    for test in np.array_split(order, folds):
        train = np.ones(n, dtype=bool)
        train[test] = False
        splits.append((np.flatnonzero(train), np.sort(test)))
    return splits


#: The notebook's protocol: Adam (Keras' defaults: lr 1e-3 and, below, epsilon 1e-7), batch 4,
#: 10 epochs, over :data:`FOLDS` folds.
NOTEBOOK = TrainConfig(epochs=10, batch_size=4, lr=1e-3, progress=False)
FOLDS = 3
#: Keras' Adam epsilon (torch's default is 1e-8).
_KERAS_EPSILON = 1e-7


@dataclass(frozen=True, slots=True)
class FoldResult:
    """Cell accuracy of one fold's test puzzles against the full ASP solutions, over all cells
    (the published metric) and over the puzzles' blank cells only (the part to be solved)."""

    accuracy: float
    blank_accuracy: float


class _InOrder:
    """The puzzles in their order every epoch, no reshuffling (the notebook); a batch's inputs
    are its puzzles and full solutions, its labels the masked solutions."""

    def __init__(self, data: SudokuData) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        for start in range(0, len(self.data), batch_size):
            part = self.data[start : start + batch_size]
            yield Batch({"puzzles": part.puzzles, "solutions": part.solutions}, part.masked)


def _train(
    data: SudokuData, mode: Mode, combo: Combo, config: TrainConfig, generator: torch.Generator
) -> SudokuMLP:
    """Train a fresh model on ``data`` by :func:`asper_loss` (as the notebook: in order, Adam
    with Keras' epsilon)."""
    model = SudokuMLP(generator)

    def loss(model: nn.Module, batch: Batch) -> Tensor:
        puzzles, solutions = batch.inputs["puzzles"], batch.inputs["solutions"]
        assert isinstance(batch.labels, Tensor)
        target = SudokuData(puzzles, batch.labels, solutions)
        return asper_loss(model(puzzles), target, mode, combo)

    groups = [{"params": model.parameters(), "eps": _KERAS_EPSILON}]
    Trainer(model, config, loss=loss, param_groups=groups).fit(_InOrder(data))
    return model


@torch.no_grad()
def _evaluate(model: SudokuMLP, data: SudokuData) -> FoldResult:
    correct = model(data.puzzles).argmax(-1) + 1 == data.solutions
    return FoldResult(
        correct.float().mean().item(), correct[data.puzzles == 0].float().mean().item()
    )


def cross_validate(
    data: SudokuData,
    mode: Mode,
    combo: Combo,
    seed: int,
    config: TrainConfig = NOTEBOOK,
    folds: int = FOLDS,
) -> list[FoldResult]:
    """Shuffled k-fold cross-validation of a fresh :class:`SudokuMLP` per fold, each trained
    with ``config`` (its epochs, batch size, learning rate; :data:`NOTEBOOK` by default).

    The folds and initial weights depend only on ``seed``, so the four combos compared on one
    seed see the same splits and starting points (differences come from the losses alone).

    Raises
    ------
    ConfigError
        If ``data`` has fewer puzzles than folds, or fewer than 2 folds are asked.
    """
    generator = torch.Generator().manual_seed(seed)
    results = []
    for train, test in kfold(len(data), folds, np.random.default_rng(seed)):
        model = _train(data[train], mode, combo, config, generator)
        results.append(_evaluate(model, data[test]))
    return results
