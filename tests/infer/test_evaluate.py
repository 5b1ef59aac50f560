"""The evaluator entry point: which module it builds for a semiring and a circuit's size, and
that its choice computes what the layered reference (checked by enumeration in test_layers)
computes, values and gradients."""

from __future__ import annotations

import functools

import pytest
import torch
from pysdd.sdd import SddManager
from random_formulas import random_problem

from nesy.errors import ConfigError
from nesy.infer.circuit import Circuit, circuit_from_sdd
from nesy.infer.evaluate import MAX_FLAT_TERMS, evaluator
from nesy.infer.layers import CircuitModule
from nesy.infer.logpass import LogCircuit
from nesy.infer.terms import TermsModule, expand_terms

PARITY_VARS = 14  # odd parity of 14 variables: 2**13 terms of 14 literals, past MAX_FLAT_TERMS


def _parity() -> Circuit:
    mgr = SddManager(PARITY_VARS)
    root = mgr.false()
    for v in range(1, PARITY_VARS + 1):
        literal = mgr.literal(v)
        root = (root & ~literal) | (~root & literal)
    return circuit_from_sdd([root, ~root], num_vars=PARITY_VARS)


@functools.cache
def _circuits() -> dict[str, Circuit]:
    return {"random": random_problem(2)[0], "parity": _parity()}


@pytest.mark.parametrize(
    ("circuit", "semiring", "k", "built"),
    [
        ("random", "log", None, TermsModule),
        ("parity", "log", None, LogCircuit),
        ("random", "prob", None, CircuitModule),
        ("random", "max_product", None, CircuitModule),
        ("parity", "max_min", None, CircuitModule),
        ("random", "top_k", 3, CircuitModule),
    ],
)
def test_choice_follows_the_semiring_and_the_size(circuit, semiring, k, built):
    module = evaluator(_circuits()[circuit], semiring, k=k)
    assert type(module) is built
    if built is CircuitModule:
        assert module.smoothed == (semiring in ("max_product", "max_min"))
        assert module.semiring.k == k


def test_the_flat_limit_is_the_term_count():
    terms = expand_terms(_circuits()["random"], MAX_FLAT_TERMS)
    assert terms is not None and sum(map(len, terms)) <= MAX_FLAT_TERMS
    assert expand_terms(_circuits()["parity"], MAX_FLAT_TERMS) is None


@pytest.mark.parametrize("name", ["random", "parity"])
def test_the_chosen_log_module_matches_the_layered_reference(name):
    circuit = _circuits()[name]
    torch.manual_seed(0)
    p = (torch.rand(3, circuit.num_vars, dtype=torch.float64) * 0.9 + 0.05).requires_grad_()
    results = []
    for module in (evaluator(circuit, "log"), CircuitModule(circuit, "log")):
        values = module(p.log(), (1 - p).log())
        (grad,) = torch.autograd.grad(values.clamp(min=-1e9).sum(), p)
        results.append((values.detach(), grad))
    (got, got_grad), (want, want_grad) = results
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(got_grad, want_grad)
    if name == "parity":  # odd and even parity: complementary events
        torch.testing.assert_close(got.exp().sum(1), torch.ones(3, dtype=torch.float64))


def test_bad_choices_are_config_errors():
    circuit = _circuits()["random"]
    with pytest.raises(ConfigError, match="unknown semiring 'viterbi'"):
        evaluator(circuit, "viterbi")
    with pytest.raises(ConfigError, match="k is only for the top_k semiring"):
        evaluator(circuit, "log", k=2)
    with pytest.raises(ConfigError, match="needs k"):
        evaluator(circuit, "top_k")
    with pytest.raises(ConfigError, match="integer k >= 1"):
        evaluator(circuit, "top_k", k=0)
