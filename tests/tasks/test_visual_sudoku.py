"""Visual 9x9 Sudoku through the ASP backend, on clingo-made boards with synthetic digit images
(one fixed random pattern per digit plus noise), so no MNIST files are needed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError
from nesy.neural.nets import MnistNet
from nesy.train.trainer import TrainConfig
from solvers.asp.program import AspProgram
from tasks.visual_sudoku.asp_training import (
    NETWORK,
    board_inputs,
    board_program,
    evaluate,
    read_probabilities,
    solution_model,
    solve_argmax,
    solve_most_probable,
    train_from_solutions,
    train_with_labels,
)
from tasks.visual_sudoku.puzzles import SudokuSolver, VisualBoards, make_boards


def _boards(n: int, seed: int, noise: float = 0.3) -> VisualBoards:
    """``n`` clingo puzzles whose givens are digit patterns (the same for every seed) + noise."""
    patterns = torch.rand(10, 1, 28, 28, generator=torch.Generator().manual_seed(99)) * 2 - 1
    boards = make_boards(n, np.random.default_rng(seed), min_givens=25, max_givens=30)
    givens = torch.from_numpy(np.stack([b.givens for b in boards]))
    noise_images = torch.randn(n, 9, 9, 1, 28, 28, generator=torch.Generator().manual_seed(seed))
    images = patterns[givens] + noise * noise_images
    images[givens == 0] = 0.0
    return VisualBoards(
        givens=givens,
        solutions=torch.from_numpy(np.stack([b.solution for b in boards])),
        images=images,
        image_ids=torch.where(givens > 0, 0, -1),
        max_reuse=1,
    )


@pytest.fixture(scope="module")
def train() -> VisualBoards:
    return _boards(6, seed=1)


@pytest.fixture(scope="module")
def test() -> VisualBoards:
    return _boards(3, seed=2)


def _confident(board: VisualBoards, n: int, p: float = 0.9) -> torch.Tensor:
    """Probabilities that put ``p`` on each given's true digit. Shape: ``(9, 9, 9)``."""
    table = torch.full((9, 9, 9), (1 - p) / 8)
    table.scatter_(-1, (board.givens[n].clamp(min=1) - 1)[..., None], p)
    return table


def _clash(givens: torch.Tensor) -> tuple[int, int, int]:
    """A given cell and a wrong digit for it that another given of its row already holds."""
    for r in range(9):
        cols = torch.nonzero(givens[r]).flatten().tolist()
        if len(cols) >= 2:
            return r, cols[0], int(givens[r, cols[1]])
    raise AssertionError("no row with two givens")


def test_board_program_reads_one_image_per_given(train: VisualBoards) -> None:
    asp = AspProgram(board_program(train.givens[0]))
    inputs = board_inputs(train.images[0], train.givens[0])
    assert len(asp.groups) == int((train.givens[0] > 0).sum()) == len(inputs)
    assert {g.inputs[0] for g in asp.groups} == set(inputs)
    assert {g.network for g in asp.groups} == {NETWORK}
    assert all(x.shape == (1, 1, 28, 28) for x in inputs.values())


def test_solution_likelihood_is_the_givens_cross_entropy(train: VisualBoards) -> None:
    """The solution pins every reading, so -log P(solution) is the givens' summed cross-entropy,
    in value and gradient."""
    torch.manual_seed(0)
    net = MnistNet(9)
    model = solution_model(train.givens[0], train.solutions[0], net)
    assert model.diagrams[0].models == 1
    logp = model(board_inputs(train.images[0], train.givens[0]))
    assert logp.shape == (1, 1)
    shown = train.givens[0] > 0
    cross_entropy = torch.nn.functional.nll_loss(
        net(train.images[0][shown]), train.givens[0][shown] - 1, reduction="sum"
    )
    torch.testing.assert_close(-logp[0, 0], cross_entropy.double())
    (grad_asp,) = torch.autograd.grad(-logp[0, 0], net.classifier[-1].weight)
    (grad_ce,) = torch.autograd.grad(cross_entropy, net.classifier[-1].weight)
    torch.testing.assert_close(grad_asp, grad_ce, rtol=1e-4, atol=1e-6)


def _steps_of_two(epochs: int) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=2, lr=3e-3, progress=False)


def test_training_from_solutions_lowers_the_loss(train: VisualBoards) -> None:
    trained = train_from_solutions(train, _steps_of_two(epochs=3))
    assert [e.epoch for e in trained.epochs] == [1, 2, 3]
    assert trained.epochs[-1].loss < trained.epochs[0].loss
    assert trained.build_seconds > 0 and trained.train_seconds > 0


def test_labelled_recogniser_solves_the_test_boards(
    train: VisualBoards, test: VisualBoards
) -> None:
    trained = train_with_labels(train, _steps_of_two(epochs=8))
    probabilities = read_probabilities(trained.net, test)
    assert probabilities.shape == (3, 9, 9, 9)
    assert (probabilities[test.givens == 0] == 0).all()
    result = evaluate(trained.net, test)
    assert result.boards == 3
    assert result.digit_accuracy == result.read_all == 1.0
    assert result.argmax_solved == result.most_probable_solved == 1.0


def test_argmax_solving(test: VisualBoards) -> None:
    with SudokuSolver() as solver:
        solved = solve_argmax(_confident(test, 0), test.givens[0], solver)
        assert solved is not None
        np.testing.assert_array_equal(solved, test.solutions[0].numpy())
        r, c, wrong = _clash(test.givens[0])
        probabilities = _confident(test, 0)
        probabilities[r, c, wrong - 1] = 0.95
        assert solve_argmax(probabilities, test.givens[0], solver) is None


def test_most_probable_model_corrects_a_misread_given(test: VisualBoards) -> None:
    """The misread clashes with another given; reading the image's second choice instead
    (0.69 nats) is the cheapest repair, and it gives the true solution."""
    probabilities = _confident(test, 0)
    r, c, wrong = _clash(test.givens[0])
    probabilities[r, c] = 0.1 / 7
    probabilities[r, c, wrong - 1] = 0.6
    probabilities[r, c, test.givens[0, r, c] - 1] = 0.3
    best = solve_most_probable(probabilities, test.givens[0])
    assert best is not None and best.margin == 3.0
    np.testing.assert_array_equal(best.solution, test.solutions[0].numpy())
    np.testing.assert_array_equal(best.reading, test.givens[0].numpy())
    n_givens = int((test.givens[0] > 0).sum())
    assert best.cost == pytest.approx(-math.log(0.3) - (n_givens - 1) * math.log(0.9))
    # A margin that rules out the true digit finds no solvable reading; the next one does.
    wider = solve_most_probable(probabilities, test.givens[0], margins=(0.5, 2.0))
    assert wider is not None and wider.margin == 2.0
    np.testing.assert_array_equal(wider.solution, best.solution)


@pytest.mark.parametrize("margins", [(), (3.0, 1.0), (0.0, math.inf)])
def test_margins_are_checked(test: VisualBoards, margins: tuple[float, ...]) -> None:
    with pytest.raises(ConfigError, match="margins must be increasing and positive"):
        solve_most_probable(_confident(test, 0), test.givens[0], margins=margins)


def test_a_board_must_be_nine_by_nine() -> None:
    with pytest.raises(ConfigError, match=r"must be \(9, 9\); got shape \(4, 4\)"):
        board_program(np.zeros((4, 4), dtype=int))
