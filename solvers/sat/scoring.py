"""Guide scores from the networks: phases from NeuroSAT, core scores from its core variant.

The network runs once per call (a re-scoring runs it again); its time is the guide time that
:func:`solvers.sat.guide.solve` measures apart from the solver's.

- phase: NeuroSAT's candidate assignments (by votes and by 2-means over the literal embeddings,
  each with its mirror image); the one that leaves the fewest clauses false gives the phases.
- core: the sigmoid of the core variant's per-variable logit.

The portfolio guide's scorer (:func:`portfolio_scorer`) runs NeuroSAT alone in bfloat16 for
:data:`~solvers.sat.guide.PORTFOLIO_ROUNDS` rounds, loaded at its first call: on a SATLIB uf200
formula that took 0.06 s on one core instead of 0.3 s (float32, 26 rounds), with phases that
left the solver about as few conflicts.

The package ships one of each (:func:`default_scorer`); see the README for how they were trained.
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import torch

from solvers.sat.cnf import CNF
from solvers.sat.decode import cluster_assignment, vote_assignment
from solvers.sat.guide import PORTFOLIO_ROUNDS, GuideScores, LazyScorer
from solvers.sat.neurosat import Graph, NeuroSAT
from solvers.sat.train import load_model

__all__ = ["NeuralScorer", "DEFAULT_MODELS", "default_scorer", "false_clauses"]
__all__ += ["portfolio_scorer"]

DEFAULT_MODELS = {
    "sat": Path(__file__).with_name("models") / "neurosat.pt",
    "core": Path(__file__).with_name("models") / "neurocore.pt",
}


def false_clauses(cnf: CNF, truth: np.ndarray) -> int:
    """How many clauses the assignment ``truth`` (``(n,)`` bool, variable ``v`` at ``v - 1``)
    leaves false.

    Examples
    --------
    >>> false_clauses(CNF(2, ((1, 2), (-1,), ())), np.array([True, False]))
    2
    """
    lengths = np.fromiter(map(len, cnf.clauses), np.int64, cnf.num_clauses)
    literals = np.fromiter(itertools.chain.from_iterable(cnf.clauses), np.int64, lengths.sum())
    true = np.asarray(truth)[np.abs(literals) - 1] == (literals > 0)
    clause = np.repeat(np.arange(cnf.num_clauses), lengths)
    true_per_clause = np.bincount(clause, weights=true, minlength=cnf.num_clauses)
    return int(np.count_nonzero(true_per_clause == 0))


class NeuralScorer:
    """A ``CNF -> GuideScores`` callable over a NeuroSAT and/or a core model (CPU).

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> scorer = NeuralScorer(NeuroSAT(d=8, rounds=2), NeuroSAT(d=8, rounds=2, head="core"))
    >>> scores = scorer(CNF(3, ((1, -2), (2, 3))))
    >>> scores.phase.shape, scores.core.shape
    ((3,), (3,))
    """

    def __init__(
        self, sat: NeuroSAT | None, core: NeuroSAT | None, rounds: int | None = None
    ) -> None:
        self.sat, self.core, self.rounds = sat, core, rounds
        #: ``time.monotonic()`` past which a call raises ``ScoringTimeout`` (checked between
        #: message-passing rounds); set by whoever owns the time budget
        self.deadline: float | None = None

    def __call__(self, cnf: CNF) -> GuideScores:
        graph = Graph.batch([cnf])
        with torch.no_grad():
            phase = self._phase(cnf, graph, self.sat) if self.sat is not None else None
            core = None
            if self.core is not None:
                logits = self.core(graph, self.rounds, self.deadline).logits
                core = torch.sigmoid(logits.double()).numpy()
        return GuideScores(phase=phase, core=core)

    def _phase(self, cnf: CNF, graph: Graph, sat: NeuroSAT) -> np.ndarray:
        n = cnf.num_vars
        output = sat(graph, self.rounds, self.deadline)
        by_votes = vote_assignment(output.votes.float(), n).numpy()
        by_clusters = cluster_assignment(output.literals.float(), n).numpy()
        candidates = [by_votes, ~by_votes, by_clusters, ~by_clusters]
        best = min(candidates, key=lambda truth: false_clauses(cnf, truth))
        return best.astype(np.float64)


def default_scorer(
    sat_path: str | os.PathLike[str] | None = None,
    core_path: str | os.PathLike[str] | None = None,
    rounds: int | None = None,
    with_core: bool = True,
    dtype: torch.dtype = torch.float32,
) -> NeuralScorer:
    """The shipped models (or the given checkpoints), loaded with ``weights_only=True`` and cast
    to ``dtype``; without the core model when ``with_core`` is false (the phases guide reads
    only phases)."""
    sat, _ = load_model(sat_path or DEFAULT_MODELS["sat"])
    core = load_model(core_path or DEFAULT_MODELS["core"])[0] if with_core else None
    return NeuralScorer(sat.to(dtype), core.to(dtype) if core is not None else None, rounds)


def portfolio_scorer(
    rounds: int | None = PORTFOLIO_ROUNDS, sat_path: str | os.PathLike[str] | None = None
) -> LazyScorer:
    """The portfolio guide's scorer: NeuroSAT alone, in bfloat16, loaded at the first call."""
    return LazyScorer(lambda: default_scorer(sat_path, None, rounds, False, torch.bfloat16))
