"""Reading an assignment out of NeuroSAT, checked against the clauses.

Two decoders, each offering a candidate and its mirror image, the first that satisfies every
clause wins:

- by votes: variable ``v`` is true when its positive literal votes higher than its negative one;
- by 2-means (the paper's): the literal embeddings of a satisfiable formula fall into two
  clusters; ``v`` is true when ``v`` sits nearer one centre and ``not v`` nearer the other.
"""

from __future__ import annotations

import torch
from torch import Tensor

from solvers.sat.cnf import CNF, satisfies
from solvers.sat.neurosat import Graph, Output

__all__ = [
    "formula_literals",
    "vote_assignment",
    "cluster_assignment",
    "decode_votes",
    "decode_clusters",
    "decode",
]


def formula_literals(graph: Graph, index: int, n: int) -> Tensor:
    """Row indices of formula ``index``'s literals: its ``n`` positive, then its ``n`` negative."""
    offset = graph.var_offsets[index]
    positive = torch.arange(offset, offset + n)
    return torch.cat([positive, positive + graph.num_vars])


def _model(truth: Tensor) -> tuple[int, ...]:
    return tuple((v + 1) if t else -(v + 1) for v, t in enumerate(truth.tolist()))


def _first_satisfying(cnf: CNF, truth: Tensor) -> tuple[int, ...] | None:
    for candidate in (truth, ~truth):
        model = _model(candidate)
        if satisfies(cnf, model):
            return model
    return None


def vote_assignment(votes: Tensor, n: int) -> Tensor:
    """``(n,)`` bool: ``v`` true when its positive literal votes higher than its negative one.

    Shape: votes ``(2n,)`` (positive literals then negative).
    """
    return votes[:n] > votes[n:]


def _two_means(points: Tensor, iterations: int = 10) -> Tensor:
    """Two centres by Lloyd's algorithm, started at the two points farthest apart along the
    first principal direction (deterministic)."""
    centred = points - points.mean(0)
    direction = torch.linalg.svd(centred, full_matrices=False).Vh[0]
    projection = centred @ direction
    centres = torch.stack([points[projection.argmin()], points[projection.argmax()]])
    for _ in range(iterations):
        nearest = torch.cdist(points, centres).argmin(1)
        for k in range(2):
            if (nearest == k).any():
                centres[k] = points[nearest == k].mean(0)
    return centres


def cluster_assignment(literals: Tensor, n: int) -> Tensor:
    """``(n,)`` bool: ``v`` true when ``v`` sits nearer one 2-means centre and ``not v`` nearer
    the other (the paper's rule; the mirror image is the other candidate).

    Shape: literals ``(2n, d)`` (positive then negative).
    """
    points = literals.double()
    distance = torch.cdist(points, _two_means(points)) ** 2
    return distance[:n, 0] + distance[n:, 1] <= distance[:n, 1] + distance[n:, 0]


def decode_votes(cnf: CNF, votes: Tensor) -> tuple[int, ...] | None:
    """Shape: votes ``(2n,)`` (positive literals then negative) -> a model or ``None``."""
    return _first_satisfying(cnf, vote_assignment(votes, cnf.num_vars))


def decode_clusters(cnf: CNF, literals: Tensor) -> tuple[int, ...] | None:
    """Shape: literals ``(2n, d)`` (positive then negative) -> a model or ``None``."""
    return _first_satisfying(cnf, cluster_assignment(literals, cnf.num_vars))


def decode(cnf: CNF, graph: Graph, output: Output, index: int) -> tuple[int, ...] | None:
    """A verified model of formula ``index`` of the batch, by votes then by 2-means, or ``None``."""
    rows = formula_literals(graph, index, cnf.num_vars).to(output.literals.device)
    found = decode_votes(cnf, output.votes[rows].cpu()) if len(output.votes) else None
    return found or decode_clusters(cnf, output.literals[rows].detach().cpu())
