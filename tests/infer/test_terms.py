import random

import pytest
import torch
from pysdd.sdd import SddManager

from nesy.infer.circuit import circuit_from_sdd
from nesy.infer.layers import CircuitModule
from nesy.infer.terms import TermsModule, expand_terms


def _random_roots(manager: SddManager, num_vars: int, rng: random.Random, count: int):
    roots = []
    for _ in range(count):
        node = manager.false()
        for _ in range(rng.randint(0, 4)):
            clause = manager.true()
            for v in rng.sample(range(1, num_vars + 1), rng.randint(1, min(3, num_vars))):
                clause = clause & manager.literal(v if rng.random() < 0.5 else -v)
            node = node | clause
        roots.append(node if rng.random() < 0.9 else manager.true())
    return roots


@pytest.mark.parametrize("semiring", ["log", "prob"])
@pytest.mark.parametrize("seed", range(20))
def test_flat_terms_agree_with_the_layered_circuit(seed, semiring):
    rng = random.Random(seed)
    num_vars = rng.randint(1, 6)
    manager = SddManager(num_vars)
    circuit = circuit_from_sdd(_random_roots(manager, num_vars, rng, 4), num_vars)
    terms = expand_terms(circuit, 10_000)
    assert terms is not None
    torch.manual_seed(seed)
    p = torch.rand(3, num_vars, dtype=torch.float64, requires_grad=True)
    pos, neg = (p.log(), (1 - p).log()) if semiring == "log" else (p, 1 - p)
    flat = TermsModule(terms, num_vars, semiring)(pos, neg)
    layered = CircuitModule(circuit, semiring)(pos, neg)
    assert torch.allclose(flat, layered, atol=1e-12)
    (g_flat,) = torch.autograd.grad(flat.clamp(min=-1e9).sum(), p, retain_graph=True)
    (g_layered,) = torch.autograd.grad(layered.clamp(min=-1e9).sum(), p)
    assert torch.allclose(g_flat, g_layered, atol=1e-9)


def test_expansion_is_abandoned_past_the_limit():
    manager = SddManager(12)
    parity = manager.false()
    for v in range(1, 13):
        lit = manager.literal(v)
        parity = (parity & ~lit) | (~parity & lit)
    circuit = circuit_from_sdd([parity], 12)
    assert expand_terms(circuit, 100) is None
    assert len(expand_terms(circuit, 5000)[0]) == 2048


def test_expansion_is_abandoned_when_all_roots_together_pass_the_limit():
    manager = SddManager(40)
    pairs = [manager.literal(v) | manager.literal(v + 1) for v in range(1, 40)]  # 2 terms each
    circuit = circuit_from_sdd(pairs, 40)
    assert expand_terms(circuit, 77) is None
    assert sum(len(t) for t in expand_terms(circuit, 78)) == 78


def test_impossible_roots_give_minus_infinity_and_finite_gradients():
    manager = SddManager(2)
    a, b = manager.literal(1), manager.literal(2)
    circuit = circuit_from_sdd([a & b, a | b, manager.false()], 2)
    module = TermsModule(expand_terms(circuit, 100), 2, "log")
    p = torch.tensor([[0.0, 0.5]], dtype=torch.float64)
    pos, neg = p.log().requires_grad_(), (1 - p).log().requires_grad_()
    out = module(pos, neg)
    assert out[0, 0] == -torch.inf and out[0, 2] == -torch.inf
    assert out[0, 1].exp().item() == pytest.approx(0.5)
    out.clamp(min=-1e9).sum().backward()
    assert torch.isfinite(pos.grad).all() and torch.isfinite(neg.grad).all()
