"""NeuroSAT (Selsam et al., 2019) in torch, and its NeuroCore-style variant.

A batch of formulas is one graph (:class:`Graph`): ``V`` variables in all, literals laid out as
all positive literals ``0..V-1`` then all negative ones ``V..2V-1`` (so a literal's negation is
the other half), clauses ``0..C-1``, and literal-clause edges. Every round, clauses read the sum of
their literals' messages (an MLP of the literal embeddings) and update with a LayerNorm LSTM;
literals read the sum of their clauses' messages together with their negation's embedding and
update likewise. After the last round each literal votes (an MLP); a formula's logit of
satisfiability is the mean vote of its literals. The number of rounds is chosen per call, so a
model trained with 26 rounds can run longer at test time.

The core variant (``head="core"``) replaces the vote by one logit per variable, the network's
guess that the variable occurs in an unsatisfiable core (NeuroCore).

Shape letters: ``B`` formulas, ``V`` variables, ``C`` clauses, ``E`` literal-clause edges,
``d`` embedding size.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from solvers.sat.cnf import CNF
from solvers.sat.guide import ScoringTimeout

__all__ = ["Graph", "NeuroSAT", "Output", "HEADS"]

HEADS = ("sat", "core")


@dataclass(frozen=True)
class Graph:
    """Formulas batched into one literal-clause graph.

    Shape:
        edge_literal, edge_clause: ``(E,)``; variable_formula: ``(V,)``; clause_formula: ``(C,)``.
    """

    num_vars: int
    num_clauses: int
    num_formulas: int
    edge_literal: Tensor
    edge_clause: Tensor
    variable_formula: Tensor
    var_offsets: tuple[int, ...]

    @classmethod
    def batch(cls, formulas: Sequence[CNF]) -> Graph:
        """One graph of ``formulas`` (variables of formula ``b`` start at ``var_offsets[b]``).

        Examples
        --------
        >>> g = Graph.batch([CNF(2, ((1, -2),)), CNF(1, ((1,), (-1,)))])
        >>> g.num_vars, g.num_clauses, g.edge_literal.tolist(), g.edge_clause.tolist()
        (3, 3, [0, 4, 2, 5], [0, 0, 1, 2])
        """
        offsets, total = [], 0
        for f in formulas:
            offsets.append(total)
            total += f.num_vars
        literals: list[int] = []
        clauses: list[int] = []
        clause_index = 0
        for f, offset in zip(formulas, offsets, strict=True):
            for clause in f.clauses:
                for lit in clause:
                    v = offset + abs(lit) - 1
                    literals.append(v if lit > 0 else total + v)
                    clauses.append(clause_index)
                clause_index += 1
        variable_formula = torch.repeat_interleave(
            torch.arange(len(formulas)), torch.tensor([f.num_vars for f in formulas])
        )
        return cls(
            total,
            clause_index,
            len(formulas),
            torch.tensor(literals, dtype=torch.long),
            torch.tensor(clauses, dtype=torch.long),
            variable_formula,
            tuple(offsets),
        )

    def to(self, device: torch.device | str) -> Graph:
        return Graph(
            self.num_vars,
            self.num_clauses,
            self.num_formulas,
            self.edge_literal.to(device),
            self.edge_clause.to(device),
            self.variable_formula.to(device),
            self.var_offsets,
        )


class Output(NamedTuple):
    """What a forward pass gives.

    Shape:
        logits: ``(B,)`` for the sat head, ``(V,)`` for the core head; votes: ``(2V,)`` literal
        votes (sat head; empty for core); literals: ``(2V, d)`` final literal embeddings.
    """

    logits: Tensor
    votes: Tensor
    literals: Tensor


def _mlp(d_in: int, d_hidden: int, d_out: int, layers: int) -> nn.Sequential:
    sizes = [d_in] + [d_hidden] * (layers - 1)
    blocks: list[nn.Module] = []
    for a, b in zip(sizes, sizes[1:], strict=False):
        blocks += [nn.Linear(a, b), nn.ReLU()]
    blocks.append(nn.Linear(sizes[-1], d_out))
    return nn.Sequential(*blocks)


class LayerNormLSTMCell(nn.Module):
    """An LSTM cell with layer normalisation of each gate's pre-activation and of the cell state,
    as NeuroSAT's ``LayerNormBasicLSTMCell``.

    Shape:
        x: ``(N, in)``, state ``(h, c)`` each ``(N, d)`` -> ``(h, c)``.
    """

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.gates = nn.Linear(input_size + hidden_size, 4 * hidden_size)
        self.gate_norm = nn.LayerNorm(hidden_size, elementwise_affine=False)
        self.gate_scale = nn.Parameter(torch.ones(4, hidden_size))
        self.gate_shift = nn.Parameter(torch.zeros(4, hidden_size))
        self.cell_norm = nn.LayerNorm(hidden_size)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        h, c = state
        gates = self.gates(torch.cat([x, h], dim=1)).view(-1, 4, self.hidden_size)
        gates = self.gate_norm(gates) * self.gate_scale + self.gate_shift
        i, f, o, g = gates.unbind(1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(self.cell_norm(c))
        return h, c


class NeuroSAT(nn.Module):
    """NeuroSAT: message passing between literals and clauses, then a vote.

    Parameters
    ----------
    d
        Embedding size (128 in the paper).
    rounds
        Default number of message-passing rounds (26 in training in the paper).
    mlp_layers
        Layers of each message and vote MLP (3 in the paper).
    head
        ``"sat"`` (a logit per formula: satisfiable?) or ``"core"`` (a logit per variable: in an
        unsatisfiable core?).

    Shape:
        graph of ``B`` formulas, ``V`` variables -> :class:`Output`.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> net = NeuroSAT(d=8, rounds=2)
    >>> out = net(Graph.batch([CNF(2, ((1, -2), (2,))), CNF(1, ((1,),))]))
    >>> out.logits.shape, out.votes.shape, out.literals.shape
    (torch.Size([2]), torch.Size([6]), torch.Size([6, 8]))
    """

    def __init__(self, d: int = 128, rounds: int = 26, mlp_layers: int = 3, head: str = "sat"):
        super().__init__()
        if head not in HEADS:
            raise ConfigError(f"unknown head '{head}'; expected one of {', '.join(HEADS)}")
        self.d, self.rounds, self.mlp_layers, self.head = d, rounds, mlp_layers, head
        self.literal_init = nn.Parameter(torch.randn(d) / d**0.5)
        self.clause_init = nn.Parameter(torch.randn(d) / d**0.5)
        self.literal_message = _mlp(d, d, d, mlp_layers)
        self.clause_message = _mlp(d, d, d, mlp_layers)
        self.literal_update = LayerNormLSTMCell(2 * d, d)
        self.clause_update = LayerNormLSTMCell(d, d)
        out_in = d if head == "sat" else 2 * d
        self.readout = _mlp(out_in, d, 1, mlp_layers)

    def forward(
        self, graph: Graph, rounds: int | None = None, deadline: float | None = None
    ) -> Output:
        """Pass messages for ``rounds`` rounds (the model's own by default); past ``deadline``
        (``time.monotonic()``), checked between rounds, raise :class:`ScoringTimeout`."""
        rounds = self.rounds if rounds is None else rounds
        n_lit, n_clause = 2 * graph.num_vars, graph.num_clauses
        lit_h = self.literal_init.expand(n_lit, self.d).contiguous()
        lit_c = torch.zeros_like(lit_h)
        cls_h = self.clause_init.expand(n_clause, self.d).contiguous()
        cls_c = torch.zeros_like(cls_h)
        for done in range(rounds):
            if deadline is not None and time.monotonic() > deadline:
                raise ScoringTimeout(f"the network passed its deadline after {done} rounds")
            to_clauses = self.literal_message(lit_h)[graph.edge_literal]
            incoming = torch.zeros_like(cls_h).index_add_(0, graph.edge_clause, to_clauses)
            cls_h, cls_c = self.clause_update(incoming, (cls_h, cls_c))
            to_literals = self.clause_message(cls_h)[graph.edge_clause]
            incoming = torch.zeros_like(lit_h).index_add_(0, graph.edge_literal, to_literals)
            flipped = torch.cat([lit_h[graph.num_vars :], lit_h[: graph.num_vars]])
            lit_h, lit_c = self.literal_update(torch.cat([incoming, flipped], 1), (lit_h, lit_c))
        if self.head == "core":
            pairs = torch.cat([lit_h[: graph.num_vars], lit_h[graph.num_vars :]], 1)
            return Output(self.readout(pairs).squeeze(1), lit_h.new_zeros(0), lit_h)
        votes = self.readout(lit_h).squeeze(1)
        formula = graph.variable_formula.repeat(2)
        sums = votes.new_zeros(graph.num_formulas).index_add_(0, formula, votes)
        counts = torch.bincount(formula, minlength=graph.num_formulas).clamp(min=1)
        return Output(sums / counts, votes, lit_h)
