"""A whole backend in one file, the worked example of docs/adding-a-backend.md: it answers
programs of probabilistic facts and queries of them (each query's probability is its fact's) and
refuses every other program, saying why and where."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nesy.backend import Verdict
from nesy.errors import BackendError
from nesy.infer.budget import DEFAULT_BUDGET, Budget
from nesy.lang import ir


class FactsBackend:
    name = "facts"

    def accepts(self, program: ir.Program) -> Verdict:
        for statement in program.statements:  # anything else could change the answers
            if not isinstance(statement, ir.Query) and statement not in _facts(program):
                return Verdict(False, "not a probabilistic fact or a query", statement.span)
        facts = {str(fact.atom) for fact in _facts(program)}
        for q in program.queries:
            if str(q.atom) not in facts:
                return Verdict(False, f"query {q.atom} is not a probabilistic fact", q.span)
        return Verdict(True, "only probabilistic facts and queries of them")

    def model(self, program: ir.Program, networks: Mapping[str, Any], query: Any = None) -> Any:
        raise BackendError("the facts backend binds no networks")

    def query(self, program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]:
        verdict = self.accepts(program)
        if not verdict:
            raise BackendError(verdict.reason, verdict.span)
        chance = {str(fact.atom): fact.probability for fact in _facts(program)}
        return {str(q.atom): chance[str(q.atom)] for q in program.queries}


def _facts(program: ir.Program) -> list[ir.ProbFact]:
    return [fact for fact in program.of_type(ir.ProbFact) if not fact.body]


BACKEND = FactsBackend()
