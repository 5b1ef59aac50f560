"""The ASP backend against independent oracles: brute force over total choices with clingo
itself counting the stable models of each, the exact backend (ProbLog-checked) on programs in
its class, and plain enumeration over a network's outputs."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import clingo
import pytest
import torch

import nesy
from nesy.answers import AnswerModule
from nesy.neural.nets import MnistNet
from solvers.asp import AspModel, AspProgram, most_probable, stable_models
from solvers.asp.diagram import build_diagram


def neurasp_oracle(rules: str, facts: list[tuple[float, str]], query: str) -> float:
    """P(query) by the definition: every subset of the probabilistic facts is a total choice;
    clingo lists its stable models; each model gets P(c) / N(c)."""
    total = 0.0
    for chosen in itertools.product((True, False), repeat=len(facts)):
        weight = math.prod(p if c else 1 - p for (p, _), c in zip(facts, chosen, strict=True))
        text = rules + "".join(f"{atom}." for (_, atom), c in zip(facts, chosen, strict=True) if c)
        control = clingo.Control(["0", "--warn=none"])
        control.add("base", [], text)
        control.ground([("base", [])])
        models: list[set[str]] = []
        add = models.append
        control.solve(on_model=lambda m, add=add: add({str(s) for s in m.symbols(atoms=True)}))
        if models:
            total += weight * sum(query in m for m in models) / len(models)
    return total


PROGRAMS = {
    # several stable models per total choice: an even loop through negation
    "even_loop": ("a :- not b, r. b :- not a, r. c :- a. c :- s.", ["r", "s"], "c"),
    # a choice rule opened by a probabilistic fact
    "choice": ("{ wet } :- rain. dry :- not wet.", ["rain"], "wet"),
    # constraints that kill some total choices (probability mass is lost, not renormalised)
    "constraint": (
        "alarm :- burglary. alarm :- quake. :- quake, not alarm2. alarm2 :- burglary.",
        ["burglary", "quake"],
        "alarm",
    ),
    # a bounded choice with a cardinality
    "cardinality": ("1 { pick(1); pick(2); pick(3) } 2 :- go. win :- pick(2).", ["go"], "win"),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_probabilities_match_the_definition_computed_by_clingo(name):
    rules, atoms, query = PROGRAMS[name]
    facts = [(p, a) for p, a in zip((0.3, 0.65, 0.8), atoms, strict=False)]
    text = "".join(f"{p}::{a}. " for p, a in facts) + rules + f" query({query})."
    got = AspModel(nesy.parse(text))({}).exp().item()
    assert got == pytest.approx(neurasp_oracle(rules, facts, query), abs=1e-12)


def test_agrees_with_the_exact_backend_on_its_class():
    text = """
        0.3::e(1,2). 0.6::e(2,3). 0.2::e(1,3). 0.5::e(3,1).
        0.4::red; 0.35::green :- e(1,2).
        p(X,Y) :- e(X,Y). p(X,Y) :- e(X,Z), p(Z,Y).
        blocked :- not p(1,3). calm :- green, not blocked.
        query(p(1,3)). query(p(3,2)). query(calm). query(red).
        evidence(p(3,1)).
    """
    program = nesy.parse(text)
    exact = nesy.query(program)
    asp = AspModel(program)
    got = dict(zip(asp.atoms, asp({})[0].exp().tolist(), strict=True))
    assert got == pytest.approx(exact, abs=1e-12)


ORACLE_PROGRAMS = sorted((Path(__file__).parents[1] / "oracle" / "programs").glob("*.pl"))


@pytest.mark.parametrize("path", ORACLE_PROGRAMS, ids=lambda p: p.stem)
def test_agrees_with_the_exact_backend_on_every_oracle_program(path):
    # the exact backend is ProbLog-checked on these; relevance pinning (several facts of one
    # predicate) and full annotated disjunctions (no "none") once went wrong here
    program = nesy.parse(path.read_text())
    asp = AspModel(program)
    got = dict(zip(asp.atoms, asp({})[0].exp().tolist(), strict=True))
    assert got == pytest.approx(nesy.query(program), abs=1e-9)


def test_neural_atoms_match_the_exact_model_and_its_gradients():
    program = nesy.parse_file("programs/mnist_addition.nesy")
    torch.manual_seed(0)
    net = MnistNet()
    inputs = {"a": torch.randn(3, 1, 28, 28), "b": torch.randn(3, 1, 28, 28)}
    exact = nesy.Model(program, {"mnist_net": net})
    asp = AspModel(program, {"mnist_net": net})
    assert exact.answers == asp.answers and exact.atoms == asp.atoms  # one answer type
    assert isinstance(exact, AnswerModule) and isinstance(asp, AnswerModule)
    exact_logp, asp_logp = exact(inputs), asp(inputs)
    assert torch.allclose(asp_logp.float(), exact_logp.float(), atol=1e-5)
    (grad_exact,) = torch.autograd.grad(exact_logp[:, 7].sum(), net.classifier[-1].weight)
    (grad_asp,) = torch.autograd.grad(asp_logp[:, 7].sum(), net.classifier[-1].weight)
    assert torch.allclose(grad_asp.float(), grad_exact.float(), atol=1e-5)


def test_all_different_cells_by_brute_force_over_the_network_outputs():
    program = nesy.parse("""
        nn(net, [X], Y, [0..2]) :: digit(X, Y).
        cell(0..2).
        clash :- cell(I), cell(J), I < J, digit(tensor(c(I)), D), digit(tensor(c(J)), D).
        ok :- not clash.
        query(ok).
    """)
    torch.manual_seed(1)
    logits = torch.randn(2, 3, 3)

    class Table(torch.nn.Module):  # the "network" reads its row of logits off the input
        def forward(self, x):
            return x.log_softmax(-1)

    model = AspModel(program, {"net": Table()})
    got = model({f"c({i})": logits[:, i] for i in range(3)})[:, 0].exp()
    probs = logits.softmax(-1)
    expected = torch.zeros(2, dtype=torch.float64)
    for values in itertools.permutations(range(3)):
        expected += torch.stack([probs[:, i, v] for i, v in enumerate(values)]).prod(0).double()
    assert torch.allclose(got, expected, atol=1e-6)
    assert model.diagrams[0].models == 6


def test_stable_models_are_clingos_with_their_probabilities():
    text = "0.4::rain. { wet } :- rain. :- rain, not wet, not sprinkler. 0.3::sprinkler."
    found = stable_models(AspProgram(nesy.parse(text)))
    control = clingo.Control(["0", "--warn=none"])
    control.add("base", [], "{rain; sprinkler}. { wet } :- rain. :- rain, not wet, not sprinkler.")
    control.ground([("base", [])])
    models: list[set[str]] = []
    control.solve(on_model=lambda m: models.append({str(s) for s in m.symbols(atoms=True)}))
    assert sorted(sorted(m.atoms) for m in found) == sorted(sorted(m) for m in models)
    probability = {frozenset(m.atoms): m.probability for m in found}
    assert probability[frozenset({"rain", "wet"})] == pytest.approx(0.4 * 0.7)  # one model
    assert probability[frozenset({"rain", "sprinkler"})] == pytest.approx(0.4 * 0.3 / 2)
    assert sum(probability.values()) == pytest.approx(1.0)


def test_most_probable_model_is_the_best_total_choice_with_a_model():
    text = "0.9::a. 0.8::b. 0.3::c. :- a, b. win :- c. win :- b."
    best = most_probable(AspProgram(nesy.parse(text)))
    # brute force: the best subset {a,b,c} with a stable model (a and b exclude each other)
    scores = {}
    for a, b, c in itertools.product((0, 1), repeat=3):
        if a and b:
            continue
        scores[(a, b, c)] = (0.9 if a else 0.1) * (0.8 if b else 0.2) * (0.3 if c else 0.7)
    assert best is not None
    assert best.probability == pytest.approx(max(scores.values()))
    assert set(best.atoms) == {"a"}


def test_an_impossible_program_has_no_model_and_no_probability():
    program = nesy.parse("0.5::a. :- a. :- not a. query(a).")
    assert most_probable(AspProgram(program)) is None
    assert AspModel(program)({}).exp().item() == 0.0


def test_diagram_of_all_different_has_one_node_per_subset():
    choices = torch.tensor(list(itertools.permutations(range(5)))).numpy()
    diagram = build_diagram(choices, [0.0] * len(choices), list(range(5)))
    assert diagram.models == 120
    assert diagram.nodes == 2**5 + 0  # 31 non-empty-suffix nodes + 1 terminal


def test_a_query_without_groundings_has_no_answers():
    program = nesy.parse("0.5::a(1). b(X) :- a(X), c(X). c(2). query(b(X)).")
    model = AspModel(program)
    assert model.answers == () and model({}).shape == (1, 0)


def test_most_probable_models_rank_every_model_exactly():
    from solvers.asp.semantics import most_probable_models

    # several models per total choice, a zero-probability fact, an annotated disjunction
    text = "0.5::r. a :- not b, r. b :- not a, r. 0.2::x; 0.3::y. 0.0::z. {c} :- y."
    asp = AspProgram(nesy.parse(text))
    everything = stable_models(asp)
    for k in range(1, len(everything) + 2):
        best = most_probable_models(asp, k)
        assert [m.probability for m in best] == pytest.approx(
            [m.probability for m in everything[:k]], abs=1e-15
        )
