"""The differentiable inference layer: a program plus networks as one ``nn.Module``.

Shape letters: ``B`` batch, ``V`` circuit variables, ``Q`` answers (ground query atoms).
Networks return log-probabilities ``(B', |domain|)`` (a ``log_softmax``); every ground neural
atom of one network in a batch goes through that network in one call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import clingo
import torch
from torch import Tensor, nn

from nesy.answers import answer_values, python_value, run_network
from nesy.errors import ConfigError, DataError, NesyTypeError
from nesy.infer.budget import DEFAULT_BUDGET, Budget
from nesy.infer.compile import CompiledQuery, Compiler, compile_queries
from nesy.infer.evaluate import evaluator
from nesy.infer.layers import CircuitModule
from nesy.infer.variables import GroupVariables
from nesy.lang import ir

__all__ = ["Model", "Explanation", "python_value", "check_networks", "input_name"]


@dataclass(frozen=True, slots=True)
class Explanation:
    """The most probable total choice under which ``answer`` holds, and its probability."""

    answer: str
    probability: float
    choices: tuple[str, ...]  # chosen atoms; ``\\+a`` for a probabilistic fact left false


class Model(nn.Module):
    """A program's queries evaluated exactly, batched, with gradients into its networks.

    Parameters
    ----------
    program
        The parsed program.
    networks
        A torch module for every network its neural predicates name.
    query
        The query (template) to answer; defaults to the program's ``query(...)`` statements.
        Free variables become the answers: ``addition(tensor(a), tensor(b), S)`` has one answer
        per possible sum.
    top_k
        Approximate mode: sum only the ``top_k`` most probable proofs of each answer (a lower
        bound on its log-probability, exact when an answer has at most ``top_k`` proofs).
    perturb
        With ``top_k``, in training mode only: add Gumbel noise to the networks' log-probabilities
        before the proofs are ranked (perturb-and-MAP), so that the kept proofs are approximate
        samples from the answer's posterior instead of the ``top_k`` best. Without it an
        untrained network's first guesses are the only proofs that get gradient, and they
        reinforce themselves. ``model.eval()`` ranks the unperturbed weights.
    budget
        Grounding and compilation stop with an error past its rules, nodes or seconds.
    compiler
        Where to compile: models given the same :class:`~nesy.infer.compile.Compiler` share
        the circuit of the same program, query and budget. By default the model compiles its
        own.

    Shape:
        inputs: ``{name: (B, ...)}`` for every ``tensor(name)`` term -> ``(B, Q)`` log-probabilities
        of ``self.answers``, conditioned on the program's evidence.
    """

    # buffers registered in ``_layout_weights``, declared for the type checker
    const_pos: Tensor
    const_neg: Tensor
    pos_source: Tensor
    neural_mask: Tensor

    def __init__(
        self,
        program: ir.Program,
        networks: Mapping[str, nn.Module] | None = None,
        *,
        query: ir.Atom | None = None,
        top_k: int | None = None,
        perturb: bool = False,
        budget: Budget = DEFAULT_BUDGET,
        compiler: Compiler | None = None,
    ) -> None:
        super().__init__()
        networks = dict(networks or {})
        check_networks(program, networks)
        self.networks = nn.ModuleDict(networks)
        queries = (query,) if query is not None else tuple(q.atom for q in program.queries)
        if not queries:
            raise NesyTypeError(f"{program.source}: the program has no query(...) to answer")
        self.compiled: CompiledQuery = (
            compiler.compile(program, queries, budget)
            if compiler is not None
            else compile_queries(
                program,
                queries,
                max_sdd_size=budget.sdd_nodes,
                max_seconds=budget.seconds,
                max_rules=budget.ground_rules,
            )
        )
        self.answers = answer_values(queries, self.compiled.answers)
        self.atoms = tuple(str(a) for a in self.compiled.answers)
        # top_k: the APPROXIMATE mode, the k most probable proofs of each answer (a lower
        # bound on its probability); exact otherwise.
        self.approximate = top_k is not None
        if perturb and top_k is None:
            raise ConfigError("perturb=True needs top_k: it perturbs the ranking of proofs")
        self.perturb = perturb
        semiring = "log" if top_k is None else "top_k"
        self.circuit = evaluator(self.compiled.circuit, semiring, k=top_k)
        self._mpe_circuit: CircuitModule | None = None
        self._layout_weights()

    # --- construction ----------------------------------------------------------------------

    def _layout_weights(self) -> None:
        """Index tables that place network outputs and constants into (B, V) weight tensors."""
        choices = self.compiled.choices
        num_vars = self.compiled.circuit.num_vars
        # filled as lists, made tensors once: a tensor's item assignment costs microseconds,
        # which small programs pay per variable on every compilation
        const_pos = [0.0] * num_vars
        const_neg = [0.0] * num_vars
        neural: dict[str, list[GroupVariables]] = {}
        for fact in choices.facts:
            const_pos[fact.var - 1] = _log(fact.choice.probability)
            const_neg[fact.var - 1] = _log(1.0 - fact.choice.probability)
        for group in choices.groups:
            if group.choice.network is not None:
                neural.setdefault(group.choice.network, []).append(group)
            else:
                for var, p in zip(group.vars, group.choice.probabilities, strict=True):
                    const_pos[var - 1] = _log(p)
        # Network outputs come first, network by network, group by group, value by value, then
        # the constants; ``pos_source`` picks each variable's column from that row.
        neural_vars = [v - 1 for groups in neural.values() for g in groups for v in g.vars]
        source = [len(neural_vars) + v for v in range(num_vars)]
        for column, var in enumerate(neural_vars):
            source[var] = column
        # Per network, the input names of each argument, group by group: read once here, since
        # rendering clingo symbols in every forward pass cost as much as a small circuit.
        self._network_inputs = {
            name: tuple(
                tuple(input_name(g.choice.inputs[i]) for g in groups)
                for i in range(len(groups[0].choice.inputs))
            )
            for name, groups in neural.items()
        }
        self._domain_size = {name: len(groups[0].vars) for name, groups in neural.items()}
        self._checked_networks: set[str] = set()
        self.register_buffer("const_pos", torch.tensor(const_pos, dtype=torch.float64), False)
        self.register_buffer("const_neg", torch.tensor(const_neg, dtype=torch.float64), False)
        self.register_buffer("pos_source", torch.tensor(source, dtype=torch.long), False)
        neural_mask = torch.zeros(num_vars, dtype=torch.bool)
        neural_mask[neural_vars] = True
        self.register_buffer("neural_mask", neural_mask, persistent=False)
        self.input_names = tuple(
            dict.fromkeys(
                input_name(s) for groups in neural.values() for g in groups for s in g.choice.inputs
            )
        )

    # --- evaluation ------------------------------------------------------------------------

    def weights(self, inputs: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Log-weights of the positive and negative literals, each (B, V)."""
        batch = _batch_size(inputs, self.input_names)
        dtype = next((p.dtype for p in self.parameters()), torch.float64)
        columns = [
            self._run_network(name, inputs, batch).to(dtype) for name in self._network_inputs
        ]
        constants = self.const_pos.to(dtype).expand(batch, -1)
        pos = torch.cat((*columns, constants), dim=1)[:, self.pos_source]
        return pos, self.const_neg.to(dtype).expand(batch, -1)

    def _run_network(self, name: str, inputs: Mapping[str, Tensor], batch: int) -> Tensor:
        arguments = [torch.cat([inputs[n] for n in arg]) for arg in self._network_inputs[name]]
        out = run_network(name, self.networks[name], arguments, batch, self._domain_size[name])
        if name not in self._checked_networks:  # a sanity check, once per network
            if not torch.allclose(torch.logsumexp(out.detach(), 2), torch.zeros(1), atol=1e-3):
                raise DataError(f"network '{name}' must return log-probabilities (a log_softmax)")
            self._checked_networks.add(name)
        # (B, groups, D) -> (B, groups * D), the layout ``pos_source`` expects
        return out.reshape(batch, -1)

    def forward(self, inputs: Mapping[str, Tensor] | None = None) -> Tensor:
        pos, neg = self.weights(inputs or {})
        if self.perturb and self.training:  # Gumbel(0, 1) noise on the networks' outputs
            noise = -torch.empty_like(pos).exponential_().log()
            pos = pos + noise * self.neural_mask
        logp: Tensor = self.circuit(pos, neg)
        if self.compiled.has_evidence:
            logp = logp[:, :-1] - logp[:, -1:]
        return logp

    def explain(self, inputs: Mapping[str, Tensor] | None = None) -> list[list[Explanation]]:
        """Most probable explanation of every answer, for every example: (B lists of Q)."""
        pos, neg = self.weights(inputs or {})
        if self._mpe_circuit is None:  # smoothing and layout are paid once
            self._mpe_circuit = CircuitModule(self.compiled.circuit, semiring="max_product")
        values, assignment = self._mpe_circuit.explain(pos.detach(), neg.detach())
        names = self._variable_names()
        result = []
        for b in range(values.shape[0]):
            row = []
            for q, answer in enumerate(self.compiled.answers):
                chosen = tuple(
                    name[value]
                    for name, value in zip(names, assignment[b, q].tolist(), strict=True)
                    if name[value]
                )
                row.append(Explanation(str(answer), math.exp(values[b, q].item()), chosen))
            result.append(row)
        return result

    def _variable_names(self) -> list[tuple[str, str]]:
        """(text if false, text if true) for each variable; empty text is not reported."""
        names = [("", "")] * self.compiled.circuit.num_vars
        for fact in self.compiled.choices.facts:
            names[fact.var - 1] = (f"\\+{fact.choice.head}", str(fact.choice.head))
        for group in self.compiled.choices.groups:
            for var, value in zip(group.vars, group.choice.heads, strict=True):
                names[var - 1] = ("", "none" if value is None else str(value))
        return names


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def check_networks(program: ir.Program, networks: Mapping[str, nn.Module]) -> None:
    """Every network the program's neural predicates name is given (else a positioned error)."""
    for declaration in program.neural_predicates:
        if declaration.network not in networks:
            known = ", ".join(sorted(networks)) or "none"
            raise NesyTypeError(
                f"unknown network '{declaration.network}': networks given: {known}",
                declaration.span,
            )


def input_name(symbol: clingo.Symbol) -> str:
    """``tensor(a)`` -> ``"a"``: the key of an input in the batch of tensors."""
    return str(symbol.arguments[0]) if symbol.match("tensor", 1) else str(symbol)


def _batch_size(inputs: Mapping[str, Tensor], names: tuple[str, ...]) -> int:
    missing = [n for n in names if n not in inputs]
    if missing:
        raise ConfigError(f"missing input tensors {missing}; the query needs {list(names)}")
    sizes = {n: inputs[n].shape[0] for n in names}
    if len(set(sizes.values())) > 1:
        raise DataError(f"inputs disagree on the batch size: {sizes}")
    return next(iter(sizes.values()), 1)
