"""Stable models compiled into a decision diagram, evaluated batched on tensors.

The models an observation admits are listed as total choices (one value per group) with a
weight each; listing them is clingo's work. Sharing their common prefixes and merging identical
suffixes gives a reduced multi-valued decision diagram, levelled by group: an all-different
constraint over 9 cells has 9! = 362,880 models but 2^9 nodes. The probability of the
observation is one bottom-up pass over the levels: per level one gather and one segment
``logsumexp``, for the whole batch at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from nesy.infer.semiring import segment_logsumexp

__all__ = ["Diagram", "build_diagram"]


@dataclass(frozen=True)
class _Level:
    group: int  # the group this level decides
    node: Tensor  # per edge: its node at this level
    value: Tensor  # per edge: the group's value
    child: Tensor  # per edge: its node at the next level (a terminal after the last)
    size: int  # nodes at this level


@dataclass(frozen=True)
class Diagram:
    """A weighted set of total choices, as a reduced decision diagram.

    ``log_probability(table)`` is ``log sum_c w_c prod_g table[g, c_g]`` for every row of the
    batch, where ``table`` holds each group's log-probabilities. Groups that no level decides
    are summed out (their values sum to 1).
    """

    levels: tuple[_Level, ...]
    terminal: np.ndarray  # log-weight of each terminal node
    models: int  # number of weighted total choices it holds

    @property
    def groups(self) -> tuple[int, ...]:
        return tuple(level.group for level in self.levels)

    @property
    def nodes(self) -> int:
        return sum(level.size for level in self.levels) + len(self.terminal)

    def log_probability(self, table: Tensor) -> Tensor:
        """``(B, G, W)`` log-probabilities of each group's values -> ``(B,)``.

        ``-inf`` for an observation without models.
        """
        batch = table.shape[0]
        if self.models == 0:
            return table.new_full((batch,), -math.inf)
        below = torch.as_tensor(self.terminal, dtype=table.dtype).expand(batch, -1)
        for level in reversed(self.levels):
            scores = table[:, level.group, level.value] + below[:, level.child]  # (B, E)
            below = segment_logsumexp(scores.T, level.node, level.size).T
        return below[:, 0]


def build_diagram(choices: np.ndarray, log_weights: np.ndarray, groups: np.ndarray) -> Diagram:
    """The reduced diagram of the total choices ``choices`` ``(C, G)`` with ``log_weights``.

    ``groups`` lists the groups to decide, in level order; the other columns are ignored
    (their values must not matter to the weight).
    """
    log_weights = np.asarray(log_weights, dtype=np.float64)
    if len(choices) == 0:
        return Diagram((), np.zeros(0), 0)
    values = np.asarray(choices)[:, groups]
    count = len(values)
    # Top-down: models that share a prefix share a node; prefix[l][c] numbers c's prefix of
    # length l.
    prefix = [np.zeros(count, dtype=np.int64)]
    for column in values.T:
        pairs = np.stack([prefix[-1], column], axis=1)
        prefix.append(np.unique(pairs, axis=0, return_inverse=True)[1].reshape(-1))
    # Bottom-up: a node is identified by its set of (value, child) edges, so identical suffixes
    # merge; terminals by their weight.
    terminal, below = np.unique(np.round(log_weights, 12), return_inverse=True)
    below = below.reshape(-1)
    levels = []
    for depth in range(len(groups) - 1, -1, -1):
        edges = np.unique(np.stack([prefix[depth], values[:, depth], below], axis=1), axis=0)
        signature: dict[int, list[tuple[int, int]]] = {}
        for p, v, c in edges.tolist():
            signature.setdefault(p, []).append((v, c))
        ids: dict[tuple[tuple[int, int], ...], int] = {}
        node_of_prefix = {p: ids.setdefault(tuple(e), len(ids)) for p, e in signature.items()}
        node_edges = {ids[tuple(e)]: e for e in signature.values()}
        rows = [(n, v, c) for n in range(len(ids)) for v, c in node_edges[n]]
        node, value, child = torch.tensor(rows, dtype=torch.long).T
        levels.append(_Level(int(groups[depth]), node, value, child, len(ids)))
        below = np.array([node_of_prefix[p] for p in prefix[depth].tolist()], dtype=np.int64)
    return Diagram(tuple(reversed(levels)), terminal, count)
