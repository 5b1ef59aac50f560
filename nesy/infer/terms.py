"""Small circuits flattened to two layers: a sum of products of literals.

A deterministic, decomposable circuit expands into disjoint *terms* (conjunctions of literals),
and a root's value is the semiring sum of its terms' products. When the expansion is small
(one-digit addition: 100 terms of 2 literals) two segment reductions replace a dozen
layers of gathers and scatters, which is most of the per-step cost of the reasoning at small
batch sizes. Larger circuits keep the layered evaluation (:class:`CircuitModule`).

Shape letters as in :mod:`nesy.infer.circuit`: ``B`` batch, ``V`` variables, ``Q`` roots.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.infer.circuit import Circuit, NodeKind
from nesy.infer.semiring import get_semiring

__all__ = ["expand_terms", "TermsModule"]


def expand_terms(circuit: Circuit, max_terms: int) -> list[list[tuple[int, ...]]] | None:
    """Per root, its terms as tuples of literals (``+v``/``-v``); ``None`` past ``max_terms``
    terms at any node or in all roots together (expansion can be exponential, so it is
    abandoned early, and before any term is built when the counts alone say so)."""
    if _term_count(circuit, max_terms + 1) > max_terms:
        return None
    needed = _reachable(circuit)
    # Plain lists and ints: a numpy element or an enum member per node costs more than the
    # node's own work in a circuit of thousands of small nodes.
    kinds, ptr, child, literal = (
        a.tolist() for a in (circuit.kind, circuit.child_ptr, circuit.child_idx, circuit.literal)
    )
    true, false, leaf, disjunction = (
        int(k) for k in (NodeKind.TRUE, NodeKind.FALSE, NodeKind.LITERAL, NodeKind.OR)
    )
    terms: list[list[tuple[int, ...]]] = [[] for _ in range(circuit.num_nodes)]
    for node in range(circuit.num_nodes):  # nodes are in topological order
        if not needed[node]:
            continue
        kind = kinds[node]
        children = child[ptr[node] : ptr[node + 1]]
        if kind == true:
            here: list[tuple[int, ...]] = [()]
        elif kind == false:
            here = []
        elif kind == leaf:
            here = [(literal[node],)]
        elif kind == disjunction:
            here = [t for c in children for t in terms[c]]
        else:  # AND: children share no variable, so products concatenate
            here = [()]
            for c in children:
                if len(here) * len(terms[c]) > max_terms:
                    return None
                here = [a + b for a in here for b in terms[c]]
        if len(here) > max_terms:
            return None
        terms[node] = here
    return [list(terms[r]) for r in circuit.roots.tolist()]


def _term_count(circuit: Circuit, cap: int) -> int:
    """How many terms the roots expand to in all (each node's count capped at ``cap``),
    counted without building them."""
    count = [0] * circuit.num_nodes
    kinds, ptr, child = (a.tolist() for a in (circuit.kind, circuit.child_ptr, circuit.child_idx))
    for node in range(circuit.num_nodes):  # nodes are in topological order
        children = child[ptr[node] : ptr[node + 1]]
        if kinds[node] == NodeKind.OR:
            here = sum(count[c] for c in children)
        elif kinds[node] == NodeKind.AND:
            here = math.prod(count[c] for c in children)
        else:
            here = 0 if kinds[node] == NodeKind.FALSE else 1
        count[node] = min(here, cap)  # past the cap the exact count does not matter
    return sum(count[int(r)] for r in circuit.roots)


def _reachable(circuit: Circuit) -> list[bool]:
    ptr, child = circuit.child_ptr.tolist(), circuit.child_idx.tolist()
    seen = [False] * circuit.num_nodes
    stack = circuit.roots.tolist()
    while stack:
        node = stack.pop()
        if not seen[node]:
            seen[node] = True
            stack.extend(child[ptr[node] : ptr[node + 1]])
    return seen


def _safe_logsumexp(values: Tensor) -> Tensor:
    """logsumexp over the last dimension; all -inf gives -inf with zero gradient, not NaN."""
    shift = values.detach().amax(-1, keepdim=True)
    shift = torch.where(torch.isfinite(shift), shift, torch.zeros_like(shift))
    total = (values - shift).exp().sum(-1)
    empty = total == 0
    logged = torch.where(empty, torch.ones_like(total), total).log() + shift.squeeze(-1)
    return torch.where(empty, torch.full_like(logged, -math.inf), logged)


# Dense reductions over the last dimension: (AND of a term's literals, OR of a root's terms).
_REDUCTIONS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "log": (lambda x: x.sum(-1), _safe_logsumexp),
    "prob": (lambda x: x.prod(-1), lambda x: x.sum(-1)),
}


class TermsModule(nn.Module):
    """Evaluate roots given as sums of products of literals, batched, in dense tensors.

    Terms are padded to the longest with the constant ``one`` and roots to the most terms with
    the constant ``zero``, so a forward pass is two gathers and two reductions.

    Shape:
        pos, neg: ``(B, V)`` literal weights in the semiring's domain -> ``(B, Q)``.
    """

    # buffers: each term's literal columns ``(T, W)``, each root's term rows ``(Q, D)``
    literals: Tensor
    members: Tensor

    def __init__(self, roots: list[list[tuple[int, ...]]], num_vars: int, semiring: str = "log"):
        super().__init__()
        if semiring not in _REDUCTIONS:
            raise ConfigError(
                f"flat evaluation supports {sorted(_REDUCTIONS)}, not {semiring!r}; "
                "use CircuitModule"
            )
        self.semiring = get_semiring(semiring)
        self.num_vars = num_vars
        self.num_queries = len(roots)
        terms = [t for root_terms in roots for t in root_terms]
        self.num_terms = len(terms)
        width = max((len(t) for t in terms), default=0) or 1
        # Column of a literal in [one | pos | neg]; 0 ("one") pads short terms.
        # (Tables are built as lists and converted once: element-wise tensor writes cost
        # microseconds each, which was most of the set-up time of a small program.)
        literals = [
            [lit if lit > 0 else num_vars - lit for lit in term] + [0] * (width - len(term))
            for term in terms
        ]
        # Row of a term among the products; ``num_terms`` (a "zero" row) pads short roots.
        depth = max((len(r) for r in roots), default=0) or 1
        members, first = [], 0
        for root_terms in roots:
            rows = list(range(first, first + len(root_terms)))
            members.append(rows + [self.num_terms] * (depth - len(rows)))
            first += len(root_terms)
        literal_table = torch.tensor(literals, dtype=torch.long).reshape(len(terms), width)
        self.register_buffer("literals", literal_table, False)
        member_table = torch.tensor(members, dtype=torch.long).reshape(len(roots), depth)
        self.register_buffer("members", member_table, False)

    def forward(self, pos: Tensor, neg: Tensor) -> Tensor:
        times, plus = _REDUCTIONS[self.semiring.name]
        batch = pos.shape[0]
        one = pos.new_full((batch, 1), self.semiring.one)
        table = torch.cat((one, pos, neg), dim=1)
        products = times(table[:, self.literals])  # (B, T)
        zero = pos.new_full((batch, 1), self.semiring.zero)
        return plus(torch.cat((products, zero), dim=1)[:, self.members])  # (B, Q)

    def extra_repr(self) -> str:
        name = self.semiring.name
        return f"terms={self.num_terms}, queries={self.num_queries}, semiring={name!r}"
