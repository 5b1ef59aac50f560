"""solve() under every guide: same answers as plain solving, verified models, guidance that
acts, timeouts that stop, and helpful errors."""

from __future__ import annotations

import time

import numpy as np
import pytest
from pysat.solvers import Solver

import solvers.sat.guide as guide_module
from nesy.errors import BackendError, ConfigError, DataError
from solvers.sat.cnf import CNF, satisfies
from solvers.sat.generate import pigeonhole
from solvers.sat.guide import (
    ACTIVITY_SOLVERS,
    GUIDES,
    PROPAGATOR_SOLVERS,
    GuideScores,
    LazyScorer,
    solve,
)


def random_3sat(num_vars: int, seed: int, ratio: float = 4.26) -> CNF:
    rng = np.random.default_rng(seed)
    clauses = []
    for _ in range(round(ratio * num_vars)):
        variables = rng.choice(num_vars, size=3, replace=False) + 1
        signs = rng.integers(0, 2, size=3) * 2 - 1
        clauses.append(tuple(int(v * s) for v, s in zip(variables, signs, strict=True)))
    return CNF(num_vars, tuple(clauses))


def plain(cnf: CNF) -> tuple[bool, list[int] | None]:
    with Solver(name="minisat22", bootstrap_with=[list(c) for c in cnf.clauses]) as s:
        status = s.solve()
        return status, s.get_model() if status else None


def known_scorer(cnf: CNF) -> GuideScores:
    """Phase from a known model (all false when UNSAT), core from how often a variable occurs."""
    status, model = plain(cnf)
    phase = np.zeros(cnf.num_vars)
    if status:
        phase[[lit - 1 for lit in model if lit > 0]] = 1.0
    counts = np.zeros(cnf.num_vars)
    for clause in cnf.clauses:
        for lit in clause:
            counts[abs(lit) - 1] += 1
    return GuideScores(phase=phase, core=counts / counts.max())


INSTANCES = [random_3sat(n, seed) for n, seed in [(30, 0), (40, 1), (50, 2), (60, 3), (60, 4)]]
EXPECTED = [plain(cnf)[0] for cnf in INSTANCES]
SAT = [random_3sat(50, seed) for seed in range(30)]
SAT = [cnf for cnf in SAT if plain(cnf)[0]][:4]
UNSAT = next(cnf for cnf in (random_3sat(60, s) for s in range(30)) if not plain(cnf)[0])


def test_the_instances_cover_both_answers():
    assert True in EXPECTED and False in EXPECTED and len(SAT) == 4


@pytest.mark.parametrize("solver", ["cadical195", "glucose4", "minisat22"])
@pytest.mark.parametrize("guide", GUIDES)
def test_every_guide_keeps_the_answer(solver, guide):
    for cnf, expected in zip(INSTANCES, EXPECTED, strict=True):
        result = solve(cnf, guide=guide, scorer=known_scorer, solver=solver, rescore_every=20)
        assert (result.status, result.solver, result.guide) == (expected, solver, guide)
        if expected:
            assert len(result.model) == cnf.num_vars and satisfies(cnf, result.model)
        else:
            assert result.model is None


@pytest.mark.parametrize("solver", ["cadical153", "cadical195", "glucose4", "minisat22", "lgl"])
def test_phases_from_a_model_meet_no_conflict(solver):
    # every decision agrees with a model, so nothing propagated can clash
    for cnf in SAT:
        result = solve(cnf, guide="phases", scorer=known_scorer, solver=solver)
        assert result.status is True and result.conflicts == 0
        assert result.scorings == 1 and result.guide_seconds > 0


def test_core_decisions_with_model_phases_meet_no_conflict():
    for cnf in SAT:
        result = solve(cnf, guide="core", scorer=known_scorer)
        assert result.status is True and result.conflicts == 0 and result.guided_decisions > 0


def test_the_core_propagator_makes_the_decisions():
    result = solve(UNSAT, guide="core", scorer=known_scorer, solver="cadical195")
    assert result.status is False and result.conflicts > 0
    assert 0 < result.guided_decisions <= result.decisions
    # the activity route has no propagator to count through
    assert solve(UNSAT, guide="core", scorer=known_scorer, solver="g4").guided_decisions == 0


@pytest.mark.parametrize("solver", ["cadical195", "minisat22"])
def test_core_guides_rescore_every_so_many_conflicts(solver):
    # not Glucose: it looks at budgets only when it restarts, which it may hardly ever do
    cnf = random_3sat(150, 1)
    result = solve(cnf, guide="core", scorer=known_scorer, solver=solver, rescore_every=100)
    assert result.status is False and 1 < result.scorings <= result.conflicts // 100 + 1
    once = solve(cnf, guide="core", scorer=known_scorer, solver=solver, rescore_every=None)
    assert once.status is False and once.scorings == 1


class CountingScorer:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, cnf: CNF) -> GuideScores:
        self.calls += 1
        return known_scorer(cnf)


def test_a_portfolio_that_its_probe_settles_never_scores():
    scorer = CountingScorer()
    lazy = LazyScorer(lambda: scorer)
    result = solve(UNSAT, guide="portfolio", scorer=lazy, probe=100_000)
    assert result.status is False and result.scorings == 0 and result.guide_seconds == 0
    assert not lazy.loaded and scorer.calls == 0
    unguided = solve(UNSAT)
    assert (result.conflicts, result.decisions) == (unguided.conflicts, unguided.decisions)


def test_a_portfolio_scores_once_after_its_probe_and_keeps_the_answer():
    cnf = random_3sat(150, 1)  # UNSAT, thousands of conflicts
    lazy = LazyScorer(CountingScorer)
    result = solve(cnf, guide="portfolio", scorer=lazy, probe=200)
    assert result.status is False and result.scorings == 1 and lazy.loaded
    assert lazy.scorer.calls == 1 and result.conflicts > 200


def test_a_portfolio_without_a_probe_is_the_phases_guide():
    for cnf in SAT:
        runs = [solve(cnf, guide=g, scorer=known_scorer, probe=0) for g in ("portfolio", "phases")]
        assert runs[0].conflicts == runs[1].conflicts == 0 and runs[0].scorings == 1


def test_a_portfolio_past_its_deadline_in_the_probe_never_scores():
    scorer = CountingScorer()
    result = solve(pigeonhole(11, 10), guide="portfolio", scorer=scorer, probe=10**9, timeout=0.3)
    assert result.status is None and scorer.calls == 0


def test_random_guides_repeat_for_a_seed_and_need_no_scorer():
    runs = [solve(UNSAT, guide="random-core", seed=7) for _ in range(2)]
    assert runs[0].conflicts == runs[1].conflicts and runs[0].guided_decisions > 0
    assert solve(UNSAT, guide="none", scorer=known_scorer).scorings == 0


@pytest.mark.parametrize(
    ("solver", "guide"),
    [("cadical195", "none"), ("glucose4", "none"), ("cadical195", "random-core"),
     ("minisatep", "random-core"), ("glucose4", "random-core"), ("cadical300", "random-core")],
)  # fmt: skip
def test_a_timeout_gives_unknown_quickly(solver, guide):
    start = time.monotonic()
    result = solve(pigeonhole(11, 10), guide=guide, solver=solver, timeout=0.5)
    assert result.status is None and result.model is None and result.conflicts > 0
    assert time.monotonic() - start < 10  # unbounded, pigeonhole(11, 10) runs for minutes


@pytest.mark.parametrize("solver", guide_module._SOLVERS)
def test_every_listed_solver_runs_by_its_canonical_name(solver):
    guides = ["none"] + ["random-phases"] * (solver in guide_module.PHASE_SOLVERS)
    guides += ["random-core"] * (solver in PROPAGATOR_SOLVERS + ACTIVITY_SOLVERS)
    for guide in guides:
        result = solve(SAT[0], guide=guide, solver=solver, rescore_every=50)
        assert result.status is True and result.solver == solver


def test_a_model_mentions_every_variable():
    assert solve(CNF(3, ((1,),))).model == (1, -2, -3)


def test_a_false_model_is_refused(monkeypatch):
    monkeypatch.setattr(guide_module, "satisfies", lambda cnf, model: False)
    with pytest.raises(BackendError, match="false model"):
        solve(SAT[0])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"solver": "nosuch"}, "cadical195"),
        ({"guide": "neural"}, "random-core"),
        ({"guide": "phases"}, "needs a scorer"),
        ({"guide": "core"}, "needs a scorer"),
        ({"guide": "random-phases", "solver": "cadical103"}, "glucose4"),
        ({"guide": "random-core", "solver": "maplesat"}, "cadical195"),
        ({"timeout": 1.0, "solver": "lingeling"}, "cannot be stopped"),
        ({"timeout": 0}, "positive"),
        ({"rescore_every": 0}, "positive int"),
        ({"guide": "portfolio"}, "needs a scorer"),
        ({"guide": "random-portfolio", "probe": -1}, "probe must be a non-negative int"),
        ({"guide": "random-portfolio", "solver": "lingeling"}, "conflict budget"),
        ({"guide": "random-phases", "seed": -1}, "seed must be a non-negative int; got -1"),
        ({"guide": "random-core", "seed": 1.5}, "seed must be a non-negative int; got 1.5"),
    ],
)
def test_bad_options_name_the_choices(options, message):
    with pytest.raises(ConfigError, match=message):
        solve(SAT[0], **options)


def test_scores_that_do_not_fit_are_refused():
    with pytest.raises(DataError, match="in \\[0, 1\\]"):
        GuideScores(phase=[1.5])
    with pytest.raises(DataError, match="shape"):
        solve(SAT[0], guide="phases", scorer=lambda cnf: GuideScores(phase=np.ones(3)))
    with pytest.raises(DataError, match="must return GuideScores"):
        solve(SAT[0], guide="phases", scorer=lambda cnf: np.ones(50))
    with pytest.raises(DataError, match="GuideScores.core"):
        solve(SAT[0], guide="core", scorer=lambda cnf: GuideScores(phase=np.ones(50)))
