"""The ASP backend of ``nesy query`` and ``nesy train`` (the ``nesy.backends`` entry point
``asp``): every program, under stable-model semantics (NeurASP).

A module of its own, apart from ``nesy solve``'s command (:mod:`solvers.asp.cli`), so that the
command does not import the core's backend interface and budgets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from nesy.backend import Verdict
from nesy.errors import NesyTypeError
from nesy.infer.budget import DEFAULT_BUDGET, Budget

if TYPE_CHECKING:
    from torch import nn

    from nesy.lang import ir
    from solvers.asp.layer import AspModel

__all__ = ["BACKEND"]


class _Backend:
    """What the core CLI's ``--backend asp`` calls (found through the ``nesy.backends`` entry
    point, so the core never imports this package)."""

    name = "asp"

    def accepts(self, program: ir.Program) -> Verdict:
        """Every program: zero, one or many stable models per total choice."""
        return Verdict(True, "stable-model semantics")

    def model(
        self,
        program: ir.Program,
        networks: Mapping[str, nn.Module],
        query: ir.Atom | None = None,
    ) -> AspModel:
        from solvers.asp.layer import AspModel

        return AspModel(program, networks, query=query)

    def query(self, program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]:
        """Only the budget's time and memory apply (the caller's child process bounds them)."""
        if program.neural_predicates:
            raise NesyTypeError(
                "this program has neural predicates: bind its networks with "
                "solvers.asp.AspModel (or train it with `nesy train`)",
                program.neural_predicates[0].span,
            )
        from solvers.asp.layer import AspModel  # torch: only for queries, not `nesy solve`

        model = AspModel(program)
        # conditioning on impossible evidence divides 0 by 0: say so, as the exact backend does
        if model.evidence is not None and model.log_evidence()[0] == -math.inf:
            raise NesyTypeError(f"{program.source}: the evidence has probability 0")
        return dict(zip(model.atoms, model({})[0].exp().tolist(), strict=True))


BACKEND = _Backend()
