"""The symbolic function: the program run forward by clingo, and the vectorised sum checked
against it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from nesy.errors import ConfigError, NesyTypeError
from nesy.lang import parse, parse_file
from solvers.anesi.symbolic import (
    NumberSum,
    ProgramFunction,
    check_agrees,
    from_digits,
    to_digits,
)

NUMBERS = Path(__file__).resolve().parents[2] / "programs" / "mnist_addition_numbers.nesy"


def _runner(n: int) -> ProgramFunction:
    program = parse_file(str(NUMBERS)).with_constants({"n": n})
    inputs = [f"tensor(d({x},{i}))" for x in "ab" for i in range(n)]
    return ProgramFunction(program, inputs, (2,) + (10,) * n)


def test_the_program_run_forward_adds_whole_numbers():
    runner = _runner(3)
    # a = 472 (d(a,0) = 2 least significant), b = 839: 1311
    w = torch.tensor([[2, 7, 4, 9, 3, 8], [0, 0, 0, 0, 0, 0]])
    assert runner(w).tolist() == [[1, 3, 1, 1], [0, 0, 0, 0]]
    assert runner.answer([2, 7, 4, 9, 3, 8]) == 1311


@pytest.mark.parametrize("n", [1, 2, 5])
def test_the_vectorised_sum_is_the_programs_function(n):
    check_agrees(NumberSum(n), _runner(n), 40, torch.Generator().manual_seed(n))


class _OffByOne(NumberSum):
    def __call__(self, w):
        digits = super().__call__(w)
        return to_digits(torch.tensor([v + 1 for v in from_digits(digits)]), digits.shape[1])


def test_a_function_that_is_not_the_programs_is_refused():
    with pytest.raises(ConfigError, match="not the program's: on the choice"):
        check_agrees(_OffByOne(2), _runner(2), 20, torch.Generator().manual_seed(0))
    with pytest.raises(ConfigError, match="reads 2 symbols"):
        check_agrees(NumberSum(1), _runner(2), 5, torch.Generator().manual_seed(0))


def test_programs_it_cannot_run_are_named():
    with pytest.raises(NesyTypeError, match="one neural predicate and a query"):
        ProgramFunction(parse("a. query(a)."), [], (2,))
    wrong_inputs = ProgramFunction(parse_file(str(NUMBERS)).with_constants({"n": 1}),
                                   ["tensor(x)", "tensor(y)"], (2, 10))  # fmt: skip
    with pytest.raises(NesyTypeError, match="one integer answer of addition/1"):
        wrong_inputs(torch.tensor([[1, 2]]))


def test_digits_round_trip_without_overflow():
    big = torch.tensor([1999999999999998])  # two 15-digit numbers' largest sum
    assert from_digits(to_digits(big, 16)) == [1999999999999998]
