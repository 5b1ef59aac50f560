"""SR(n) pairs, the network's batching, decoding, core labels and the shipped models."""

from pathlib import Path

import numpy as np
import pytest
import torch
from pysat.solvers import Solver

from nesy.errors import DataError
from solvers.sat.cnf import CNF, satisfies
from solvers.sat.decode import decode, decode_clusters, decode_votes
from solvers.sat.generate import sr_pair, sr_pairs
from solvers.sat.neurosat import Graph, NeuroSAT
from solvers.sat.scoring import DEFAULT_MODELS, default_scorer, false_clauses
from solvers.sat.train import (
    NeuroSATConfig,
    core_labels,
    load_model,
    make_examples,
    pack,
    save_model,
    train,
)

SATLIB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "satlib"


def _sat(cnf):
    with Solver(name="cadical195", bootstrap_with=cnf.clauses) as solver:
        return solver.solve()


def test_sr_pairs_differ_in_one_literal_and_are_unsat_then_sat():
    for unsat, sat in sr_pairs(20, 5, 30, seed=1):
        assert unsat.clauses[:-1] == sat.clauses[:-1]
        assert unsat.clauses[-1][1:] == sat.clauses[-1][1:]
        assert unsat.clauses[-1][0] == -sat.clauses[-1][0]
        assert not _sat(unsat) and _sat(sat)
        for clause in unsat.clauses:
            assert len(set(map(abs, clause))) == len(clause)  # distinct variables


def test_clause_widths_follow_the_distribution():
    rng = np.random.default_rng(0)
    widths = [len(c) for unsat, _ in (sr_pair(40, rng) for _ in range(30)) for c in unsat.clauses]
    # 1 + Bernoulli(0.7) + Geometric(0.4): mean 1 + 0.7 + 2.5 = 4.2, never below 2
    assert min(widths) >= 2 and 3.9 < np.mean(widths) < 4.5


def test_a_batch_gives_each_formula_what_it_gets_alone():
    torch.manual_seed(0)
    net = NeuroSAT(d=16, rounds=4)
    formulas = [unsat for unsat, _ in sr_pairs(3, 5, 12, seed=2)]
    together = net(Graph.batch(formulas)).logits
    alone = torch.cat([net(Graph.batch([f])).logits for f in formulas])
    assert torch.allclose(together, alone, atol=1e-5)


def test_literal_layout_puts_negations_in_the_second_half():
    graph = Graph.batch([CNF(2, ((1, -2),)), CNF(3, ((-3,),))])
    # variables: formula 0 -> 0, 1; formula 1 -> 2, 3, 4; literal -x is at V + index(x)
    assert graph.edge_literal.tolist() == [0, 5 + 1, 5 + 4]
    assert graph.variable_formula.tolist() == [0, 0, 1, 1, 1]


def test_decoders_return_only_verified_models():
    cnf = CNF(3, ((1, 2), (-1, 3), (-2, -3)))
    votes = torch.tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])  # 1, not 2, 3
    assert decode_votes(cnf, votes) == (1, -2, 3) and satisfies(cnf, (1, -2, 3))
    bad = torch.tensor([1.0, 1.0, 1.0, -1.0, -1.0, -1.0])  # all true breaks the last clause
    assert decode_votes(cnf, bad) is None
    # two tight clusters: literals 1, -2, 3 at one point, their negations at the other
    literals = torch.tensor([[0.0], [5.0], [0.0], [5.0], [0.0], [5.0]])
    found = decode_clusters(cnf, literals)
    assert found is not None and satisfies(cnf, found)
    torch.manual_seed(0)
    graph = Graph.batch([cnf])
    output = NeuroSAT(d=8, rounds=2)(graph)
    result = decode(cnf, graph, output, 0)
    assert result is None or satisfies(cnf, result)


def test_core_labels_mark_an_unsatisfiable_subformula():
    for unsat, _ in sr_pairs(10, 5, 20, seed=3):
        labels = core_labels(unsat)
        inside = {v + 1 for v in np.flatnonzero(labels)}
        sub = [c for c in unsat.clauses if {abs(x) for x in c} <= inside]
        assert not _sat(CNF(unsat.num_vars, tuple(sub)))
    with pytest.raises(DataError, match="unsatisfiable"):
        core_labels(CNF(1, ((1,),)))


def test_core_labels_refuse_selectors_past_the_solvers_literals():
    # a selector per clause is numbered after the variables: 2^31-1 + 2 would wrap around
    with pytest.raises(DataError, match=r"2147483647 variables and 2 clauses exceed 2147483647"):
        core_labels(CNF(2**31 - 1, ((1,), (-1,))))


def test_examples_and_packing():
    examples = make_examples(6, 5, 10, seed=0, head="sat", workers=1)
    assert [e.target for e in examples[:2]] == [0.0, 1.0] and len(examples) == 12
    assert make_examples(6, 5, 10, seed=0, head="sat", workers=2)[3].cnf == examples[3].cnf
    groups = pack(examples, 60)
    assert sum(map(len, groups)) == 12
    for group in groups:
        nodes = sum(2 * e.cnf.num_vars + e.cnf.num_clauses for e in group)
        assert nodes <= 60 or len(group) == 1


def test_training_evaluates_by_the_clock_and_repeats_with_the_seed():
    examples = make_examples(3, 3, 4, seed=1, head="sat", workers=1)
    validation = make_examples(1, 3, 4, seed=2, head="sat", workers=1)
    config = NeuroSATConfig(d=8, rounds=2, epochs=2, eval_every=0.0, max_nodes=40, seed=4)
    model, curve = train(config, examples, validation)
    again, curve_again = train(config, examples, validation)
    # eval_every 0: an evaluation after every step, each with its step's loss, none repeated
    assert [entry["step"] for entry in curve] == list(range(1, len(curve) + 1))
    assert len(curve) > 2 and curve[-1]["examples"] == 2 * len(examples) and not model.training
    assert all(0 < entry["loss"] < 10 and 0 <= entry["validation_accuracy"] <= 1 for entry in curve)
    assert [e["loss"] for e in curve] == [e["loss"] for e in curve_again]
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in model.state_dict().items())


def test_checkpoints_round_trip(tmp_path):
    torch.manual_seed(0)
    net = NeuroSAT(d=8, rounds=3, head="core")
    save_model(tmp_path / "m.pt", net, {"curve": [{"step": 1, "loss": None}]})
    loaded, meta = load_model(tmp_path / "m.pt")
    graph = Graph.batch([CNF(2, ((1, 2),))])
    assert torch.equal(loaded(graph).logits, net.eval()(graph).logits)
    assert meta["curve"][0]["step"] == 1 and loaded.head == "core"


@pytest.mark.skipif(not SATLIB.is_dir(), reason="SATLIB instances not present")
def test_the_shipped_models_guide_on_satlib():
    from solvers.sat.dimacs import read_dimacs

    torch.set_num_threads(1)
    scorer = default_scorer()
    for name in ("uf50-01", "uf50-02", "uf50-03"):
        cnf = read_dimacs(SATLIB / "uf50-218" / f"{name}.cnf.xz")
        scores = scorer(cnf)
        # the phases leave at most half the false clauses that random phases leave (about 1/8
        # of them); the shipped model leaves 0, 10 and 0 of 218 here
        assert false_clauses(cnf, scores.phase > 0.5) <= cnf.num_clauses / 16
        assert scores.core.shape == (cnf.num_vars,)
    for path in DEFAULT_MODELS.values():
        assert path.stat().st_size < 4_000_000


def test_a_bad_checkpoint_is_refused_with_its_name(tmp_path):
    import subprocess
    import sys

    from nesy.errors import DataError

    bad = tmp_path / "torn.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="torn.pt: not a NeuroSAT checkpoint"):
        load_model(bad)
    cnf = tmp_path / "f.cnf"
    cnf.write_text("p cnf 1 1\n1 0\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "nesy",
            "sat",
            "solve",
            str(cnf),
            "--guide",
            "phases",
            "--model",
            str(bad),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "not a NeuroSAT checkpoint" in result.stderr
