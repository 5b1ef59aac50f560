"""Training loop: epochs of mini-batches, a loss per batch, per-epoch evaluation.

By default the loss is the NLL of each example's labelled answer, for any ``nn.Module`` that maps
a dict of input tensors to ``(B, Q)`` log-probabilities over its ``answers`` (a
:class:`nesy.Model`, or a plain classifier wrapped the same way). Hooks serve every other task:
a ``loss(model, batch)`` of its own, ``evaluate(model)`` after each epoch, ``on_epoch_end(record,
model)`` after that, and best-on-validation (:attr:`TrainConfig.select`) keeps the weights of the
epoch whose evaluation scored best. Data comes from an :class:`EpochData`, which re-draws its
batches every epoch.

A run can stop and go on: the checkpoint holds the model, the optimiser, every random generator
and the position in the epoch, so ``fit(data, resume=True)`` continues a run stopped by
SIGINT/SIGTERM (or killed after an epoch's save) to the same weights as an uninterrupted run.

Shape letters: ``B`` batch, ``Q`` answers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch
from torch import Tensor, nn
from tqdm import tqdm

from nesy.errors import ConfigError, DataError
from nesy.train.checkpoint import atomic_write_bytes, load_checkpoint, save_checkpoint
from nesy.train.device import inputs_on
from nesy.train.schedules import SCHEDULES
from nesy.train.stop import Interrupted, StopOnSignal

__all__ = [
    "OPTIMIZERS",
    "SELECT_MODES",
    "SCHEDULES",
    "TrainConfig",
    "Batch",
    "EpochData",
    "TensorData",
    "EpochRecord",
    "TrainResult",
    "Trainer",
    "LossHook",
    "EpochHook",
    "answer_indices",
    "seed_everything",
]

_log = logging.getLogger("nesy.train")

#: Optimiser name -> class; every one is built as ``cls(groups, lr=lr, weight_decay=decay)``.
OPTIMIZERS: dict[str, Callable[..., torch.optim.Optimizer]] = {
    "adam": torch.optim.Adam,
    "adadelta": torch.optim.Adadelta,
    "sgd": torch.optim.SGD,
}


#: How :attr:`TrainConfig.select` compares two epochs' figures: is ``new`` better than ``best``?
SELECT_MODES: dict[str, Callable[[float, float], bool]] = {
    "max": lambda new, best: new > best,
    "min": lambda new, best: new < best,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainConfig:
    """Training settings, validated when built.

    Parameters
    ----------
    epochs
        Passes over the training data (>= 1).
    batch_size
        Examples per optimiser step (>= 1).
    lr
        Learning rate (> 0).
    seed
        Seeds ``random``, NumPy, torch and the data generator at the start of :meth:`Trainer.fit`.
    optimizer
        A key of :data:`OPTIMIZERS`.
    schedule
        A key of :data:`SCHEDULES`: the learning rate of each epoch, ``lr`` times its factor.
    log_path
        Where to write one JSON line per epoch (truncated at the start of a run); ``None``: none.
    checkpoint_path
        Where to save the run's state after every epoch (atomically), and on SIGINT/SIGTERM
        after the current batch; ``None``: none (and signals are not caught).
    progress
        Show a tqdm bar (only when stderr is a terminal).
    device
        Where the model and the batches live (``"cpu"``, ``"cuda"``, ``"cuda:1"``).
    clip_grad_norm
        Rescale the gradients of the optimised parameters to at most this total 2-norm before
        every step (:func:`torch.nn.utils.clip_grad_norm_`); ``None``: no clipping.
    weight_decay
        The optimiser's ``weight_decay`` (L2 added to the gradient by Adam and SGD).
    select
        A figure the ``evaluate`` hook returns (e.g. ``"valid_accuracy"``): at the end of
        :meth:`Trainer.fit` the model gets the weights of the epoch where it was best (the first
        such epoch on a tie), recorded as :attr:`TrainResult.best_epoch`; ``None``: the last
        epoch's weights stay.
    select_mode
        ``"max"`` or ``"min"``: whether a higher or a lower ``select`` figure is better.

    Raises
    ------
    ConfigError
        A value is out of range or the optimiser is unknown; the message lists the allowed values.
    """

    epochs: int = 5
    batch_size: int = 16
    lr: float = 1e-3
    seed: int = 0
    optimizer: str = "adam"
    schedule: str = "constant"
    log_path: Path | None = None
    checkpoint_path: Path | None = None
    progress: bool = True
    device: str = "cpu"
    clip_grad_norm: float | None = None
    weight_decay: float = 0.0
    select: str | None = None
    select_mode: str = "max"

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1; got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ConfigError(f"seed must be an integer >= 0; got {self.seed!r}")
        if not _positive_finite(self.lr):
            raise ConfigError(f"lr must be a positive finite number; got {self.lr!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(
                f"unknown optimizer {self.optimizer!r}; expected one of {', '.join(OPTIMIZERS)}"
            )
        if self.schedule not in SCHEDULES:
            raise ConfigError(
                f"unknown schedule {self.schedule!r}; expected one of {', '.join(SCHEDULES)}"
            )
        clip = self.clip_grad_norm
        if clip is not None and not _positive_finite(clip):
            raise ConfigError(
                f"clip_grad_norm must be a positive finite number or None; got {clip!r}"
            )
        decay = self.weight_decay
        if not (_number(decay) and 0 <= decay < math.inf):
            raise ConfigError(f"weight_decay must be a finite number >= 0; got {decay!r}")
        if self.select is not None and (not isinstance(self.select, str) or not self.select):
            raise ConfigError(f"select must be a metric's name or None; got {self.select!r}")
        if self.select_mode not in SELECT_MODES:
            modes = ", ".join(SELECT_MODES)
            raise ConfigError(f"unknown select_mode {self.select_mode!r}; expected one of {modes}")
        for name in ("log_path", "checkpoint_path"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise ConfigError(f"unknown device {self.device!r} ({exc})") from None

    @classmethod
    def from_mapping(cls, options: Mapping[str, Any]) -> TrainConfig:
        """Build from a mapping (e.g. parsed JSON/CLI options); unknown keys -> ``ConfigError``."""
        allowed = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ConfigError(f"unknown training options {unknown}; allowed: {', '.join(allowed)}")
        return cls(**options)

    def to_json(self) -> dict[str, Any]:
        """The settings as JSON-ready values (paths as strings)."""
        return {
            f.name: (str(v) if isinstance(v, Path) else v)
            for f in dataclasses.fields(self)
            for v in [getattr(self, f.name)]
        }


def _number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)


def _positive_finite(value: object) -> bool:
    return _number(value) and 0 < value < math.inf  # type: ignore[operator]


class Batch(NamedTuple):
    """One mini-batch: the model's inputs and, per example, the value of the right answer
    (for a trainer with a ``loss`` hook: whatever that hook reads, one item per example).

    Shape:
        inputs: ``{name: (B, ...)}``; labels: ``(B,)`` int64 answer values, or a sequence of ``B``
        answer values (e.g. strings) when the answers are not integers.
    """

    inputs: Mapping[str, Tensor]
    labels: Tensor | Sequence[object]


class EpochData(Protocol):
    """A training set that yields one epoch of batches at a time."""

    def __len__(self) -> int:
        """Number of examples in one epoch."""
        ...

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        """One epoch of batches, drawn (shuffled, paired, ...) with ``generator``."""
        ...


class TensorData:
    """Examples stored as tensors, shuffled every epoch.

    Parameters
    ----------
    inputs
        ``{name: (n, ...)}``, one row per example.
    labels
        ``(n,)`` answer values.
    """

    def __init__(self, inputs: Mapping[str, Tensor], labels: Tensor) -> None:
        sizes = {name: len(t) for name, t in inputs.items()}
        if any(size != len(labels) for size in sizes.values()):
            raise DataError(f"inputs {sizes} and {len(labels)} labels disagree on the size")
        self.inputs = dict(inputs)
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.randperm(len(self), generator=generator)
        for chunk in order.split(batch_size):
            yield Batch({k: v[chunk] for k, v in self.inputs.items()}, self.labels[chunk])


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """What happened in one epoch; ``metrics`` come from the evaluation callback."""

    epoch: int
    loss: float  # mean loss per example (each batch's loss weighted by its size)
    examples: int
    train_seconds: float  # the epoch's batches, forward, backward and optimiser steps
    eval_seconds: float
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def examples_per_second(self) -> float:
        return self.examples / self.train_seconds if self.train_seconds > 0 else math.inf

    def to_json(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "loss": self.loss,
            "examples": self.examples,
            "train_seconds": self.train_seconds,
            "examples_per_second": self.examples_per_second,
            "eval_seconds": self.eval_seconds,
            "metrics": dict(self.metrics),
        }

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> EpochRecord:
        """The record :meth:`to_json` wrote (a line of the run's log)."""
        return cls(
            row["epoch"],
            row["loss"],
            row["examples"],
            row["train_seconds"],
            row["eval_seconds"],
            dict(row["metrics"]),
        )


@dataclass(frozen=True, slots=True)
class TrainResult:
    """Every epoch's record, in order; with :attr:`TrainConfig.select`, the epoch whose weights
    the model holds at the end (``None`` without selection, or when no epoch had a number)."""

    epochs: tuple[EpochRecord, ...]
    best_epoch: int | None = None

    @property
    def final(self) -> EpochRecord:
        return self.epochs[-1]

    @property
    def best(self) -> EpochRecord | None:
        """The selected epoch's record."""
        return None if self.best_epoch is None else self.epochs[self.best_epoch - 1]

    @property
    def train_seconds(self) -> float:
        return sum(e.train_seconds for e in self.epochs)


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _random_states() -> dict[str, Any]:
    """Every global generator's state, as tensors and plain values (``weights_only`` loads it)."""
    state = np.random.get_state(legacy=True)
    assert isinstance(state, tuple)  # legacy=True: (kind, keys, position, has_gauss, gauss)
    kind, keys, position, has_gauss, gauss = state
    return {
        "python": random.getstate(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, gauss),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def _set_random_states(states: Mapping[str, Any]) -> None:
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


#: Settings a resumed run must share with the run it continues (the others, such as the
#: device or the progress bar, do not change what is computed, or only its rounding).
_RESUME_SETTINGS = (
    "epochs",
    "batch_size",
    "lr",
    "seed",
    "optimizer",
    "schedule",
    "clip_grad_norm",
    "weight_decay",
    "select",
    "select_mode",
)


@dataclass(slots=True)
class _Position:
    """Where a run stands: ``done`` batches of epoch ``epoch``, whose data generator started
    from ``generator`` (a state), with the epoch's loss and time so far."""

    epoch: int
    generator: Tensor
    done: int = 0
    loss_sum: float = 0.0
    examples: int = 0
    train_seconds: float = 0.0


@dataclass(slots=True)
class _Best:
    """The best epoch so far under :attr:`TrainConfig.select`: its number, figure and weights."""

    epoch: int
    value: float
    model: dict[str, Tensor]


def answer_indices(answers: Sequence[object], labels: Tensor | Sequence[object]) -> Tensor:
    """Positions of ``labels`` among ``answers``.

    Raises
    ------
    DataError
        A label is not one of the answers; the message shows it and the answers.

    Shape:
        labels: ``(B,)`` -> ``(B,)`` int64.

    Examples
    --------
    >>> import torch
    >>> answer_indices((0, 1, 2), torch.tensor([2, 0])).tolist()
    [2, 0]
    """
    ints = [a for a in answers if type(a) is int]
    dense = bool(ints) and max(ints) - min(ints) < 16 * len(ints) + 1024  # small lookup table
    if isinstance(labels, Tensor) and dense and len(ints) == len(answers):
        lo = min(ints)
        table = torch.full((max(ints) - lo + 1,), -1, dtype=torch.int64)
        table[torch.tensor(ints) - lo] = torch.arange(len(ints))
        shifted = labels.to(torch.int64) - lo
        inside = (shifted >= 0) & (shifted < len(table))
        index = torch.where(inside, table[shifted.clamp(0, len(table) - 1)], -1)
        if bool((index >= 0).all()):
            return index
        bad = labels[index < 0][0].item()
        raise DataError(_not_an_answer(bad, answers))
    position = {a: i for i, a in enumerate(answers)}
    values = labels.tolist() if isinstance(labels, Tensor) else list(labels)
    try:
        return torch.tensor([position[v] for v in values], dtype=torch.int64)
    except KeyError as exc:
        raise DataError(_not_an_answer(exc.args[0], answers)) from None


def _not_an_answer(label: object, answers: Sequence[object]) -> str:
    shown = ", ".join(map(repr, answers[:25])) + (", ..." if len(answers) > 25 else "")
    return f"label {label!r} is not one of the model's {len(answers)} answers ({shown})"


#: ``loss(model, batch)``: the batch's loss, a scalar (the mean over its examples), with the
#: batch's tensors on the trainer's device.
LossHook = Callable[[nn.Module, Batch], Tensor]
#: ``on_epoch_end(record, model)``: called after each epoch's evaluation (and selection).
EpochHook = Callable[[EpochRecord, nn.Module], None]


class Trainer:
    """Fits a model by minimising a loss per batch: by default the NLL of each example's labelled
    answer.

    Parameters
    ----------
    model
        Maps ``{name: (B, ...)}`` to ``(B, Q)`` log-probabilities over ``model.answers`` (with a
        ``loss`` hook: whatever that hook reads; ``answers`` is then not needed).
    config
        The training settings.
    evaluate
        Called with the model (in eval mode, under ``torch.no_grad``, on ``config.device``)
        after every epoch; returns named figures (e.g. ``{"sum_accuracy": 0.97}``) that go
        into the log, and among which :attr:`TrainConfig.select` picks.
    loss
        ``loss(model, batch) -> Tensor``, a scalar (the mean over the batch), replacing the NLL
        of the labelled answer; the batch's inputs (and labels, when a tensor) are on the device.
        The epoch's logged loss weights each batch's by ``len(batch.labels)``.
    on_epoch_end
        ``on_epoch_end(record, model)``, called after each epoch's evaluation and selection
        (logging, a curriculum's next stage); epochs finished before a resume are not replayed.
    param_groups
        The optimiser's parameter groups (``[{"params": ..., "lr": ..., "eps": ...}, ...]``: what
        torch's optimisers accept), for a model whose parameters are not all trained alike or not
        all by this trainer; a group's own ``lr`` is scaled by the schedule like ``config.lr``.
        ``None``: one group of all of ``model.parameters()`` at ``config.lr``.

    Raises
    ------
    ConfigError
        No ``loss`` hook and a model without ``answers``; ``config.select`` without ``evaluate``.
    """

    def __init__(
        self,
        model: nn.Module,
        config: TrainConfig,
        *,
        evaluate: Callable[[nn.Module], Mapping[str, float]] | None = None,
        loss: LossHook | None = None,
        on_epoch_end: EpochHook | None = None,
        param_groups: Sequence[dict[str, Any]] | None = None,
    ) -> None:
        answers = getattr(model, "answers", None)
        if loss is None and (not isinstance(answers, tuple | list) or not answers):
            raise ConfigError("the model must expose a non-empty `answers` tuple (or give a loss)")
        if config.select is not None and evaluate is None:
            raise ConfigError(f"select={config.select!r} needs an evaluate hook that returns it")
        self.device = torch.device(config.device)
        self.model = model.to(self.device)
        self.config = config
        self.answers = tuple(answers) if loss is None and answers is not None else ()
        self.evaluate = evaluate
        self.loss = loss
        self.on_epoch_end = on_epoch_end
        groups = [{"params": model.parameters()}] if param_groups is None else param_groups
        self.optimizer = OPTIMIZERS[config.optimizer](
            groups, lr=config.lr, weight_decay=config.weight_decay
        )
        # each group's lr before the schedule's factor
        self._base_lrs = [group["lr"] for group in self.optimizer.param_groups]
        self._best: _Best | None = None

    def fit(
        self, data: EpochData, *, resume: bool = False, seed_globals: bool = True
    ) -> TrainResult:
        """Train for ``config.epochs`` epochs; log, evaluate and checkpoint after each.

        With ``resume``, continue from ``config.checkpoint_path`` (saved by this trainer with the
        same settings); the log keeps the epochs the checkpoint holds and goes on from there.
        ``seed_globals=False`` leaves Python's, NumPy's and torch's global generators as the
        caller set them (one that seeded them before building the model, so that initialisation
        and dropout draw from one stream); the data generator is seeded with ``config.seed``
        either way.

        Raises
        ------
        Interrupted
            SIGINT or SIGTERM arrived; the state after the current batch was saved first.
        """
        config = self.config
        if seed_globals:
            seed_everything(config.seed)
        generator = torch.Generator().manual_seed(config.seed)
        self._best = None
        if resume:
            records, position = self._restore()
        else:
            records, position = [], _Position(1, generator.get_state())
            if config.log_path is not None:
                atomic_write_bytes(config.log_path, lambda handle: None)  # start a fresh log
        with StopOnSignal() if config.checkpoint_path is not None else nullcontext() as stop:
            for epoch in range(position.epoch, config.epochs + 1):
                factor = SCHEDULES[config.schedule](epoch, config.epochs)
                for group, base in zip(self.optimizer.param_groups, self._base_lrs, strict=True):
                    group["lr"] = base * factor
                generator.set_state(position.generator)
                record = self._epoch(data, generator, position, stop)
                records.append(record)
                self._finish(record)
                self._select(record)
                if self.on_epoch_end is not None:
                    self.on_epoch_end(record, self.model)
                position = _Position(epoch + 1, generator.get_state())
                if config.checkpoint_path is not None:
                    save_checkpoint(config.checkpoint_path, self.state(position))
                    signal_number = None if stop is None else stop.signal_number
                    if signal_number is not None and epoch < config.epochs:
                        raise Interrupted(
                            signal_number, config.checkpoint_path, f"after epoch {epoch}"
                        )
        best = self._best
        if best is not None:
            self.model.load_state_dict(best.model)
        return TrainResult(tuple(records), None if best is None else best.epoch)

    def _select(self, record: EpochRecord) -> None:
        """Keep the weights of ``record``'s epoch if its :attr:`TrainConfig.select` figure is the
        best so far (a NaN never is)."""
        name = self.config.select
        if name is None:
            return
        if name not in record.metrics:
            raise ConfigError(
                f"select={name!r}: the evaluate hook returned no such figure "
                f"(it returned {sorted(record.metrics)})"
            )
        value = float(record.metrics[name])
        better = SELECT_MODES[self.config.select_mode]
        if not math.isnan(value) and (self._best is None or better(value, self._best.value)):
            weights = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
            self._best = _Best(record.epoch, value, weights)

    def _finish(self, record: EpochRecord) -> None:
        """Log a finished epoch."""
        config = self.config
        _log.info(
            "epoch %d/%d: loss %.4f, %.1f examples/s, %s",
            record.epoch,
            config.epochs,
            record.loss,
            record.examples_per_second,
            ", ".join(f"{k} {v:.4f}" for k, v in record.metrics.items()),
        )
        if config.log_path is not None:
            with config.log_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record.to_json()) + "\n")

    def state(self, position: _Position) -> dict[str, Any]:
        """What a checkpoint holds: model and optimiser state, the settings, every random
        generator's state, the position in the run and the best epoch so far (with ``select``).
        ``epoch`` counts the finished epochs."""
        best = self._best
        return {
            "best": None
            if best is None
            else {"epoch": best.epoch, "value": best.value, "model": best.model},
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": position.epoch - 1,
            "config": self.config.to_json(),
            "random": _random_states(),
            "position": {
                "generator": position.generator,
                "done": position.done,
                "loss_sum": position.loss_sum,
                "examples": position.examples,
                "train_seconds": position.train_seconds,
            },
        }

    def _restore(self) -> tuple[list[EpochRecord], _Position]:
        """Load the checkpoint into the model and optimiser; the finished epochs' records (from
        the log, which is cut back to them) and where to go on."""
        config = self.config
        path = config.checkpoint_path
        if path is None:
            raise ConfigError("resuming needs a checkpoint_path")
        state = load_checkpoint(path)
        if "position" not in state:
            raise DataError(f"{path}: this checkpoint holds no run position; it cannot resume")
        saved, current = state["config"], config.to_json()
        defaults = TrainConfig().to_json()  # a setting a checkpoint predates had its default
        differ = [
            name for name in _RESUME_SETTINGS if saved.get(name, defaults[name]) != current[name]
        ]
        if differ:
            shown = ", ".join(f"{n} {saved.get(n)!r} (now {current[n]!r})" for n in differ)
            raise ConfigError(f"{path}: --resume continues a run with other settings: {shown}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        _set_random_states(state["random"])
        best = state.get("best")
        self._best = None if best is None else _Best(best["epoch"], best["value"], best["model"])
        finished = state["epoch"]
        records = self._logged(finished)
        position = _Position(finished + 1, **state["position"])
        return records, position

    def _logged(self, finished: int) -> list[EpochRecord]:
        """The log's records of epochs ``1..finished``; the log is rewritten to hold just those
        (an epoch logged after the checkpoint was saved is trained again)."""
        path = self.config.log_path
        if path is None:
            return []
        rows = []
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                if row["epoch"] <= finished:
                    rows.append(row)
        if [row["epoch"] for row in rows] != list(range(1, finished + 1)):
            raise DataError(f"{path}: the log does not hold epochs 1..{finished}; cannot resume")
        text = "".join(json.dumps(row) + "\n" for row in rows)
        atomic_write_bytes(path, lambda handle: handle.write(text.encode()))
        return [EpochRecord.from_json(row) for row in rows]

    def _loss(self, batch: Batch) -> Tensor:
        """The batch's loss: the hook's, or the mean NLL of the labelled answers."""
        device = self.device
        if self.loss is not None:
            labels = batch.labels
            moved = labels.to(device) if isinstance(labels, Tensor) else labels
            return self.loss(self.model, Batch(inputs_on(batch.inputs, device), moved))
        target = answer_indices(self.answers, batch.labels).to(device)
        logp = self.model(inputs_on(batch.inputs, device))
        return nn.functional.nll_loss(logp, target)

    def _trained(self) -> list[Tensor]:
        """The parameters the optimiser steps."""
        return [p for group in self.optimizer.param_groups for p in group["params"]]

    def _epoch(
        self,
        data: EpochData,
        generator: torch.Generator,
        position: _Position,
        stop: StopOnSignal | None,
    ) -> EpochRecord:
        """Train one epoch from ``position`` (whose ``done`` batches are skipped: a resumed
        epoch), then evaluate. ``position`` is updated batch by batch."""
        config = self.config
        epoch = position.epoch
        self.model.train()
        show = config.progress and sys.stderr.isatty()
        bar = tqdm(
            total=len(data),
            initial=position.examples,
            desc=f"epoch {epoch}/{config.epochs}",
            unit="ex",
            disable=not show,
            leave=True,
        )
        with bar:
            start = time.perf_counter()
            for index, batch in enumerate(data.batches(config.batch_size, generator)):
                if index < position.done:  # trained before the run stopped
                    start = time.perf_counter()
                    continue
                size = len(batch.labels)
                loss = self._loss(batch)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.clip_grad_norm is not None:
                    nn.utils.clip_grad_norm_(self._trained(), config.clip_grad_norm)
                self.optimizer.step()
                position.loss_sum += loss.item() * size
                position.examples += size
                position.done += 1
                now = time.perf_counter()
                position.train_seconds += now - start  # drawing the batch included
                start = now
                bar.update(size)
                bar.set_postfix(loss=f"{position.loss_sum / position.examples:.4f}", refresh=False)
                if stop is not None and stop.signal_number is not None:
                    assert config.checkpoint_path is not None  # stop is only set with a path
                    save_checkpoint(config.checkpoint_path, self.state(position))
                    where = f"in epoch {epoch} after batch {position.done}"
                    raise Interrupted(stop.signal_number, config.checkpoint_path, where)
        if position.examples == 0:
            raise DataError("the training data yielded no examples")
        metrics: Mapping[str, float] = {}
        start = time.perf_counter()
        if self.evaluate is not None:
            self.model.eval()
            with torch.no_grad():
                metrics = dict(self.evaluate(self.model))
        eval_seconds = time.perf_counter() - start
        mean_loss = position.loss_sum / position.examples
        return EpochRecord(
            epoch, mean_loss, position.examples, position.train_seconds, eval_seconds, metrics
        )
