"""The symbolic function c(w) that A-NeSI learns to invert: the program run forward.

A total choice ``w`` gives every neural atom one value; the program then has one answer,
``y = c(w)``. A-NeSI needs nothing else from the program (no circuit), so it works where
compilation cannot.

Two implementations of one protocol, :class:`SymbolicFunction`:

- :class:`ProgramFunction` runs the program itself through clingo, one total choice at a time
  (each neural predicate's choice rule replaced by the chosen value, so grounding stays linear),
  with a cache. Any program whose query answers with one integer; about 2 ms a new choice.
- :class:`NumberSum` is the arithmetic-output family's vectorised function, ``a + b`` of two
  N-digit numbers computed column by column in torch: the off-policy training asks for hundreds
  of thousands of forward runs, far more than clingo's 2 ms each allow, and clingo's integers are
  32-bit, so it cannot run the whole-number program beyond N = 9 at all.
  :func:`check_agrees` runs both on random total choices and refuses the fast function where it
  differs from the program.

Outputs are integers written as ``len(output_sizes)`` base-10 digits, most significant first;
the first digit's domain may be smaller (``2`` for a sum's leading carry).

Shape letters: ``S`` total choices, ``K`` symbols (neural atoms) per example, ``M`` output digits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import clingo
import torch
from torch import Tensor

from nesy.errors import ConfigError, NesyTypeError
from nesy.ground.translate import to_clingo
from nesy.lang import ir

__all__ = [
    "SymbolicFunction",
    "ProgramFunction",
    "NumberSum",
    "to_digits",
    "from_digits",
    "check_agrees",
]


class SymbolicFunction(Protocol):
    """``y = c(w)``: ``(S, K)`` int64 symbol values -> ``(S, M)`` int64 output digits."""

    symbols: int  # K
    values: int  # each symbol's domain size
    output_sizes: tuple[int, ...]  # the domain size of each output digit, most significant first

    def __call__(self, w: Tensor) -> Tensor: ...


def to_digits(numbers: Tensor, count: int) -> Tensor:
    """``(S,)`` non-negative integers -> ``(S, count)`` base-10 digits, most significant first.

    Examples
    --------
    >>> import torch
    >>> to_digits(torch.tensor([102, 7]), 3).tolist()
    [[1, 0, 2], [0, 0, 7]]
    """
    powers = 10 ** torch.arange(count - 1, -1, -1, dtype=torch.int64)
    return (numbers.to(torch.int64).unsqueeze(1) // powers) % 10


def from_digits(digits: Tensor) -> list[int]:
    """``(S, M)`` base-10 digits, most significant first -> the ``S`` integers (Python ints, so
    that 16 digits never overflow).

    Examples
    --------
    >>> import torch
    >>> from_digits(torch.tensor([[1, 0, 2]]))
    [102]
    """
    return [int("".join(map(str, row)) or "0") for row in digits.tolist()]


class NumberSum:
    """``a + b`` for two numbers of ``n`` digits each, vectorised: the symbolic function of
    ``programs/mnist_addition_numbers.nesy`` (specialised to this arithmetic-output family; see
    :func:`check_agrees`).

    ``w`` columns ``0..n-1`` are the digits ``d(a, 0..n-1)`` of the first number (``d(a, 0)``
    least significant), columns ``n..2n-1`` those of the second. The output is the sum's
    ``n + 1`` digits, most significant (the final carry, 0 or 1) first.

    Examples
    --------
    >>> import torch
    >>> NumberSum(2)(torch.tensor([[9, 9, 3, 0]])).tolist()  # 99 + 3 = 102
    [[1, 0, 2]]
    """

    values = 10

    def __init__(self, n: int) -> None:
        if n < 1:
            raise ConfigError(f"digits per number must be at least 1; got {n}")
        self.n = n
        self.symbols = 2 * n
        self.output_sizes = (2,) + (10,) * n

    def __call__(self, w: Tensor) -> Tensor:
        carry = torch.zeros(len(w), dtype=torch.int64, device=w.device)
        columns = []
        for i in range(self.n):
            total = w[:, i] + w[:, self.n + i] + carry
            columns.append(total % 10)
            carry = total // 10
        columns.append(carry)
        return torch.stack(columns[::-1], dim=1)


# The translator's choice rule of neural predicate k (see nesy.ground.translate):
# {__nesy_nn(k,Inputs,Y,Atom):__nesy_dom(k,Y)}:-__nesy_input(k,Inputs).
_CHOICE = re.compile(
    r"^\{(?P<atom>__nesy_nn\((?P<k>\d+),(?P<inputs>\(.*\)),(?P<y>\w+),.*\)):"
    r"__nesy_dom\(\d+,\w+\)\}:-(?P<body>__nesy_input\(.*\))\.$"
)


class ProgramFunction:
    """The program run forward by clingo on one total choice at a time (cached).

    Each neural predicate's choice rule becomes a rule that takes the value given by a
    ``__nesy_choice(K, Inputs, Value)`` fact, so a run grounds one value per neural atom: linear
    in the program, where the choice rule grounds every value (the whole-number program's
    ``value/3`` then has 10^N instances).

    Parameters
    ----------
    program
        A program with one neural predicate and a query ``q(Y)`` whose ``Y`` is an integer.
    inputs
        The ground input terms of the neural atoms, in ``w``'s column order, e.g.
        ``("tensor(d(a,0))", ...)``.
    output_sizes
        The domain of each output digit, most significant first.

    Raises
    ------
    NesyTypeError
        The program has no neural predicate or query, or several neural predicates.
    """

    def __init__(
        self, program: ir.Program, inputs: Sequence[str], output_sizes: Sequence[int]
    ) -> None:
        if len(program.neural_predicates) != 1 or not program.queries:
            raise NesyTypeError(
                f"{program.source}: A-NeSI's program runner needs one neural predicate and a "
                f"query; found {len(program.neural_predicates)} and {len(program.queries)}"
            )
        neural = program.neural_predicates[0]
        self.values = len(neural.domain)
        self._domain = list(neural.domain)
        self.symbols = len(inputs)
        self.output_sizes = tuple(output_sizes)
        self._inputs = list(inputs)
        self._query = program.queries[0].atom
        self._base, self._k = _forward_text(program)
        self._cache: dict[tuple[int, ...], int] = {}

    def answer(self, choice: Sequence[int]) -> int:
        """The query's integer answer under ``choice`` (value indices, one per input)."""
        key = tuple(choice)
        if key not in self._cache:
            self._cache[key] = self._run(key)
        return self._cache[key]

    def __call__(self, w: Tensor) -> Tensor:
        answers = torch.tensor([self.answer(row) for row in w.tolist()], dtype=torch.int64)
        return to_digits(answers, len(self.output_sizes)).to(w.device)

    def _run(self, choice: tuple[int, ...]) -> int:
        facts = "".join(
            f"__nesy_choice({self._k},({term},),{self._domain[v]}).\n"
            for term, v in zip(self._inputs, choice, strict=True)
        )
        control = clingo.Control(["--warn=none"])
        control.add("base", [], self._base + facts)
        control.ground([("base", [])])
        found: list[clingo.Symbol] = []
        name, arity = self._query.signature
        control.solve(
            on_model=lambda model: found.extend(
                s for s in model.symbols(atoms=True) if s.match(name, arity)
            )
        )
        numbers = [s.arguments[-1] for s in found]
        if len(numbers) != 1 or numbers[0].type != clingo.SymbolType.Number:
            raise NesyTypeError(
                f"{self._query.span}: A-NeSI needs one integer answer of {name}/{arity} per "
                f"total choice; the choice {list(choice)} gave {[str(s) for s in found]}"
            )
        return int(numbers[0].number)


def _forward_text(program: ir.Program) -> tuple[str, int]:
    """``program`` as clingo text whose neural choice rule reads ``__nesy_choice`` facts."""
    lines, index = [], None
    for line in to_clingo(program).splitlines():
        match = _CHOICE.match(line)
        if match:
            index = int(match["k"])
            line = (
                f"{match['atom']}:-{match['body']},"
                f"__nesy_choice({match['k']},{match['inputs']},{match['y']})."
            )
        lines.append(line)
    if index is None:
        raise NesyTypeError(f"{program.source}: no neural choice rule found to run forward")
    return "\n".join(lines) + "\n", index


def check_agrees(
    fast: SymbolicFunction, program: ProgramFunction, samples: int, generator: torch.Generator
) -> None:
    """Run both functions on ``samples`` random total choices; refuse ``fast`` if they differ.

    Raises
    ------
    ConfigError
        A choice on which the two differ (shown), or functions of different shapes.
    """
    if (fast.symbols, fast.output_sizes) != (program.symbols, program.output_sizes):
        raise ConfigError(
            f"the fast symbolic function reads {fast.symbols} symbols into digits "
            f"{fast.output_sizes}; the program {program.symbols} into {program.output_sizes}"
        )
    w = torch.randint(program.values, (samples, program.symbols), generator=generator)
    ours, theirs = fast(w), program(w)
    wrong = (ours != theirs).any(dim=1).nonzero().flatten()
    if len(wrong):
        i = int(wrong[0])
        fast_says, program_says = from_digits(torch.stack([ours[i], theirs[i]]))
        raise ConfigError(
            f"the fast symbolic function is not the program's: on the choice {w[i].tolist()} it "
            f"gives {fast_says}, the program {program_says}"
        )
