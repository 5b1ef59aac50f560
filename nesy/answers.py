"""What every backend's model is: an answer module, networks' inputs in, answers' log-probabilities
out. :class:`nesy.Model` (exact) and ``solvers.asp.AspModel`` (stable models) both satisfy
:class:`AnswerModule`, so a training loop or an evaluation written for one works with the other.

Shape letters: ``B`` batch, ``Q`` answers, ``G`` ground atoms of one network, ``D`` its domain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import clingo

from nesy.errors import DataError
from nesy.lang import ir

if TYPE_CHECKING:
    from torch import Tensor, nn

__all__ = ["AnswerModule", "answer_values", "python_value", "run_network"]


@runtime_checkable
class AnswerModule(Protocol):
    """A program's answers as a torch module.

    ``answers`` are the values of the query's free variables, one per column (``0..18`` for
    ``addition(tensor(a), tensor(b), S)``; a tuple per answer for several free variables), or the
    ground atoms' text for ground or several queries; ``atoms`` the ground atom's text of each
    column. ``input_names`` are the keys of the tensors a forward pass reads.

    Shape:
        ``module(inputs)``: ``{name: (B, ...)}`` -> ``(B, Q)`` log-probabilities of ``answers``,
        conditioned on the program's evidence.
    """

    answers: tuple[object, ...]
    atoms: tuple[str, ...]
    input_names: tuple[str, ...]

    def __call__(self, inputs: Mapping[str, Tensor] | None = None) -> Tensor: ...


def python_value(symbol: clingo.Symbol) -> int | str:
    """A clingo symbol as a plain value: numbers as ``int``, anything else as its text."""
    if symbol.type == clingo.SymbolType.Number:
        return symbol.number
    return str(symbol)


def answer_values(queries: Sequence[ir.Atom], atoms: Sequence[clingo.Symbol]) -> tuple[object, ...]:
    """The answers of ``atoms``, the ground instances of ``queries``: the values of the free
    variables of a single non-ground query, else each atom's text.

    Examples
    --------
    >>> from nesy.lang import parse
    >>> q = parse("n(3). s(X) :- n(X). query(s(S)).").queries[0].atom
    >>> answer_values([q], [clingo.parse_term("s(3)")]), answer_values([q, q], [])
    ((3,), ())
    """
    from nesy.infer.compile import match  # clingo only, but the compiler's module loads pysdd

    names = _free_variables(queries[0]) if len(queries) == 1 else []
    if not names:
        return tuple(str(a) for a in atoms)
    values: list[object] = []
    for symbol in atoms:
        binding: dict[str, clingo.Symbol] = {}
        match(queries[0], symbol, binding)
        row = tuple(python_value(binding[n]) for n in names)
        values.append(row[0] if len(row) == 1 else row)
    return tuple(values)


def _free_variables(atom: ir.Atom) -> list[str]:
    return list(dict.fromkeys(v.name for v in ir.variables(atom) if v.name != "_"))


def run_network(
    name: str, network: nn.Module, arguments: Sequence[Tensor], batch: int, size: int
) -> Tensor:
    """One call of ``network`` on the inputs of all its ground atoms, stacked: each of
    ``arguments`` is ``(G * B, ...)``, atom by atom. Checks the output's shape.

    Shape:
        -> ``(B, G, D)``, ``D = size``.
    """
    out: Tensor = network(*arguments)
    groups = len(arguments[0]) // batch if batch else 0
    if out.dim() != 2 or out.shape != (batch * groups, size):
        raise DataError(
            f"network '{name}' returned shape {tuple(out.shape)}; expected "
            f"({batch * groups}, {size}): one row per input, one column per domain value"
        )
    return out.view(groups, batch, size).transpose(0, 1)
