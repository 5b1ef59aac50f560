"""ProbLog-style answers for programs without neural predicates."""

from __future__ import annotations

import math

from nesy.errors import NesyTypeError
from nesy.infer.model import Explanation, Model
from nesy.lang import ir

__all__ = ["query", "explain"]


def _model(program: ir.Program) -> Model:
    if program.neural_predicates:
        first = program.neural_predicates[0]
        raise NesyTypeError(
            "this program has neural predicates: bind its networks with nesy.Model "
            "(or train it with `nesy train`)",
            first.span,
        )
    return Model(program)


def query(program: ir.Program) -> dict[str, float]:
    """Probability of every ground query atom, conditioned on the program's evidence.

    Examples
    --------
    >>> import nesy
    >>> nesy.query(nesy.parse("0.5::a. 0.5::b. c :- a. c :- b. query(c)."))
    {'c': 0.75}
    """
    model = _model(program)
    pos, neg = model.weights({})
    raw = model.circuit(pos, neg)[0]
    if model.compiled.has_evidence:
        if raw[-1].item() == -math.inf:
            raise NesyTypeError(f"{program.source}: the evidence has probability 0")
        raw = raw[:-1] - raw[-1]
    return {str(a): math.exp(v) for a, v in zip(model.compiled.answers, raw.tolist(), strict=True)}


def explain(program: ir.Program) -> list[Explanation]:
    """For every ground query atom, the most probable total choice under which it and the
    evidence hold, with that choice's probability (a joint, not a conditional, probability)."""
    return _model(program).explain()[0]
