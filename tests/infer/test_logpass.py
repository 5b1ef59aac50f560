"""LogCircuit (the training path, hand-written backward) against CircuitModule's ``log``
semiring, itself checked against enumeration in test_layers: values and gradients."""

from __future__ import annotations

import math

import pytest
import torch
from pysdd.sdd import SddManager, Vtree
from random_formulas import NUM_VARS, one_child_circuit, random_problem

from nesy.errors import DataError
from nesy.infer.circuit import Circuit, circuit_from_sdd
from nesy.infer.layers import CircuitModule
from nesy.infer.logpass import LogCircuit


def _both(circuit: Circuit, pos: torch.Tensor, neg: torch.Tensor, weights: torch.Tensor):
    """Values and gradients (of a weighted sum of the finite roots) from both modules."""
    results = []
    for module in (LogCircuit(circuit), CircuitModule(circuit, "log")):
        p, n = pos.detach().requires_grad_(), neg.detach().requires_grad_()
        values = module(p, n)
        loss = torch.where(torch.isfinite(values), values * weights, 0.0).sum()
        loss.backward()
        results.append((values.detach(), p.grad, n.grad))
    return results


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("seed", range(8))
def test_matches_the_layered_module(seed: int, batch: int) -> None:
    circuit, _ = random_problem(seed)
    torch.manual_seed(seed)
    p = torch.rand(batch, NUM_VARS, dtype=torch.float64) * 0.9 + 0.05
    q = torch.rand(batch, NUM_VARS, dtype=torch.float64) + 0.05  # not 1 - p: any weights
    weights = torch.randn(batch, circuit.num_queries, dtype=torch.float64)
    (v1, gp1, gn1), (v2, gp2, gn2) = _both(circuit, p.log(), q.log(), weights)
    torch.testing.assert_close(v1, v2)
    torch.testing.assert_close(gp1, gp2)
    torch.testing.assert_close(gn1, gn2)


def test_zero_weights_give_exact_values_and_no_nan() -> None:
    circuit, _ = random_problem(4)
    p = torch.rand(4, NUM_VARS, dtype=torch.float64)
    p[:, :3] = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)  # certain facts: log 0 = -inf
    weights = torch.ones(4, circuit.num_queries, dtype=torch.float64)
    (v1, gp1, gn1), (v2, gp2, gn2) = _both(circuit, p.log(), (1 - p).log(), weights)
    torch.testing.assert_close(v1, v2)
    assert torch.isinf(v1[:, 5]).all()  # the false root
    assert not gp1.isnan().any() and not gn1.isnan().any()
    torch.testing.assert_close(gp1, gp2)
    torch.testing.assert_close(gn1, gn2)


def test_gradcheck() -> None:
    circuit, _ = random_problem(3)
    module = LogCircuit(circuit)
    pos = torch.rand(2, NUM_VARS, dtype=torch.float64).log().requires_grad_()
    neg = torch.rand(2, NUM_VARS, dtype=torch.float64).log().requires_grad_()
    keep = torch.isfinite(module(pos, neg)).all(0)
    assert torch.autograd.gradcheck(lambda p, n: module(p, n)[:, keep], (pos, neg))


def test_one_child_nodes_share_their_childs_row() -> None:
    # OR(AND(1)) and AND(OR(-2), 1), as in test_layers: one-child nodes are no rows of their own.
    circuit = one_child_circuit()
    p = torch.tensor([[0.3, 0.6]], dtype=torch.float64, requires_grad=True)
    got = LogCircuit(circuit)(p.log(), (1 - p).log())
    torch.testing.assert_close(got.exp(), torch.tensor([[0.3, 0.4 * 0.3, 0.3]], dtype=p.dtype))
    got.sum().backward()  # d/dp of log p + log(0.4 * p) + log p = 3/p; of log(1 - p2) = -1/0.4
    torch.testing.assert_close(p.grad, torch.tensor([[3 / 0.3, -1 / 0.4]], dtype=p.dtype))


def test_deep_chain_and_constant_roots() -> None:
    num_vars = 300
    mgr = SddManager.from_vtree(Vtree(var_count=num_vars, vtree_type="right"))
    root = mgr.true()
    for v in range(num_vars, 0, -1):
        root = mgr.literal(v) & root
    roots = [root | mgr.literal(-1), mgr.true(), mgr.false()]
    circuit = circuit_from_sdd(roots, num_vars=num_vars)
    p = torch.rand(2, num_vars, dtype=torch.float64)
    got = LogCircuit(circuit)(p.log(), (1 - p).log())
    torch.testing.assert_close(got[:, 0], torch.log(p.prod(-1) + 1 - p[:, 0]))
    assert got[:, 1].tolist() == [0.0, 0.0] and got[:, 2].tolist() == [-math.inf, -math.inf]


def test_no_queries_and_bad_inputs() -> None:
    module = LogCircuit(circuit_from_sdd([], num_vars=2))
    assert module(torch.zeros(1, 2), torch.zeros(1, 2)).shape == (1, 0)
    with pytest.raises(DataError, match=r"expected pos of shape \(B, V=2\)"):
        module(torch.zeros(1, 3), torch.zeros(1, 3))


def test_moves_with_its_buffers() -> None:
    circuit, _ = random_problem(1)
    module = LogCircuit(circuit)
    pos = torch.rand(2, NUM_VARS, dtype=torch.float64).log()
    want = module(pos, pos)
    module.to(torch.float64)  # buffers are replaced; the layer slices must follow them
    module.child_row = module.child_row.clone()
    torch.testing.assert_close(module(pos, pos), want)
    assert "rows=" in repr(module) and module.state_dict() == {}
