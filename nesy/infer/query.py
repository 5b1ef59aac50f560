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
    logp = model({})[0]
    # Every answer is conjoined with the evidence, so evidence of probability 0 leaves
    # -inf - (-inf) = NaN in every column (and no NaN otherwise: weights are finite or -inf).
    if model.compiled.has_evidence and len(logp) and logp.isnan().all():
        raise NesyTypeError(f"{program.source}: the evidence has probability 0")
    return {str(a): math.exp(v) for a, v in zip(model.compiled.answers, logp.tolist(), strict=True)}


def explain(program: ir.Program) -> list[Explanation]:
    """For every ground query atom, the most probable total choice under which it and the
    evidence hold, with that choice's probability (a joint, not a conditional, probability)."""
    return _model(program).explain()[0]
