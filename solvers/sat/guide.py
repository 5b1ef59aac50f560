"""Run a python-sat solver on a :class:`~solvers.sat.cnf.CNF`, with or without neural guidance.

Guides (:data:`GUIDES`):

- ``none``: the solver on its own.
- ``phases`` (NeuroBack style): the scorer runs once before search, and ``set_phases`` sets each
  variable's preferred polarity to ``phase >= 0.5``. Minisat-family solvers' phase saving may
  change these later. On CaDiCaL, pysat also turns off the ``lucky`` phases.
- ``core`` (NeuroCore style): the core scores decide the branching order, and they are
  re-scored every ``rescore_every`` conflicts. The solver picks the mechanism:

  * :data:`PROPAGATOR_SOLVERS` use an IPASIR-UP external propagator that only observes (it
    never propagates and never adds a clause). Its ``decide()`` returns the unassigned variable
    with the highest core score, true if the phase score is ``>= 0.5`` and false otherwise or
    without phase scores. It makes every decision, so between re-scorings the order is static
    and the solver's own heuristic picks nothing. The observed variables are frozen, so CaDiCaL
    does not eliminate them.
  * :data:`ACTIVITY_SOLVERS` use NeuroCore's own mechanism: each scoring replaces the VSIDS
    activities with the core scores (and sets phases when it has them). VSIDS goes on
    bumping, so the scores set where the order starts but do not fix it.

- ``portfolio``: the solver on its own for ``probe`` conflicts (:data:`PROBE_CONFLICTS` by
  default); only if that leaves the formula open does the scorer run, and the search goes on
  (learnt clauses kept) under the ``phases`` guide. Formulas the solver settles quickly never
  pay for the network, which is what makes guidance save wall time rather than cost it: on
  SATLIB the network took 0.1-3.6 s per formula while most formulas solve in milliseconds.
- ``random-phases`` / ``random-core`` / ``random-portfolio``: the control. They use the same
  mechanisms with scores drawn uniformly from ``numpy.random.default_rng(seed)``, the same draw
  at every scoring, as a fixed network would give.

Re-scoring, and timeouts on CaDiCaL (whose ``interrupt()`` raises), run the search as several
``solve_limited`` calls under conflict budgets. Learnt clauses and phases carry over, so each
call acts as a restart: on CaDiCaL, runs with and without a timeout differ a little, so
compare runs made under the same timeout. A re-scoring also resets the heuristic to the scores. A
``rescore_every`` in the tens can therefore stall a solver: at 50, ergo spent 1M conflicts on a
120-variable 3-SAT it solves in 500. The default of 1000 did not stall any solver we ran.
Glucose-family solvers look at budgets and interrupts only when they restart, and they may hardly
ever restart. On them, re-scoring is coarse and an answer may come after the deadline. That answer
is kept; ``solve_seconds`` shows how late it was.

A formula whose clauses leave gaps in the variable numbers reaches the solver renumbered densely
(:mod:`solvers.sat.renumber`), scores included; models are always in the formula's numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pysat.engines import Propagator
from pysat.solvers import Solver, SolverNames

from nesy.errors import BackendError, ConfigError, DataError
from nesy.timer import call_at
from solvers.sat.cnf import CNF, satisfies
from solvers.sat.renumber import Renumbering

__all__ = ["GUIDES", "PHASE_SOLVERS", "PROPAGATOR_SOLVERS", "ACTIVITY_SOLVERS"]
__all__ += ["GuideScores", "LazyScorer", "SolveResult", "ScoringTimeout", "solve"]
__all__ += ["PROBE_CONFLICTS", "PORTFOLIO_ROUNDS"]

GUIDES = ("none", "phases", "core", "portfolio", "random-phases", "random-core", "random-portfolio")
#: The portfolio guides' default unguided probe, in conflicts. Chosen on SATLIB with
#: benchmarks/sat_guidance.py (results/sat_guidance_probe*.json): probes of 5000-30000 let the
#: network run on formulas it does not pay for (uuf200: +0.065 s on 0.3 s; hole8: NeuroSAT's
#: forced phases doubled CaDiCaL's time per conflict), up to 1.2-1.7x the unguided median; at
#: 40000 (about 6x the network's time in conflicts on 200-250 variables) none went past 1.2x.
#: (The sweep ran with the SR(U(3, 10)) NeuroSAT that shipped before the curriculum model. A
#: later run of every family, results/sat_guidance.json, had hole at 1.48x: hole8 needs 40-56k
#: conflicts from run to run, so this probe settles it or not by chance; benchmarks/notes/sat.md.)
PROBE_CONFLICTS = 40_000
#: NeuroSAT's message-passing rounds in the portfolio guide (the shipped model trained with 26):
#: 8 rounds in bfloat16 took 0.06 s on a uuf200 formula (26 in float32: 0.3 s), and its phases
#: left CaDiCaL about as few conflicts on uf200/uf250 (benchmarks/sat_guidance.py --rounds,
#: with the SR(U(3, 10)) model)
PORTFOLIO_ROUNDS = 8

# Checked against python-sat 1.9.dev24's source and by running each solver. Unlike what
# Solver.set_phases' docstring says, cadical153/195/300 honour set_phases; only cadical103
# raises. kissat404 and cryptosat report no statistics, so they are left out.
_SOLVERS = tuple(
    n for n in sorted(vars(SolverNames)) if n[0] != "_" and n not in ("kissat404", "cryptosat")
)
PHASE_SOLVERS = tuple(n for n in _SOLVERS if n != "cadical103")
# minisatep and ergo take a propagator too, but under its static order and our budgeted restarts
# they stalled (1.9M conflicts on a 120-variable 3-SAT that cadical195 solved in 10k), so they
# take activities like the rest of the minisat family
PROPAGATOR_SOLVERS = ("cadical195", "cadical300")
ACTIVITY_SOLVERS: tuple[str, ...] = ("ergo", "gluecard3", "gluecard4", "glucose3", "glucose4")
ACTIVITY_SOLVERS += ("glucose42", "minicard", "minisat22", "minisatep", "minisatgh")
_NO_INTERRUPT = ("cadical103", "cadical153", "cadical195", "cadical300")
_UNLIMITED = ("lingeling",)  # no solve_limited: neither a timeout nor re-scoring
_CHUNK_SECONDS = 0.05  # the aim for each budgeted chunk when timing out by budgets


@dataclass(frozen=True)
class GuideScores:
    """Per-variable predictions in [0, 1]; index ``v - 1`` is variable ``v``.

    ``phase``: probability that the variable is true. ``core``: probability that it is in an
    unsat core (higher: branch on it earlier). Either is ``None`` when not predicted.

    Examples
    --------
    >>> GuideScores(phase=[0.9, 0.2]).phase
    array([0.9, 0.2])
    """

    phase: np.ndarray | None = None
    core: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("phase", "core"):
            if getattr(self, name) is not None:
                array = np.asarray(getattr(self, name), dtype=np.float64)
                if array.ndim != 1 or not np.all((array >= 0.0) & (array <= 1.0)):  # NaN too
                    raise DataError(f"GuideScores.{name} must be a 1-D array in [0, 1]")
                object.__setattr__(self, name, array)


Scorer = Callable[[CNF], GuideScores]


class LazyScorer:
    """A scorer that calls ``load()`` for the real scorer at its first call, so that a portfolio
    whose probe settles the formula never loads (nor imports) the network; the load's time
    falls inside the call, hence inside ``SolveResult.guide_seconds``.

    ``deadline`` is handed to the loaded scorer at each call (see :class:`ScoringTimeout`).

    Examples
    --------
    >>> lazy = LazyScorer(lambda: _random_scorer(0))
    >>> lazy.loaded, lazy(CNF(2, ((1, 2),))).phase.shape, lazy.loaded
    (False, (2,), True)
    """

    def __init__(self, load: Callable[[], Scorer]) -> None:
        self.load = load
        self.scorer: Scorer | None = None
        self.deadline: float | None = None

    @property
    def loaded(self) -> bool:
        return self.scorer is not None

    def __call__(self, cnf: CNF) -> GuideScores:
        if self.scorer is None:
            self.scorer = self.load()
        if hasattr(self.scorer, "deadline"):
            self.scorer.deadline = self.deadline
        return self.scorer(cnf)


class ScoringTimeout(Exception):
    """A scorer ran past its deadline (the network checks it between message-passing rounds):
    :func:`solve` then answers UNKNOWN, as when the search runs out of time."""


@dataclass(frozen=True)
class SolveResult:
    """One run as plain data.

    ``status``: ``True`` SAT, ``False`` UNSAT, ``None`` timed out. ``model``: one literal per
    variable ``1..num_vars``, checked against every clause. ``solve_seconds``: wall time in
    the solver, counting the propagator's Python callbacks but not the scorer.
    ``guide_seconds``: time in the scorer. ``guided_decisions``: decisions the core propagator
    made. ``scorings``: scorer calls (0 when a portfolio's probe settled the formula).
    """

    status: bool | None
    model: tuple[int, ...] | None
    conflicts: int
    decisions: int
    propagations: int
    restarts: int
    solve_seconds: float
    guide_seconds: float
    solver: str
    guide: str
    guided_decisions: int = 0
    scorings: int = 0


class _CoreBrancher(Propagator):
    """Decides the unassigned variable with the highest core score; a pure observer."""

    def __init__(self, num_vars: int) -> None:
        super().__init__()
        self.assigned = bytearray(num_vars + 1)
        self.fixed = bytearray(num_vars + 1)  # assigned for good: backtracking keeps them
        self.trail: list[int] = []
        self.level_starts: list[int] = []
        self.order: list[int] = []  # literals to decide, best first
        self.rank = [0] * (num_vars + 1)
        self.next = 0  # every variable ranked before this is assigned
        self.decisions = 0
        self.connected = False

    def rescore(self, scores: GuideScores) -> None:
        assert scores.core is not None  # the scores of a core guide, checked when scored
        order = np.argsort(-scores.core, kind="stable") + 1  # ties: lower variable first
        true = scores.phase >= 0.5 if scores.phase is not None else np.zeros(len(order), bool)
        self.order = [int(v) if true[v - 1] else -int(v) for v in order]
        for i, v in enumerate(order.tolist()):
            self.rank[v] = i
        self.next = 0

    def on_assignment(self, lit: int, fixed: bool = False) -> None:
        var = abs(lit)
        self.fixed[var] |= fixed
        if not self.assigned[var]:  # a literal is reported again when it becomes fixed
            self.assigned[var] = 1
            self.trail.append(var)

    def on_new_level(self) -> None:
        self.level_starts.append(len(self.trail))

    def on_backtrack(self, to: int) -> None:
        if len(self.level_starts) > to:
            start = self.level_starts[to]
            for var in self.trail[start:]:
                if not self.fixed[var]:
                    self.assigned[var] = 0
                    self.next = min(self.next, self.rank[var])
            del self.trail[start:], self.level_starts[to:]

    def decide(self) -> int:
        while self.next < len(self.order) and self.assigned[abs(self.order[self.next])]:
            self.next += 1
        if self.next == len(self.order):
            return 0  # nothing left to steer: the solver decides
        self.decisions += 1
        return self.order[self.next]

    def check_model(self, model: list[int]) -> bool:
        return True

    def propagate(self) -> list[int]:
        return []

    def provide_reason(self, lit: int) -> list[int]:
        return []

    def has_clause(self) -> bool:
        return False

    def add_clause(self) -> list[int]:
        return []


def _mechanism(guide: str) -> str | None:
    """``"phases"`` or ``"core"``: how ``guide`` steers the solver; ``None`` for ``none``."""
    if guide.endswith("portfolio"):
        return "phases"
    return guide.rsplit("-", 1)[-1] if guide != "none" else None


def _check_options(solver, guide, scorer, timeout, rescore_every, seed, probe) -> str:
    """The canonical solver name, once every option is known to fit."""
    names = [n for n in _SOLVERS if str(solver).lower() in (n, *getattr(SolverNames, n))]
    if not names:
        raise ConfigError(f"unknown solver {solver!r}; choose one of {', '.join(_SOLVERS)}")
    name, core_solvers = names[0], PROPAGATOR_SOLVERS + ACTIVITY_SOLVERS
    if guide not in GUIDES:
        raise ConfigError(f"unknown guide {guide!r}; choose one of {', '.join(GUIDES)}")
    if not guide.startswith("random-") and guide != "none" and scorer is None:
        raise ConfigError(f"guide {guide!r} needs a scorer; 'random-{guide}' needs none")
    for mechanism, able in (("phases", PHASE_SOLVERS), ("core", core_solvers)):
        if _mechanism(guide) == mechanism and name not in able:
            raise ConfigError(f"guide {guide!r} cannot steer {name}; use {', '.join(able)}")
    if guide.endswith("portfolio") and name in _UNLIMITED:
        raise ConfigError(f"guide {guide!r} probes under a conflict budget, which {name} lacks")
    if isinstance(probe, bool) or not isinstance(probe, int) or probe < 0:
        raise ConfigError(f"probe must be a non-negative int of conflicts; got {probe!r}")
    if timeout is not None and not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds or None; got {timeout}")
    if timeout is not None and name in _UNLIMITED:
        raise ConfigError(f"{name} cannot be stopped early; drop the timeout or pick another")
    if rescore_every is not None and (not isinstance(rescore_every, int) or rescore_every < 1):
        raise ConfigError(f"rescore_every must be a positive int or None; got {rescore_every}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:  # numpy refuses them
        raise ConfigError(f"seed must be a non-negative int; got {seed!r}")
    return name


def _random_scorer(seed: int) -> Scorer:
    def score(cnf: CNF) -> GuideScores:
        phase, core = np.random.default_rng(seed).random((2, cnf.num_vars))
        return GuideScores(phase=phase, core=core)

    return score


def _literals(phase: np.ndarray) -> list[int]:
    return [v if p >= 0.5 else -v for v, p in enumerate(phase.tolist(), 1)]


def _attach(slv: Solver, guide: str, score, brancher: _CoreBrancher | None):
    """Apply the first scores to ``slv``; return the re-scoring function, or ``None``."""
    if _mechanism(guide) == "phases":
        slv.set_phases(_literals(score().phase))
        return None
    if brancher is not None:
        brancher.rescore(score())
        slv.connect_propagator(brancher)
        brancher.connected = True
        for var in range(1, len(brancher.assigned)):
            slv.observe(var)
        return lambda: brancher.rescore(score())
    if _mechanism(guide) != "core":
        return None

    def set_activities() -> None:
        scores = score()
        slv.set_activities(dict(enumerate(scores.core.tolist(), 1)))
        if scores.phase is not None:
            slv.set_phases(_literals(scores.phase))

    set_activities()
    return set_activities


def _search(slv: Solver, name: str, deadline, rescore, rescore_every, limit=None):
    """Search to an answer, the deadline or ``limit`` conflicts (if given); return (status,
    seconds in the solver)."""
    interruptible = name not in _NO_INTERRUPT
    timed = deadline if interruptible else None  # CaDiCaL's interrupt() is thread-safe
    budgeted = deadline is not None and not interruptible
    chunk, seconds, since_scoring, total = 500, 0.0, 0, 0
    with call_at(timed, slv.interrupt) as fired:
        while True:
            budgets = [rescore_every - since_scoring] if rescore_every is not None else []
            budgets += [chunk] if budgeted else []
            budgets += [limit - total] if limit is not None else []
            before, start = slv.accum_stats()["conflicts"], time.perf_counter()
            if name in _UNLIMITED:
                status = slv.solve()
            else:
                slv.conf_budget(min(budgets) if budgets else -1)
                status = slv.solve_limited(expect_interrupt=timed is not None)
            elapsed = time.perf_counter() - start
            seconds += elapsed
            if status is not None:
                return status, seconds
            if fired.is_set() or (deadline is not None and time.monotonic() >= deadline):
                return None, seconds
            done = slv.accum_stats()["conflicts"] - before
            total += done
            if limit is not None and total >= limit:
                return None, seconds
            if budgeted:  # size the next chunk from this one's pace
                left = min(_CHUNK_SECONDS, deadline - time.monotonic())
                chunk = max(100, int(done / max(elapsed, 1e-6) * left))
            since_scoring += done
            if rescore_every is not None and since_scoring >= rescore_every:
                try:
                    rescore()
                except ScoringTimeout:
                    return None, seconds
                since_scoring = 0


def solve(
    cnf: CNF,
    *,
    guide: str = "none",
    scorer: Scorer | None = None,
    solver: str = "cadical195",
    timeout: float | None = None,
    seed: int = 0,
    rescore_every: int | None = 1000,
    probe: int = PROBE_CONFLICTS,
) -> SolveResult:
    """Solve ``cnf`` with ``solver`` under ``guide`` (see the module docstring).

    Parameters
    ----------
    guide
        One of :data:`GUIDES`. ``*phases`` needs :data:`PHASE_SOLVERS` (all but cadical103);
        ``*core`` needs :data:`PROPAGATOR_SOLVERS` or :data:`ACTIVITY_SOLVERS`.
    scorer
        ``CNF -> GuideScores``. ``phases`` reads ``phase``; ``core`` reads ``core``, and
        ``phase`` when it is there. The other guides ignore it, so one call can loop over
        :data:`GUIDES`.
    solver
        A name or alias from pysat's ``SolverNames``, except kissat and cryptominisat.
    timeout
        Wall-clock seconds for the whole call, scoring included; then the status is ``None``.
    seed
        Seed of the random guides.
    rescore_every
        Conflicts between scorings for the core guides; ``None`` scores once.
    probe
        Conflicts the portfolio guides leave the solver alone before they score (0: score at
        once, as ``phases``); the other guides ignore it.

    Raises
    ------
    ConfigError
        An unknown solver or guide, a missing scorer, a solver that lacks what is needed, or a
        negative seed.
    DataError
        Scores that do not fit the formula or lack what the guide reads.
    BackendError
        The solver is not in this build, or it answered SAT with a model that fails a clause.

    Examples
    --------
    >>> r = solve(CNF(2, ((1, 2), (-1,))))
    >>> r.status, r.model
    (True, (-1, 2))
    >>> solve(CNF(1, ((1,), (-1,))), guide="random-core").status
    False
    """
    name = _check_options(solver, guide, scorer, timeout, rescore_every, seed, probe)
    deadline = None if timeout is None else time.monotonic() + timeout
    if guide.startswith("random-"):
        scorer = _random_scorer(seed)
    spent = {"seconds": 0.0, "calls": 0}
    numbers = Renumbering.of(cnf)  # the solver sees variables 1..k, however sparse the formula

    def score() -> GuideScores:
        start = time.perf_counter()
        assert scorer is not None  # every guide that scores has one (_check_options)
        scores = scorer(cnf)
        spent["seconds"] += time.perf_counter() - start
        spent["calls"] += 1
        if not isinstance(scores, GuideScores):
            raise DataError(f"a scorer must return GuideScores; got {type(scores).__name__}")
        needed = "phase" if _mechanism(guide) == "phases" else "core"
        for field in ("phase", "core"):
            value = getattr(scores, field)
            if value is None and field == needed:
                raise DataError(f"guide {guide!r} needs GuideScores.{field}; the scorer gave None")
            if value is not None and value.shape != (cnf.num_vars,):
                raise DataError(f"GuideScores.{field} has shape {value.shape}, not (num_vars,)")
        phase, core = (v if v is None else numbers.scores(v) for v in (scores.phase, scores.core))
        return GuideScores(phase=phase, core=core)

    try:
        # pysat knows minisatgh only by its aliases ('minisat-gh'), so pass the last alias
        alias = getattr(SolverNames, name)[-1]
        slv = Solver(name=alias, bootstrap_with=numbers.clauses(cnf))
    except Exception as exc:  # NoSuchSolverError, or an assert when the build lacks the solver
        raise BackendError(f"cannot start {name}: {exc or type(exc).__name__}") from exc
    steer = _mechanism(guide) == "core" and name in PROPAGATOR_SOLVERS
    brancher = _CoreBrancher(numbers.num_vars) if steer else None
    try:
        status, seconds = None, 0.0
        if guide.endswith("portfolio") and probe > 0:
            status, seconds = _search(slv, name, deadline, None, None, limit=probe)
        if status is None and (deadline is None or time.monotonic() < deadline):
            try:
                rescore = _attach(slv, guide, score, brancher)
            except ScoringTimeout:  # the network took the whole budget: no more search
                rescore, status = None, None
            else:
                every = rescore_every if rescore is not None else None
                status, more = _search(slv, name, deadline, rescore, every)
                seconds += more
        model = None
        if status:
            model = numbers.model(slv.get_model() or (), cnf.num_vars)
            if not satisfies(cnf, model):
                raise BackendError(f"{name} (guide {guide!r}) answered SAT with a false model")
        stats = slv.accum_stats()
    finally:
        if brancher is not None and brancher.connected:
            slv.disconnect_propagator()
        slv.delete()
    return SolveResult(
        status=status,
        model=model,
        conflicts=int(stats["conflicts"]),
        decisions=int(stats["decisions"]),
        propagations=int(stats["propagations"]),
        restarts=int(stats["restarts"]),
        solve_seconds=seconds,
        guide_seconds=spent["seconds"],
        solver=name,
        guide=guide,
        guided_decisions=brancher.decisions if brancher is not None else 0,
        scorings=int(spent["calls"]),
    )
