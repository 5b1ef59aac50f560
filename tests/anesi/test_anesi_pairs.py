"""A-NeSI's pair and unit encodings for all-different constraints (ViSudo-PC)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from nesy.errors import ConfigError
from nesy.lang import parse_file
from solvers.anesi.learner import Anesi, AnesiConfig
from solvers.anesi.pairs import PairModel, PairsDiffer
from solvers.anesi.units import UnitModel, UnitsDiffer, units_of
from tasks.visudo.anesi_training import train_visudo_anesi
from tasks.visudo.data import is_valid_sudoku, random_valid_grid
from tasks.visudo.pinesy_sudoku import program_pairs

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"


def _pairs(size):
    return program_pairs(parse_file(str(PROGRAMS / f"visudo_{size}x{size}.nesy")), size)


@pytest.mark.parametrize("size", [4, 9])
def test_the_units_are_the_programs_rows_columns_and_boxes(size):
    units = units_of(_pairs(size))
    rows = [tuple(range(r * size, (r + 1) * size)) for r in range(size)]
    columns = [tuple(range(c, size * size, size)) for c in range(size)]
    assert len(units) == 3 * size and {len(u) for u in units} == {size}
    assert set(rows) | set(columns) <= set(units)


@pytest.mark.parametrize("encoding", ["pairs", "units"])
@pytest.mark.parametrize("size", [4, 9])
def test_every_bit_is_one_exactly_when_the_grid_is_valid(size, encoding):
    """The bits over the program's same_unit/4 pairs (or the units they make) against the
    data's own validity check, on valid grids and on grids with one cell changed."""
    pairs = _pairs(size)
    if encoding == "pairs":
        function = PairsDiffer(pairs, symbols=size * size, values=size)
    else:
        function = UnitsDiffer(units_of(pairs), symbols=size * size, values=size)
    rng = np.random.default_rng(0)
    grids = []
    for _ in range(20):
        grid = random_valid_grid(size, rng)
        changed = grid.copy()
        r, c = rng.integers(size, size=2)
        changed[r, c] = (changed[r, c] + 1 + rng.integers(size - 1)) % size
        grids += [grid, changed]
    bits = function(torch.tensor(np.stack(grids)).flatten(1).long())
    assert bits.all(dim=1).tolist() == [is_valid_sudoku(g) for g in grids]
    assert sum(map(is_valid_sudoku, grids)) == 20  # both kinds are there


def test_pairs_off_the_symbols_are_refused():
    with pytest.raises(ConfigError, match="symbols 0..2"):
        PairsDiffer([(0, 3)], symbols=3, values=2)
    with pytest.raises(ConfigError, match="non-empty"):
        PairModel([], symbols=3, values=2)
    with pytest.raises(ConfigError, match="equal-sized"):
        UnitsDiffer([(0, 1, 2), (1, 2)], symbols=3, values=3)


def test_an_unknown_encoding_is_refused_by_name():
    program = parse_file(str(PROGRAMS / "visudo_4x4.nesy"))
    split = SimpleNamespace(size=4)
    with pytest.raises(ConfigError, match="unknown encoding 'cells'"):
        train_visudo_anesi(program, split, encoding="cells")


def test_q_is_a_distribution_over_each_pair_and_valid_is_all_ones():
    torch.manual_seed(0)
    q = PairModel([(0, 1), (1, 2), (0, 2)], symbols=3, values=3, hidden=8, layers=1)
    P = torch.distributions.Dirichlet(torch.ones(3)).sample((4, 3))
    every = torch.tensor([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    logp = torch.stack([q.log_prob(P, y.expand(4, -1)) for y in every], dim=1)
    assert torch.allclose(logp.exp().sum(1), torch.ones(4), atol=1e-5)
    assert torch.allclose(q.log_valid(P), logp[:, -1])


def test_warmed_up_q_learns_whether_two_cells_differ():
    """q trained on prior samples alone (A-NeSI's off-policy step, no data) approaches the exact
    P(w_a != w_b) = 1 - sum_v P_a(v) P_b(v) on near-certain beliefs."""
    torch.manual_seed(0)
    pairs = [(0, 1)]
    function = PairsDiffer(pairs, symbols=2, values=4)
    q = PairModel(pairs, symbols=2, values=4, hidden=32, layers=2)
    config = AnesiConfig(samples=200, warmup=300, q_lr=1e-2)
    anesi = Anesi(torch.nn.Linear(4, 4), function, config, q)  # the perception is not used
    anesi.warm_up()
    certain = torch.eye(4)[torch.tensor([[a, b] for a in range(4) for b in range(4)])]
    differs = [[int(a != b)] for a in range(4) for b in range(4)]
    assert q.predict(certain).tolist() == differs


def test_warmed_up_q_learns_whether_a_unit_is_all_different():
    """The unit model, trained on prior samples alone, calls one-hot units of 3 cells all
    different exactly when they are."""
    torch.manual_seed(0)
    units = [(0, 1, 2)]
    function = UnitsDiffer(units, symbols=3, values=3)
    q = UnitModel(units, symbols=3, values=3, hidden=32, layers=2)
    config = AnesiConfig(samples=200, warmup=300, q_lr=1e-2)
    anesi = Anesi(torch.nn.Linear(3, 3), function, config, q)  # the perception is not used
    anesi.warm_up()
    grids = torch.tensor([[a, b, c] for a in range(3) for b in range(3) for c in range(3)])
    distinct = [[int(len(set(g)) == 3)] for g in grids.tolist()]
    assert sum(d[0] for d in distinct) == 6
    assert q.predict(torch.eye(3)[grids]).tolist() == distinct
