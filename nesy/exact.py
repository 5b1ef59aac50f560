"""The exact backend: knowledge-compiled circuits, exact probabilities and gradients, for programs
with one stable model per total choice. Registered like every other backend
(``nesy.backends``: ``exact = "nesy.exact:BACKEND"``); torch is loaded only by its model and
queries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nesy.backend import Verdict
from nesy.infer.budget import DEFAULT_BUDGET, Budget

if TYPE_CHECKING:
    from torch import nn

    from nesy.infer.model import Model
    from nesy.lang import ir

__all__ = ["BACKEND", "ExactBackend"]


class ExactBackend:
    """:class:`nesy.backend.Backend` for :class:`nesy.Model`."""

    name = "exact"

    def accepts(self, program: ir.Program) -> Verdict:
        from nesy.infer.compile import outside_class
        from nesy.lang.depend import negative_cycle

        found = outside_class(program)
        if found is None and (cycle := negative_cycle(program)) is not None:
            found = ("negation through recursion", cycle.span)
        if found is not None:
            return Verdict(False, found[0], found[1])
        return Verdict(True, "one stable model per total choice")

    def model(
        self,
        program: ir.Program,
        networks: Mapping[str, nn.Module],
        query: ir.Atom | None = None,
    ) -> Model:
        from nesy.infer.model import Model

        return Model(program, networks, query=query)

    def query(self, program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]:
        from nesy.infer.query import query

        return query(program, budget)


BACKEND = ExactBackend()
