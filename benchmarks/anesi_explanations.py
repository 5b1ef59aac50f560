"""A-NeSI's explanations of sums against the exact most probable explanation.

Protocol: each folder is a run of benchmarks/anesi.py --prune --keep (a checkpoint with the
explanation model). Its network reads the official test digits; on the same fixed test examples
as the run's own evaluation (seed 0), the explanation model explains each true sum under
symbolic pruning, greedily (digit by digit) and by beam search (the run's beam, 10), and the
exact most probable explanation of the same sum under the same beliefs is found by a Viterbi
pass over the carries. The table gives the share of examples whose readings (each image's
argmax) are all right, whose learned explanation is all right (greedy; beam), whose exact
explanation is all right, and on which the beam's explanation is the exact one.

    python benchmarks/anesi_explanations.py RUN [RUN ...] --out results/anesi_explanations.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch
from bench_record import record_head  # a sibling script

from nesy.neural.datasets import load_idx_folder
from nesy.neural.nets import build_network
from nesy.train.checkpoint import atomic_write_bytes, load_checkpoint
from solvers.anesi.explanation import SumPruner
from solvers.anesi.learner import Anesi, AnesiConfig
from solvers.anesi.symbolic import NumberSum
from tasks.mnist_addition.pairs import fixed_pairs
from tasks.mnist_addition_digits.anesi_addition import evaluate_anesi
from tasks.mnist_addition_digits.data import DigitsAdditionData, num_test_examples

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("runs", nargs="+", help="folders holding checkpoint.pt")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/anesi_explanations.json")
    return p.parse_args(argv)


def score(run: Path, test_dir: Path | None) -> dict[str, Any]:
    """The run's evaluation, explanations included, and the share of all-right readings."""
    state = load_checkpoint(run / "checkpoint.pt")
    n, config = int(state["digits"]), AnesiConfig(**state["config"])
    anesi = Anesi(build_network("mnist_net"), NumberSum(n), config, pruner=SumPruner(n))
    # the prior's stored beliefs (their count varies) are not needed to explain
    weights = {k: v for k, v in state["model"].items() if not k.startswith("prior.")}
    missing = anesi.load_state_dict(weights, strict=False).missing_keys
    if any(not key.startswith("prior.") for key in missing):
        raise SystemExit(f"{run}: the checkpoint lacks {missing}")
    anesi.eval()
    test = DigitsAdditionData(load_idx_folder(test_dir, "t10k"), n)
    tuples = fixed_pairs(len(test.digits.labels), num_test_examples(n), seed=0, k=test.k)
    figures = evaluate_anesi(anesi, test, tuples)
    with torch.no_grad():
        P = torch.cat([anesi.perception(x).exp() for x in test.digits.images.split(2000)])
    truth, digits = test.sums(tuples).flip(1), test.digits.labels[tuples]
    assert anesi.explanation is not None
    greedy = torch.cat([
        anesi.explanation.explain(P[chunk], sums, beam=1)
        for chunk, sums in zip(tuples.split(1000), truth.split(1000), strict=True)
    ])  # fmt: skip
    return {
        "run": str(run),
        "digits": n,
        "beam": config.beam,
        "readings_all_right": float((P.argmax(1)[tuples] == digits).all(dim=1).double().mean()),
        "greedy_explanation_accuracy": float((greedy == digits).all(dim=1).double().mean()),
        **figures,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record = record_head("anesi_explanations", args, __doc__)
    record["runs"] = [score(Path(run), args.test_dir) for run in args.runs]
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print("run  N  digits  readings all right  explained: greedy  beam  exact  beam = exact")
    for r in record["runs"]:
        print(
            f"{Path(r['run']).name}  {r['digits']}  {r['digit_accuracy']:.4f}  "
            f"{r['readings_all_right']:.4f}  {r['greedy_explanation_accuracy']:.4f}  "
            f"{r['explanation_accuracy']:.4f}  {r['exact_explanation_accuracy']:.4f}  "
            f"{r['explanation_is_exact']:.4f}"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
