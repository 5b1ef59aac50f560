"""``nesy.fit``: train any program's networks on a data file of observed query answers.

The Python side of ``nesy train PROGRAM --data FILE``: read the examples
(:mod:`nesy.train.datafile`), bind the program's networks (:mod:`nesy.neural.registry`), build a
:class:`nesy.Model`, and train it with the one :class:`~nesy.train.trainer.Trainer` (checkpoint,
resume, progress bar, per-epoch log). Under ``torchrun`` every process trains its shard of each
batch (:mod:`nesy.train.distributed`).

Shape letters: ``B`` batch, ``Q`` answers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from nesy.errors import ConfigError, DataError
from nesy.infer.model import Model
from nesy.lang import ir, parse_file
from nesy.neural.registry import bind_networks, load_networks
from nesy.train import distributed
from nesy.train.datafile import Examples, read_examples
from nesy.train.device import inputs_on
from nesy.train.trainer import (
    Batch,
    EpochRecord,
    TensorData,
    TrainConfig,
    Trainer,
    seed_everything,
)

__all__ = ["FitResult", "Truth", "fit", "answer_metrics"]

#: Examples per forward pass when scoring a validation or test set.
EVAL_BATCH = 256


class Truth(nn.Module):
    """A ground query's model as a two-answer one: ``answers == (False, True)``.

    A ground query (``less(tensor(a), tensor(b))``) has one answer, the probability ``p`` that it
    holds; an observation of it is true or false, so the loss needs ``log(1 - p)`` as well.

    Shape:
        inputs -> ``(B, 2)``: ``log(1 - p)``, ``log p``.
    """

    answers = (False, True)

    def __init__(self, model: Model) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        logp = self.model(inputs)[:, :1]
        # log(1 - exp(x)) without cancellation near 0 (Maechler's log1mexp). x is kept below 0:
        # at p = 1 (reached in float32) both branches must stay finite, for torch.where passes
        # 0 * inf = nan back through the branch it did not pick.
        x = logp.clamp(max=-torch.finfo(logp.dtype).eps)
        log_not = torch.where(x > -math.log(2), torch.log(-torch.expm1(x)), torch.log1p(-x.exp()))
        return torch.cat((log_not, logp), dim=1)


@dataclass(frozen=True, slots=True)
class FitResult:
    """What :func:`fit` returns.

    ``model`` is the trained :class:`nesy.Model`: call it on ``{name: (B, ...)}`` for ``(B, Q)``
    log-probabilities over ``model.answers``, the values the query's free variable can take
    (``0..18`` for ``addition(tensor(a), tensor(b), S)``; tuples for several free variables; the
    ground atom's text for a ground query, whose one column is the log-probability that it
    holds). Its networks are in ``model.networks``. ``epochs`` holds each epoch's record (train
    loss, examples/s, ``valid_loss``/``valid_accuracy`` when there is a validation set);
    ``test`` the test set's ``test_loss``/``test_accuracy`` (empty without one).
    """

    model: Model
    epochs: tuple[EpochRecord, ...]
    test: Mapping[str, float]


class _AnswerData(TensorData):
    """Examples whose labels are positions into ``answers``; batches carry the answer values
    (the form :class:`Trainer` looks up in the model's answers)."""

    def __init__(
        self, inputs: Mapping[str, Tensor], positions: Tensor, answers: tuple[object, ...]
    ) -> None:
        super().__init__(inputs, positions)
        self.answers = answers

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        for batch in super().batches(batch_size, generator):
            positions = batch.labels
            assert isinstance(positions, Tensor)  # TensorData's labels are a tensor
            yield Batch(batch.inputs, [self.answers[i] for i in positions.tolist()])


def fit(
    program: str | os.PathLike[str] | ir.Program,
    data: str | os.PathLike[str] | Examples,
    *,
    networks: Mapping[str, nn.Module | str] | str | None = None,
    valid: str | os.PathLike[str] | Examples | None = None,
    valid_fraction: float = 0.0,
    test: str | os.PathLike[str] | Examples | None = None,
    query: ir.Atom | None = None,
    config: TrainConfig | None = None,
    resume: bool = False,
) -> FitResult:
    """Train the networks of ``program`` so that its query gives the observed answers.

    Parameters
    ----------
    program
        A program file (``.nesy``) or a parsed :class:`~nesy.lang.ir.Program`, with one query.
    data
        The training examples: a JSON Lines file (format: :mod:`nesy.train.datafile`) or
        examples already read.
    networks
        A module or a built-in name (``"mnist_net"``, ``"mlp"``, ``"observed"``) per network name,
        or ``"package.module:function"`` returning ``{name: nn.Module}``; networks not given are
        the built-in of their own name (:mod:`nesy.neural.registry`).
    valid, valid_fraction
        A validation file, or the fraction of ``data`` held out for validation (a seeded draw);
        its answer accuracy and loss are logged after every epoch.
    test
        A test file, scored once after training.
    query
        The query to train, instead of the program's ``query(...)``.
    config
        Epochs, batch size, learning rate, seed, log and checkpoint paths, device
        (:class:`~nesy.train.trainer.TrainConfig`); defaults when ``None``.
    resume
        Continue from ``config.checkpoint_path`` (a run stopped with the same settings).

    Returns
    -------
    FitResult
        The trained model (``model.answers`` explained there), each epoch's record, test scores.

    Raises
    ------
    DataError
        A data line is malformed, lacks an input the query needs, or its answer is not one of the
        model's (``FILE:LINE``).
    ConfigError, NesyTypeError
        Bad settings, or a network that is neither given nor built in.
    """
    config = config or TrainConfig()
    processes = distributed.join(config.device)
    if resume and processes.world > 1:  # the other processes hold no checkpoint path to read
        raise ConfigError("resume a run on one process; data-parallel runs start afresh")
    if not processes.lead:  # only the first process writes (log, checkpoint)
        config = replace(config, log_path=None, checkpoint_path=None, progress=False)
    if not isinstance(program, ir.Program):
        program = parse_file(program)
    examples = data if isinstance(data, Examples) else read_examples(data)
    valid_set = _read(valid)
    if valid_fraction:
        if valid_set is not None:
            raise ConfigError("give a validation file or a validation fraction, not both")
        examples, valid_set = _hold_out(examples, valid_fraction, config.seed)
    test_set = _read(test)

    seed_everything(config.seed)  # the networks' initial weights
    given = load_networks(networks) if isinstance(networks, str) else networks
    model = Model(program, bind_networks(program, given), query=query)
    trained = _trainable(model, program, query)
    train_data = _labelled(trained, model, examples)
    scored = {"valid": valid_set, "test": test_set}
    labelled = {name: _labelled(trained, model, s) for name, s in scored.items() if s is not None}
    _materialise(trained, examples)

    def evaluate(_: nn.Module) -> dict[str, float]:
        # the unwrapped model: the data-parallel wrapper's forward would wait for the others
        if "valid" not in labelled or not processes.lead:
            return {}
        return answer_metrics(trained, labelled["valid"], "valid", config.device)

    trainer = Trainer(processes.wrap(trained, config.device), config, evaluate=evaluate)
    result = trainer.fit(processes.shard(train_data), resume=resume)
    trained.eval()
    test_metrics: dict[str, float] = {}
    if "test" in labelled and processes.lead:
        with torch.no_grad():
            test_metrics = answer_metrics(trained, labelled["test"], "test", config.device)
    return FitResult(model, result.epochs, test_metrics)


def answer_metrics(
    model: nn.Module, data: TensorData, prefix: str, device: str | torch.device = "cpu"
) -> dict[str, float]:
    """Mean NLL of the right answers and the fraction whose most probable answer is right.

    ``data`` holds positions into ``model.answers`` as labels (as :func:`fit` builds them).
    """
    loss_sum, correct = 0.0, 0
    rows = torch.arange(len(data))
    for chunk in rows.split(EVAL_BATCH):
        inputs = inputs_on({name: t[chunk] for name, t in data.inputs.items()}, device)
        target = data.labels[chunk].to(device)
        logp = model(inputs)
        loss_sum += float(nn.functional.nll_loss(logp, target, reduction="sum"))
        correct += int((logp.argmax(dim=1) == target).sum())
    return {f"{prefix}_loss": loss_sum / len(data), f"{prefix}_accuracy": correct / len(data)}


def _read(source: str | os.PathLike[str] | Examples | None) -> Examples | None:
    if source is None or isinstance(source, Examples):
        return source
    return read_examples(source)


def _hold_out(examples: Examples, fraction: float, seed: int) -> tuple[Examples, Examples]:
    """A seeded random ``fraction`` of the examples for validation, the rest for training."""
    if not 0 < fraction < 1:
        raise ConfigError(f"the validation fraction must lie in (0, 1); got {fraction!r}")
    held = round(len(examples) * fraction)
    if not 0 < held < len(examples):
        raise ConfigError(
            f"a validation fraction of {fraction} of {len(examples)} examples leaves "
            f"{held} for validation and {len(examples) - held} for training; both need some"
        )
    order = torch.randperm(len(examples), generator=torch.Generator().manual_seed(seed)).tolist()
    return examples.subset(sorted(order[held:])), examples.subset(sorted(order[:held]))


def _trainable(model: Model, program: ir.Program, query: ir.Atom | None) -> Model | Truth:
    """The model the trainer fits: ``model`` itself when its query has free variables, a
    :class:`Truth` of it when the query is ground."""
    queries = (query,) if query is not None else tuple(q.atom for q in program.queries)
    if len(queries) != 1:
        raise ConfigError(
            f"{program.source}: training needs one query; the program has {len(queries)} "
            "(keep one, or pass query=...)"
        )
    ground = not any(v.name != "_" for v in ir.variables(queries[0]))
    return Truth(model) if ground else model


def _labelled(trained: Model | Truth, model: Model, examples: Examples) -> _AnswerData:
    """The examples as training data: their inputs checked against the query's, their answers
    as positions among the trained model's answers."""
    needed, given = set(model.input_names), set(examples.inputs)
    if needed != given:
        missing, extra = sorted(needed - given), sorted(given - needed)
        raise DataError(
            f"the query's inputs are {sorted(needed)}; the examples give {sorted(given)}"
            + (f" (missing {missing})" if missing else "")
            + (f" (not in the query: {extra})" if extra else ""),
            examples.span(0),
        )
    answers = tuple(trained.answers)
    position = {_key(a): i for i, a in enumerate(answers)}
    positions = []
    for i, answer in enumerate(examples.answers):
        found = position.get(_key(answer))
        if found is None:
            shown = ", ".join(map(repr, answers[:20])) + (", ..." if len(answers) > 20 else "")
            raise DataError(
                f"answer {answer!r} is not one of the query's {len(answers)} answers ({shown})",
                examples.span(i),
            )
        positions.append(found)
    return _AnswerData(examples.inputs, torch.tensor(positions, dtype=torch.int64), answers)


def _key(value: object) -> tuple[str, object]:
    """An answer as a lookup key: ``True`` and ``1`` are different answers."""
    return (type(value).__name__, value)


def _materialise(model: nn.Module, examples: Examples) -> None:
    """One forward pass on two examples, which sizes networks that read their input size from
    the data (``mlp``) before an optimiser or the data-parallel wrapper sees the parameters."""
    with torch.no_grad():
        model.eval()
        model({name: t[:2] for name, t in examples.inputs.items()})
        model.train()
