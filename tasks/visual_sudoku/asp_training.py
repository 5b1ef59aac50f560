"""Visual 9x9 Sudoku with the ASP backend: read the MNIST givens, then solve.

A board's program is ``programs/sudoku.nesy`` (the rules) + ``programs/visual_sudoku.nesy`` (the
reader, ``nn(digit_net, [X], V, [1..9]) :: reads(X, V)``) + one fact ``image(r, c)`` per given
cell; the image of cell ``(r, c)`` is the tensor ``img(r, c)``. Two recognisers are trained by
the one :class:`~nesy.train.trainer.Trainer` (its ``batch_size`` counts boards) on the same
boards' images, in the same order and mini-batches of boards, from the same weights:

* :func:`train_from_solutions` knows only each board's solution: it minimises
  ``-log P(cell(r, c, v) for all 81 cells)`` under NeurASP semantics, through one
  :class:`~solvers.asp.AspModel` per board (built once);
* :func:`train_with_labels` minimises the cross-entropy of each given image against its digit.

A test board is solved by :func:`solve_most_probable` (the most probable stable model: the most
probable reading of the givens that has a solution, by clingo's optimisation) or, more simply,
by :func:`solve_argmax` (each image's most probable digit, then clingo).

Notes
-----
The solution is a strong observation: a given's value is its cell's value in the solution, so
exactly one total choice (every image read as its solution digit) has a stable model satisfying
it, and that choice has exactly one stable model (the puzzle's solution is unique). So
``P(solution) = prod p(image read as its digit)`` and ``-log P(solution)`` is the summed
cross-entropy of the givens against their digits. A step of the two recognisers follows the same
gradient up to a scale (the mean is per board in one, per image in the other), which Adam's
normalisation all but removes: learning from solutions *is* learning from labels here.

Shape letters: ``N`` boards; a board is ``(9, 9)`` (row, column), 0 marks a blank; ``K = 9``
digit probabilities per cell (digits 1..9).
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import clingo
import numpy as np
import torch
from torch import Tensor, nn

import nesy
from nesy.errors import BackendError, ConfigError
from nesy.lang import ir
from nesy.neural.nets import MnistNet
from nesy.train.trainer import Batch, EpochRecord, LossHook, TrainConfig, Trainer
from solvers.asp.layer import AspModel
from solvers.asp.program import AspProgram, merge
from solvers.asp.semantics import FLOOR, most_probable
from tasks.visual_sudoku.puzzles import SudokuSolver, VisualBoards

__all__ = [
    "MARGINS",
    "NETWORK",
    "Evaluation",
    "MostProbable",
    "Trained",
    "board_inputs",
    "board_program",
    "evaluate",
    "read_probabilities",
    "solution_model",
    "solution_observation",
    "solve_argmax",
    "solve_most_probable",
    "train_from_solutions",
    "train_with_labels",
]

_PROGRAMS = Path(__file__).resolve().parents[2] / "programs"
#: The network name the reader program declares.
NETWORK = "digit_net"
_SIDE = 9
#: Digits this many nats less likely than their cell's best are ruled out, in turn, while
#: searching for the most probable stable model (see :func:`solve_most_probable`).
MARGINS = (3.0, 6.0, 12.0, math.inf)


@dataclass(frozen=True, slots=True)
class Trained:
    """A trained recogniser (a :class:`~nesy.neural.nets.MnistNet` over digits 1..9), its
    per-epoch records (``loss``: the mean per board of its step's loss), and the seconds spent
    before training (building the boards' models)."""

    net: MnistNet
    epochs: tuple[EpochRecord, ...]
    build_seconds: float

    @property
    def train_seconds(self) -> float:
        return sum(e.train_seconds for e in self.epochs)


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A recogniser on test boards; every figure but the timings is a fraction.

    ``read_all`` is the fraction of boards whose givens are all read right (argmax): the
    accuracy of reading alone. ``argmax_solved`` reads each image's argmax and solves with
    clingo (an unsolvable reading counts as wrong); ``most_probable_solved`` takes the most
    probable stable model. A board counts as solved when all 81 cells are right. ``margins``
    holds, per board, the margin at which its most probable model was found (``nan`` where
    no reading has a solution); ``solve_seconds`` is the most-probable search, summed.
    """

    boards: int
    digit_accuracy: float
    read_all: float
    argmax_solved: float
    most_probable_solved: float
    read_seconds: float
    solve_seconds: float
    solve_seconds_max: float
    margins: tuple[float, ...]


@functools.cache
def _rules() -> tuple[ir.Program, ir.Program]:
    return (
        nesy.parse_file(_PROGRAMS / "sudoku.nesy"),
        nesy.parse_file(_PROGRAMS / "visual_sudoku.nesy"),
    )


def _given_cells(givens: np.ndarray | Tensor) -> list[tuple[int, int]]:
    """The given cells ``(row, column)``, 0-based, row-major."""
    array = np.asarray(givens)
    if array.shape != (_SIDE, _SIDE):
        raise ConfigError(f"a board must be (9, 9); got shape {array.shape}")
    rows, cols = np.nonzero(array)
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def _tensor_name(r: int, c: int) -> str:
    return f"img({r + 1},{c + 1})"


def board_program(
    givens: np.ndarray | Tensor, ruled_out: Iterable[tuple[int, int, int]] = ()
) -> ir.Program:
    """The rules, the reader and one fact ``image(r, c)`` per given cell (1-based), with a
    constraint ``:- reads(tensor(img(r, c)), v).`` for each ``(r, c, v)`` of ``ruled_out``
    (0-based cell, digit ``v``).

    Examples
    --------
    >>> import numpy as np
    >>> givens = np.zeros((9, 9), dtype=int); givens[0, 2] = 5
    >>> [str(s) for s in board_program(givens, [(0, 2, 7)]).statements][-2:]
    ['image(1,3).', ':-reads(tensor(img(1,3)),7).']
    """
    # reads/2 is the reader's (visual_sudoku.nesy), not this text's: declared, it is no error
    facts = "#defined reads/2.\n" if ruled_out else ""
    facts += "".join(f"image({r + 1}, {c + 1}).\n" for r, c in _given_cells(givens))
    facts += "".join(f":- reads(tensor({_tensor_name(r, c)}), {v}).\n" for r, c, v in ruled_out)
    return merge([*_rules(), nesy.parse(facts)])


def board_inputs(images: Tensor, givens: np.ndarray | Tensor) -> dict[str, Tensor]:
    """The tensors of a board's given cells, by name (``"img(r,c)"``, 1-based).

    Shape:
        images: ``(9, 9, 1, 28, 28)``; givens: ``(9, 9)`` -> ``{name: (1, 1, 28, 28)}``.
    """
    return {_tensor_name(r, c): images[r, c][None] for r, c in _given_cells(givens)}


def solution_observation(solution: np.ndarray | Tensor) -> list[tuple[str, bool]]:
    """The 81 atoms ``cell(r, c, v)`` of a solution, all true (1-based)."""
    grid = np.asarray(solution)
    return [
        (f"cell({r + 1},{c + 1},{int(grid[r, c])})", True)
        for r in range(_SIDE)
        for c in range(_SIDE)
    ]


def solution_model(
    givens: np.ndarray | Tensor, solution: np.ndarray | Tensor, net: nn.Module
) -> AspModel:
    """The NeurASP model of one board whose only output is ``log P(solution)``.

    Grounds the board's program and lists the observation's stable models (about 40 ms).

    Shape:
        forward: :func:`board_inputs` (batch 1) -> ``(1, 1)`` log-probability.
    """
    return AspModel(
        board_program(givens), {NETWORK: net}, observations=[solution_observation(solution)]
    )


def _new_net(seed: int) -> MnistNet:
    """A fresh reader whose weights depend on ``seed`` only (the global generator is kept)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MnistNet(_SIDE)


class _BoardOrder:
    """The training boards in a fresh random order each epoch: batches whose ``labels`` are
    board indices (what the loss hooks look up).

    The orders come from NumPy's ``default_rng([seed, 9, 9])``, one permutation per epoch, as
    the published runs drew them (not from the trainer's generator), so one instance serves one
    run from its first epoch (such a run does not resume).
    """

    def __init__(self, boards: int, seed: int) -> None:
        self.boards = boards
        self._rng = np.random.default_rng([seed, 9, 9])

    def __len__(self) -> int:
        return self.boards

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.from_numpy(self._rng.permutation(self.boards))
        for chunk in order.split(batch_size):
            yield Batch({}, chunk)


def _fit(
    net: MnistNet, boards: int, config: TrainConfig, loss: LossHook
) -> tuple[EpochRecord, ...]:
    """Train ``net`` on ``boards`` boards (``config.batch_size`` per step) by ``loss``."""
    return Trainer(net, config, loss=loss).fit(_BoardOrder(boards, config.seed)).epochs


def train_from_solutions(boards: VisualBoards, config: TrainConfig) -> Trained:
    """A recogniser trained from each board's solution only, through NeurASP's likelihood.

    The loss of a step is the mean over its boards of ``-log P(solution)``; each board's
    :class:`~solvers.asp.AspModel` is built once, before training. ``config.seed`` fixes the
    network's initial weights and the boards' order.

    Raises
    ------
    BackendError
        Some board's solution has no stable model under any reading (a broken board).
    """
    net = _new_net(config.seed)
    start = time.perf_counter()
    models = [
        solution_model(g, s, net) for g, s in zip(boards.givens, boards.solutions, strict=True)
    ]
    inputs = [board_inputs(i, g) for i, g in zip(boards.images, boards.givens, strict=True)]
    for n, model in enumerate(models):
        if model.diagrams[0].models == 0:
            raise BackendError(f"training board {n}: its solution has no stable model")
    build_seconds = time.perf_counter() - start

    def loss(_: nn.Module, batch: Batch) -> Tensor:
        return -torch.cat([models[n](inputs[n]) for n in _boards(batch)]).mean()

    return Trained(net, _fit(net, len(models), config, loss), build_seconds)


def _boards(batch: Batch) -> list[int]:
    """The board indices of a :class:`_BoardOrder` batch."""
    assert isinstance(batch.labels, Tensor)
    return batch.labels.tolist()


def _given_images(boards: VisualBoards) -> tuple[list[Tensor], list[Tensor]]:
    """Per board, its given images ``(k, 1, 28, 28)`` and their digits ``(k,)`` 1..9."""
    shown = boards.givens > 0
    return (
        [images[mask] for images, mask in zip(boards.images, shown, strict=True)],
        [digits[mask] for digits, mask in zip(boards.givens, shown, strict=True)],
    )


def train_with_labels(boards: VisualBoards, config: TrainConfig) -> Trained:
    """A recogniser trained with digit labels: cross-entropy of each given image, averaged over
    the images of a step's boards (the same steps as :func:`train_from_solutions`)."""
    net = _new_net(config.seed)
    images, digits = _given_images(boards)

    def loss(model: nn.Module, batch: Batch) -> Tensor:
        boards = _boards(batch)
        x = torch.cat([images[n] for n in boards])
        y = torch.cat([digits[n] for n in boards]) - 1
        return nn.functional.nll_loss(model(x), y)

    return Trained(net, _fit(net, len(images), config, loss), 0.0)


@torch.no_grad()
def read_probabilities(net: nn.Module, boards: VisualBoards) -> Tensor:
    """Each given image's probabilities of the digits 1..9 (zeros at blanks).

    Shape:
        -> ``(N, 9, 9, K)`` probabilities.
    """
    net.eval()
    shown = boards.givens > 0
    probabilities = torch.zeros(*boards.givens.shape, _SIDE)
    probabilities[shown] = torch.cat([net(x).exp() for x in boards.images[shown].split(1024)])
    return probabilities


def solve_argmax(
    probabilities: Tensor, givens: np.ndarray | Tensor, solver: SudokuSolver
) -> np.ndarray | None:
    """Read each given as its most probable digit, then solve; ``None`` if that reading has no
    solution (clingo's first solution where it has several).

    Shape:
        probabilities: ``(9, 9, K)``; givens: ``(9, 9)``, nonzero where a cell is given ->
        ``(9, 9)`` int64.
    """
    read = (probabilities.argmax(-1) + 1).numpy() * (np.asarray(givens) > 0)
    found = solver.solutions(read.astype(np.int64), limit=1)
    return found[0] if len(found) else None


@dataclass(frozen=True, slots=True)
class MostProbable:
    """The most probable stable model of a board: the solution, the reading of the givens it
    rests on, that reading's cost ``-ln P`` in nats, and the margin it was found within.

    Shape:
        solution, reading: ``(9, 9)`` int64 (``reading`` is 0 at blanks).
    """

    solution: np.ndarray
    reading: np.ndarray
    cost: float
    margin: float


def _check_groups(asp: AspProgram) -> list[tuple[int, int]]:
    """The cell (0-based) each choice group reads; its values must be the digits 1..9."""
    cells = []
    for group in asp.groups:
        digits = [clingo.parse_term(label).arguments[1].number for label in group.labels]
        if digits != list(range(1, _SIDE + 1)):
            raise BackendError(f"group {group.key} has values {digits}; expected digits 1..9")
        r, c = (a.number - 1 for a in clingo.parse_term(group.inputs[0]).arguments)
        cells.append((r, c))
    return cells


def solve_most_probable(
    probabilities: Tensor, givens: np.ndarray | Tensor, *, margins: Sequence[float] = MARGINS
) -> MostProbable | None:
    """The most probable reading of the givens that has a solution, and that solution: the most
    probable stable model (:func:`solvers.asp.most_probable`). ``None`` if no reading has one.

    Each try rules out, in every cell, the digits more than a margin (in nats) less likely than
    the cell's most likely digit, by constraints in the board's program (:func:`board_program`).
    A reading that uses a ruled-out digit costs more than ``A + margin``, where ``A`` is the cost
    ``-ln P`` of reading every image as its argmax; so a reading found within ``A + margin`` is
    the most probable of all, and otherwise the next, wider margin is tried (``inf`` rules out
    nothing). Ruling out is only for speed: clingo's branch-and-bound search over all nine
    digits of every image took from 10 s (every image read at 0.9) to minutes (a weakly
    trained reader) per board, and about 10 ms once the unlikely digits were ruled out.

    Raises
    ------
    ConfigError
        ``margins`` is empty or does not increase from above 0.

    Shape:
        probabilities: ``(9, 9, K)``; givens: ``(9, 9)``, nonzero where a cell is given.
    """
    if not margins or list(margins) != sorted(set(margins)) or not margins[0] > 0:
        raise ConfigError(f"margins must be increasing and positive; got {list(margins)}")
    cells = _given_cells(givens)
    costs = -probabilities.double().clamp(min=FLOOR).log()  # (9, 9, K)
    floor = sum(float(costs[r, c].min()) for r, c in cells)
    for margin in margins:
        ruled_out = [
            (r, c, v + 1)
            for r, c in cells
            for v in torch.nonzero(costs[r, c] > costs[r, c].min() + margin).flatten().tolist()
        ]
        asp = AspProgram(board_program(givens, ruled_out))
        group_cells = _check_groups(asp)
        neural = {g: probabilities[r, c].tolist() for g, (r, c) in enumerate(group_cells)}
        best = most_probable(asp, neural)
        if best is None:
            continue
        reading = np.zeros((_SIDE, _SIDE), dtype=np.int64)
        for (r, c), v in zip(group_cells, best.choice, strict=True):
            reading[r, c] = v + 1
        total = sum(float(costs[r, c, reading[r, c] - 1]) for r, c in cells)
        if total <= floor + margin:
            return MostProbable(_grid(best.atoms), reading, total, margin)
    return None


def _grid(atoms: Sequence[str]) -> np.ndarray:
    """The ``cell(r, c, v)`` atoms of a model as a grid."""
    grid = np.zeros((_SIDE, _SIDE), dtype=np.int64)
    for text in atoms:
        atom = clingo.parse_term(text)
        if atom.match("cell", 3):
            r, c, v = (a.number for a in atom.arguments)
            grid[r - 1, c - 1] = v
    return grid


def evaluate(net: nn.Module, boards: VisualBoards) -> Evaluation:
    """Read and solve every test board both ways (see :class:`Evaluation`)."""
    start = time.perf_counter()
    probabilities = read_probabilities(net, boards)
    read_seconds = time.perf_counter() - start
    shown = boards.givens > 0
    read = probabilities.argmax(-1) + 1
    right = (read == boards.givens) | ~shown
    argmax_ok, best_ok, times, margins = [], [], [], []
    with SudokuSolver() as solver:
        for p, givens, solution in zip(probabilities, boards.givens, boards.solutions, strict=True):
            truth = solution.numpy()
            grid = solve_argmax(p, givens, solver)
            argmax_ok.append(grid is not None and bool((grid == truth).all()))
            begin = time.perf_counter()
            best = solve_most_probable(p, givens)
            times.append(time.perf_counter() - begin)
            best_ok.append(best is not None and bool((best.solution == truth).all()))
            margins.append(best.margin if best is not None else math.nan)
    return Evaluation(
        boards=len(boards.givens),
        digit_accuracy=float((read == boards.givens)[shown].float().mean()),
        read_all=float(right.flatten(1).all(1).float().mean()),
        argmax_solved=float(np.mean(argmax_ok)),
        most_probable_solved=float(np.mean(best_ok)),
        read_seconds=read_seconds,
        solve_seconds=sum(times),
        solve_seconds_max=max(times),
        margins=tuple(margins),
    )
