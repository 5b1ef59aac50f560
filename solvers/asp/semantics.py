"""NeurASP semantics with clingo doing the solving: observations, all models, the best model.

For a total choice ``c`` with ``N(c)`` stable models, ``N_O(c)`` of which satisfy an observation
``O`` (a set of literals), ``P(O) = sum_c P(c) * N_O(c) / N(c)`` (Yang, Ishay and Lee, NeurASP,
IJCAI 2020): each stable model of ``c`` gets an equal share of ``P(c)``, and a total choice
without stable models contributes nothing. clingo lists the models under the observation (as
solver assumptions, so the program is grounded once); ``N(c)`` is counted by solving again
under ``c`` and is cached per program.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import clingo
import numpy as np

from nesy.errors import BackendError, ConfigError
from nesy.ground import GroundProgram, ground
from nesy.infer.logic import relevant_atoms
from nesy.lang import ir
from solvers.asp.program import INACTIVE, AspProgram, ChoiceGroup
from solvers.asp.solve_options import solve_options

if TYPE_CHECKING:
    from solvers.asp.diagram import Diagram

__all__ = [
    "Observation",
    "observe",
    "relevant_program",
    "StableModel",
    "stable_models",
    "most_probable",
    "most_probable_models",
    "SCALE",
]

Observation = Sequence[tuple[str | clingo.Symbol, bool]]

#: Weak-constraint weights are -ln p in units of 1/SCALE nats (integers, as clingo needs).
SCALE = 10_000
#: Probabilities below this count as this (a network's softmax is never exactly 0).
FLOOR = 1e-12


def _enumerate(asp: AspProgram, assumptions: list[int]) -> Counter[tuple[int, ...]]:
    """How many stable models each total choice has under ``assumptions``."""
    counts: Counter[tuple[int, ...]] = Counter()
    solve_options(asp.control).models = 0
    with asp.control.solve(assumptions=assumptions, yield_=True) as handle:
        for model in handle:
            counts[asp.choice_of(model)] += 1
    return counts


def model_count(asp: AspProgram, choice: tuple[int, ...]) -> int:
    """``N(c)``: stable models whose total choice is exactly ``choice`` (cached per program)."""
    if choice not in asp.model_counts:
        counts = _enumerate(asp, asp.choice_assumptions(choice))
        asp.model_counts[choice] = counts[choice]
    return asp.model_counts[choice]


def observe(asp: AspProgram, observation: Observation) -> Diagram:
    """The total choices under which ``observation`` holds, weighted ``N_O(c) / N(c)``.

    On a program where every total choice has exactly one stable model (``asp.total``) the
    weights are 1 and nothing is counted twice. A program built by :func:`relevant_program`
    decides only the groups the observation depends on.
    """
    from solvers.asp.diagram import build_diagram  # torch: not loaded for `nesy solve`

    assumptions = asp.assumptions(observation)
    groups = np.array(asp.decided, dtype=np.int64)
    if assumptions is None:
        return build_diagram(np.zeros((0, len(asp.groups)), dtype=np.int64), np.zeros(0), groups)
    counts = _enumerate(asp, assumptions + asp.pinned)
    choices = np.array(list(counts), dtype=np.int64).reshape(len(counts), len(asp.groups))
    if asp.total:
        log_weights = np.zeros(len(counts))
    else:
        log_weights = np.array([math.log(n / model_count(asp, c)) for c, n in counts.items()])
    return build_diagram(choices, log_weights, groups)


def relevant_program(
    whole: AspProgram, observation: Observation, ground_program: GroundProgram | None = None
) -> AspProgram:
    """The program set up to decide only the groups ``observation``'s atoms depend on.

    Sound for programs where every total choice has exactly one stable model: the other groups
    cannot change the observation, so they are pinned to one value each (by assumptions) and
    summed out (their values sum to 1); clingo then lists each relevant total choice once.
    Other programs come back whole. Pass ``ground_program`` (:func:`nesy.ground.ground`) to
    share one between observations.
    """
    program = whole.program
    if not whole.total:
        return whole
    ground_program = ground_program or ground(program)
    atom_of = ground_program.atom_of()
    roots = [atom_of[s] for a, _ in observation if (s := _symbol(a)) in atom_of]
    relevant, _ = relevant_atoms(ground_program, roots)
    wanted = {ground_program.symbols[a] for a in relevant if a in ground_program.symbols}
    decided = [g for g, group in enumerate(whole.groups) if set(whole.atoms_of(g)) & wanted]
    part = AspProgram(program, show=[s for g in decided for s in whole.atoms_of(g)])
    part.decided = decided
    others = set(range(len(whole.groups))) - set(decided)
    # literals are the part's own: its control numbers atoms apart from the whole's
    part.pinned = [lit for g in sorted(others) for lit in _first_value(part.groups[g])]
    return part


def _first_value(group: ChoiceGroup) -> list[int]:
    """Assumptions that choose the group's first value (or its residual, if it has one)."""
    literals = [lit for lit in group.literals if lit is not None]
    if None in group.literals:
        return [-lit for lit in literals]
    return [literals[0]]


def _symbol(atom: str | clingo.Symbol) -> clingo.Symbol:
    return clingo.parse_term(atom) if isinstance(atom, str) else atom


@dataclass(frozen=True)
class StableModel:
    """A stable model: its shown atoms, its total choice and its NeurASP probability
    ``P(c) / N(c)``."""

    atoms: tuple[str, ...]
    choice: tuple[int, ...]
    probability: float


def _shown(asp: AspProgram, model: clingo.Model) -> tuple[str, ...]:
    """The atoms a user asked to see (``#show``), or every atom they wrote."""
    shows = {(s.predicate, s.arity) for s in asp.program.of_type(ir.Show)}
    atoms = model.symbols(atoms=True)
    if shows:
        atoms = [s for s in atoms if (s.name, len(s.arguments)) in shows]
    else:
        atoms = [s for s in atoms if not s.name.startswith("__nesy_")]
    return tuple(str(s) for s in sorted(atoms))


def stable_models(asp: AspProgram, limit: int = 0) -> list[StableModel]:
    """Every stable model (or the first ``limit``), most probable first."""
    found: list[tuple[tuple[str, ...], tuple[int, ...]]] = []
    solve_options(asp.control).models = limit
    with asp.control.solve(yield_=True) as handle:
        for model in handle:
            found.append((_shown(asp, model), asp.choice_of(model)))
    # With every model listed, N(c) is counted from the list; otherwise by solving again.
    listed = Counter(choice for _, choice in found)
    models = [
        StableModel(
            atoms,
            choice,
            math.exp(asp.log_weight(choice))
            / (listed[choice] if limit == 0 else model_count(asp, choice)),
        )
        for atoms, choice in found
    ]
    return sorted(models, key=lambda m: -m.probability)


def most_probable(
    asp: AspProgram, neural: Mapping[int, Sequence[float]] | None = None
) -> StableModel | None:
    """The most probable stable model, by clingo's optimisation; ``None`` if there is none.

    Every value of every group becomes a weak constraint of cost ``round(-ln p * SCALE)``, so
    clingo minimises ``-ln P(c)`` to within ``G / (2 * SCALE)`` nats for ``G`` groups; the model
    is reported with its exact probability ``P(c) / N(c)``. What is maximised is ``P(c)``: where a
    total choice has several stable models, the division by ``N(c)`` is not part of the search.

    Parameters
    ----------
    neural
        The probabilities of each neural group's values, by group index.
    """
    neural = neural or {}
    lines = []
    for g, group in enumerate(asp.groups):
        probabilities = (
            [min(max(float(p), FLOOR), 1.0) for p in neural[g]]
            if group.is_neural
            else [math.exp(w) for w in group.log_probs]
        )
        for v, p in enumerate(probabilities):
            condition = asp.value_condition(g, v)
            if p <= 0.0:
                lines.append(f":- {condition}.")
            else:
                lines.append(f":~ {condition}. [{round(-math.log(p) * SCALE)}@0,{g},{v}]")
    best = AspProgram(asp.program, extra="\n".join(lines) + "\n", optimise=True)
    found = None
    with best.control.solve(yield_=True) as handle:
        for model in handle:  # each model improves on the last; the last is optimal
            found = (_shown(best, model), best.choice_of(model))
    if found is None:
        return None
    atoms, choice = found
    log_p = sum(
        math.log(max(float(neural[g][v]), FLOOR)) if group.is_neural else group.log_probs[v]
        for g, (group, v) in enumerate(zip(asp.groups, choice, strict=True))
        if v != INACTIVE
    )
    return StableModel(atoms, choice, math.exp(log_p) / model_count(asp, choice))


#: Total choices :func:`most_probable_models` may visit before it gives up.
MAX_CHOICES = 1000


def most_probable_models(asp: AspProgram, k: int) -> list[StableModel]:
    """The ``k`` most probable stable models (all of them if there are fewer), most probable
    first, exactly, by the NeurASP probability ``P(c) / N(c)``.

    clingo's optimisation finds the most probable total choice ``c`` not visited yet; its
    models are listed (each ``P(c) / N(c)``) and ``c`` is blocked. No model of an unvisited
    choice beats ``P(c)``, up to the rounding of the weights (``G`` groups are off by at most
    ``G / SCALE`` nats in all), so the search stops once the ``k``-th model found reaches that
    bound. Zero-probability values are visited last.

    Raises
    ------
    ConfigError
        The program has neural predicates (their probabilities are not in the text).
    BackendError
        More than :data:`MAX_CHOICES` total choices would have to be visited (their models
        tie too closely to rank); ``stable_models`` lists them all instead.
    """
    if any(group.is_neural for group in asp.groups):
        raise ConfigError(
            "most_probable_models ranks programs without neural predicates; "
            "most_probable takes the networks' outputs"
        )
    search = _ChoiceSearch(asp)
    slack = math.exp(len(asp.groups) / SCALE)
    found: list[StableModel] = []
    for _ in range(MAX_CHOICES):
        choice = search.best()
        if choice is None:
            return found
        bound = math.exp(asp.log_weight(choice)) * slack
        if len(found) == k and found[-1].probability >= bound:
            return found
        found = sorted(found + _models_of(asp, choice), key=lambda m: -m.probability)[:k]
        search.block(choice)
    raise BackendError(
        f"{asp.program.source}: the {k} most probable stable models are not settled after "
        f"{MAX_CHOICES} total choices (their probabilities are too close); --all without "
        "--limit lists every stable model"
    )


def _models_of(asp: AspProgram, choice: tuple[int, ...]) -> list[StableModel]:
    """The stable models of one total choice, each with probability ``P(c) / N(c)``."""
    solve_options(asp.control).models = 0
    atoms: list[tuple[str, ...]] = []
    with asp.control.solve(assumptions=asp.choice_assumptions(choice), yield_=True) as handle:
        for model in handle:
            if asp.choice_of(model) == choice:
                atoms.append(_shown(asp, model))
    p = math.exp(asp.log_weight(choice)) / len(atoms) if atoms else 0.0
    return [StableModel(a, choice, p) for a in atoms]


class _ChoiceSearch:
    """The most probable total choice not yet blocked, by clingo's optimisation: each value of
    each group costs ``round(-ln p * SCALE)`` at priority 0, or 1 at priority 1 where ``p`` is
    0 (so impossible values come last, not never)."""

    def __init__(self, asp: AspProgram) -> None:
        lines = []
        for g, group in enumerate(asp.groups):
            for v, log_p in enumerate(group.log_probs):
                condition = asp.value_condition(g, v)
                cost = "1@1" if log_p == -math.inf else f"{round(-log_p * SCALE)}@0"
                lines.append(f":~ {condition}. [{cost},{g},{v}]")
        self.asp = AspProgram(asp.program, extra="\n".join(lines) + "\n", optimise=True)

    def best(self) -> tuple[int, ...] | None:
        found = None
        with self.asp.control.solve(yield_=True) as handle:
            for model in handle:  # each model improves on the last; the last is optimal
                found = self.asp.choice_of(model)
        return found

    def block(self, choice: tuple[int, ...]) -> None:
        """No later model makes this total choice."""
        body = []
        for g, value in enumerate(choice):
            group, active = self.asp.groups[g], self.asp.activation_literal(g)
            if value == INACTIVE:
                body.append(-active)
            elif (literal := group.literals[value]) is not None:
                body.append(literal)
            else:  # offered, and none of its literal values chosen
                body += [active, *(-lit for lit in group.literals if lit is not None)]
        with self.asp.control.backend() as backend:
            backend.add_rule([], body)
