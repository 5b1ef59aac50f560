"""The trainer's hooks: a loss of one's own, the end of each epoch, best-on-validation, gradient
clipping, weight decay and parameter groups, on tiny real regressions (no answers needed)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest
import torch
from torch import Tensor, nn

from nesy.errors import ConfigError
from nesy.train.checkpoint import load_checkpoint
from nesy.train.stop import Interrupted
from nesy.train.trainer import Batch, EpochRecord, TensorData, TrainConfig, Trainer


class Line(nn.Module):
    """``y = w x + b``, with no ``answers``: only a loss hook can train it."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        return self.w * x + self.b


def squared_error(model: nn.Module, batch: Batch) -> Tensor:
    assert isinstance(batch.labels, Tensor)
    return ((model(batch.inputs["x"]) - batch.labels) ** 2).mean()


def _line_data(n: int = 12) -> TensorData:
    x = torch.linspace(-1, 1, n)
    return TensorData({"x": x}, 3 * x - 1)


def _config(**changes: object) -> TrainConfig:
    options: dict[str, object] = {"epochs": 3, "batch_size": 4, "lr": 0.1, "progress": False}
    return TrainConfig(**{**options, **changes})  # type: ignore[arg-type]


def test_a_loss_hook_trains_a_model_without_answers() -> None:
    data = _line_data()
    model = Line()
    result = Trainer(model, _config(epochs=20), loss=squared_error).fit(data)
    losses = [r.loss for r in result.epochs]
    assert losses[-1] < losses[0] / 100  # 4.1 -> 0.009
    assert result.final.examples == 12 and result.best_epoch is None
    assert float(model.w.detach()) > 1.5


def test_the_epoch_loss_weights_each_batch_by_its_size() -> None:
    seen: list[tuple[int, float]] = []

    def recorded(model: nn.Module, batch: Batch) -> Tensor:
        loss = squared_error(model, batch)
        seen.append((len(batch.labels), loss.item()))
        return loss

    result = Trainer(Line(), _config(epochs=1, batch_size=5), loss=recorded).fit(_line_data())
    assert [size for size, _ in seen] == [5, 5, 2]
    assert result.final.loss == pytest.approx(sum(s * v for s, v in seen) / 12, rel=1e-12)


def test_on_epoch_end_follows_each_evaluation() -> None:
    events: list[tuple[str, int]] = []
    epoch = iter(range(1, 4))

    def evaluate(model: nn.Module) -> dict[str, float]:
        events.append(("evaluate", next(epoch)))
        return {"w": float(model.w.detach())}

    def on_epoch_end(record: EpochRecord, model: nn.Module) -> None:
        assert record.metrics == {"w": float(model.w.detach())}
        events.append(("end", record.epoch))

    Trainer(
        Line(), _config(), evaluate=evaluate, loss=squared_error, on_epoch_end=on_epoch_end
    ).fit(_line_data())
    assert events == [(kind, e) for e in (1, 2, 3) for kind in ("evaluate", "end")]


def _scripted(figures: list[float]) -> tuple[Trainer, list[dict[str, Tensor]]]:
    """A trainer whose evaluation reports ``figures`` in turn, and the weights after each epoch."""
    scores = iter(figures)
    weights: list[dict[str, Tensor]] = []

    def keep(record: EpochRecord, model: nn.Module) -> None:
        weights.append({k: v.clone() for k, v in model.state_dict().items()})

    config = _config(epochs=len(figures), select="score")
    trainer = Trainer(
        Line(), config, evaluate=lambda _: {"score": next(scores)}, loss=squared_error
    )
    trainer.on_epoch_end = keep
    return trainer, weights


@pytest.mark.parametrize(
    ("mode", "figures", "best"),
    [
        ("max", [0.2, 0.5, 0.4, 0.5], 2),  # a tie keeps the first
        ("min", [0.2, 0.5, 0.1, 0.3], 3),
        ("max", [float("nan"), 0.1, 0.0], 2),  # NaN is never best
    ],
)
def test_select_restores_the_best_epochs_weights(
    mode: str, figures: list[float], best: int
) -> None:
    trainer, weights = _scripted(figures)
    trainer.config = _config(epochs=len(figures), select="score", select_mode=mode)
    result = trainer.fit(_line_data())
    assert result.best_epoch == best and result.best is result.epochs[best - 1]
    final = trainer.model.state_dict()
    assert all(torch.equal(final[k], weights[best - 1][k]) for k in final)
    assert not torch.equal(final["w"], weights[-1]["w"])  # not simply the last epoch


def test_select_needs_an_evaluation_that_reports_it() -> None:
    with pytest.raises(ConfigError, match="select='score' needs an evaluate hook"):
        Trainer(Line(), _config(select="score"), loss=squared_error)
    trainer = Trainer(
        Line(), _config(select="score"), evaluate=lambda _: {"acc": 1.0}, loss=squared_error
    )
    with pytest.raises(ConfigError, match=r"returned no such figure \(it returned \['acc'\]\)"):
        trainer.fit(_line_data())


def test_clipping_bounds_each_step() -> None:
    model = Line()
    config = _config(epochs=1, batch_size=12, lr=1.0, optimizer="sgd", clip_grad_norm=0.01)
    Trainer(model, config, loss=squared_error).fit(_line_data())
    step = torch.stack([model.w.detach(), model.b.detach()])  # from zeros, one step
    assert float(step.norm()) == pytest.approx(0.01, rel=1e-5)  # unclipped: |grad| = 2.6


def test_weight_decay_reaches_the_optimiser() -> None:
    model = Line()
    with torch.no_grad():
        model.w.fill_(2.0)

    def nothing(model: nn.Module, batch: Batch) -> Tensor:  # zero gradient: decay alone acts
        return 0 * model(batch.inputs["x"]).sum()

    config = _config(epochs=1, batch_size=12, lr=0.5, optimizer="sgd", weight_decay=0.1)
    Trainer(model, config, loss=nothing).fit(_line_data())
    assert float(model.w.detach()) == pytest.approx(2.0 * (1 - 0.5 * 0.1))


def test_parameter_groups_keep_their_own_scheduled_lr() -> None:
    model = Line()
    lrs: list[list[float]] = []
    config = _config(epochs=2, schedule="cosine", optimizer="sgd")
    trainer = Trainer(
        model,
        config,
        loss=squared_error,
        param_groups=[{"params": [model.w], "lr": 0.4}],  # b is not trained
        on_epoch_end=lambda r, m: lrs.append([g["lr"] for g in trainer.optimizer.param_groups]),
    )
    trainer.fit(_line_data())
    assert lrs == [[0.4], [pytest.approx(0.2)]]
    assert float(model.b.detach()) == 0.0 and float(model.w.detach()) != 0.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"clip_grad_norm": 0.0}, "clip_grad_norm must be a positive finite number or None"),
        ({"clip_grad_norm": float("inf")}, "clip_grad_norm must be"),
        ({"weight_decay": -0.1}, "weight_decay must be a finite number >= 0"),
        ({"weight_decay": True}, "weight_decay must be"),
        ({"select": ""}, "select must be a metric's name or None"),
        ({"select_mode": "best"}, "unknown select_mode 'best'; expected one of max, min"),
    ],
)
def test_new_settings_are_validated(options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**options)  # type: ignore[arg-type]


class StopAfter:
    """The line's data, sending SIGINT to this process once epoch ``epoch`` has been drawn."""

    def __init__(self, epoch: int) -> None:
        self.data, self.epoch, self.drawn = _line_data(), epoch, 0

    def __len__(self) -> int:
        return len(self.data)

    def batches(self, batch_size: int, generator: torch.Generator) -> Iterator[Batch]:
        self.drawn += 1
        yield from self.data.batches(batch_size, generator)
        if self.drawn == self.epoch:
            os.kill(os.getpid(), signal.SIGINT)


def test_resume_keeps_the_best_epoch(tmp_path) -> None:
    figures = [0.1, 0.9, 0.3, 0.2]

    def run(data: object, folder: str, resume: bool = False) -> tuple[Trainer, int | None]:
        scores = iter(figures[2:] if resume else figures)
        config = _config(epochs=4, select="score", checkpoint_path=tmp_path / folder / "ckpt.pt")
        trainer = Trainer(
            Line(), config, evaluate=lambda _: {"score": next(scores)}, loss=squared_error
        )
        return trainer, trainer.fit(data, resume=resume).best_epoch  # type: ignore[arg-type]

    whole, best = run(_line_data(), "whole")
    with pytest.raises(Interrupted):
        run(StopAfter(2), "stopped")
    assert load_checkpoint(tmp_path / "stopped" / "ckpt.pt")["best"]["epoch"] == 2
    resumed, resumed_best = run(_line_data(), "stopped", resume=True)
    assert best == resumed_best == 2
    assert torch.equal(whole.model.state_dict()["w"], resumed.model.state_dict()["w"])
    other = _config(epochs=4, select="other", checkpoint_path=tmp_path / "stopped" / "ckpt.pt")
    with pytest.raises(ConfigError, match="select 'score' \\(now 'other'\\)"):
        Trainer(Line(), other, evaluate=lambda _: {}, loss=squared_error).fit(
            _line_data(), resume=True
        )
