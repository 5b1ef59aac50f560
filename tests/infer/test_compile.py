import itertools

import pytest
import torch
from torch import nn

import nesy
from nesy.errors import CompileError, ConfigError, DataError, NesyTypeError
from nesy.infer.budget import Budget
from nesy.infer.compile import Compiler, compile_queries


def _p(text: str) -> dict[str, float]:
    return nesy.query(nesy.parse(text))


def test_noisy_or_and_negation():
    probs = _p("0.5::a. 0.4::b. c :- a. c :- b. d :- not c. query(c). query(d).")
    assert probs["c"] == pytest.approx(1 - 0.5 * 0.6, abs=1e-12)
    assert probs["d"] == pytest.approx(0.5 * 0.6, abs=1e-12)


def test_cyclic_reachability_least_fixpoint():
    probs = _p(
        "0.5::e(a,b). 0.5::e(b,a). 0.5::e(b,c). "
        "p(X,Y) :- e(X,Y). p(X,Y) :- e(X,Z), p(Z,Y). query(p(a,c)). query(p(a,a))."
    )
    assert probs["p(a,c)"] == pytest.approx(0.25, abs=1e-12)
    assert probs["p(a,a)"] == pytest.approx(0.25, abs=1e-12)


def test_annotated_disjunction_residual_and_evidence():
    probs = _p("0.2::x; 0.5::y. w :- x. w :- y. query(x). query(w). evidence(w, true).")
    assert probs["x"] == pytest.approx(0.2 / 0.7, abs=1e-12)
    assert probs["w"] == pytest.approx(1.0, abs=1e-12)


def test_aggregates_count():
    probs = _p("0.5::p(1). 0.5::p(2). 0.5::p(3). q :- #count{X : p(X)} >= 2. query(q).")
    assert probs["q"] == pytest.approx(0.5, abs=1e-12)


def test_impossible_ground_query_has_probability_zero():
    assert _p("0.5::a. b :- a, not a. query(b).") == {"b": 0.0}


def test_query_with_variables_lists_instances():
    probs = _p("0.5::f(1). 0.25::f(2). g(X) :- f(X). query(g(X)).")
    assert probs == pytest.approx({"g(1)": 0.5, "g(2)": 0.25})


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a :- not b. b :- not a. 0.5::c. query(a).", "not stratified.*ASP backend"),
        ("0.5::a. :- a. query(a).", "integrity constraint.*ASP backend"),
        ("{a}. query(a).", "choice rule.*ASP backend"),
    ],
)
def test_programs_outside_the_class_are_refused(text, match):
    with pytest.raises(CompileError, match=match):
        _p(text)


def test_refusal_points_at_the_statement():
    with pytest.raises(CompileError) as info:
        _p("0.5::a.\n:- a.\nquery(a).")
    assert (info.value.span.line, info.value.span.column) == (2, 1)


def test_impossible_evidence_is_an_error():
    with pytest.raises(NesyTypeError, match="evidence has probability 0"):
        _p("0.5::a. b :- a. evidence(b, true). evidence(a, false). query(a).")


def test_models_that_share_a_compiler_share_its_compilations():
    program = nesy.parse("0.5::a. query(a).")
    queries = tuple(q.atom for q in program.queries)
    compiler = Compiler(keep=1)
    first = compiler.compile(program, queries)
    assert nesy.Model(program, compiler=compiler).compiled is first
    assert compiler.compile(program, queries, Budget(seconds=60)) is not first  # another budget
    assert compiler.compile(program, queries) is not first  # it kept only the last one
    # without a compiler nothing is kept: each compilation is the caller's own
    assert compile_queries(program, queries) is not compile_queries(program, queries)
    assert nesy.Model(program).compiled is not nesy.Model(program).compiled


def test_mpe_returns_the_explanation():
    (e,) = nesy.explain(nesy.parse("0.3::a. 0.8::b. c :- a. c :- b. query(c)."))
    assert e.probability == pytest.approx(0.7 * 0.8)
    assert set(e.choices) == {"\\+a", "b"}


# --- the module with neural predicates -------------------------------------------------------

ADDITION = """
nn(net, [X], Y, [0..2]) :: digit(X, Y).
add(X, Y, Z) :- digit(X, A), digit(Y, B), Z is A + B.
query(add(tensor(a), tensor(b), S)).
"""


class _Calls(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 3)
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return torch.log_softmax(self.linear(x), -1)


def test_model_matches_enumeration_and_batches_one_call_per_network():
    torch.manual_seed(0)
    net = _Calls()
    model = nesy.Model(nesy.parse(ADDITION), {"net": net})
    assert model.answers == (0, 1, 2, 3, 4)
    x = {"a": torch.randn(5, 4), "b": torch.randn(5, 4)}
    logp = model(x)
    assert logp.shape == (5, 5)
    assert net.calls == 1
    pa, pb = net(x["a"]).exp(), net(x["b"]).exp()
    expected = torch.zeros(5, 5)
    for i, j in itertools.product(range(3), range(3)):
        expected[:, i + j] += pa[:, i] * pb[:, j]
    assert torch.allclose(logp.exp(), expected, atol=1e-6)
    logp[:, 2].sum().backward()
    assert net.linear.weight.grad is not None and net.linear.weight.grad.abs().sum() > 0


def test_model_errors_name_what_is_wrong():
    program = nesy.parse(ADDITION)
    with pytest.raises(NesyTypeError, match="unknown network 'net'"):
        nesy.Model(program, {"other": _Calls()})
    model = nesy.Model(program, {"net": _Calls()})
    with pytest.raises(ConfigError, match="missing input tensors"):
        model({"a": torch.randn(2, 4)})
    with pytest.raises(DataError, match="batch size"):
        model({"a": torch.randn(2, 4), "b": torch.randn(3, 4)})
    bad = nesy.Model(program, {"net": nn.Linear(4, 3)})
    with pytest.raises(DataError, match="log-probabilities"):
        bad({"a": torch.randn(2, 4), "b": torch.randn(2, 4)})


def test_mpe_of_a_circuit_without_or_nodes():
    (e,) = nesy.explain(nesy.parse("0.5::a. 0.8::b. c :- a, b. query(c)."))
    assert e.probability == pytest.approx(0.4)
    assert set(e.choices) == {"a", "b"}


def test_top_k_mode_is_a_lower_bound_and_exact_for_large_k():
    torch.manual_seed(0)
    net = _Calls()
    program = nesy.parse(ADDITION)
    x = {"a": torch.randn(3, 4), "b": torch.randn(3, 4)}
    exact = nesy.Model(program, {"net": net})(x)
    one = nesy.Model(program, {"net": net}, top_k=1)
    assert one.approximate
    assert (one(x) <= exact + 1e-6).all()
    assert torch.allclose(nesy.Model(program, {"net": net}, top_k=9)(x), exact, atol=1e-5)


class _Table(nn.Module):
    """The same distribution for every input, as a leaf tensor to read gradients from."""

    def __init__(self, probabilities: list[float]) -> None:
        super().__init__()
        self.logp = torch.tensor(probabilities).log().requires_grad_()

    def forward(self, x):
        return self.logp.expand(len(x), -1)


def test_perturbed_top_k_follows_other_proofs_in_training_only():
    # P(sum 2): proofs (0, 2) and (2, 0) weigh 0.5 * 0.2 = 0.1 each, (1, 1) 0.3 * 0.3 = 0.09.
    net = _Table([0.5, 0.3, 0.2])
    program = nesy.parse(ADDITION)
    x = {"a": torch.zeros(1, 4), "b": torch.zeros(1, 4)}

    def picks_one_one(model: nesy.Model) -> int:
        count = 0
        for _ in range(60):
            net.logp.grad = None
            model(x)[0, 2].backward()
            count += int(net.logp.grad[1] > 0)  # gradient reached "digit 1": proof (1, 1)
        return count

    torch.manual_seed(0)
    assert picks_one_one(nesy.Model(program, {"net": net}, top_k=1)) == 0
    perturbed = nesy.Model(program, {"net": net}, top_k=1, perturb=True)
    assert picks_one_one(perturbed) >= 6
    perturbed.eval()
    assert picks_one_one(perturbed) == 0
    with pytest.raises(ConfigError, match="perturb=True needs top_k"):
        nesy.Model(program, {"net": net}, perturb=True)


@pytest.mark.parametrize("atom", ["p(X)", "p(X+1)", "p(-X)", "p(f(1;X))"])
def test_evidence_with_a_variable_anywhere_is_refused_at_the_evidence(atom):
    program = nesy.parse(f"0.5::p(1). 0.5::p(2). evidence({atom}, true). query(p(1)).")
    with pytest.raises(NesyTypeError, match=r"1:23: evidence must be ground"):
        nesy.query(program)


def test_answers_follow_the_query_variables_left_to_right():
    program = nesy.parse("0.5::p(1,2). q(A, B) :- p(A, B). query(q(X, Y)).")
    model = nesy.Model(program, query=program.queries[0].atom)
    assert model.answers == ((1, 2),)
