"""Ground a program with clingo and read the result back through clingo's observer API."""

from __future__ import annotations

from collections.abc import Sequence

import clingo

from nesy.errors import GroundingError
from nesy.ground.program import GroundProgram, GroundRule, GroundWeightRule
from nesy.ground.translate import to_clingo
from nesy.lang import ir

__all__ = ["ground"]


class _Collector(clingo.Observer):
    """Records the ground program exactly as clingo's grounder hands it to the solver."""

    def __init__(self) -> None:
        self.rules: list[GroundRule] = []
        self.weight_rules: list[GroundWeightRule] = []
        self.symbols: dict[int, clingo.Symbol] = {}
        self.facts: set[clingo.Symbol] = set()

    def rule(self, choice: bool, head: Sequence[int], body: Sequence[int]) -> None:
        self.rules.append(GroundRule(choice, tuple(head), tuple(body)))

    def weight_rule(
        self, choice: bool, head: Sequence[int], lower_bound: int, body: Sequence[tuple[int, int]]
    ) -> None:
        self.weight_rules.append(
            GroundWeightRule(choice, tuple(head), lower_bound, tuple((lit, w) for lit, w in body))
        )

    def output_atom(self, symbol: clingo.Symbol, atom: int) -> None:
        if atom == 0:
            self.facts.add(symbol)
        else:
            self.symbols[atom] = symbol


def ground(program: ir.Program, extra_tensors: tuple[str, ...] = ()) -> GroundProgram:
    """Ground ``program`` with clingo.

    Parameters
    ----------
    program
        The parsed program.
    extra_tensors
        Further ``tensor(...)`` input terms to ground neural predicates for.

    Raises
    ------
    GroundingError
        When clingo rejects the translated program (with clingo's own message).
    """
    messages: list[str] = []

    def log(_code: clingo.MessageCode, message: str) -> None:
        messages.append(message.strip())

    control = clingo.Control(["--warn=none"], logger=log, message_limit=20)
    collector = _Collector()
    control.register_observer(collector)
    text = to_clingo(program, extra_tensors)
    try:
        control.add("base", [], text)
        control.ground([("base", [])])
    except RuntimeError as exc:
        detail = "; ".join(messages) or str(exc)
        raise GroundingError(f"clingo could not ground {program.source}: {detail}") from exc
    return GroundProgram(
        rules=tuple(collector.rules),
        weight_rules=tuple(collector.weight_rules),
        symbols=collector.symbols,
        facts=frozenset(collector.facts),
    )
