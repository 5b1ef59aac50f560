"""ProbLog-style answers for programs without neural predicates."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from nesy.errors import NesyTypeError
from nesy.infer.budget import DEFAULT_BUDGET, Budget

if TYPE_CHECKING:
    from nesy.ground.topdown import GroundProblog
from nesy.infer.model import Explanation, Model
from nesy.lang import ir

__all__ = ["query", "explain", "query_problog"]


def _model(program: ir.Program, budget: Budget) -> Model:
    if program.neural_predicates:
        first = program.neural_predicates[0]
        raise NesyTypeError(
            "this program has neural predicates: bind its networks with nesy.Model "
            "(or train it with `nesy train`)",
            first.span,
        )
    return Model(program, budget=budget)


def query(program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]:
    """Probability of every ground query atom, conditioned on the program's evidence; grounding
    and compilation stop with an error past ``budget``.

    Examples
    --------
    >>> import nesy
    >>> nesy.query(nesy.parse("0.5::a. 0.5::b. c :- a. c :- b. query(c)."))
    {'c': 0.75}
    """
    model = _model(program, budget)
    logp = model({})[0]
    # Every answer is conjoined with the evidence, so evidence of probability 0 leaves
    # -inf - (-inf) = NaN in every column (and no NaN otherwise: weights are finite or -inf).
    if model.compiled.has_evidence and len(logp) and logp.isnan().all():
        raise NesyTypeError(f"{program.source}: the evidence has probability 0")
    return {str(a): math.exp(v) for a, v in zip(model.compiled.answers, logp.tolist(), strict=True)}


def explain(program: ir.Program, budget: Budget = DEFAULT_BUDGET) -> list[Explanation]:
    """For every ground query atom, the most probable total choice under which it and the
    evidence hold, with that choice's probability (a joint, not a conditional, probability)."""
    return _model(program, budget).explain()[0]


def query_problog(source: str | Path, budget: Budget = DEFAULT_BUDGET) -> dict[str, float]:
    """ProbLog's answers for a program in the ProbLog dialect (text, or the path of a file):
    grounded top-down for its queries (:mod:`nesy.ground.topdown`), then inferred exactly; the
    two together stop with an error past ``budget.seconds``.

    Examples
    --------
    >>> answers = query_problog("0.3::a(1). 0.4::a(2). f(L) :- findall(X, a(X), L). query(f(_)).")
    >>> {atom: round(p, 12) for atom, p in answers.items()}
    {'f([])': 0.42, 'f([1])': 0.18, 'f([2])': 0.28, 'f([1, 2])': 0.12}
    """
    with _cycle_collector_paused():
        return _query_problog(source, budget)


def _query_problog(source: str | Path, budget: Budget) -> dict[str, float]:
    from nesy.ground.topdown import ground_problog

    start = time.perf_counter()
    grounded = ground_problog(source, max_seconds=budget.seconds)
    left = max(budget.seconds - (time.perf_counter() - start), 1e-3)
    if grounded.impossible_evidence is not None:
        raise NesyTypeError(
            f"{grounded.program.source}: the evidence has probability 0 "
            f"({grounded.impossible_evidence} cannot hold as given)"
        )
    program = grounded.program
    probabilities: dict[str, float] = {}
    if program.queries or program.evidence:
        if not program.queries:  # run the model anyway: inconsistent evidence must be reported
            evidence_atom = program.evidence[0].atom
            program = ir.Program((*program.statements, ir.Query(evidence_atom)), program.source)
        probabilities = query(program, dataclasses.replace(budget, seconds=left))
    answers = {
        text: grounded.fixed[text] if text in grounded.fixed else probabilities[name]
        for text, name in _names_in_order(grounded)
    }
    return {text: p for text, p in answers.items() if not (text in grounded.optional and p == 0.0)}


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off for one answer, and back as it was: grounding and
    compiling allocate hundreds of thousands of short-lived objects, none in cycles on the
    benchmark families (reference counting frees them), and each collection that they trigger
    scans the whole heap again (torch's and every library's objects): 30% of the time of 300
    noisy-or queries. Any cycles left are collected at the first collection after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _names_in_order(grounded: GroundProblog) -> list[tuple[str, str]]:
    by_text = {text: name for name, text in grounded.names.items()}
    return [(text, by_text.get(text, "")) for text in grounded.order]
