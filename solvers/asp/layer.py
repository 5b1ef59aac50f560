"""The ASP backend as an ``nn.Module``: networks' outputs in, answers' log-probabilities out.

Shape letters: ``B`` batch, ``G`` choice groups, ``W`` widest group plus one, ``Q`` answers.
Column ``W - 1`` of the group table is ``log 1``: a group whose choice a model does not offer
(value ``INACTIVE`` = -1) multiplies by 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import clingo
import torch
from torch import Tensor, nn

from nesy.answers import answer_values, run_network
from nesy.errors import ConfigError, DataError, NesyTypeError
from nesy.ground import GroundProgram, ground
from nesy.infer.compile import match
from nesy.infer.model import check_networks
from nesy.lang import ir
from solvers.asp.diagram import Diagram
from solvers.asp.program import AspProgram, ChoiceGroup
from solvers.asp.semantics import Observation, observe, relevant_program

__all__ = ["AspModel", "group_table", "log_not"]


def group_table(
    groups: Sequence[ChoiceGroup],
    networks: Mapping[str, nn.Module] | nn.ModuleDict,
    inputs: Mapping[str, Tensor],
    batch: int,
) -> Tensor:
    """``(B, G, W)`` log-probabilities of every group's values (``-inf`` pads narrow groups).

    Each network runs once per batch on the inputs of all its groups, stacked.
    """
    width = max((len(g.literals) for g in groups), default=0) + 1
    table = torch.full((batch, len(groups), width), -torch.inf, dtype=torch.float64)
    table[:, :, -1] = 0.0
    by_network: dict[str, list[int]] = {}
    for g, group in enumerate(groups):
        if group.is_neural:
            by_network.setdefault(group.network or "", []).append(g)
        else:
            table[:, g, : len(group.log_probs)] = torch.tensor(group.log_probs, dtype=torch.float64)
    for name, members in by_network.items():
        arity = len(groups[members[0]].inputs)
        missing = sorted({groups[g].inputs[i] for g in members for i in range(arity)} - set(inputs))
        if missing:
            raise ConfigError(f"missing input tensors {missing[:5]} for network '{name}'")
        args = [torch.cat([inputs[groups[g].inputs[i]] for g in members]) for i in range(arity)]
        size = len(groups[members[0]].literals)
        table[:, members, :size] = run_network(name, networks[name], args, batch, size).double()
    return table


def log_not(log_p: Tensor) -> Tensor:
    """``log(1 - p)`` from ``log p``, stable near both ends.

    ``1 - P(q)`` is ``P(not q)`` only where every total choice has exactly one stable model
    (``AspProgram.total``); elsewhere it would also count the choices without a model.
    """
    log_p = log_p.clamp(max=0.0)
    return torch.where(
        log_p > -0.6931, torch.log(-torch.expm1(log_p)), torch.log1p(-torch.exp(log_p))
    )


class AspModel(nn.Module):
    """A program's query answers under NeurASP semantics, batched, with gradients into its
    networks (the counterpart of :class:`nesy.Model` for programs outside the exact backend's
    class).

    The stable models of each answer (with the program's evidence) are listed by clingo once,
    when the module is built, and compiled into a decision diagram; a forward pass evaluates
    the diagrams on the networks' outputs.

    Shape:
        inputs: ``{name: (B, ...)}`` for every ``tensor(name)`` term -> ``(B, Q)``
        log-probabilities of ``self.answers``, conditioned on the evidence.
    """

    def __init__(
        self,
        program: ir.Program,
        networks: Mapping[str, nn.Module] | None = None,
        *,
        query: ir.Atom | None = None,
        observations: Sequence[Observation] | None = None,
    ) -> None:
        super().__init__()
        networks = dict(networks or {})
        check_networks(program, networks)
        self.networks = nn.ModuleDict(networks)
        self.asp = AspProgram(program)
        evidence = [(str(e.atom), e.value) for e in program.evidence]
        answers: tuple[object, ...] | None = None  # an observation's text, when given them
        if observations is None:
            queries = (query,) if query is not None else tuple(q.atom for q in program.queries)
            if not queries:
                raise NesyTypeError(f"{program.source}: the program has no query(...) to answer")
            atoms = [s for q in queries for s in _instances(self.asp, q)]
            observations = [[(a, True)] for a in atoms]
            answers = answer_values(queries, atoms)  # the exact model's, for the same queries
        self.atoms = tuple(
            ", ".join(str(a) if truth else f"not {a}" for a, truth in o) for o in observations
        )
        self.answers = self.atoms if answers is None else answers
        # A total program decides each observation over the groups it depends on only.
        shared = ground(program) if self.asp.total else None
        self.diagrams: list[Diagram] = [
            self._observe([*o, *evidence], shared) for o in observations
        ]
        self.evidence = self._observe(evidence, shared) if evidence else None
        self.input_names = tuple(dict.fromkeys(name for g in self.asp.groups for name in g.inputs))

    def _observe(self, observation: Observation, shared: GroundProgram | None) -> Diagram:
        if shared is None:
            return observe(self.asp, observation)
        return observe(relevant_program(self.asp, observation, shared), observation)

    def forward(self, inputs: Mapping[str, Tensor] | None = None) -> Tensor:
        table = self._table(inputs or {})
        # a query with no ground instance has no answers: (B, 0), not a failed stack
        columns = [d.log_probability(table) for d in self.diagrams]
        logp = torch.stack(columns, dim=1) if columns else table.new_zeros((len(table), 0))
        if self.evidence is not None:
            logp = logp - self.evidence.log_probability(table)[:, None]
        return logp

    def log_evidence(self, inputs: Mapping[str, Tensor] | None = None) -> Tensor:
        """``(B,)`` log-probability of the program's evidence (0 without evidence)."""
        table = self._table(inputs or {})
        if self.evidence is None:
            return table.new_zeros(len(table))
        return self.evidence.log_probability(table)

    def _table(self, inputs: Mapping[str, Tensor]) -> Tensor:
        sizes = {inputs[n].shape[0] for n in self.input_names if n in inputs}
        if len(sizes) > 1:
            raise DataError(f"inputs disagree on the batch size: {sorted(sizes)}")
        return group_table(self.asp.groups, self.networks, inputs, next(iter(sizes), 1))


def _instances(asp: AspProgram, atom: ir.Atom) -> list[clingo.Symbol]:
    """Ground atoms of the program that match a query atom (sorted); a ground query with no
    instance is kept (it has probability 0)."""
    name, arity = atom.predicate, len(atom.args)
    found = sorted(
        a.symbol
        for a in asp.control.symbolic_atoms.by_signature(name, arity)
        if match(atom, a.symbol, {})
    )
    if not found and not any(True for _ in ir.variables(atom)):
        found = [clingo.parse_term(str(atom))]
    return found
