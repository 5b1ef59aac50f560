"""ASPER (ALGORITHMS.md §C): both generators, the literal losses' flaws, the repaired penalties,
the notebook's fold split, input checks, and a tiny real training run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError
from tasks.asper_sudoku.asper import (
    BLANKS,
    IGNORE,
    Combo,
    Mode,
    SudokuData,
    SudokuMLP,
    asper_loss,
    backtracking_grid,
    cross_validate,
    encode_targets,
    generate,
    is_solution,
    kfold,
    literal_constraints,
    literal_uniqueness,
    unit_penalty,
)


def _one_hot(grids: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.one_hot(grids - 1, 9).float()


def _random_probs(batch: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 9, 9, 9, generator=g).softmax(-1)


@pytest.fixture(scope="module", params=list(Mode))
def data(request: pytest.FixtureRequest) -> tuple[Mode, SudokuData]:
    return request.param, generate(12, 0.3, request.param, np.random.default_rng(0))


def test_generated_data_is_consistent(data):
    _, d = data
    assert d.puzzles.shape == d.masked.shape == d.solutions.shape == (12, 9, 9)
    for puzzle, masked, solution in zip(d.puzzles, d.masked, d.solutions, strict=True):
        assert is_solution(solution)
        assert int((puzzle == 0).sum()) == BLANKS
        assert torch.equal(puzzle[puzzle > 0], solution[puzzle > 0])
        assert int((masked == 0).sum()) == int(0.3 * 81)
        assert torch.equal(masked[masked > 0], solution[masked > 0])


def test_literal_puzzles_share_one_solution_and_repaired_do_not(data):
    mode, d = data
    distinct = {tuple(s.flatten().tolist()) for s in d.solutions}
    if mode is Mode.LITERAL:
        assert distinct == {tuple(backtracking_grid().flatten().tolist())}
        assert len({tuple(p.flatten().tolist()) for p in d.puzzles}) == 12  # only blanks differ
    else:
        assert len(distinct) == 12


def test_generation_is_seeded():
    first = generate(3, 0.5, Mode.REPAIRED, np.random.default_rng(7))
    again = generate(3, 0.5, Mode.REPAIRED, np.random.default_rng(7))
    assert all(torch.equal(a, b) for a, b in zip(first.masked, again.masked, strict=True))


def test_is_solution_rejects_a_repeated_digit():
    grid = backtracking_grid()
    grid[0, 0] = grid[0, 1]
    assert not is_solution(grid)


def test_literal_masks_become_digit_9_and_repaired_masks_are_ignored():
    masked = torch.tensor([[[0, 1, 5, 9, 0, 2, 3, 4, 6]] * 9])
    literal = encode_targets(masked, Mode.LITERAL)
    assert literal[0, 0].tolist() == [8, 0, 4, 8, 8, 1, 2, 3, 5]  # to_categorical(-1): class 8
    repaired = encode_targets(masked, Mode.REPAIRED)
    assert repaired[0, 0].tolist() == [IGNORE, 0, 4, 8, IGNORE, 1, 2, 3, 5]


def test_literal_uniqueness_is_about_zero_with_no_gradient():
    logits = torch.randn(4, 9, 9, 9, generator=torch.Generator().manual_seed(1))
    logits.requires_grad_(True)
    solutions = torch.from_numpy(backtracking_grid()).expand(4, 9, 9)
    term = literal_uniqueness(logits.softmax(-1), solutions)
    assert term.shape == (4,)
    assert term.abs().max() < 1e-4
    term.sum().backward()
    assert logits.grad.abs().max() < 1e-5


def test_literal_constraints_is_the_constant_243_per_sample():
    logits = torch.randn(5, 9, 9, 9, generator=torch.Generator().manual_seed(2))
    logits.requires_grad_(True)
    solutions = torch.from_numpy(backtracking_grid()).expand(5, 9, 9)
    term = literal_constraints(logits.softmax(-1), solutions)
    assert term.tolist() == [243.0] * 5
    term.sum().backward()
    assert torch.count_nonzero(logits.grad) == 0


def test_unit_penalty_is_zero_on_a_solution_and_positive_on_a_repeat():
    grid = torch.from_numpy(backtracking_grid())
    assert unit_penalty(_one_hot(grid[None])).item() == 0
    broken = grid.clone()
    broken[4, 4] = broken[4, 5]  # its row, column and box now repeat one digit and miss another
    assert unit_penalty(_one_hot(broken[None])).item() > 0
    assert unit_penalty(torch.full((1, 9, 9, 9), 1 / 9)).item() == pytest.approx(0, abs=1e-9)


def test_literal_loss_adds_the_constant_times_cells_of_the_batch(data):
    _, d = data
    batch = d[:4]
    log_probs = _random_probs(4).log()
    standard = asper_loss(log_probs, batch, Mode.LITERAL, Combo.STANDARD)
    constraints = asper_loss(log_probs, batch, Mode.LITERAL, Combo.CONSTRAINTS)
    # the notebook broadcasts the batch-summed 243 * B onto the B * 81 cell losses
    assert (constraints - standard).item() == pytest.approx(4 * 81 * 243 * 4)


def test_repaired_cross_entropy_ignores_masked_cells(data):
    _, d = data
    batch = d[:4]
    log_probs = _random_probs(4).log().requires_grad_(True)
    asper_loss(log_probs, batch, Mode.REPAIRED, Combo.STANDARD).backward()
    masked = batch.masked == 0
    assert torch.count_nonzero(log_probs.grad[masked]) == 0
    assert torch.count_nonzero(log_probs.grad[~masked]) > 0


def test_repaired_penalties_vanish_on_the_true_solution(data):
    _, d = data
    batch = d[:4]
    exact = _one_hot(batch.solutions).clamp(1e-12).log()
    for combo in (Combo.EXPERT, Combo.CONSTRAINTS, Combo.ALL):
        loss = asper_loss(exact, batch, Mode.REPAIRED, combo)
        assert loss.item() == pytest.approx(0, abs=1e-6)
    uniform = torch.full((4, 9, 9, 9), 1 / 9).log()
    # uniform blanks cannot supply the digits their units miss given the givens
    constraints = asper_loss(uniform, batch, Mode.REPAIRED, Combo.CONSTRAINTS)
    assert constraints > asper_loss(uniform, batch, Mode.REPAIRED, Combo.STANDARD)


def test_model_shapes_and_keras_like_init():
    model = SudokuMLP(torch.Generator().manual_seed(0))
    out = model(torch.zeros(3, 9, 9, dtype=torch.long))
    assert out.shape == (3, 9, 9, 9)
    assert torch.allclose(out.exp().sum(-1), torch.ones(3, 9, 9))
    assert all(layer.bias.abs().sum() == 0 for layer in model.layers if hasattr(layer, "bias"))


def test_kfold_splits_like_scikit_learn():
    splits = kfold(13, 3, np.random.default_rng(0))
    assert [len(test) for _, test in splits] == [5, 4, 4]
    tests = np.concatenate([test for _, test in splits])
    assert sorted(tests.tolist()) == list(range(13))
    for train, test in splits:
        assert np.all(np.diff(train) > 0)
        assert not set(train) & set(test)
        assert len(train) + len(test) == 13


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: generate(5, 1.5, Mode.LITERAL, np.random.default_rng()), "mask_rate"),
        (lambda: generate(5, -0.1, Mode.REPAIRED, np.random.default_rng()), "mask_rate"),
        (lambda: generate(0, 0.1, Mode.LITERAL, np.random.default_rng()), "n_puzzles"),
        (lambda: generate(5, 0.1, Mode.LITERAL, np.random.default_rng(), blanks=0), "blanks"),
        (lambda: kfold(2, 3, np.random.default_rng()), "3-fold .* at least 3 puzzles; got 2"),
        (lambda: kfold(5, 1, np.random.default_rng()), "at least 2 folds"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ConfigError, match=match):
        call()


def test_cross_validate_needs_a_puzzle_per_fold(data):
    _, d = data
    with pytest.raises(ConfigError, match="at least 3 puzzles; got 2"):
        cross_validate(d[:2], Mode.LITERAL, Combo.STANDARD, seed=0)


@pytest.fixture
def one_thread():
    """Tiny steps on a busy 2-core machine run ~10x slower with two competing torch threads."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_literal_training_beats_chance_and_its_logic_terms_change_nothing(one_thread):
    d = generate(12, 0.1, Mode.LITERAL, np.random.default_rng(0))
    standard = cross_validate(d, Mode.LITERAL, Combo.STANDARD, seed=0)
    assert len(standard) == 3
    assert np.mean([f.accuracy for f in standard]) > 0.5  # chance is 1/9
    # same seed, same folds and initial weights: the constant term leaves training unchanged
    assert cross_validate(d, Mode.LITERAL, Combo.CONSTRAINTS, seed=0) == standard
