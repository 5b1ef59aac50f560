"""Pi-NeSy on ViSudo-PC: constraint pairs, the two-stage cascade's logic on perfect inputs, the
batched learning against one pair at a time, explanations, and a tiny run on real digits."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

import tasks.visudo.pinesy_sudoku as sudoku
from nesy.neural.datasets import Digits, default_mnist_dir
from solvers.possibilistic.learning import (
    NO_THRESHOLD,
    feasible_threshold,
    learn_parameters,
    threshold_grid,
)
from solvers.possibilistic.transform import to_possibility
from tasks.visudo.data import Puzzles, load_split, make_puzzles
from tasks.visudo.pinesy_sudoku import (
    SudokuModel,
    constraint_pairs,
    explain,
    infer_pairs,
    learn,
    learn_pairs,
    pair_degrees,
    pair_distances,
    pair_rule_set,
    predict,
    run_sudoku,
)


def _puzzles(size: int, n_valid: int, seed: int) -> Puzzles:
    """Puzzles over a pool of 40 fake images per digit (only their ids matter here)."""
    labels = torch.arange(40 * size) % size
    pool = Digits(torch.zeros(len(labels), 1, 28, 28), labels)
    return make_puzzles(size, n_valid, pool, np.random.default_rng(seed))


def _perfect(puzzles: Puzzles, size: int) -> torch.Tensor:
    """What a flawless CNN's possibilities would be: 1 for the true digit, 0 elsewhere."""
    return torch.nn.functional.one_hot(puzzles.digits, size).float()


def _noisy(puzzles: Puzzles, size: int, seed: int, method: int = 1) -> torch.Tensor:
    """Possibilities of an imperfect CNN, one fixed distribution per pool image (so a twin
    repeats its valid puzzle's cells exactly, as real images do)."""
    g = torch.Generator().manual_seed(seed)
    pool_size = int(puzzles.image_ids.max()) + 1
    pool_digits = torch.zeros(pool_size, dtype=torch.long)
    pool_digits[puzzles.image_ids.flatten()] = puzzles.digits.flatten()
    logits = 3 * torch.nn.functional.one_hot(pool_digits, size) + torch.randn(
        pool_size, size, generator=g
    )
    return to_possibility(logits.softmax(-1), method)[puzzles.image_ids]


def _shared_unit(a: int, b: int, size: int) -> bool:
    box = math.isqrt(size)
    (r1, c1), (r2, c2) = divmod(a, size), divmod(b, size)
    return r1 == r2 or c1 == c2 or (r1 // box, c1 // box) == (r2 // box, c2 // box)


@pytest.mark.parametrize(("size", "count"), [(4, 56), (9, 810)])
def test_constraint_pairs(size, count):
    pairs = constraint_pairs(size)
    assert len(pairs) == len(set(pairs)) == count
    assert all(a < b and _shared_unit(a, b, size) for a, b in pairs)
    # every pair of cells that shares a unit is there
    every = [(a, b) for a in range(size * size) for b in range(a + 1, size * size)]
    assert set(pairs) == {(a, b) for a, b in every if _shared_unit(a, b, size)}


def test_pair_rule_set_concludes_on_each_cell_in_turn():
    rules = pair_rule_set(4)
    assert rules.num_rules == 8 and len(rules.rows) == 16
    assert rules.conclusions[2] == frozenset({4, 5, 6, 7})  # a_cell1 = 1 => b ∈ {(1, .)}
    assert rules.conclusions[3] == frozenset({1, 5, 9, 13})  # a_cell2 = 1 => b ∈ {(., 1)}


@pytest.mark.parametrize("size", [4, 9])
def test_perfect_inputs_are_classified_exactly(size):
    # 9x9 learning is slow on a CPU: few puzzles (few distinct samples per pair), one threshold
    counts = (6, 3, 10) if size == 4 else (2, 1, 4)
    train, validation, test = (_puzzles(size, n, seed) for seed, n in enumerate(counts))
    model, search = learn(
        size,
        (_perfect(train, size), train.digits, train.valid),
        (_perfect(validation, size), validation.valid),
        grid=None if size == 4 else [NO_THRESHOLD],
    )
    assert search.accuracy == 1.0
    prediction = predict(model, _perfect(test, size))
    assert torch.equal(prediction.valid, test.valid)
    assert not prediction.ambiguous.any()
    assert (prediction.score[test.valid] > prediction.score[~test.valid].max()).all()


def test_without_learning_inference_is_plain_propagation():
    size = 4
    puzzles = _puzzles(size, 5, 3)
    pairs = torch.tensor(constraint_pairs(size))
    cell_pi = _noisy(puzzles, size, seed=0)
    pair_pi = infer_pairs(*pair_degrees(cell_pi, pairs, size), torch.zeros(len(pairs), 4 * size))
    # A.3 with s = r = 0: π*(x, y) = min(λ1(x), λ2(y), min_{k≠x} ρ1(k), min_{k≠y} ρ2(k))
    for p, f, x, y in [(0, 0, 1, 2), (3, 17, 0, 0), (9, 55, 3, 1)]:
        one, two = cell_pi[p, pairs[f]]
        rho1 = [max(one[v] for v in range(size) if v != k) for k in range(size)]
        rho2 = [max(two[v] for v in range(size) if v != k) for k in range(size)]
        expected = min(
            one[x],
            two[y],
            min(rho1[k] for k in range(size) if k != x),
            min(rho2[k] for k in range(size) if k != y),
        )
        assert pair_pi[p, f, x * size + y] == expected
    no_params = torch.zeros(len(pairs), 4 * size)
    zero = SudokuModel(size, pairs, no_params, torch.zeros(2), (0, 0), torch.zeros(len(pairs)), 0)
    prediction = predict(zero, _perfect(puzzles, size))
    assert torch.equal(prediction.valid, puzzles.valid) and not prediction.ambiguous.any()


@pytest.mark.parametrize("tau", [0.02, NO_THRESHOLD])
def test_batched_learning_equals_each_pair_alone(monkeypatch, tau):
    size = 4
    puzzles = _puzzles(size, 12, 4)
    cell_pi = _noisy(puzzles, size, seed=1, method=2)
    pairs = torch.tensor(constraint_pairs(size))
    monkeypatch.setattr(sudoku, "CHUNK_ELEMENTS", 20_000)  # several chunks of pairs
    batched = learn_pairs(cell_pi, puzzles.digits, pairs, size, tau)
    rules = pair_rule_set(size)
    for f in (0, 13, 30, 55):
        lam, rho = (d[:, 0] for d in pair_degrees(cell_pi, pairs[f : f + 1], size))
        a, b = puzzles.digits[:, pairs[f]].T
        alone = learn_parameters(rules.learning_matrix(lam, rho), rules.targets(a * size + b), tau)
        assert torch.allclose(batched.params[f], alone.params)
        assert torch.equal(batched.kept[f], alone.kept)
        assert torch.allclose(batched.nabla[f], alone.nabla)
        assert torch.allclose(batched.nabla_nc[f], alone.nabla_nc)
    assert batched.kept.any(-1).all()


def test_threshold_search_starts_at_each_pairs_feasible_threshold_and_climbs_above_all():
    size = 4
    train, validation = _puzzles(size, 8, 6), _puzzles(size, 4, 7)
    train_pi = _noisy(train, size, seed=2)
    pairs = torch.tensor(constraint_pairs(size))
    distances = pair_distances(train_pi, train.digits, pairs, size)
    feasible = feasible_threshold(distances, threshold_grid())
    assert (feasible > distances.amin(-1)).all()
    learned = learn_pairs(train_pi, train.digits, pairs, size, feasible)
    assert torch.equal(learned.kept, distances < feasible[:, None])  # all below, not the nearest
    assert torch.allclose(learned.nabla, distances)
    _, search = learn(
        size, (train_pi, train.digits, train.valid), (_noisy(validation, size, 3), validation.valid)
    )
    start, first_try = search.trials[0]["thresholds"], search.trials[1]["thresholds"]
    assert start[0] == pytest.approx(float(feasible.max()))
    assert first_try[0] > start[0] and first_try[0] in threshold_grid().float().tolist()


def test_explanation_names_a_real_clash():
    size = 4
    train, validation, test = (_puzzles(size, n, seed) for n, seed in ((6, 0), (3, 1), (4, 5)))
    model, _ = learn(
        size,
        (_perfect(train, size), train.digits, train.valid),
        (_perfect(validation, size), validation.valid),
    )
    for index in torch.nonzero(~test.valid).flatten().tolist():
        explanation = explain(model, _perfect(test, size)[index])
        assert explanation.verdict == "invalid"
        assert explanation.possibility_invalid > explanation.possibility_valid
        (r1, c1), (r2, c2) = explanation.cells
        grid = test.digits[index].view(size, size)
        assert grid[r1, c1] == grid[r2, c2] == explanation.digits[0] == explanation.digits[1]
        assert _shared_unit(r1 * size + c1, r2 * size + c2, size)
        assert explanation.equal_degree == 1.0
        assert f"({r1}, {c1}) and ({r2}, {c2})" in explanation.to_text()
    valid = explain(model, _perfect(test, size)[0])
    assert valid.verdict == "valid" and valid.equal_degree == 0.0


@pytest.mark.skipif(
    not (default_mnist_dir() / "t10k-images-idx3-ubyte.gz").exists(),
    reason="the official MNIST test set is missing",
)
def test_tiny_real_run():
    split = load_split(4, 0, n_train=1, n_validation=1, n_test=2)  # one CNN batch
    metrics, net, _, _ = run_sudoku(split, 1, epochs=1)
    again, same, model, test_pi = run_sudoku(split, 2, net=net)
    assert explain(model, test_pi[0]).verdict in ("valid", "invalid", "ambiguous")
    assert same is net and again["cnn_seconds"] == 0.0 and metrics["cnn_seconds"] > 0
    for result in (metrics, again):
        for name in ("accuracy", "ambiguous_rate", "roc_auc", "cnn_accuracy"):
            assert 0.0 <= result[name] <= 1.0, name
        assert result["cnn_accuracy"] == metrics["cnn_accuracy"]
        assert 0 < result["kept_first_min"] <= result["kept_first_mean"] <= 2
        assert 0 < result["kept_second"] <= 2 and result["train_puzzles"] == 2
        assert result["inference_seconds_per_puzzle"] > 0
        assert all(0 < t <= NO_THRESHOLD for t in result["thresholds"])


def test_distinct_cells_keep_each_image_once_with_its_digit():
    puzzles = _puzzles(4, 6, 9)
    puzzles = puzzles._replace(images=torch.rand(*puzzles.images.shape))
    images, digits = sudoku.distinct_cells(puzzles)
    ids = puzzles.image_ids.flatten()
    assert len(images) == len(digits) == len(torch.unique(ids)) < len(ids)
    flat_images, flat_digits = puzzles.images.flatten(0, 1), puzzles.digits.flatten()
    for image, digit in zip(images, digits, strict=True):
        match = (flat_images == image).flatten(1).all(1)
        assert match.any() and bool((flat_digits[match] == digit).all())


@pytest.mark.parametrize("size", [4, 9])
def test_the_program_derives_the_constraint_pairs(size):
    from nesy.lang import parse_file

    programs = Path(__file__).resolve().parents[2] / "programs"
    program = parse_file(programs / f"visudo_{size}x{size}.nesy")
    assert sudoku.program_pairs(program, size) == constraint_pairs(size)


def test_a_program_without_pairs_is_refused():
    from nesy.errors import ConfigError
    from nesy.lang import parse

    with pytest.raises(ConfigError, match="no same_unit/4"):
        sudoku.program_pairs(parse("#const size = 4.\ncell(0..3).\n", "empty.nesy"), 4)
