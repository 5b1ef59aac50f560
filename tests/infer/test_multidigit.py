"""Multi-digit addition: the carry program is exact, and the whole-number one stops cleanly."""

import itertools
from pathlib import Path

import pytest
import torch
from torch import nn

import nesy
from nesy.errors import CompileError, GroundingError
from nesy.ground import ground
from nesy.infer.compile import compile_queries

PROGRAMS = Path(__file__).resolve().parents[2] / "programs"


class _Digits(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(5, 10)

    def forward(self, x):
        return torch.log_softmax(self.linear(x), -1)


class _OneHot(nn.Module):
    def forward(self, labels):
        return torch.nn.functional.one_hot(labels, 10).float().log()


def test_carry_program_is_exact_against_enumeration():
    torch.manual_seed(0)
    digits = 2
    program = nesy.parse_file(PROGRAMS / "mnist_addition_carry.nesy").with_constants({"n": 2})
    net = _Digits()
    model = nesy.Model(program, {"mnist_net": net, "observed": _OneHot()})
    assert model.answers == ("correct",)
    batch = 3
    images = {f"{x}({i})": torch.randn(batch, 5) for x in "ab" for i in range(digits)}
    sums = torch.tensor([57, 120, 3])
    inputs = dict(images)
    for i in range(digits + 1):
        inputs[f"s({i})"] = (sums // 10**i) % 10
    logp = model(inputs)[:, 0]
    p = {name: net(x).exp() for name, x in images.items()}
    for row in range(batch):
        total = 0.0
        for a0, a1, b0, b1 in itertools.product(range(10), repeat=4):
            if a0 + 10 * a1 + b0 + 10 * b1 == sums[row]:
                total += (
                    p["a(0)"][row, a0]
                    * p["a(1)"][row, a1]
                    * p["b(0)"][row, b0]
                    * p["b(1)"][row, b1]
                ).item()
        assert logp[row].exp().item() == pytest.approx(total, rel=1e-4)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 8, 15])
def test_carry_circuit_grows_linearly(n):
    # Also where n is no power of two: the vtree's cuts must fall between columns (the carry
    # into a column is seen through the renaming digit(...) :- __nesy_nn(...)); they fell
    # inside one at n = 3, 7, 15 before, with 2-4x the edges per column.
    program = nesy.parse_file(PROGRAMS / "mnist_addition_carry.nesy").with_constants({"n": n})
    compiled = compile_queries(program, tuple(q.atom for q in program.queries))
    assert compiled.circuit.num_edges < 1_800 * n


def test_whole_number_program_stops_at_the_compile_budget():
    program = nesy.parse_file(PROGRAMS / "mnist_addition_numbers.nesy").with_constants({"n": 2})
    queries = tuple(q.atom for q in program.queries)
    with pytest.raises(CompileError, match="stopped.*column by column with carries"):
        compile_queries(program, queries, max_sdd_size=20_000)


def test_grounding_stops_at_the_rule_budget():
    program = nesy.parse_file(PROGRAMS / "mnist_addition_numbers.nesy").with_constants({"n": 3})
    with pytest.raises(GroundingError, match="stopped: over 1000 ground rules"):
        ground(program, max_rules=1000)


def test_unknown_constant_is_a_config_error():
    from nesy.errors import ConfigError

    program = nesy.parse_file(PROGRAMS / "mnist_addition_carry.nesy")
    with pytest.raises(ConfigError, match="no #const m .*declared: n"):
        program.with_constants({"m": 3})
