"""Ground a program with clingo and read the result back through clingo's observer API."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

import clingo

from nesy.errors import GroundingError
from nesy.ground.program import GroundProgram, GroundRule, GroundWeightRule
from nesy.ground.translate import AD, NN, PF, clingo_lines, read_choices
from nesy.lang import ir

__all__ = ["ground"]


class _TooLarge(Exception):
    """Raised inside clingo's callback to stop a grounding that outgrew its budget."""


class _Collector(clingo.Observer):
    """Records the ground program exactly as clingo's grounder hands it to the solver."""

    def __init__(self, max_rules: int, deadline: float) -> None:
        self.max_rules = max_rules
        self.deadline = deadline
        self.rules: list[GroundRule] = []
        self.weight_rules: list[GroundWeightRule] = []
        self.symbols: dict[int, clingo.Symbol] = {}
        self.facts: set[clingo.Symbol] = set()
        # the choice atoms by their reserved name: a symbol's name is read once, here (each
        # read is a call into clingo)
        self.choice_atoms: dict[str, dict[int, clingo.Symbol]] = {PF: {}, AD: {}, NN: {}}

    def _count(self) -> None:
        size = len(self.rules) + len(self.weight_rules)
        if size > self.max_rules:
            raise _TooLarge(f"over {self.max_rules} ground rules")
        if size % 10_000 == 0 and time.perf_counter() > self.deadline:
            raise _TooLarge(f"{size} ground rules and still grounding past the time limit")

    def rule(self, choice: bool, head: Sequence[int], body: Sequence[int]) -> None:
        self.rules.append(GroundRule(choice, tuple(head), tuple(body)))
        self._count()

    def weight_rule(
        self, choice: bool, head: Sequence[int], lower_bound: int, body: Sequence[tuple[int, int]]
    ) -> None:
        self.weight_rules.append(
            GroundWeightRule(choice, tuple(head), lower_bound, tuple((lit, w) for lit, w in body))
        )
        self._count()

    def output_atom(self, symbol: clingo.Symbol, atom: int) -> None:
        if atom == 0:
            self.facts.add(symbol)
        else:
            self.symbols[atom] = symbol
            if symbol.type == clingo.SymbolType.Function:
                choices = self.choice_atoms.get(symbol.name)
                if choices is not None:
                    choices[atom] = symbol


_BLOCK_LINE = re.compile(r"^<block>:(\d+):\d+")


def _undefined_operation(message: str, lines: list[tuple[str, ir.Span | None]]) -> GroundingError:
    """clingo's "operation undefined" message as an error at the source statement."""
    operation = message.split("operation undefined:", 1)[-1].strip()
    match = _BLOCK_LINE.match(message)
    span = None
    if match is not None and 0 < int(match.group(1)) <= len(lines):
        span = lines[int(match.group(1)) - 1][1]
    return GroundingError(
        f"clingo cannot evaluate {operation} for some ground instance (a division by zero, "
        "or arithmetic on a term that is not an integer): it would silently drop that "
        "instance, where ProbLog stops with an error",
        span,
    )


def ground(
    program: ir.Program,
    extra_tensors: tuple[str, ...] = (),
    *,
    max_rules: int = 5_000_000,
    max_seconds: float = 600.0,
) -> GroundProgram:
    """Ground ``program`` with clingo: its ground rules, atoms and table of choices.

    Parameters
    ----------
    program
        The parsed program.
    extra_tensors
        Further ``tensor(...)`` input terms to ground neural predicates for.
    max_rules, max_seconds
        The budget: grounding stops cleanly, with a GroundingError, past either.

    Raises
    ------
    GroundingError
        When clingo rejects the translated program (with clingo's own message), when the
        ground program outgrows the budget, or when clingo meets arithmetic it cannot evaluate
        (a division by zero, arithmetic on a symbol): clingo drops such a rule instance without
        a word, where ProbLog stops with an error.
    """
    messages: list[str] = []
    undefined: list[str] = []

    def log(code: clingo.MessageCode, message: str) -> None:
        if code == clingo.MessageCode.OperationUndefined:
            undefined.append(message.strip())
        else:
            messages.append(message.strip())

    # every warning off but the one that means a silently dropped rule instance
    control = clingo.Control(
        ["--warn=none", "--warn=operation-undefined"], logger=log, message_limit=20
    )
    collector = _Collector(max_rules, time.perf_counter() + max_seconds)
    control.register_observer(collector)
    lines = clingo_lines(program, extra_tensors)
    text = "".join(line + "\n" for line, _ in lines)
    try:
        control.add("base", [], text)
        control.ground([("base", [])])
    except _TooLarge as exc:
        raise GroundingError(
            f"grounding {program.source} stopped: {exc}. A program that enumerates every value "
            "of a large quantity (e.g. whole multi-digit numbers) grounds exponentially; "
            "decompose it (e.g. add column by column with carries)"
        ) from exc
    except RuntimeError as exc:
        detail = "; ".join(messages) or str(exc)
        raise GroundingError(f"clingo could not ground {program.source}: {detail}") from exc
    if undefined:
        raise _undefined_operation(undefined[0], lines)
    return GroundProgram(
        rules=tuple(collector.rules),
        weight_rules=tuple(collector.weight_rules),
        symbols=collector.symbols,
        facts=frozenset(collector.facts),
        choices=read_choices(program, collector.choice_atoms),
    )
