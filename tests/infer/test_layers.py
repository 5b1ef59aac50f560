"""CircuitModule against brute-force enumeration of all assignments: values and gradients."""

from __future__ import annotations

import math

import pytest
import torch
from pysdd.sdd import SddManager, Vtree
from random_formulas import ASSIGNMENTS, NUM_VARS, one_child_circuit
from random_formulas import random_problem as _problem

from nesy.errors import ConfigError, DataError
from nesy.infer.circuit import circuit_from_sdd
from nesy.infer.layers import CircuitModule

SEMIRINGS = ["prob", "log", "max_product", "max_min"]


def _brute(semiring: str, pos: torch.Tensor, neg: torch.Tensor, models: torch.Tensor):
    """The semiring's sum over models of the product of all V literal weights; (B, Q)."""
    weights = torch.where(ASSIGNMENTS, pos[:, None, :], neg[:, None, :])  # (B, M, V)
    mask = models[None]  # (1, Q, M)
    if semiring == "prob":
        return (weights.prod(-1)[:, None, :] * mask).sum(-1)
    if semiring == "max_min":
        per_model = weights.min(-1).values[:, None, :]
        return torch.where(mask, per_model, 0.0).max(-1).values
    per_model = torch.where(mask, weights.sum(-1)[:, None, :], -math.inf)
    if semiring == "log":
        return torch.logsumexp(per_model, -1)
    return per_model.max(-1).values


def _weights(semiring: str, batch: int, seed: int, complementary: bool):
    """Leaf tensors to differentiate, and the literal weights ``pos, neg`` made from them."""
    torch.manual_seed(seed)
    p = (torch.rand(batch, NUM_VARS, dtype=torch.float64) * 0.9 + 0.05).requires_grad_()
    leaves = (p,)
    if complementary:
        q = 1 - p
    else:
        q = (torch.rand(batch, NUM_VARS, dtype=torch.float64) + 0.05).requires_grad_()
        leaves = (p, q)
    if semiring in ("log", "max_product"):
        return leaves, p.log(), q.log()
    return leaves, p, q


@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("semiring", SEMIRINGS)
def test_values_and_gradients_match_enumeration(semiring, seed, batch):
    circuit, models = _problem(seed)
    smoothed = semiring in ("max_product", "max_min")
    module = CircuitModule(circuit, semiring, smoothed=smoothed)
    # Unsmoothed WMC is only exact when pos (+) neg = one for variables a branch skips.
    leaves, pos, neg = _weights(semiring, batch, seed, complementary=not smoothed)
    got = module(pos, neg)
    want = _brute(semiring, pos, neg, models)
    assert got.shape == (batch, circuit.num_queries)
    torch.testing.assert_close(got, want)
    finite = torch.isfinite(want)
    upstream = torch.randn(want.shape, dtype=torch.float64)
    grads = torch.autograd.grad(got[finite] @ upstream[finite], leaves, retain_graph=True)
    expected = torch.autograd.grad(want[finite] @ upstream[finite], leaves)
    for g, e in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, e)


@pytest.mark.parametrize("semiring", ["prob", "log"])
@pytest.mark.parametrize("seed", range(3))
def test_smoothed_sum_semirings_match_enumeration_for_any_weights(semiring, seed):
    circuit, models = _problem(10 + seed)
    _, pos, neg = _weights(semiring, 3, seed, complementary=False)
    got = CircuitModule(circuit, semiring, smoothed=True)(pos, neg)
    torch.testing.assert_close(got, _brute(semiring, pos, neg, models))


@pytest.mark.parametrize("semiring", SEMIRINGS)
def test_gradcheck(semiring):
    circuit, _ = _problem(3)
    module = CircuitModule(circuit, semiring)
    _, pos, neg = _weights(semiring, 2, 3, complementary=False)
    pos, neg = pos.detach().requires_grad_(), neg.detach().requires_grad_()
    keep = torch.isfinite(module(pos, neg)).all(0)  # drop false roots: -inf has no derivative
    assert torch.autograd.gradcheck(lambda p, n: module(p, n)[:, keep], (pos, neg))


@pytest.mark.parametrize("semiring", ["log", "max_product"])
def test_log_zero_weights_give_no_nan(semiring):
    circuit, models = _problem(4)
    module = CircuitModule(circuit, semiring)
    p = torch.rand(4, NUM_VARS, dtype=torch.float64)
    p[:, :3] = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)  # certain facts
    pos, neg = p.log().requires_grad_(), (1 - p).log().requires_grad_()
    got = module(pos, neg)
    torch.testing.assert_close(got, _brute(semiring, pos, neg, models))
    assert torch.isinf(got[:, 5]).all()  # the false root
    got.sum().backward()  # through -inf roots too
    assert not torch.isnan(pos.grad).any() and not torch.isnan(neg.grad).any()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("semiring", ["max_product", "max_min"])
def test_explain_returns_a_maximising_model(semiring, seed):
    circuit, models = _problem(20 + seed)
    module = CircuitModule(circuit, semiring)
    _, pos, neg = _weights(semiring, 3, seed, complementary=False)
    values, assignment = module.explain(pos, neg)
    assert values.shape == (3, circuit.num_queries)
    assert assignment.shape == (3, circuit.num_queries, NUM_VARS)
    assert assignment.dtype == torch.int8
    torch.testing.assert_close(values, _brute(semiring, pos, neg, models))
    chosen = assignment.bool()
    weights = torch.where(chosen, pos.detach()[:, None, :], neg.detach()[:, None, :])
    attained = weights.sum(-1) if semiring == "max_product" else weights.min(-1).values
    index = (chosen.long() * (2 ** torch.arange(NUM_VARS - 1, -1, -1))).sum(-1)  # row in M
    satisfiable = models.any(-1)
    assert ((assignment == 0) | (assignment == 1)).all()  # every variable assigned
    for q in range(circuit.num_queries):
        if satisfiable[q]:
            assert models[q, index[:, q]].all()
            torch.testing.assert_close(attained[:, q], values[:, q])


def test_roots_mentioning_no_variables():
    mgr = SddManager(3)
    circuit = circuit_from_sdd([mgr.true(), mgr.false(), mgr.literal(2)], num_vars=3)
    p = torch.tensor([[0.2, 0.7, 0.4]])
    torch.testing.assert_close(
        CircuitModule(circuit, "prob")(p, 1 - p), torch.tensor([[1.0, 0.0, 0.7]])
    )
    log = CircuitModule(circuit, "log")(p.log(), (1 - p).log())
    torch.testing.assert_close(log.exp(), torch.tensor([[1.0, 0.0, 0.7]]))
    values, assignment = CircuitModule(circuit, "max_product").explain(p.log(), (1 - p).log())
    best = 0.8 * 0.7 * 0.6
    torch.testing.assert_close(values.exp(), torch.tensor([[best, 0.0, best]]))
    assert assignment[0, 0].tolist() == [0, 1, 0] and assignment[0, 2].tolist() == [0, 1, 0]


def test_no_queries_and_batch_of_one():
    module = CircuitModule(circuit_from_sdd([], num_vars=2), "log")
    assert module(torch.zeros(1, 2), torch.zeros(1, 2)).shape == (1, 0)


def test_deep_circuit_evaluates_and_explains():
    num_vars = 400
    mgr = SddManager.from_vtree(Vtree(var_count=num_vars, vtree_type="right"))
    root = mgr.true()
    for v in range(num_vars, 0, -1):
        root = mgr.literal(v) & root
    circuit = circuit_from_sdd([root | mgr.literal(-1), mgr.literal(2)], num_vars=num_vars)
    torch.manual_seed(0)
    p = torch.rand(2, num_vars, dtype=torch.float64)
    pos, neg = p.log(), (1 - p).log()
    want = torch.log(p.prod(-1) + 1 - p[:, 0])
    torch.testing.assert_close(CircuitModule(circuit, "log")(pos, neg)[:, 0], want)
    values, assignment = CircuitModule(circuit, "max_product").explain(pos, neg)
    all_true = pos.sum(-1)
    free = neg[:, 0] + torch.maximum(pos, neg)[:, 1:].sum(-1)  # not x1, the rest at best
    torch.testing.assert_close(values[:, 0], torch.maximum(all_true, free))
    for b in range(2):
        if all_true[b] > free[b]:
            assert assignment[b, 0].tolist() == [1] * num_vars
        else:
            assert assignment[b, 0, 0] == 0
            assert assignment[b, 0, 1:].tolist() == (p[b, 1:] > 0.5).long().tolist()
    assert assignment[:, 1, 1].tolist() == [1, 1]


def test_hand_built_circuit_with_one_child_nodes():
    # OR(AND(1)) and AND(OR(-2), 1): one-child nodes are copies; node 5 sits above every root.
    circuit = one_child_circuit()
    p = torch.tensor([[0.3, 0.6]], dtype=torch.float64)
    want = torch.tensor([[0.3, 0.4 * 0.3, 0.3]], dtype=torch.float64)
    torch.testing.assert_close(CircuitModule(circuit, "prob")(p, 1 - p), want)
    log = CircuitModule(circuit, "max_product", smoothed=True)
    values, assignment = log.explain(p.log(), (1 - p).log())
    best = torch.tensor([[0.3 * 0.6, 0.3 * 0.4, 0.3 * 0.6]], dtype=torch.float64)  # x2 free: 0.6
    torch.testing.assert_close(values.exp(), best)
    assert assignment.tolist() == [[[1, 1], [1, 0], [1, 1]]]


def test_bad_inputs_are_named():
    module = CircuitModule(circuit_from_sdd([SddManager(3).literal(1)], num_vars=3), "prob")
    with pytest.raises(DataError, match=r"expected pos of shape \(B, V=3\), got \(2, 4\)"):
        module(torch.zeros(2, 4), torch.zeros(2, 3))
    with pytest.raises(DataError, match=r"expected neg of shape \(B, V=3\), got \(3,\)"):
        module(torch.zeros(2, 3), torch.zeros(3))
    with pytest.raises(DataError, match=r"disagree on the batch size: pos \(2, 3\), neg \(1, 3\)"):
        module(torch.zeros(2, 3), torch.zeros(1, 3))
    with pytest.raises(DataError, match="expected floating-point weights, got torch.int64"):
        module(torch.zeros(2, 3, dtype=torch.long), torch.zeros(2, 3, dtype=torch.long))


def test_bad_configuration_is_named():
    circuit = circuit_from_sdd([SddManager(1).literal(1)], num_vars=1)
    with pytest.raises(ConfigError, match="unknown semiring 'viterbi'; expected one of 'prob'"):
        CircuitModule(circuit, "viterbi")
    with pytest.raises(ConfigError, match="'max_product' needs a smoothed circuit"):
        CircuitModule(circuit, "max_product", smoothed=False)
    with pytest.raises(ConfigError, match="explain needs a semiring whose OR selects"):
        CircuitModule(circuit, "log").explain(torch.zeros(1, 1), torch.zeros(1, 1))


def test_module_buffers_and_repr():
    circuit, _ = _problem(0)
    module = CircuitModule(circuit, "log").to(torch.float64)
    assert module.child_slot.dtype == torch.long and dict(module.named_buffers())
    assert module.state_dict() == {}  # derived from the circuit, not saved
    text = repr(module)
    assert f"nodes={circuit.num_nodes}, edges={circuit.num_edges}" in text
    assert "semiring='log'" in text and "layers=" in text
