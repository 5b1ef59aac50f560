"""A resumable curriculum for NeuroSAT: continue from a trained model and widen SR(U(low, n)).

Stage ``k`` trains on SR(U(low, highs[k])) pairs until its validation accuracy reaches
``advance_at`` (then the next, wider stage starts) or the run's time is spent. Every evaluation
also measures the accuracy on a fixed set of SR(40) pairs, the paper's test, so the curve says
how far the model is from 0.85 at each point.

Each evaluation writes one checkpoint atomically: the weights (loadable by
:func:`~solvers.sat.train.load_model`, hence by ``nesy sat solve --model`` and
``benchmarks/neurosat.py --model``), Adam's state, the stage, the step, the training seconds so
far and the curve. :func:`run` with ``resume=True`` continues from it, so a long training can
run as chunks (a GPU session's 15 minutes, or a CPU's spare minutes) whose curves add up. The data
of a stage depends only on the seed and the stage, so a resumed stage trains on the same pairs
(the batch order restarts with the chunk).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from nesy.errors import ConfigError, DataError
from nesy.train.checkpoint import save_checkpoint
from nesy.train.stop import StopOnSignal
from nesy.train.trainer import EpochRecord, Trainer
from solvers.sat.neurosat import NeuroSAT
from solvers.sat.train import (
    BCELoss,
    Example,
    Finished,
    Periods,
    adam_config,
    evaluate,
    load_model,
    machine,
    make_examples,
    save_model,
)

__all__ = ["CurriculumConfig", "run", "export"]

#: The trainer's epoch bound for a stage, whose evaluation periods end only when it advances or
#: the chunk's time is spent.
ENDLESS = 2**31 - 1


@dataclass(frozen=True)
class CurriculumConfig:
    """The stages and how to train them (``highs``: each stage's largest n)."""

    low: int = 10
    highs: tuple[int, ...] = (15, 20, 25, 30, 35, 40)
    pairs: int = 2000
    val_pairs: int = 200
    sr40_pairs: int = 200
    advance_at: float = 0.85
    lr: float = 1e-4
    clip: float = 0.65
    max_nodes: int = 12_000
    eval_every: float = 60.0
    seed: int = 0
    device: str = "cpu"
    workers: int | None = None

    def check(self) -> None:
        if not self.highs or sorted(self.highs) != list(self.highs) or self.highs[0] < self.low:
            raise ConfigError(f"highs must rise from low={self.low}; got {self.highs}")
        if min(self.pairs, self.val_pairs, self.sr40_pairs, self.max_nodes, self.low) < 1:
            raise ConfigError("pairs, val-pairs, sr40-pairs, max-nodes and low must be >= 1")


def _stage_data(config: CurriculumConfig, stage: int) -> tuple[list[Example], list[Example]]:
    high, seed = config.highs[stage], config.seed * 1000 + stage
    train = make_examples(config.pairs, config.low, high, seed, "sat", config.workers)
    validation = make_examples(config.val_pairs, config.low, high, seed + 500, "sat", 1)
    return train, validation


def _start(
    config: CurriculumConfig, init: Path, checkpoint: Path, resume: bool
) -> tuple[NeuroSAT, dict[str, Any] | None, dict[str, Any]]:
    """The model, Adam's saved state (``None``: a fresh Adam) and the progress so far: from
    ``checkpoint`` when resuming, else fresh from ``init``."""
    source = checkpoint if resume else init
    if resume and not checkpoint.exists():
        raise DataError(f"{checkpoint}: no checkpoint to resume from")
    model, meta = load_model(source)
    optimiser = None
    progress = {"stage": 0, "step": 0, "seconds": 0.0, "curve": [], "init": str(init)}
    if resume:
        saved = torch.load(checkpoint, map_location=config.device, weights_only=True)
        if "optimiser" not in saved or "curriculum" not in meta:
            raise DataError(f"{checkpoint}: a NeuroSAT model, but not a curriculum checkpoint")
        optimiser = saved["optimiser"]
        progress = meta["curriculum"]
    return model, optimiser, progress


def _save(
    path: Path,
    model: NeuroSAT,
    optimiser: torch.optim.Optimizer,
    progress: dict[str, Any],
    config: CurriculumConfig,
) -> None:
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    last = progress["curve"][-1] if progress["curve"] else None
    meta = {  # what load_model and benchmarks/neurosat.py read, and the curriculum's progress
        "config": {**asdict(config), "highs": list(config.highs), "head": "sat"},
        "data": {"low": config.low, "highs": list(config.highs), "seed": config.seed},
        "data_seconds": None,
        "curve": progress["curve"] or [{"validation_accuracy": None}],
        "machine": machine(),
        "curriculum": progress,
        "final": last,
    }
    config_of = {"d": model.d, "rounds": model.rounds, "mlp_layers": model.mlp_layers}
    save_checkpoint(
        path,
        {
            "config": {**config_of, "head": model.head},
            "state_dict": state,
            "optimiser": optimiser.state_dict(),
            "meta": meta,
        },
    )


class _Chunk:
    """The trainer's hooks for one chunk: they know the stage being trained, record each
    evaluation in the progress, checkpoint it, and end the stage's fit when it advances or the
    chunk is over."""

    def __init__(
        self,
        config: CurriculumConfig,
        model: NeuroSAT,
        progress: dict[str, Any],
        checkpoint: Path,
        log: Callable[[dict[str, Any]], None],
    ) -> None:
        self.config = config
        self.model = model
        self.progress = progress
        self.checkpoint = checkpoint
        self.log = log
        self.sr40 = make_examples(
            config.sr40_pairs, 40, 40, config.seed + 40_000, "sat", config.workers
        )
        self.loss = BCELoss("sat", config.device)
        self.trainer = Trainer(
            model,
            adam_config(ENDLESS, config.lr, config.clip, config.seed, config.device),
            evaluate=self.evaluate,
            loss=self.loss,
            on_epoch_end=self.record,
        )
        self.stage = 0
        self.validation: list[Example] = []
        self.periods: Periods | None = None
        # the chunk's clock starts once its fixed data is made, as its training does
        self.start = time.perf_counter()
        self.offset = progress["seconds"]  # training seconds of the earlier chunks

    def train_stage(self, seconds: float, stop: StopOnSignal | None) -> None:
        """Train the current stage until it advances or the chunk's ``seconds`` are spent."""
        config, stage = self.config, self.progress["stage"]
        examples, self.validation = _stage_data(config, stage)
        self.stage = stage
        rng = np.random.default_rng([config.seed, stage, self.progress["step"]])
        # at least one step and one evaluation per stage entered, however long making the
        # stage's data took: a chunk always moves on (a loaded machine once spent it all there)
        self.periods = Periods(
            examples, rng, config.max_nodes, config.eval_every,
            deadline=self.start + seconds, stop=stop,
        )  # fmt: skip
        with contextlib.suppress(Finished):
            self.trainer.fit(self.periods)

    def evaluate(self, model: nn.Module) -> dict[str, float]:
        config = self.config
        return {
            "validation_accuracy": evaluate(
                self.model, self.validation, config.max_nodes, config.device
            ),
            "sr40_accuracy": evaluate(self.model, self.sr40, config.max_nodes, config.device),
        }

    def record(self, epoch: EpochRecord, model: nn.Module) -> None:
        config, progress, periods = self.config, self.progress, self.periods
        assert periods is not None  # set by train_stage before the fit that calls this
        progress["step"] += periods.steps
        periods.steps = 0
        entry = {
            "stage": self.stage,
            "n": [config.low, config.highs[self.stage]],
            "step": progress["step"],
            "seconds": self.offset + periods.ended - self.start,
            "loss": self.loss.mean(),
            **epoch.metrics,
        }
        progress["curve"].append(entry)
        progress["seconds"] = entry["seconds"]
        advanced = entry["validation_accuracy"] >= config.advance_at
        progress["stage"] += advanced
        _save(self.checkpoint, self.model, self.trainer.optimizer, progress, config)
        self.log(entry)
        if advanced or periods.finished:
            raise Finished


def run(
    config: CurriculumConfig,
    init: str | os.PathLike[str],
    checkpoint: str | os.PathLike[str],
    seconds: float,
    resume: bool = False,
    log: Callable[[dict[str, Any]], None] = lambda _: None,
    stop: StopOnSignal | None = None,
) -> dict[str, Any]:
    """Train for ``seconds`` (this chunk), checkpointing at each evaluation; return the progress
    (stage, step, training seconds over all chunks, curve). Each stage is one
    :meth:`Trainer.fit <nesy.train.trainer.Trainer.fit>` of the chunk's trainer, whose Adam
    carries on from stage to stage (and from the checkpoint when resuming)."""
    config.check()
    checkpoint = Path(checkpoint)
    model, optimiser, progress = _start(config, Path(init), checkpoint, resume)
    chunk = _Chunk(config, model, progress, checkpoint, log)
    if optimiser is not None:
        chunk.trainer.optimizer.load_state_dict(optimiser)
    while progress["stage"] < len(config.highs) and time.perf_counter() - chunk.start < seconds:
        chunk.train_stage(seconds, stop)
        if stop is not None and stop.signal_number:
            return progress
    return progress


def export(checkpoint: str | os.PathLike[str], out: str | os.PathLike[str]) -> None:
    """Write a curriculum checkpoint's model without Adam's state (a third of the file), its
    meta and curve kept: the form in which a model ships in ``solvers/sat/models/``."""
    model, meta = load_model(checkpoint)
    if "curriculum" not in meta:
        raise DataError(f"{checkpoint}: a NeuroSAT model, but not a curriculum checkpoint")
    save_model(out, model, meta)
