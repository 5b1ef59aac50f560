"""The approximate ``top_k`` semiring against brute-force enumeration of proofs and models."""

from __future__ import annotations

import itertools
import math
import random

import pytest
import torch
from pysdd.sdd import SddManager, Vtree
from random_formulas import ASSIGNMENTS, NUM_VARS
from random_formulas import holds as _holds
from random_formulas import random_formula as _random_formula
from random_formulas import to_sdd as _to_sdd

from nesy.errors import ConfigError
from nesy.infer.circuit import Circuit, NodeKind, circuit_from_sdd
from nesy.infer.layers import CircuitModule
from nesy.infer.semiring import APPROXIMATE_SEMIRINGS, SEMIRINGS, get_semiring
from nesy.infer.topk import segment_topk_product, segment_topk_union, topk_readout

INF = math.inf
TOL = {"atol": 1e-9, "rtol": 0.0}


def _problem(seed: int) -> tuple[Circuit, torch.Tensor]:
    """Random roots (plus true, false and a literal) on a random vtree; their models (Q, M)."""
    rng = random.Random(seed)
    order = list(range(1, NUM_VARS + 1))
    rng.shuffle(order)
    kind = rng.choice(["balanced", "right", "left", "random"])
    mgr = SddManager.from_vtree(Vtree(var_count=NUM_VARS, var_order=order, vtree_type=kind))
    formulas = [_random_formula(rng, 4) for _ in range(5)]
    formulas += [("or", ("lit", 1), ("lit", -1)), ("and", ("lit", 2), ("lit", -2)), ("lit", -3)]
    models = torch.stack([_holds(f, ASSIGNMENTS) for f in formulas])
    return circuit_from_sdd([_to_sdd(mgr, f) for f in formulas], num_vars=NUM_VARS), models


def _proofs(circuit: Circuit, node: int, memo: dict) -> list[frozenset[int]]:
    """Every sub-circuit of ``node`` (all AND children, one OR child) as its set of literals."""
    if node not in memo:
        kind, children = circuit.kind[node], circuit.children(node).tolist()
        if kind == NodeKind.LITERAL:
            memo[node] = [frozenset([int(circuit.literal[node])])]
        elif kind in (NodeKind.TRUE, NodeKind.FALSE):
            memo[node] = [frozenset()] if kind == NodeKind.TRUE else []
        elif kind == NodeKind.OR:
            memo[node] = [p for c in children for p in _proofs(circuit, c, memo)]
        else:
            parts = [_proofs(circuit, c, memo) for c in children]
            memo[node] = [frozenset().union(*combo) for combo in itertools.product(*parts)]
    return memo[node]


def _all_proofs(circuit: Circuit) -> list[list[frozenset[int]]]:
    memo: dict = {}
    return [_proofs(circuit, int(r), memo) for r in circuit.roots]


def _extends(proof: frozenset[int]) -> torch.Tensor:
    """Which of the 2^V total assignments agree with the partial assignment ``proof``."""
    mask = torch.ones(len(ASSIGNMENTS), dtype=torch.bool)
    for lit in proof:
        column = ASSIGNMENTS[:, abs(lit) - 1]
        mask &= column if lit > 0 else ~column
    return mask


def _top(weights: list[torch.Tensor], k: int, batch: int) -> torch.Tensor:
    """The ``k`` largest of a list of ``(B,)`` weights, descending, padded with -inf: (B, k)."""
    pad = [torch.full((batch,), -INF, dtype=torch.float64)] * k
    return torch.stack(weights + pad, -1).sort(-1, descending=True).values[:, :k]


def _brute_proofs(proofs, pos, neg, k):
    """Top-k proof weights (B, Q, k), differentiable in ``pos``, ``neg``."""

    def weight(proof):
        terms = [pos[:, lit - 1] if lit > 0 else neg[:, -lit - 1] for lit in proof]
        return sum(terms, torch.zeros(len(pos), dtype=torch.float64))

    return torch.stack([_top([weight(p) for p in root], k, len(pos)) for root in proofs], 1)


def _brute_models(models, pos, neg, k):
    """Top-k total-assignment (model) weights (B, Q, k)."""
    weights = torch.where(ASSIGNMENTS, pos[:, None, :], neg[:, None, :]).sum(-1)  # (B, M)
    per_root = [_top(list(weights[:, m].unbind(1)), k, len(pos)) for m in models]
    return torch.stack(per_root, 1)


def _weights(batch: int, seed: int, complementary: bool = True):
    torch.manual_seed(seed)
    p = torch.rand(batch, NUM_VARS, dtype=torch.float64) * 0.9 + 0.05
    q = 1 - p if complementary else torch.rand(batch, NUM_VARS, dtype=torch.float64) + 0.05
    return p.log().requires_grad_(), q.log().requires_grad_()


@pytest.mark.parametrize("seed", range(8))
def test_proofs_are_exclusive_implicants_covering_the_models(seed):
    # The documented semantics, checked against the formulas: partial assignments.
    circuit, models = _problem(seed)
    for root_proofs, root_models in zip(_all_proofs(circuit), models, strict=True):
        covered = torch.zeros(len(ASSIGNMENTS), dtype=torch.long)
        for proof in root_proofs:
            assert not any(-lit in proof for lit in proof)
            extension = _extends(proof)
            assert root_models[extension].all()  # the proof implies the root
            covered += extension
        assert torch.equal(covered, root_models.long())  # exclusive, and every model covered


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", range(8))
def test_topk_matches_enumerated_proofs(seed, k):
    circuit, _ = _problem(seed)
    module = CircuitModule(circuit, "top_k", k=k)
    pos, neg = _weights(3, seed, complementary=seed % 2 == 0)
    lists = module.forward_topk(pos, neg)
    want = _brute_proofs(_all_proofs(circuit), pos, neg, k)
    assert lists.shape == (3, circuit.num_queries, k)
    torch.testing.assert_close(lists, want, **TOL)
    got = module(pos, neg)
    torch.testing.assert_close(got, topk_readout(want), **TOL)
    # Gradients against the brute force's, where the root has a proof.
    finite = torch.isfinite(got)
    upstream = torch.randn(got.shape, dtype=torch.float64)
    reference = torch.logsumexp(want, -1)
    grads = torch.autograd.grad(got[finite] @ upstream[finite], (pos, neg))
    expected = torch.autograd.grad(reference[finite] @ upstream[finite], (pos, neg))
    for g, e in zip(grads, expected, strict=True):
        torch.testing.assert_close(g, e, **TOL)


@pytest.mark.parametrize("k", [1, 2, 4, 7])
@pytest.mark.parametrize("seed", range(6))
def test_smoothed_topk_keeps_the_best_models(seed, k):
    circuit, models = _problem(30 + seed)
    module = CircuitModule(circuit, "top_k", k=k, smoothed=True)
    pos, neg = _weights(2, seed, complementary=False)  # any weights: proofs are total here
    want = _brute_models(models, pos, neg, k)
    torch.testing.assert_close(module.forward_topk(pos, neg), want, **TOL)
    torch.testing.assert_close(module(pos, neg), topk_readout(want), **TOL)
    if k == 1:
        viterbi = CircuitModule(circuit, "max_product")(pos, neg)
        torch.testing.assert_close(module(pos, neg), viterbi, **TOL)


@pytest.mark.parametrize("seed", range(6))
def test_enough_proofs_reproduce_the_log_semiring(seed):
    circuit, models = _problem(50 + seed)
    most = max(len(p) for p in _all_proofs(circuit))
    for complementary in (True, False):
        pos, neg = _weights(4, seed, complementary)
        exact = CircuitModule(circuit, "log")(pos, neg)
        for k in (most, most + 3, 2**NUM_VARS):
            torch.testing.assert_close(CircuitModule(circuit, "top_k", k=k)(pos, neg), exact)
    pos, neg = _weights(4, seed)  # (p, 1 - p) weights: the probability, by enumeration
    weights = torch.where(ASSIGNMENTS, pos[:, None, :], neg[:, None, :]).sum(-1)
    brute = torch.stack([torch.logsumexp(weights.masked_fill(~m, -INF), -1) for m in models], 1)
    got = CircuitModule(circuit, "top_k", k=2**NUM_VARS)(pos, neg)  # k >= number of models
    torch.testing.assert_close(got, brute, **TOL)


@pytest.mark.parametrize("smoothed", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_monotone_in_k_and_below_the_exact_value(seed, smoothed):
    circuit, _ = _problem(70 + seed)
    pos, neg = _weights(5, seed)
    exact = CircuitModule(circuit, "log")(pos, neg).detach()
    previous = torch.full_like(exact, -INF)
    for k in range(1, 10):
        got = CircuitModule(circuit, "top_k", k=k, smoothed=smoothed)(pos, neg).detach()
        assert (got >= previous - 1e-12).all() and (got <= exact + 1e-12).all()
        previous = got


@pytest.mark.parametrize("k", [1, 3, 8])
def test_zero_and_one_probabilities_give_finite_gradients(k):
    circuit, _ = _problem(4)
    module = CircuitModule(circuit, "top_k", k=k)
    p = torch.rand(4, NUM_VARS, dtype=torch.float64)
    p[:, :3] = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)  # certain facts
    p[1, 3:] = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)  # every fact certain
    pos, neg = p.log().requires_grad_(), (1 - p).log().requires_grad_()
    lists = module.forward_topk(pos, neg)
    want = _brute_proofs(_all_proofs(circuit), pos, neg, k)
    torch.testing.assert_close(lists, want, **TOL)
    got = module(pos, neg)
    assert torch.isinf(got[:, 6]).all()  # the false root
    (got.sum() + lists.masked_fill(~torch.isfinite(lists), 0).sum()).backward()
    assert torch.isfinite(pos.grad).all() and torch.isfinite(neg.grad).all()


def test_gradients_reach_only_the_selected_proofs():
    mgr = SddManager.from_vtree(Vtree(var_count=3, var_order=[1, 2, 3], vtree_type="right"))
    a, b = mgr.literal(1), mgr.literal(2)
    module = CircuitModule(circuit_from_sdd([a | b], num_vars=3), "top_k", k=1)
    p = torch.tensor([[0.6, 0.9, 0.5]], dtype=torch.float64)
    pos, neg = p.log().requires_grad_(), (1 - p).log().requires_grad_()
    got = module(pos, neg)
    assert math.isclose(got.item(), math.log(0.6))  # proofs {a} (0.6), {not a, b} (0.36)
    got.sum().backward()
    assert pos.grad.tolist() == [[1.0, 0.0, 0.0]] and neg.grad.tolist() == [[0.0, 0.0, 0.0]]


def test_gradcheck():
    circuit, _ = _problem(3)
    module = CircuitModule(circuit, "top_k", k=3)
    pos, neg = (w.detach().requires_grad_() for w in _weights(2, 3, complementary=False))
    keep = torch.isfinite(module(pos, neg)).all(0)
    assert torch.autograd.gradcheck(lambda p, n: module(p, n)[:, keep], (pos, neg))


def test_constant_roots():
    mgr = SddManager(3)
    circuit = circuit_from_sdd([mgr.true(), mgr.false(), mgr.literal(2)], num_vars=3)
    p = torch.tensor([[0.2, 0.7, 0.4], [0.5, 0.5, 0.5]], dtype=torch.float64)
    pos, neg = p.log(), (1 - p).log()
    lists = CircuitModule(circuit, "top_k", k=2).forward_topk(pos, neg)
    assert lists[:, 0].tolist() == [[0.0, -INF]] * 2  # the empty proof
    assert lists[:, 1].tolist() == [[-INF, -INF]] * 2  # no proof
    torch.testing.assert_close(lists[:, 2], torch.stack((pos[:, 1], torch.full((2,), -INF)), -1))
    values = CircuitModule(circuit, "top_k", k=2)(pos, neg)
    assert values[:, :2].tolist() == [[0.0, -INF]] * 2
    # Smoothed, the true root's proofs are all 2^3 assignments: the two best ones here.
    best = CircuitModule(circuit, "top_k", k=2, smoothed=True).forward_topk(pos, neg)
    first = torch.maximum(pos, neg).sum(-1)
    torch.testing.assert_close(best[0, 0], torch.tensor([first[0], first[0] + math.log(0.4 / 0.6)]))
    assert best[:, 1].tolist() == [[-INF, -INF]] * 2


def test_larger_circuit_with_many_proofs():
    num_vars, rng = 14, random.Random(5)
    mgr = SddManager.from_vtree(Vtree(var_count=num_vars, vtree_type="balanced"))
    lits = [mgr.literal(v) for v in range(1, num_vars + 1)]
    roots = []
    for _ in range(4):  # random 3-DNFs
        root = mgr.false()
        for _ in range(8):
            term = mgr.true()
            for v in rng.sample(range(num_vars), 3):
                term &= lits[v] if rng.random() < 0.5 else ~lits[v]
            root |= term
        roots.append(root)
    circuit = circuit_from_sdd(roots, num_vars=num_vars)
    torch.manual_seed(0)
    p = torch.rand(6, num_vars, dtype=torch.float64)
    pos, neg = p.log(), (1 - p).log()
    exact = CircuitModule(circuit, "log")(pos, neg)
    most = max(len(x) for x in _all_proofs(circuit))
    torch.testing.assert_close(CircuitModule(circuit, "top_k", k=most)(pos, neg), exact)
    want = _brute_proofs(_all_proofs(circuit), pos, neg, 16)
    torch.testing.assert_close(CircuitModule(circuit, "top_k", k=16).forward_topk(pos, neg), want)


def _naive(values, segment, n, combine):
    out = []
    for s in range(n):
        rows = [values[e] for e in range(len(values)) if segment[e] == s]  # (B, k) each
        out.append(torch.stack([combine([r[b] for r in rows]) for b in range(values.shape[1])]))
    return torch.stack(out)


def _union(lists):
    return torch.cat(lists).sort(descending=True).values[: len(lists[0])]


def _product(lists):
    k, sums = len(lists[0]), [0.0]
    for row in lists:  # all sums, cut to the k best after each factor (all later ones need)
        sums = sorted((s + x for s in sums for x in row.tolist()), reverse=True)[:k]
    return torch.tensor(sums, dtype=torch.float64)


def _segments(degrees, shuffle: bool, k: int):
    segment = torch.repeat_interleave(torch.arange(len(degrees)), torch.tensor(degrees))
    if shuffle:
        segment = segment[torch.randperm(len(segment))]
    values = torch.randn(len(segment), 3, k, dtype=torch.float64).sort(-1, descending=True)[0]
    values[0, :, k // 2 :] = -INF  # a short list
    return values, segment


# Widths 1, 2, 4 padded; one wide segment among narrow ones; equal widths (viewed if in order).
DEGREES = [[2, 1, 3, 2], [12, 1, 1, 1, 1], [3, 3, 3]]


@pytest.mark.parametrize("k", [1, 4, 6])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("degrees", DEGREES)
def test_segment_reductions_against_python(degrees, shuffle, k):
    torch.manual_seed(k)
    values, segment = _segments(degrees, shuffle, k)
    n = len(degrees)
    got = segment_topk_union(values, segment, n)
    torch.testing.assert_close(got, _naive(values, segment, n, _union), **TOL)
    small = values[:, :, : min(k, 4)].contiguous()  # keep the brute-force product small
    got = segment_topk_product(small, segment, n)
    torch.testing.assert_close(got, _naive(small, segment, n, _product), **TOL)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("degrees", DEGREES)
def test_segment_reductions_gradcheck(degrees, shuffle):
    torch.manual_seed(1)
    values, segment = _segments(degrees, shuffle, 5)
    values = values.clamp(min=-50).requires_grad_()  # finite: differences of -inf are NaN
    for reduce in (segment_topk_union, segment_topk_product):
        assert torch.autograd.gradcheck(lambda x, r=reduce: r(x, segment, len(degrees)), values)


def test_registry_and_configuration_errors():
    assert "top_k" in APPROXIMATE_SEMIRINGS and "top_k" not in SEMIRINGS
    semiring = get_semiring("top_k")
    assert semiring.approximate and semiring.k == 1 and not get_semiring("log").approximate
    assert get_semiring("top_k", k=5).k == 5
    with pytest.raises(ConfigError, match=r"expected one of 'prob', .*'top_k' \(approximate\)"):
        get_semiring("viterbi")
    circuit = circuit_from_sdd([SddManager(1).literal(1)], num_vars=1)
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ConfigError, match="top_k needs an integer k >= 1"):
            CircuitModule(circuit, "top_k", k=bad)
    with pytest.raises(ConfigError, match="'top_k' needs k"):
        CircuitModule(circuit, "top_k")
    with pytest.raises(ConfigError, match="k is only for the top_k semiring, not 'log'"):
        CircuitModule(circuit, "log", k=2)
    with pytest.raises(ConfigError, match="forward_topk needs the top_k semiring"):
        CircuitModule(circuit, "log").forward_topk(torch.zeros(1, 1), torch.zeros(1, 1))
    with pytest.raises(ConfigError, match="explain needs a semiring whose OR selects"):
        CircuitModule(circuit, "top_k", k=2).explain(torch.zeros(1, 1), torch.zeros(1, 1))
    assert "semiring='top_k', smoothed=False, k=2" in repr(CircuitModule(circuit, "top_k", k=2))
